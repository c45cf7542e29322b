package iepay_test

// Fault injection: what Create, Check and Refund do when IEPay, the network
// or a proxy misbehaves. The faults are injected by the iepaytest gateway
// over real loopback HTTP, or by a deliberately broken httptest server where
// the gateway cannot do it.

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/epaykit/epaykit/iepay"
	"github.com/epaykit/epaykit/iepay/iepaytest"
)

// Short backoff for tests: the policy is the same, only the waits shrink.
const (
	extMID      = "10224"
	extKey      = "Kx9QmZ4tVb7RwY2nHs5Lc8PdJf3Ga6Ue" // a key for servers that are not the gateway
	testMinWait = time.Millisecond
	testMaxWait = 10 * time.Millisecond
)

type eventLog struct {
	mu  sync.Mutex
	evs []iepay.RequestEvent
}

func (l *eventLog) hook(ev iepay.RequestEvent) {
	l.mu.Lock()
	l.evs = append(l.evs, ev)
	l.mu.Unlock()
}

func (l *eventLog) all() []iepay.RequestEvent {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]iepay.RequestEvent(nil), l.evs...)
}

// rig is a test gateway and a client configured for it.
type rig struct {
	gw     *iepaytest.Server
	c      *iepay.Client
	events *eventLog
}

func newRig(t *testing.T, gwOpts []iepaytest.Option, opts ...iepay.Option) *rig {
	t.Helper()
	gw := iepaytest.NewServer(append([]iepaytest.Option{iepaytest.WithTest(t)}, gwOpts...)...)
	ev := &eventLog{}
	all := append([]iepay.Option{
		iepay.WithBaseURL(gw.URL),
		iepay.WithRetryWait(testMinWait, testMaxWait),
		iepay.WithRequestHook(ev.hook),
	}, opts...)
	c, err := iepay.New(gw.MID, gw.Key, all...)
	require.NoError(t, err)
	return &rig{gw: gw, c: c, events: ev}
}

func createReq(no string) *iepay.CreateRequest {
	return &iepay.CreateRequest{
		PayType: iepay.PayTypeAlipayQR, OutTradeNo: no, TotalFee: 999,
		Goods: "Tea", GoodsDetail: "Green tea 100g", NotifyURL: "https://shop.example.com/notify/iepay",
	}
}

// paidOrder creates (through the client, without faults) and pays an order.
func (r *rig) paidOrder(t *testing.T, no string) {
	t.Helper()
	_, err := r.c.Create(context.Background(), &iepay.CreateRequest{
		PayType: iepay.PayTypeAlipayQR, OutTradeNo: no, TotalFee: 999, Goods: "Tea", GoodsDetail: "Green tea",
	})
	require.NoError(t, err)
	require.NoError(t, r.gw.Pay(no))
}

// requestsFor returns the gateway's record of requests to path, such as
// "api/refund", leaving out requests made before mark.
func (r *rig) requestsFor(path string, mark int) []iepaytest.Request {
	var out []iepaytest.Request
	for i, q := range r.gw.Requests() {
		if i >= mark && strings.HasSuffix(q.Path, "/"+path) {
			out = append(out, q)
		}
	}
	return out
}

func faultsOf(reqs []iepaytest.Request) []iepaytest.Fault {
	out := make([]iepaytest.Fault, len(reqs))
	for i, q := range reqs {
		out[i] = q.Fault
	}
	return out
}

