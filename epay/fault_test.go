package epay_test

// Fault injection: what Create, QueryOrder, Merchant and Refund do when the
// gateway, the network or the proxy in front of the gateway misbehaves. The
// faults are injected by the epaytest gateway over real loopback HTTP, or by
// a deliberately broken httptest server where the gateway cannot do it.

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

	"github.com/epaykit/epaykit/epay"
	"github.com/epaykit/epaykit/epay/epaytest"
)

// Short backoff for tests: the policy is the same, only the waits shrink.
const (
	extKey      = "Kx9QmZ4tVb7RwY2nHs5Lc8PdJf3Ga6Ue" // a merchant key for servers that are not the gateway
	testMinWait = time.Millisecond
	testMaxWait = 10 * time.Millisecond
)

// eventLog collects the request hook's events.
type eventLog struct {
	mu  sync.Mutex
	evs []epay.RequestEvent
}

func (l *eventLog) hook(ev epay.RequestEvent) {
	l.mu.Lock()
	l.evs = append(l.evs, ev)
	l.mu.Unlock()
}

func (l *eventLog) all() []epay.RequestEvent {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]epay.RequestEvent(nil), l.evs...)
}

// rig is a test gateway and a client configured for it.
type rig struct {
	gw     *epaytest.Server
	c      *epay.Client
	events *eventLog
}

func newRig(t *testing.T, gwOpts []epaytest.Option, opts ...epay.Option) *rig {
	t.Helper()
	gw := epaytest.NewServer(append([]epaytest.Option{epaytest.WithTest(t)}, gwOpts...)...)
	ev := &eventLog{}
	all := append([]epay.Option{
		epay.WithRetryWait(testMinWait, testMaxWait),
		epay.WithRequestHook(ev.hook),
	}, opts...)
	c, err := epay.New(gw.URL, gw.PID, gw.Key, all...)
	require.NoError(t, err)
	return &rig{gw: gw, c: c, events: ev}
}

// paidOrder creates and pays an order of 9.99 on the gateway directly.
func (r *rig) paidOrder(t *testing.T, no string) epaytest.Order {
	t.Helper()
	o, err := r.gw.CreateOrder(epaytest.NewOrder{OutTradeNo: no, Money: "9.99"})
	require.NoError(t, err)
	require.NoError(t, r.gw.Pay(no))
	return o
}

// requestsFor returns the gateway's record of requests to an endpoint:
// "mapi.php" or an api.php act such as "refund".
func (r *rig) requestsFor(endpoint string) []epaytest.Request {
	var out []epaytest.Request
	for _, q := range r.gw.Requests() {
		switch {
		case strings.HasSuffix(q.Path, "/"+endpoint):
			out = append(out, q)
		case strings.HasSuffix(q.Path, "/api.php") && q.Form.Get("act") == endpoint:
			out = append(out, q)
		}
	}
	return out
}

func faultsOf(reqs []epaytest.Request) []epaytest.Fault {
	out := make([]epaytest.Fault, len(reqs))
	for i, q := range reqs {
		out[i] = q.Fault
	}
	return out
}

func createReq(no string) *epay.CreateRequest {
	return &epay.CreateRequest{
		Type: epay.TypeAlipay, OutTradeNo: no, NotifyURL: "https://shop.example.com/notify/epay",
		Name: "Tea", Money: "9.99", ClientIP: "203.0.113.7",
	}
}

// TestFaultRetriedThenSucceeds: two gateway failures (5xx pages from the
// proxy, or a reset before the gateway did anything) and then an answer:
// create and the queries succeed within the default budget of 2 retries,
// and create makes exactly one order.
func TestFaultRetriedThenSucceeds(t *testing.T) {
	t.Parallel()
	calls := map[string]struct {
		endpoint string
		do       func(ctx context.Context, r *rig) error
	}{
		"create": {"mapi.php", func(ctx context.Context, r *rig) error {
			res, err := r.c.Create(ctx, createReq("F-1"))
			if err == nil && res.TradeNo == "" {
				return errors.New("no trade_no")
			}
			return err
		}},
		"query order": {"order", func(ctx context.Context, r *rig) error {
			o, err := r.c.QueryOrder(ctx, &epay.OrderQuery{OutTradeNo: "Q-1"})
			if err == nil && !o.Paid() {
				return errors.New("order not paid")
			}
			return err
		}},
		"merchant": {"query", func(ctx context.Context, r *rig) error {
			_, err := r.c.Merchant(ctx)
			return err
		}},
	}
	for _, f := range []epaytest.Fault{epaytest.Fault502, epaytest.Fault503, epaytest.Fault504, epaytest.FaultReset} {
		for name, call := range calls {
			t.Run(f.String()+"/"+name, func(t *testing.T) {
				t.Parallel()
				r := newRig(t, nil)
				r.paidOrder(t, "Q-1")
				r.gw.FailNext(2, f)
				require.NoError(t, call.do(context.Background(), r))
				assert.Equal(t, []epaytest.Fault{f, f, epaytest.FaultNone}, faultsOf(r.requestsFor(call.endpoint)))
				evs := r.events.all()
				require.Len(t, evs, 3)
				for i, ev := range evs {
					assert.Equal(t, i+1, ev.Attempt)
				}
				if name == "create" {
					o, ok := r.gw.Order("F-1")
					require.True(t, ok)
					assert.Len(t, r.gw.Orders(), 2) // Q-1 and exactly one F-1
					assert.Equal(t, int64(999), o.Cents)
				}
			})
		}
	}
}

