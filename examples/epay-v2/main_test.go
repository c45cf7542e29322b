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
)

func TestTranscript(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), &out, func(string) string { return "" }))
	got := out.String()
	for _, want := range []string{
		`Created order V2-0001 \(19\.90 yuan\): trade_no (\d{19}), pay_type jump, send the buyer to http://127\.0\.0\.1:\d+/epay/pay/\d{19}`,
		`merchant: verified V2 notification: order V2-0001 paid 19\.90 yuan \(trade_no \d{19}, signed at \d+\); credited`,
		`gateway: delivery 1 answered HTTP 200 "success"`,
		`Queried the order: status paid, money 19\.90`,
		`Refunded 5\.00 yuan twice with out_refund_no V2-0001-R1: refund_no (\d+), then (\d+) \(the same refund\)`,
		`Queried the refund: 5\.00 yuan, succeeded; the order has 5\.00 yuan refunded`,
		`Created order V2-0002 and closed it unpaid`,
		`Refunding the closed order is refused: code -1, `,
		`Done: created, paid, notified, confirmed, queried, refunded once, refund queried and closed\.`,
	} {
		assert.Regexp(t, regexp.MustCompile(want), got)
	}
	m := regexp.MustCompile(`refund_no (\d+), then (\d+)`).FindStringSubmatch(got)
	require.Len(t, m, 3)
	assert.Equal(t, m[1], m[2])
	assert.Equal(t, 1, strings.Count(got, "order V2-0001 paid"))
}

func TestAgainstConfiguredGateway(t *testing.T) {
	gw := epaytest.NewServer(epaytest.WithTest(t))
	env := map[string]string{
		"EPAY_BASE_URL":        gw.URL + "api/pay/create", // a pasted endpoint URL works too
		"EPAY_PID":             gw.PID,
		"EPAY_V2_PRIVATE_KEY":  gw.MerchantPrivateKeyPEM(),
		"EPAY_V2_PLATFORM_KEY": gw.PlatformPublicKeyPEM(),
	}
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), &out, func(k string) string { return env[k] }))
	assert.Regexp(t, `Order V2\d{14} created: trade_no \d{19}, pay_type jump, pay_info http://`, out.String())
	assert.Len(t, gw.Orders(), 1)

	// A broken key: a clear error without key material.
	env["EPAY_V2_PRIVATE_KEY"] = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC" + strings.Repeat("x", 40)
	err := run(context.Background(), &out, func(k string) string { return env[k] })
	require.Error(t, err)
	assert.Equal(t, "epayv2: merchant key: sign: RSA private key: not a valid PKCS#8 or PKCS#1 key", err.Error())
}