// TestFaultRetriedThenSucceeds: two failures (5xx from the proxy, or a
// reset before IEPay did anything), then an answer: create and check
// succeed within the default budget of 2 retries; create makes one order.
func TestFaultRetriedThenSucceeds(t *testing.T) {
	t.Parallel()
	for _, f := range []iepaytest.Fault{iepaytest.Fault502, iepaytest.Fault503, iepaytest.Fault504, iepaytest.FaultReset} {
		t.Run(f.String()+"/create", func(t *testing.T) {
			t.Parallel()
			r := newRig(t, nil)
			r.gw.FailNext(2, f)
			res, err := r.c.Create(context.Background(), createReq("F-1"))
			require.NoError(t, err)
			assert.False(t, res.AlreadyCreated)
			assert.NotEmpty(t, res.PayURL)
			assert.Equal(t, []iepaytest.Fault{f, f, iepaytest.FaultNone}, faultsOf(r.requestsFor("api/online", 0)))
			assert.Len(t, r.gw.Orders(), 1)
			assert.Len(t, r.events.all(), 3)
		})
		t.Run(f.String()+"/check", func(t *testing.T) {
			t.Parallel()
			r := newRig(t, nil)
			r.paidOrder(t, "Q-1")
			mark := len(r.gw.Requests())
			r.gw.FailNext(2, f)
			o, err := r.c.Check(context.Background(), &iepay.CheckRequest{PayType: iepay.PayTypeAlipayQR, OutTradeNo: "Q-1"})
			require.NoError(t, err)
			assert.True(t, o.Paid())
			assert.Equal(t, int64(999), o.TotalFee)
			assert.Equal(t, []iepaytest.Fault{f, f, iepaytest.FaultNone}, faultsOf(r.requestsFor("api/check_order_status", mark)))
		})
	}
}

// TestFaultRetryBudget: a gateway that keeps failing gets 1 + retries
// attempts; the last answer is an *HTTPError.
func TestFaultRetryBudget(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		opts    []iepay.Option
		wantHit int
	}{
		{"default", nil, 3},
		{"off", []iepay.Option{iepay.WithRetries(0)}, 1},
		{"five", []iepay.Option{iepay.WithRetries(5)}, 6},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := newRig(t, nil, tc.opts...)
			r.gw.FailNext(10, iepaytest.Fault502)
			_, err := r.c.Create(context.Background(), createReq("B-1"))
			var he *iepay.HTTPError
			require.ErrorAs(t, err, &he)
			assert.Equal(t, http.StatusBadGateway, he.StatusCode)
			assert.Equal(t, tc.wantHit, he.Attempts)
			assert.Len(t, r.requestsFor("api/online", 0), tc.wantHit)
			assert.Empty(t, r.gw.Orders())
			assert.True(t, strings.HasPrefix(err.Error(), "iepay: POST "), err.Error())
		})
	}
}

// TestFaultRetryAfter: a 429 with Retry-After: 1 makes the client wait at
// least a second although its own backoff is at most 10 ms.
func TestFaultRetryAfter(t *testing.T) {
	t.Parallel()
	r := newRig(t, nil)
	r.gw.FailNext(1, iepaytest.Fault429)
	_, err := r.c.Create(context.Background(), createReq("RA-1"))
	require.NoError(t, err)
	reqs := r.requestsFor("api/online", 0)
	require.Equal(t, []iepaytest.Fault{iepaytest.Fault429, iepaytest.FaultNone}, faultsOf(reqs))
	assert.GreaterOrEqual(t, reqs[1].At.Sub(reqs[0].At), 900*time.Millisecond, "Retry-After: 1 not honoured")
}

// TestFaultBadBodies: a 200 answer that is not the JSON envelope is a clear
// *HTTPError, not retried; repeating a create afterwards is safe (IEPay
// answers ORDER_CREATED for an order the fault hid).
func TestFaultBadBodies(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		f         iepaytest.Fault
		reason    string
		processed bool
	}{
		{iepaytest.FaultHTML, "expected a JSON object", false},
		{iepaytest.FaultPHPWarning, "expected a JSON object", true},
		{iepaytest.FaultEmpty, "expected JSON", false},
		{iepaytest.FaultTruncated, "malformed JSON", true},
	} {
		t.Run(tc.f.String(), func(t *testing.T) {
			t.Parallel()
			r := newRig(t, nil)
			r.gw.FailNext(1, tc.f)
			_, err := r.c.Create(context.Background(), createReq("BB-1"))
			var he *iepay.HTTPError
			require.ErrorAs(t, err, &he)
			assert.Equal(t, http.StatusOK, he.StatusCode)
			assert.Equal(t, tc.reason, he.Reason)
			assert.LessOrEqual(t, len(he.Excerpt), 200+len("..."))
			assert.Len(t, r.requestsFor("api/online", 0), 1, "a 200 answer must not be retried")
			_, exists := r.gw.Order("BB-1")
			assert.Equal(t, tc.processed, exists)

			res, err := r.c.Create(context.Background(), createReq("BB-1"))
			require.NoError(t, err)
			assert.Equal(t, tc.processed, res.AlreadyCreated)
			assert.NotEmpty(t, res.PayURL)
			assert.Len(t, r.gw.Orders(), 1)

			r.gw.FailNext(1, tc.f)
			_, err = r.c.Check(context.Background(), &iepay.CheckRequest{PayType: iepay.PayTypeAlipayQR, OutTradeNo: "BB-1"})
			require.ErrorAs(t, err, &he)
			assert.Equal(t, tc.reason, he.Reason)
		})
	}
}