// TestFaultRetryBudget: a gateway that keeps failing gets 1 + retries
// attempts, then the last answer is reported as an *HTTPError.
func TestFaultRetryBudget(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		opts    []epay.Option
		wantHit int
	}{
		{"default", nil, 3},
		{"off", []epay.Option{epay.WithRetries(0)}, 1},
		{"five", []epay.Option{epay.WithRetries(5)}, 6},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := newRig(t, nil, tc.opts...)
			r.gw.FailNext(10, epaytest.Fault503)
			_, err := r.c.Create(context.Background(), createReq("B-1"))
			var he *epay.HTTPError
			require.ErrorAs(t, err, &he)
			assert.Equal(t, http.StatusServiceUnavailable, he.StatusCode)
			assert.Equal(t, tc.wantHit, he.Attempts)
			assert.Len(t, r.requestsFor("mapi.php"), tc.wantHit)
			assert.Empty(t, r.gw.Orders())
			assert.True(t, strings.HasPrefix(err.Error(), "epay: POST "), err.Error())
		})
	}
}

// TestFaultRetryAfter: a 429 with Retry-After: 1 makes the client wait a
// second, although its own backoff is at most 10 ms. Only a lower bound is
// asserted: slowness cannot make it fail.
func TestFaultRetryAfter(t *testing.T) {
	t.Parallel()
	r := newRig(t, nil)
	r.gw.FailNext(1, epaytest.Fault429)
	_, err := r.c.Create(context.Background(), createReq("RA-1"))
	require.NoError(t, err)
	reqs := r.requestsFor("mapi.php")
	require.Equal(t, []epaytest.Fault{epaytest.Fault429, epaytest.FaultNone}, faultsOf(reqs))
	gap := reqs[1].At.Sub(reqs[0].At)
	assert.GreaterOrEqual(t, gap, 900*time.Millisecond, "Retry-After: 1 not honoured")
}

// TestFaultRetryAfterBoundedByContext: the Retry-After wait ends with the
// context; the call does not sleep past its deadline.
func TestFaultRetryAfterBoundedByContext(t *testing.T) {
	t.Parallel()
	r := newRig(t, nil)
	r.gw.FailNext(1, epaytest.Fault429)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, err := r.c.Create(ctx, createReq("RA-2"))
	require.Error(t, err)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Len(t, r.requestsFor("mapi.php"), 1)
}

