package main

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/epaykit/epaykit/epay/epaytest"
	"github.com/epaykit/epaykit/iepay/iepaytest"
)

func TestQuickstartTranscript(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), &out, func(string) string { return "" }))
	got := out.String()
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`Created order QS-EPAY-0001 \(9\.90 yuan\): trade_no \d{19}, payurl http://127\.0\.0\.1:\d+/epay/pay/\d{19}`),
		regexp.MustCompile(`merchant: verified Epay notification: order QS-EPAY-0001 paid 9\.90 yuan`),
		regexp.MustCompile(`gateway: delivery 1 answered HTTP 200 "success"`),
		regexp.MustCompile(`Queried the order: status paid, money 9\.90`),
		regexp.MustCompile(`Refunded 9\.90 yuan: .+ \(refund_no \d+\)`),
		regexp.MustCompile(`Queried again: status refunded`),
		regexp.MustCompile(`merchant: verified IEPay notification: order QS-IEPAY-0001 paid with IE0011`),
		regexp.MustCompile(`gateway: delivery 1 answered HTTP 200 "SUCCESS"`),
		regexp.MustCompile(`Checked the order: status paid, paid true, total_fee 1250 cents`),
		regexp.MustCompile(`Refunded 1250 cents: SUCCESS`),
		regexp.MustCompile(`Checked again: status refunded`),
		regexp.MustCompile(`Done: both payments created, paid, notified, confirmed, queried and refunded\.`),
	} {
		assert.Regexp(t, want, got)
	}
	// Each notification was credited exactly once.
	assert.Equal(t, 1, strings.Count(got, "order QS-EPAY-0001 paid"))
	assert.Equal(t, 1, strings.Count(got, "order QS-IEPAY-0001 paid"))
}

func TestQuickstartAgainstConfiguredGateways(t *testing.T) {
	egw := epaytest.NewServer(epaytest.WithTest(t))
	igw := iepaytest.NewServer(iepaytest.WithTest(t))
	env := map[string]string{
		"EPAY_BASE_URL":  egw.URL + "submit.php", // a pasted endpoint URL works too
		"EPAY_PID":       egw.PID,
		"EPAY_KEY":       egw.Key,
		"IEPAY_MID":      igw.MID,
		"IEPAY_KEY":      igw.Key,
		"IEPAY_BASE_URL": igw.URL,
	}
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), &out, func(k string) string { return env[k] }))
	assert.Regexp(t, `Epay order QS\d{14} created: trade_no \d{19}; payurl http://`, out.String())
	assert.Regexp(t, `IEPay order QS\d{14} created; show as a QR code: http://`, out.String())
	assert.Len(t, egw.Orders(), 1)
	assert.Len(t, igw.Orders(), 1)

	env["EPAY_KEY"] = "wrong-key"
	delete(env, "IEPAY_MID")
	err := run(context.Background(), &out, func(k string) string { return env[k] })
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "wrong-key")
}