// TestFaultResetAfterCreate: the order is made, the answer lost; the retry
// gets ORDER_CREATED, which Create reports as success.
func TestFaultResetAfterCreate(t *testing.T) {
	t.Parallel()
	r := newRig(t, nil)
	r.gw.FailNext(1, iepaytest.FaultResetAfter)
	res, err := r.c.Create(context.Background(), createReq("RS-1"))
	require.NoError(t, err)
	assert.True(t, res.AlreadyCreated)
	assert.NotEmpty(t, res.PayURL)
	assert.Len(t, r.gw.Orders(), 1)
	assert.Equal(t, []iepaytest.Fault{iepaytest.FaultResetAfter, iepaytest.FaultNone}, faultsOf(r.requestsFor("api/online", 0)))
}

// TestFaultHugeBody: a 10 MiB answer is cut off at 1 MiB with a clear
// error, not retried.
func TestFaultHugeBody(t *testing.T) {
	t.Parallel()
	r := newRig(t, nil)
	r.gw.FailNext(1, iepaytest.FaultHuge)
	_, err := r.c.Create(context.Background(), createReq("HB-1"))
	var te *iepay.TransportError
	require.ErrorAs(t, err, &te)
	assert.Equal(t, http.StatusOK, te.StatusCode)
	assert.Contains(t, err.Error(), "response body exceeds 1 MiB")
	assert.Len(t, r.requestsFor("api/online", 0), 1)
}

// TestFaultHugeBodyMemory: reading the 10 MiB answer allocates a bounded
// amount. Not parallel, so the allocation counter is this test's own.
func TestFaultHugeBodyMemory(t *testing.T) {
	r := newRig(t, nil)
	r.paidOrder(t, "HM-1")
	r.gw.FailNext(1, iepaytest.FaultHuge)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err := r.c.Check(context.Background(), &iepay.CheckRequest{PayType: iepay.PayTypeAlipayQR, OutTradeNo: "HM-1"})
	runtime.ReadMemStats(&after)
	require.Error(t, err)
	allocated := after.TotalAlloc - before.TotalAlloc
	t.Logf("allocated %d KiB for a %d KiB answer", allocated>>10, iepaytest.HugeBodySize>>10)
	assert.Less(t, allocated, uint64(6<<20), "the body must be read through a limit")
}

// hangingServer reads the request and then answers nothing until the
// client leaves or 10 s pass.
func hangingServer(t *testing.T) (string, *atomic.Int32) {
	t.Helper()
	hits := &atomic.Int32{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		_, _ = io.Copy(io.Discard, r.Body) // a client that left is noticed only after this
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/iepay/", hits
}

// TestFaultHangingServer: every call returns with DeadlineExceeded long
// before the hanging server would answer, without a retry.
func TestFaultHangingServer(t *testing.T) {
	t.Parallel()
	calls := map[string]func(context.Context, *iepay.Client) error{
		"create": func(ctx context.Context, c *iepay.Client) error {
			_, err := c.Create(ctx, createReq("H-1"))
			return err
		},
		"check": func(ctx context.Context, c *iepay.Client) error {
			_, err := c.Check(ctx, &iepay.CheckRequest{PayType: iepay.PayTypeAlipayQR, OutTradeNo: "H-1"})
			return err
		},
		"refund": func(ctx context.Context, c *iepay.Client) error {
			_, err := c.Refund(ctx, &iepay.RefundRequest{PayType: iepay.PayTypeAlipayQR, OutTradeNo: "H-1", RefundAmount: 100})
			return err
		},
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			u, hits := hangingServer(t)
			c, err := iepay.New(extMID, extKey, iepay.WithBaseURL(u), iepay.WithRetryWait(testMinWait, testMaxWait))
			require.NoError(t, err)
			ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
			defer cancel()
			start := time.Now()
			err = call(ctx, c)
			elapsed := time.Since(start)
			assert.ErrorIs(t, err, context.DeadlineExceeded)
			var te *iepay.TransportError
			require.ErrorAs(t, err, &te)
			assert.True(t, te.MaybeSent)
			assert.Less(t, elapsed, 2*time.Second)
			assert.EqualValues(t, 1, hits.Load())
		})
	}
}