// TestFaultBadBodies: a 200 answer that is not the JSON (an HTML page, a PHP
// warning before the JSON, an empty body, half the JSON) is a clear
// *HTTPError naming the problem, is not retried, and a create can be
// repeated safely afterwards: the gateway returns the same order.
func TestFaultBadBodies(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		f         epaytest.Fault
		reason    string
		processed bool
	}{
		{epaytest.FaultHTML, "expected a JSON object", false},
		{epaytest.FaultPHPWarning, "expected a JSON object", true},
		{epaytest.FaultEmpty, "expected JSON", false},
		{epaytest.FaultTruncated, "malformed JSON", true},
	} {
		t.Run(tc.f.String(), func(t *testing.T) {
			t.Parallel()
			r := newRig(t, nil)
			r.gw.FailNext(1, tc.f)
			_, err := r.c.Create(context.Background(), createReq("BB-1"))
			var he *epay.HTTPError
			require.ErrorAs(t, err, &he)
			assert.Equal(t, http.StatusOK, he.StatusCode)
			assert.Equal(t, tc.reason, he.Reason)
			assert.Equal(t, 1, he.Attempts)
			assert.LessOrEqual(t, len(he.Excerpt), 200+len("..."))
			assert.Len(t, r.requestsFor("mapi.php"), 1, "a 200 answer must not be retried")
			_, exists := r.gw.Order("BB-1")
			assert.Equal(t, tc.processed, exists)

			// Repeating the create is safe either way.
			res, err := r.c.Create(context.Background(), createReq("BB-1"))
			require.NoError(t, err)
			o, ok := r.gw.Order("BB-1")
			require.True(t, ok)
			assert.Equal(t, o.TradeNo, res.TradeNo)
			assert.Len(t, r.gw.Orders(), 1)

			// The queries report the same faults the same way.
			r.gw.FailNext(1, tc.f)
			_, err = r.c.QueryOrder(context.Background(), &epay.OrderQuery{OutTradeNo: "BB-1"})
			require.ErrorAs(t, err, &he)
			assert.Equal(t, tc.reason, he.Reason)
		})
	}
}

// TestFaultHugeBody: a 10 MiB answer is cut off at 1 MiB with a clear error
// and is not retried.
func TestFaultHugeBody(t *testing.T) {
	t.Parallel()
	r := newRig(t, nil)
	r.gw.FailNext(1, epaytest.FaultHuge)
	_, err := r.c.Merchant(context.Background())
	var te *epay.TransportError
	require.ErrorAs(t, err, &te)
	assert.Equal(t, http.StatusOK, te.StatusCode)
	assert.Contains(t, err.Error(), "response body exceeds 1 MiB")
	assert.Len(t, r.requestsFor("query"), 1)
}

// TestFaultHugeBodyMemory: reading the 10 MiB answer allocates a small,
// bounded amount (the 1 MiB limit plus buffer growth), not the body. It is
// not parallel so that the process's allocation counter is its own.
func TestFaultHugeBodyMemory(t *testing.T) {
	r := newRig(t, nil)
	_, err := r.c.Merchant(context.Background()) // warm up the connection
	require.NoError(t, err)
	r.gw.FailNext(1, epaytest.FaultHuge)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err = r.c.Merchant(context.Background())
	runtime.ReadMemStats(&after)
	require.Error(t, err)
	allocated := after.TotalAlloc - before.TotalAlloc
	t.Logf("allocated %d KiB for a %d KiB answer", allocated>>10, epaytest.HugeBodySize>>10)
	assert.Less(t, allocated, uint64(6<<20), "the body must be read through a limit")
}

// hangingServer answers nothing until the client leaves or 10 s pass.
func hangingServer(t *testing.T) (url string, hits *atomic.Int32) {
	t.Helper()
	hits = &atomic.Int32{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		// The server notices a client that left only once the body is read.
		_, _ = io.Copy(io.Discard, r.Body)
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/epay/", hits
}

// TestFaultHangingServer: against a server that never answers, every call
// returns with context.DeadlineExceeded long before the server would have
// answered (10 s), and nothing is retried after the deadline.
func TestFaultHangingServer(t *testing.T) {
	t.Parallel()
	calls := map[string]func(context.Context, *epay.Client) error{
		"create": func(ctx context.Context, c *epay.Client) error {
			_, err := c.Create(ctx, createReq("H-1"))
			return err
		},
		"query": func(ctx context.Context, c *epay.Client) error {
			_, err := c.QueryOrder(ctx, &epay.OrderQuery{OutTradeNo: "H-1"})
			return err
		},
		"refund": func(ctx context.Context, c *epay.Client) error {
			_, err := c.Refund(ctx, &epay.RefundRequest{OutTradeNo: "H-1", Money: "1.00"})
			return err
		},
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			u, hits := hangingServer(t)
			c, err := epay.New(u, "1001", extKey, epay.WithRetryWait(testMinWait, testMaxWait))
			require.NoError(t, err)
			ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
			defer cancel()
			start := time.Now()
			err = call(ctx, c)
			elapsed := time.Since(start)
			require.Error(t, err)
			assert.ErrorIs(t, err, context.DeadlineExceeded)
			var te *epay.TransportError
			require.ErrorAs(t, err, &te)
			assert.True(t, te.MaybeSent, "the request reached the server")
			assert.Less(t, elapsed, 2*time.Second)
			assert.EqualValues(t, 1, hits.Load())
		})
	}
}

