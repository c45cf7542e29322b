package iepaytest

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFaultString(t *testing.T) {
	t.Parallel()
	want := map[Fault]string{
		FaultNone: "FaultNone", Fault502: "Fault502", Fault503: "Fault503", Fault504: "Fault504", Fault429: "Fault429",
		FaultHTML: "FaultHTML", FaultPHPWarning: "FaultPHPWarning", FaultEmpty: "FaultEmpty", FaultTruncated: "FaultTruncated",
		FaultReset: "FaultReset", FaultResetAfter: "FaultResetAfter", FaultDelay: "FaultDelay", FaultHuge: "FaultHuge",
		Fault(99): "Fault(99)", Fault(-1): "Fault(-1)",
	}
	for f, s := range want {
		assert.Equal(t, s, f.String())
	}
}

// faultCase runs one create under a fault and reports what came back.
type faultOutcome struct {
	res       result
	err       error
	processed bool
}

func createUnderFault(t *testing.T, s *Server, f Fault, outTradeNo string) faultOutcome {
	t.Helper()
	s.FailNext(1, f)
	c := httpClient(t)
	req, err := http.NewRequest(http.MethodPost, s.URL+"api/online", strings.NewReader(signed(s, createParams(outTradeNo, "IE0011")).Encode()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	var out faultOutcome
	resp, err := c.Do(req)
	if err == nil {
		b, rerr := io.ReadAll(resp.Body)
		resp.Body.Close()
		out.res = result{resp.StatusCode, resp.Header, string(b)}
		out.err = rerr
	} else {
		out.err = err
	}
	_, out.processed = s.Order(outTradeNo)
	return out
}

func TestFaults(t *testing.T) {
	t.Parallel()
	s := newServer(t, WithFaultDelay(50*time.Millisecond))
	okBody := func(id string) string {
		o, _ := s.Order(id)
		return `{"is_success":"TRUE","message":"SUCCESS","extra":{"mid":"10224","pay_type":"IE0011","out_trade_no":"` +
			id + `","pay_url":"` + o.PayURL + `"}}`
	}

	for _, code := range []int{502, 503, 504} {
		f := map[int]Fault{502: Fault502, 503: Fault503, 504: Fault504}[code]
		out := createUnderFault(t, s, f, "F-"+f.String())
		require.NoError(t, out.err)
		assert.Equal(t, code, out.res.status)
		assert.Equal(t, "text/html", out.res.header.Get("Content-Type"))
		assert.Contains(t, out.res.body, "<center><h1>"+strconv.Itoa(code)+" "+http.StatusText(code)+"</h1></center>")
		assert.False(t, out.processed, f.String())
	}

	out := createUnderFault(t, s, Fault429, "F-429")
	require.NoError(t, out.err)
	assert.Equal(t, 429, out.res.status)
	assert.Equal(t, "1", out.res.header.Get("Retry-After"))
	assert.False(t, out.processed)

	out = createUnderFault(t, s, FaultHTML, "F-html")
	require.NoError(t, out.err)
	assert.Equal(t, 200, out.res.status)
	assert.True(t, strings.HasPrefix(out.res.body, "<!DOCTYPE html>"))
	assert.False(t, out.processed)

	out = createUnderFault(t, s, FaultPHPWarning, "F-php")
	require.NoError(t, out.err)
	assert.True(t, out.processed)
	assert.Equal(t, "text/html; charset=UTF-8", out.res.header.Get("Content-Type"))
	assert.Equal(t, "<br />\n<b>Warning</b>:  Undefined array key \"tid\" in <b>/var/www/app/Http/Controllers/ApiController.php</b>"+
		" on line <b>214</b><br />\n"+okBody("F-php"), out.res.body)

	out = createUnderFault(t, s, FaultEmpty, "F-empty")
	require.NoError(t, out.err)
	assert.Equal(t, 200, out.res.status)
	assert.Equal(t, "", out.res.body)
	assert.False(t, out.processed)

	out = createUnderFault(t, s, FaultTruncated, "F-trunc")
	require.NoError(t, out.err)
	assert.True(t, out.processed)
	full := okBody("F-trunc")
	assert.Equal(t, full[:len(full)/2], out.res.body)

	out = createUnderFault(t, s, FaultReset, "F-reset")
	require.Error(t, out.err)
	assert.False(t, out.processed)

	out = createUnderFault(t, s, FaultResetAfter, "F-reset-after")
	require.Error(t, out.err)
	assert.True(t, out.processed, "the request took effect before the reset")

	out = createUnderFault(t, s, FaultDelay, "F-delay")
	require.NoError(t, out.err)
	assert.Equal(t, okBody("F-delay"), out.res.body)

	out = createUnderFault(t, s, FaultHuge, "F-huge")
	require.NoError(t, out.err)
	assert.Equal(t, 200, out.res.status)
	assert.Len(t, out.res.body, HugeBodySize)
	assert.True(t, strings.HasPrefix(out.res.body, `{"is_success":"TRUE","message":"`))
	assert.False(t, out.processed)

	// A value that is not a Fault constant queues nothing.
	out = createUnderFault(t, s, Fault(77), "F-unknown")
	require.NoError(t, out.err)
	assert.Equal(t, 200, out.res.status)
	assert.True(t, out.processed)

	// Faults are used up: the next request is normal.
	assert.Equal(t, "TRUE", decode(t, post(t, s, "api/online", signed(s, createParams("F-after", "IE0011"))).body)["is_success"])

	// Every request was recorded with its fault.
	reqs := s.Requests()
	require.Len(t, reqs, 14)
	wantFaults := []Fault{Fault502, Fault503, Fault504, Fault429, FaultHTML, FaultPHPWarning, FaultEmpty,
		FaultTruncated, FaultReset, FaultResetAfter, FaultDelay, FaultHuge, FaultNone}
	for i, f := range wantFaults {
		assert.Equal(t, f, reqs[i].Fault, i)
		assert.Equal(t, http.MethodPost, reqs[i].Method)
		assert.Equal(t, "/iepay/api/online", reqs[i].Path)
	}
	assert.Equal(t, FaultNone, reqs[13].Fault)
}

func TestFaultResetIsReset(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	s.FailNext(1, FaultReset)
	conn, err := net.Dial("tcp", strings.TrimPrefix(strings.TrimSuffix(s.URL, "/iepay/"), "http://"))
	require.NoError(t, err)
	defer conn.Close()
	_, err = io.WriteString(conn, "POST /iepay/api/refund HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 3\r\n\r\na=b")
	require.NoError(t, err)
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(5*time.Second)))
	b, err := io.ReadAll(conn)
	assert.Empty(t, b, "no answer")
	assert.True(t, errors.Is(err, syscall.ECONNRESET), "want a TCP reset, got %v", err)
}