// TestFaultResetMidResponse: the connection drops in the middle of the
// body: a *TransportError saying the request may have been processed, and
// no repeat.
func TestFaultResetMidResponse(t *testing.T) {
	t.Parallel()
	hits := &atomic.Int32{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		_, _ = io.Copy(io.Discard, r.Body)
		conn, buf, err := w.(http.Hijacker).Hijack()
		if err != nil {
			return
		}
		_, _ = buf.WriteString("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n" +
			`{"is_success":"TRUE","message":"SUC`)
		_ = buf.Flush()
		if tc, ok := conn.(*net.TCPConn); ok {
			_ = tc.SetLinger(0)
		}
		_ = conn.Close()
	}))
	t.Cleanup(srv.Close)
	c, err := iepay.New(extMID, extKey, iepay.WithBaseURL(srv.URL+"/iepay/"), iepay.WithRetryWait(testMinWait, testMaxWait))
	require.NoError(t, err)
	_, err = c.Refund(context.Background(), &iepay.RefundRequest{PayType: iepay.PayTypeAlipayQR, OutTradeNo: "R-1", RefundAmount: 100})
	var te *iepay.TransportError
	require.ErrorAs(t, err, &te)
	assert.True(t, te.MaybeSent)
	assert.Contains(t, err.Error(), "reading the response")
	assert.EqualValues(t, 1, hits.Load())
}

// TestRefundAtMostOnce: under every fault IEPay sees the refund once, at
// most one takes effect, and the error says whether it may have happened;
// then the recovery a caller should follow (Check, refund only if not
// refunded) ends with exactly one refund.
func TestRefundAtMostOnce(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		f         iepaytest.Fault
		processed bool
		transport bool // *TransportError (else *HTTPError: an answer arrived)
	}{
		{iepaytest.Fault502, false, false},
		{iepaytest.Fault503, false, false},
		{iepaytest.Fault504, false, false},
		{iepaytest.Fault429, false, false},
		{iepaytest.FaultHTML, false, false},
		{iepaytest.FaultPHPWarning, true, false},
		{iepaytest.FaultEmpty, false, false},
		{iepaytest.FaultTruncated, true, false},
		{iepaytest.FaultReset, false, true},
		{iepaytest.FaultResetAfter, true, true},
		{iepaytest.FaultDelay, true, true},
		{iepaytest.FaultHuge, false, true},
	} {
		t.Run(tc.f.String(), func(t *testing.T) {
			t.Parallel()
			r := newRig(t, []iepaytest.Option{iepaytest.WithFaultDelay(10 * time.Second)})
			r.paidOrder(t, "RF-1")
			mark := len(r.gw.Requests())
			r.gw.FailNext(1, tc.f) // a retry would succeed, and be counted
			ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
			defer cancel()
			req := &iepay.RefundRequest{PayType: iepay.PayTypeAlipayQR, OutTradeNo: "RF-1", RefundAmount: 999}
			_, err := r.c.Refund(ctx, req)
			cancel()
			require.Error(t, err)
			assert.Len(t, r.requestsFor("api/refund", mark), 1, "a refund must never be repeated")
			var te *iepay.TransportError
			var he *iepay.HTTPError
			if tc.transport {
				require.ErrorAs(t, err, &te)
				assert.True(t, te.MaybeSent)
				assert.Equal(t, 1, te.Attempts)
			} else {
				require.ErrorAs(t, err, &he)
				assert.Equal(t, 1, he.Attempts)
			}
			require.Eventually(t, func() bool {
				o, _ := r.gw.Order("RF-1")
				return !tc.processed || o.RefundCount == 1
			}, 5*time.Second, 5*time.Millisecond)
			o, _ := r.gw.Order("RF-1")
			want := 0
			if tc.processed {
				want = 1
			}
			assert.Equal(t, want, o.RefundCount)

			q, err := r.c.Check(context.Background(), &iepay.CheckRequest{PayType: iepay.PayTypeAlipayQR, OutTradeNo: "RF-1"})
			require.NoError(t, err)
			if q.Status != iepay.OrderRefunded {
				_, err = r.c.Refund(context.Background(), req)
				require.NoError(t, err)
			}
			o, _ = r.gw.Order("RF-1")
			assert.Equal(t, 1, o.RefundCount, "exactly one refund in the end")
			assert.Equal(t, int64(999), o.Refunded)
		})
	}
}