// TestFaultDelayedCreate: the gateway holds a create past the caller's
// deadline and then processes it. The call fails with DeadlineExceeded;
// repeating the create returns the order that was made, not a second one.
func TestFaultDelayedCreate(t *testing.T) {
	t.Parallel()
	r := newRig(t, []epaytest.Option{epaytest.WithFaultDelay(10 * time.Second)})
	r.gw.FailNext(1, epaytest.FaultDelay)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := r.c.Create(ctx, createReq("D-1"))
	assert.Less(t, time.Since(start), 2*time.Second)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	res, err := r.c.Create(context.Background(), createReq("D-1"))
	require.NoError(t, err)
	assert.Len(t, r.gw.Orders(), 1)
	o, _ := r.gw.Order("D-1")
	assert.Equal(t, o.TradeNo, res.TradeNo)
}

// cutServer answers 200 with a Content-Length of 200 bytes, sends the
// first part of the JSON and drops the connection.
func cutServer(t *testing.T) (url string, hits *atomic.Int32) {
	t.Helper()
	hits = &atomic.Int32{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		_, _ = io.Copy(io.Discard, r.Body)
		conn, buf, err := w.(http.Hijacker).Hijack()
		if err != nil {
			return
		}
		_, _ = buf.WriteString("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n" +
			`{"code":0,"msg":"succ","refund_no":"2026`)
		_ = buf.Flush()
		if tc, ok := conn.(*net.TCPConn); ok {
			_ = tc.SetLinger(0)
		}
		_ = conn.Close()
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/epay/", hits
}

// TestFaultResetMidResponse: the connection drops in the middle of the
// body. The call fails with a *TransportError that says the request may
// have been processed; nothing is repeated, not even a safe call (the
// answer had started, so the request was certainly received).
func TestFaultResetMidResponse(t *testing.T) {
	t.Parallel()
	for _, refund := range []bool{false, true} {
		name := map[bool]string{false: "query", true: "refund"}[refund]
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			u, hits := cutServer(t)
			c, err := epay.New(u, "1001", extKey, epay.WithRetryWait(testMinWait, testMaxWait))
			require.NoError(t, err)
			if refund {
				_, err = c.Refund(context.Background(), &epay.RefundRequest{OutTradeNo: "R-1", Money: "1.00"})
			} else {
				_, err = c.QueryOrder(context.Background(), &epay.OrderQuery{OutTradeNo: "R-1"})
			}
			var te *epay.TransportError
			require.ErrorAs(t, err, &te)
			assert.True(t, te.MaybeSent)
			assert.Equal(t, http.StatusOK, te.StatusCode)
			assert.Contains(t, err.Error(), "reading the response")
			assert.EqualValues(t, 1, hits.Load())
		})
	}
}

// TestRefundAtMostOnce: under every fault the gateway sees the refund once,
// at most one refund takes effect, and the error tells the caller whether
// it may have happened. The caller's way out is then shown: query the
// order, and refund again only when it is not refunded.
func TestRefundAtMostOnce(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		f         epaytest.Fault
		processed bool // the gateway made the refund before the fault
		transport bool // *TransportError (else *HTTPError: an answer arrived)
	}{
		{epaytest.Fault502, false, false},
		{epaytest.Fault503, false, false},
		{epaytest.Fault504, false, false},
		{epaytest.Fault429, false, false},
		{epaytest.FaultHTML, false, false},
		{epaytest.FaultPHPWarning, true, false},
		{epaytest.FaultEmpty, false, false},
		{epaytest.FaultTruncated, true, false},
		{epaytest.FaultReset, false, true},
		{epaytest.FaultResetAfter, true, true},
		{epaytest.FaultDelay, true, true},
		{epaytest.FaultHuge, false, true},
	} {
		t.Run(tc.f.String(), func(t *testing.T) {
			t.Parallel()
			r := newRig(t, []epaytest.Option{epaytest.WithFaultDelay(10 * time.Second)})
			r.paidOrder(t, "RF-1")
			r.gw.FailNext(1, tc.f) // a retry would succeed, and be counted
			ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
			defer cancel()
			_, err := r.c.Refund(ctx, &epay.RefundRequest{OutTradeNo: "RF-1", Money: "9.99"})
			cancel()
			require.Error(t, err)

			assert.Len(t, r.requestsFor("refund"), 1, "a refund must never be repeated")
			var te *epay.TransportError
			var he *epay.HTTPError
			if tc.transport {
				require.ErrorAs(t, err, &te)
				assert.True(t, te.MaybeSent, "the refund may have happened")
				assert.Equal(t, 1, te.Attempts)
			} else {
				require.ErrorAs(t, err, &he, "an answer arrived: the outcome is unknown")
				assert.Equal(t, 1, he.Attempts)
			}
			if tc.f == epaytest.FaultDelay {
				assert.ErrorIs(t, err, context.DeadlineExceeded)
			}
			// FaultDelay processes the refund once the client left; wait
			// for the gateway's handler before reading the order.
			require.Eventually(t, func() bool {
				o, _ := r.gw.Order("RF-1")
				return !tc.processed || o.Refunds == 1
			}, 5*time.Second, 5*time.Millisecond)
			o, _ := r.gw.Order("RF-1")
			want := 0
			if tc.processed {
				want = 1
			}
			assert.Equal(t, want, o.Refunds)

			// Recovery: query, then refund only if it did not happen.
			q, err := r.c.QueryOrder(context.Background(), &epay.OrderQuery{OutTradeNo: "RF-1"})
			require.NoError(t, err)
			if q.Status != epay.OrderRefunded {
				_, err = r.c.Refund(context.Background(), &epay.RefundRequest{OutTradeNo: "RF-1", Money: "9.99"})
				require.NoError(t, err)
			}
			o, _ = r.gw.Order("RF-1")
			assert.Equal(t, 1, o.Refunds, "exactly one refund in the end")
			assert.Equal(t, int64(999), o.RefundedCents)
		})
	}
}

