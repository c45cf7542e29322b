package epaytest

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// send posts a mapi.php create and returns the answer or the client error.
func send(c *http.Client, s *Server, form url.Values) (result, error) {
	resp, err := c.PostForm(s.URL+"mapi.php", form)
	if err != nil {
		return result{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return result{resp.StatusCode, resp.Header, b}, err
}

func TestFaults(t *testing.T) {
	t.Parallel()
	tests := []struct {
		fault     Fault
		processed bool
		check     func(t *testing.T, r result, err error, full string)
	}{
		{Fault502, false, statusPage(502, "502 Bad Gateway")},
		{Fault503, false, statusPage(503, "503 Service Unavailable")},
		{Fault504, false, statusPage(504, "504 Gateway Timeout")},
		{Fault429, false, func(t *testing.T, r result, err error, _ string) {
			require.NoError(t, err)
			assert.Equal(t, http.StatusTooManyRequests, r.status)
			assert.Equal(t, "1", r.header.Get("Retry-After"))
		}},
		{FaultHTML, false, func(t *testing.T, r result, err error, _ string) {
			require.NoError(t, err)
			assert.Equal(t, http.StatusOK, r.status)
			assert.Equal(t, "text/html; charset=utf-8", r.header.Get("Content-Type"))
			assert.True(t, strings.HasPrefix(string(r.body), "<!DOCTYPE html>"))
		}},
		{FaultPHPWarning, true, func(t *testing.T, r result, err error, full string) {
			require.NoError(t, err)
			assert.Equal(t, http.StatusOK, r.status)
			warning, js, ok := strings.Cut(string(r.body), "<br />\n{")
			require.True(t, ok, string(r.body))
			assert.Contains(t, warning, "<b>Warning</b>")
			assert.Equal(t, full, "{"+js)
		}},
		{FaultEmpty, false, func(t *testing.T, r result, err error, _ string) {
			require.NoError(t, err)
			assert.Equal(t, http.StatusOK, r.status)
			assert.Empty(t, r.body)
		}},
		{FaultTruncated, true, func(t *testing.T, r result, err error, full string) {
			require.NoError(t, err)
			assert.Equal(t, http.StatusOK, r.status)
			assert.Equal(t, full[:len(full)/2], string(r.body))
			assert.False(t, json.Valid(r.body))
		}},
		{FaultReset, false, func(t *testing.T, _ result, err error, _ string) { assert.Error(t, err) }},
		{FaultResetAfter, true, func(t *testing.T, _ result, err error, _ string) { assert.Error(t, err) }},
		{FaultDelay, true, func(t *testing.T, r result, err error, full string) {
			require.NoError(t, err)
			assert.Equal(t, full, string(r.body))
		}},
		{FaultHuge, false, func(t *testing.T, r result, err error, _ string) {
			require.NoError(t, err)
			assert.Len(t, r.body, HugeBodySize)
			assert.True(t, strings.HasPrefix(string(r.body), `{"code":1,"msg":"   `))
		}},
	}
	for _, tc := range tests {
		t.Run(tc.fault.String(), func(t *testing.T) {
			t.Parallel()
			s := newServer(t, WithFaultDelay(20*time.Millisecond))
			form := signedValues(createParams("F-1", "https://shop.example.com/n"), s.Key)
			s.FailNext(1, tc.fault)
			c := httpClient(t)
			r, err := send(c, s, form)
			_, created := s.Order("F-1")
			assert.Equal(t, tc.processed, created, "processed")

			// The next request is answered normally; for a processed fault it
			// finds the order already created with the same fields.
			again, err2 := send(c, s, form)
			require.NoError(t, err2)
			assert.Equal(t, http.StatusOK, again.status)
			assert.Equal(t, "2026010112000000001", decode(t, again.body)["trade_no"])
			tc.check(t, r, err, string(again.body))

			reqs := s.Requests()
			require.Len(t, reqs, 2)
			assert.Equal(t, tc.fault, reqs[0].Fault)
			assert.Equal(t, FaultNone, reqs[1].Fault)
		})
	}
}

func statusPage(code int, text string) func(t *testing.T, r result, err error, _ string) {
	return func(t *testing.T, r result, err error, _ string) {
		require.NoError(t, err)
		assert.Equal(t, code, r.status)
		assert.Equal(t, "text/html", r.header.Get("Content-Type"))
		assert.Contains(t, string(r.body), "<title>"+text+"</title>")
	}
}

func TestFailNextQueue(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	s.FailNext(0, Fault502)
	s.FailNext(1, FaultNone)
	s.FailNext(1, Fault(99))
	s.FailNext(2, Fault503)
	s.FailNext(1, FaultEmpty)
	mustCreate(t, s, NewOrder{OutTradeNo: "Q-1", Money: "1"})

	// The checkout page is not an API endpoint: it never fails.
	o, _ := s.Order("Q-1")
	assert.Equal(t, http.StatusOK, do(t, httpClient(t), http.MethodGet, o.PayURL, nil).status)

	var statuses []int
	for range 4 {
		r := get(t, s, "api.php", apiQuery(s, "order", "out_trade_no", "Q-1"))
		statuses = append(statuses, r.status)
	}
	assert.Equal(t, []int{503, 503, 200, 200}, statuses)
	var faults []Fault
	for _, r := range s.Requests() {
		faults = append(faults, r.Fault)
		assert.Equal(t, "/epay/api.php", r.Path)
		assert.Equal(t, DefaultKey, r.Form.Get("key"))
	}
	assert.Equal(t, []Fault{Fault503, Fault503, FaultEmpty, FaultNone}, faults)

	assert.Equal(t, "Fault502", Fault502.String())
	assert.Equal(t, "FaultHuge", FaultHuge.String())
	assert.Equal(t, "FaultNone", FaultNone.String())
	assert.Equal(t, "Fault(99)", Fault(99).String())
}

func TestRefundFaults(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		f       Fault
		refunds int
	}{{FaultReset, 0}, {FaultResetAfter, 1}, {Fault502, 0}, {FaultTruncated, 1}, {FaultPHPWarning, 1}} {
		t.Run(tc.f.String(), func(t *testing.T) {
			t.Parallel()
			s := newServer(t)
			mustCreate(t, s, NewOrder{OutTradeNo: "RF-1", Money: "5"})
			require.NoError(t, s.Pay("RF-1"))
			s.FailNext(1, tc.f)
			resp, err := httpClient(t).PostForm(s.URL+"api.php?act=refund",
				url.Values{"pid": {s.PID}, "key": {s.Key}, "out_trade_no": {"RF-1"}, "money": {"1"}})
			if err == nil {
				resp.Body.Close()
			}
			o, _ := s.Order("RF-1")
			assert.Equal(t, tc.refunds, o.Refunds)
			assert.Equal(t, int64(tc.refunds*100), o.RefundedCents)
		})
	}
}

func TestFaultDelayClientGone(t *testing.T) {
	t.Parallel()
	s := newServer(t, WithFaultDelay(time.Hour))
	mustCreate(t, s, NewOrder{OutTradeNo: "DG-1", Money: "5"})
	require.NoError(t, s.Pay("DG-1"))
	s.FailNext(1, FaultDelay)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.URL+"api.php?act=refund",
		strings.NewReader(url.Values{"pid": {s.PID}, "key": {s.Key}, "out_trade_no": {"DG-1"}, "money": {"1"}}.Encode()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	_, err = httpClient(t).Do(req)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	// The gateway goes on and refunds although nobody hears the answer.
	require.Eventually(t, func() bool {
		o, _ := s.Order("DG-1")
		return o.Refunds == 1
	}, 5*time.Second, 5*time.Millisecond)
}

func TestFaultDelayEndsAtClose(t *testing.T) {
	t.Parallel()
	s := NewServer(WithFaultDelay(time.Hour))
	s.FailNext(1, FaultDelay)
	done := make(chan error, 1)
	go func() {
		resp, err := http.Get(s.URL + "api.php?" + apiQuery(s, "query").Encode())
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	require.Eventually(t, func() bool { return len(s.Requests()) == 1 }, 5*time.Second, time.Millisecond)
	s.Close()
	<-done
}