func TestFailNextCountsAndQueues(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	s.FailNext(0, Fault502)
	s.FailNext(-3, Fault502)
	s.FailNext(5, FaultNone)
	s.FailNext(2, Fault503)
	s.FailNext(1, FaultEmpty)
	q := map[string]string{"version": "v1", "pay_type": "IE0011", "out_trade_no": "nope"}
	var got []int
	for i := 0; i < 4; i++ {
		got = append(got, post(t, s, "api/check_order_status", signed(s, q)).status)
	}
	assert.Equal(t, []int{503, 503, 200, 200}, got)
	reqs := s.Requests()
	require.Len(t, reqs, 4)
	assert.Equal(t, []Fault{Fault503, Fault503, FaultEmpty, FaultNone}, []Fault{reqs[0].Fault, reqs[1].Fault, reqs[2].Fault, reqs[3].Fault})
	assert.Equal(t, "nope", reqs[3].Form.Get("out_trade_no"))
	assert.NotEmpty(t, reqs[3].Form.Get("sign"), "recorded as received")
	reqs[3].Form.Set("out_trade_no", "changed")
	assert.Equal(t, "nope", s.Requests()[3].Form.Get("out_trade_no"), "a copy")
}

func TestFaultsSkipCheckoutPage(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	m := create(t, s, createParams("CP-1", "IE0011"))
	s.FailNext(1, Fault502)
	r := do(t, httpClient(t), http.MethodGet, m["extra"].(map[string]any)["pay_url"].(string), nil)
	assert.Equal(t, 200, r.status)
	assert.Len(t, s.Requests(), 1, "the checkout page is not an API request")
	assert.Equal(t, 502, post(t, s, "api/refund", nil).status, "the fault is still queued")
}

func TestFaultRefundSeenOnce(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	create(t, s, createParams("RF-1", "IE0011"))
	require.NoError(t, s.Pay("RF-1"))
	s.FailNext(1, FaultResetAfter)
	form := signed(s, map[string]string{"version": "v1", "pay_type": "IE0011", "out_trade_no": "RF-1", "refund_amount": "100"})
	_, err := httpClient(t).PostForm(s.URL+"api/refund", form)
	require.Error(t, err)
	o, _ := s.Order("RF-1")
	assert.Equal(t, 1, o.RefundCount)
	assert.Equal(t, int64(100), o.Refunded)
	n := 0
	for _, r := range s.Requests() {
		if r.Path == "/iepay/api/refund" {
			n++
		}
	}
	assert.Equal(t, 1, n)
}

func TestFaultDelayEndsWhenClientLeaves(t *testing.T) {
	t.Parallel()
	s := newServer(t, WithFaultDelay(time.Hour))
	s.FailNext(1, FaultDelay)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.URL+"api/online",
		strings.NewReader(signed(s, createParams("DL-1", "IE0011")).Encode()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	_, err = httpClient(t).Do(req)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	// The gateway still processes the request once the client has gone.
	require.Eventually(t, func() bool { _, ok := s.Order("DL-1"); return ok }, 5*time.Second, time.Millisecond)
}

func TestCloseDuringDelayAndHuge(t *testing.T) {
	t.Parallel()
	s := NewServer(WithFaultDelay(time.Hour))
	s.FailNext(1, FaultDelay)
	s.FailNext(1, FaultHuge)
	errs := make(chan error, 2)
	send := func(stall bool) {
		resp, err := http.Post(s.URL+"api/online", "application/x-www-form-urlencoded", strings.NewReader("a=b"))
		if err == nil {
			if stall { // read a little of the huge body, then stop reading
				_, err = io.ReadFull(resp.Body, make([]byte, 1024))
				<-s.notifier.Closed()
			} else {
				_, err = io.ReadAll(resp.Body)
			}
			resp.Body.Close()
		}
		errs <- err
	}
	go send(false) // held by FaultDelay
	require.Eventually(t, func() bool { return len(s.Requests()) == 1 }, 5*time.Second, time.Millisecond)
	go send(true) // gets FaultHuge
	require.Eventually(t, func() bool { return len(s.Requests()) == 2 }, 5*time.Second, time.Millisecond)
	done := make(chan struct{})
	go func() { s.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close hangs on a delayed or huge answer")
	}
	<-errs
	<-errs
}