// flakyDialer fails the first n dials as a refused connection would, then
// dials for real.
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

// TestRefundDialFailureRetried: a refund whose connection attempts fail
// (nothing can have been sent) is retried and made exactly once.
func TestRefundDialFailureRetried(t *testing.T) {
	t.Parallel()
	d := &flakyDialer{}
	d.fail.Store(2)
	r := newRig(t, nil, epay.WithHTTPClient(d.client()))
	r.paidOrder(t, "DF-1")
	res, err := r.c.Refund(context.Background(), &epay.RefundRequest{OutTradeNo: "DF-1", Money: "9.99"})
	require.NoError(t, err)
	assert.NotNil(t, res)
	assert.EqualValues(t, 3, d.dials.Load())
	assert.Len(t, r.requestsFor("refund"), 1)
	o, _ := r.gw.Order("DF-1")
	assert.Equal(t, 1, o.Refunds)
	evs := r.events.all()
	require.Len(t, evs, 3)
	assert.Error(t, evs[0].Err)
	assert.Zero(t, evs[0].Status)
	assert.Error(t, evs[1].Err)
	assert.NoError(t, evs[2].Err)
	assert.Equal(t, http.StatusOK, evs[2].Status)
}

// TestRefundDeadHost: a refund to a port nobody listens on is retried (the
// connection was refused, nothing was sent) and then reported with
// MaybeSent false: it is safe to send again.
func TestRefundDeadHost(t *testing.T) {
	t.Parallel()
	u := deadURL(t)
	c, err := epay.New(u, "1001", extKey, epay.WithRetryWait(testMinWait, testMaxWait))
	require.NoError(t, err)
	_, err = c.Refund(context.Background(), &epay.RefundRequest{OutTradeNo: "X-1", Money: "1.00"})
	var te *epay.TransportError
	require.ErrorAs(t, err, &te)
	assert.False(t, te.MaybeSent, "a refused connection sends nothing")
	assert.Equal(t, 3, te.Attempts)
	assert.ErrorIs(t, err, syscall.ECONNREFUSED)
	var op *net.OpError
	assert.ErrorAs(t, err, &op)
}

// deadURL returns a base URL on a loopback port that was just closed.
func deadURL(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	return "http://" + addr + "/epay/"
}

// BenchmarkDeadlineLateness measures how long after its context deadline a
// call against a hanging server returns (reported as ms-late-max and
// ms-late-mean; run with -benchtime=20x). Not a unit test: timings on a
// shared machine are noisy.
func BenchmarkDeadlineLateness(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		<-r.Context().Done()
	}))
	defer srv.Close()
	c, err := epay.New(srv.URL+"/epay/", "1001", extKey)
	if err != nil {
		b.Fatal(err)
	}
	var sum, worst time.Duration
	for i := 0; i < b.N; i++ {
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		deadline, _ := ctx.Deadline()
		_, err := c.QueryOrder(ctx, &epay.OrderQuery{OutTradeNo: "L-1"})
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