type flakyDialer struct {
	fail  atomic.Int32
	dials atomic.Int32
}

func (d *flakyDialer) client() *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		d.dials.Add(1)
		if d.fail.Add(-1) >= 0 {
			return nil, &net.OpError{Op: "dial", Net: network, Err: syscall.ECONNREFUSED}
		}
		var nd net.Dialer
		return nd.DialContext(ctx, network, addr)
	}
	return &http.Client{Transport: tr, Timeout: 10 * time.Second}
}

// TestRefundDialFailureRetried: failed connection attempts send nothing,
// so the refund is retried, and made once.
func TestRefundDialFailureRetried(t *testing.T) {
	t.Parallel()
	r := newRig(t, nil)
	r.paidOrder(t, "DF-1")
	d := &flakyDialer{}
	d.fail.Store(2)
	ev := &eventLog{}
	c, err := iepay.New(r.gw.MID, r.gw.Key, iepay.WithBaseURL(r.gw.URL), iepay.WithHTTPClient(d.client()),
		iepay.WithRetryWait(testMinWait, testMaxWait), iepay.WithRequestHook(ev.hook))
	require.NoError(t, err)
	mark := len(r.gw.Requests())
	_, err = c.Refund(context.Background(), &iepay.RefundRequest{PayType: iepay.PayTypeAlipayQR, OutTradeNo: "DF-1", RefundAmount: 999})
	require.NoError(t, err)
	assert.EqualValues(t, 3, d.dials.Load())
	assert.Len(t, r.requestsFor("api/refund", mark), 1)
	o, _ := r.gw.Order("DF-1")
	assert.Equal(t, 1, o.RefundCount)
	evs := ev.all()
	require.Len(t, evs, 3)
	assert.Error(t, evs[0].Err)
	assert.Error(t, evs[1].Err)
	assert.Equal(t, http.StatusOK, evs[2].Status)
}

// TestRefundDeadHost: a refused connection is retried and then reported
// with MaybeSent false.
func TestRefundDeadHost(t *testing.T) {
	t.Parallel()
	c, err := iepay.New(extMID, extKey, iepay.WithBaseURL(deadURL(t)), iepay.WithRetryWait(testMinWait, testMaxWait))
	require.NoError(t, err)
	_, err = c.Refund(context.Background(), &iepay.RefundRequest{PayType: iepay.PayTypeAlipayQR, OutTradeNo: "X-1", RefundAmount: 100})
	var te *iepay.TransportError
	require.ErrorAs(t, err, &te)
	assert.False(t, te.MaybeSent)
	assert.Equal(t, 3, te.Attempts)
	assert.ErrorIs(t, err, syscall.ECONNREFUSED)
}

func deadURL(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	return "http://" + addr + "/iepay/"
}

// BenchmarkDeadlineLateness measures how long after its deadline a call to
// a hanging server returns (run with -benchtime=20x).
func BenchmarkDeadlineLateness(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		<-r.Context().Done()
	}))
	defer srv.Close()
	c, err := iepay.New(extMID, extKey, iepay.WithBaseURL(srv.URL+"/iepay/"))
	if err != nil {
		b.Fatal(err)
	}
	var sum, worst time.Duration
	for i := 0; i < b.N; i++ {
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		deadline, _ := ctx.Deadline()
		_, err := c.Check(ctx, &iepay.CheckRequest{PayType: iepay.PayTypeAlipayQR, OutTradeNo: "L-1"})
		late := time.Since(deadline)
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) {
			b.Fatalf("want DeadlineExceeded, got %v", err)
		}
		sum += late
		worst = max(worst, late)
	}
	b.ReportMetric(float64(worst)/float64(time.Millisecond), "ms-late-max")
	b.ReportMetric(float64(sum)/float64(b.N)/float64(time.Millisecond), "ms-late-mean")
}
