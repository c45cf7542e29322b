package notify

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/epaykit/epaykit/epay"
	"github.com/epaykit/epaykit/iepay"
	"github.com/epaykit/epaykit/sign"
)

const (
	epayPID  = "1001"
	epayKey  = "89unJUB8HZ54Hj7x4nUj56HN4nUzUJ8i"
	iepayMID = "10224"
	iepayKey = "e560fb2e61e4d1fe6a11c278388cb965"
)

// gatewayStub answers the confirmation queries of both clients.
type gatewayStub struct {
	mu          sync.Mutex
	epayStatus  int
	epayMoney   string
	iepayStatus int
	queries     atomic.Int32
}

func (g *gatewayStub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	g.queries.Add(1)
	g.mu.Lock()
	defer g.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	switch r.URL.Path {
	case "/epay/api.php":
		q := r.URL.Query()
		fmt.Fprintf(w, `{"code":1,"msg":"succ","trade_no":%q,"out_trade_no":"ORDER-%s","type":"alipay","pid":1001,"addtime":"2026-11-23 10:00:00","endtime":"2026-11-23 10:01:00","name":"Pro plan","money":%q,"param":"","buyer":"","status":%d}`,
			q.Get("trade_no"), strings.TrimPrefix(q.Get("trade_no"), "T"), g.epayMoney, g.epayStatus)
	case "/iepay/api/check_order_status":
		_ = r.ParseForm()
		fmt.Fprintf(w, `{"is_success":"TRUE","message":"SUCCESS","extra":{"pay_type":%q,"trade_no":"T%s","out_trade_no":%q,"order_status":"%d","total_fee":"100","rmb_fee":"0","goods":"Tea","pay_url":"","return_url":""}}`,
			r.PostForm.Get("pay_type"), strings.TrimPrefix(r.PostForm.Get("out_trade_no"), "ORDER-"), r.PostForm.Get("out_trade_no"), g.iepayStatus)
	default:
		http.NotFound(w, r)
	}
}

func newStub(t *testing.T) (*gatewayStub, *epay.Client, *iepay.Client) {
	t.Helper()
	g := &gatewayStub{epayStatus: 1, epayMoney: "10.50", iepayStatus: 1}
	srv := httptest.NewServer(g)
	t.Cleanup(srv.Close)
	ec, err := epay.New(srv.URL+"/epay/", epayPID, epayKey, epay.WithRetries(0))
	require.NoError(t, err)
	ic, err := iepay.New(iepayMID, iepayKey, iepay.WithBaseURL(srv.URL+"/iepay/"), iepay.WithRetries(0))
	require.NoError(t, err)
	return g, ec, ic
}

// epayNotification returns signed notification parameters for order n.
func epayNotification(n int, overrides map[string]string) url.Values {
	p := map[string]string{
		"pid":          epayPID,
		"trade_no":     fmt.Sprintf("T%d", n),
		"out_trade_no": fmt.Sprintf("ORDER-%d", n),
		"type":         "alipay",
		"name":         "Pro plan",
		"money":        "10.5",
		"trade_status": epay.TradeSuccess,
		"sign_type":    "MD5",
	}
	for k, v := range overrides {
		p[k] = v
	}
	p["sign"] = sign.Epay(p, epayKey)
	v := url.Values{}
	for k, val := range p {
		v.Set(k, val)
	}
	return v
}

func iepayNotification(n int) url.Values {
	tn, otn := fmt.Sprintf("T%d", n), fmt.Sprintf("ORDER-%d", n)
	return url.Values{
		"trade_no": {tn}, "out_trade_no": {otn}, "trade_status": {"SUCCESS"}, "pay_type": {"IE0011"},
		"sign": {sign.IEPayNotify(tn, otn, iepayKey)},
	}
}

// recorder counts the merchant's function calls per order.
type recorder struct {
	mu    sync.Mutex
	calls map[string]int
	fail  atomic.Int32 // fail this many next calls
	panic atomic.Bool
}

func newRecorder() *recorder { return &recorder{calls: map[string]int{}} }

func (rc *recorder) epay(_ context.Context, n *epay.Notification) error {
	return rc.record(n.OutTradeNo)
}

func (rc *recorder) iepay(_ context.Context, n *iepay.Notification) error {
	return rc.record(n.OutTradeNo)
}

func (rc *recorder) record(order string) error {
	if rc.panic.Load() {
		panic("merchant bug")
	}
	if rc.fail.Add(-1) >= 0 {
		return errors.New("database unavailable")
	}
	rc.fail.Store(0)
	rc.mu.Lock()
	rc.calls[order]++
	rc.mu.Unlock()
	return nil
}

func (rc *recorder) count(order string) int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return rc.calls[order]
}

func (rc *recorder) total() int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	n := 0
	for _, c := range rc.calls {
		n += c
	}
	return n
}

// hookErrs collects what the error hook receives.
type hookErrs struct {
	mu   sync.Mutex
	errs []error
}

func (h *hookErrs) hook(_ *http.Request, err error) {
	h.mu.Lock()
	h.errs = append(h.errs, err)
	h.mu.Unlock()
}

func (h *hookErrs) last() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.errs) == 0 {
		return nil
	}
	return h.errs[len(h.errs)-1]
}

func get(t *testing.T, base string, v url.Values) (int, string) {
	t.Helper()
	return do(t, http.MethodGet, base+"?"+v.Encode(), "")
}

func post(t *testing.T, base string, v url.Values) (int, string) {
	t.Helper()
	return do(t, http.MethodPost, base, v.Encode())
}

func do(t *testing.T, method, u, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, u, strings.NewReader(body))
	require.NoError(t, err)
	if body != "" {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b)
}

func serve(t *testing.T, h http.Handler) string {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL + "/shop/notify/epay"
}

func TestEpayValidGETAndPOST(t *testing.T) {
	t.Parallel()
	_, ec, _ := newStub(t)
	rec := newRecorder()
	u := serve(t, Epay(ec, rec.epay))

	code, body := get(t, u, epayNotification(1, nil))
	assert.Equal(t, 200, code)
	assert.Equal(t, "success", body)
	assert.Equal(t, 1, rec.count("ORDER-1"))

	code, body = post(t, u, epayNotification(2, map[string]string{"param": "user=42"}))
	assert.Equal(t, 200, code)
	assert.Equal(t, "success", body)
	assert.Equal(t, 1, rec.count("ORDER-2"))

	// A repeated delivery is acknowledged without running fn again.
	code, body = get(t, u, epayNotification(1, nil))
	assert.Equal(t, 200, code)
	assert.Equal(t, "success", body)
	assert.Equal(t, 1, rec.count("ORDER-1"))
}

func TestEpayRejections(t *testing.T) {
	t.Parallel()
	_, ec, _ := newStub(t)
	rec := newRecorder()
	hooks := &hookErrs{}
	u := serve(t, Epay(ec, rec.epay, WithErrorHook(hooks.hook)))

	good := epayNotification(7, map[string]string{"param": "p"})
	for k := range good {
		if k == "sign" || k == "sign_type" {
			continue
		}
		tampered := url.Values{}
		for kk, vv := range good {
			tampered[kk] = append([]string(nil), vv...)
		}
		tampered.Set(k, good.Get(k)+"0")
		code, body := get(t, u, tampered)
		assert.Equal(t, 400, code, k)
		assert.Equal(t, "fail", body, k)
		assert.ErrorIs(t, hooks.last(), epay.ErrBadSignature, k)
	}

	cases := []struct {
		name string
		v    url.Values
		want error
	}{
		{"wrong pid, signed with the key", epayNotification(7, map[string]string{"pid": "2002"}), epay.ErrPIDMismatch},
		{"sign removed", func() url.Values { v := epayNotification(7, nil); v.Del("sign"); return v }(), epay.ErrMissingSign},
		{"sign_type RSA", func() url.Values { v := epayNotification(7, nil); v.Set("sign_type", "RSA"); return v }(), epay.ErrSignType},
		{"duplicate money", func() url.Values { v := epayNotification(7, nil); v.Add("money", "999"); return v }(), epay.ErrDuplicateParam},
	}
	for _, c := range cases {
		code, body := get(t, u, c.v)
		assert.Equal(t, 400, code, c.name)
		assert.Equal(t, "fail", body, c.name)
		assert.ErrorIs(t, hooks.last(), c.want, c.name)
	}
	for _, err := range hooks.errs {
		assert.NotContains(t, err.Error(), epayKey)
	}
	assert.Equal(t, 0, rec.total(), "no rejected notification may reach the merchant")

	code, _ := do(t, http.MethodPut, u, "")
	assert.Equal(t, 405, code)
	assert.ErrorIs(t, hooks.last(), ErrMethod)
}

func TestOversizeBody(t *testing.T) {
	t.Parallel()
	_, ec, _ := newStub(t)
	rec := newRecorder()
	hooks := &hookErrs{}
	u := serve(t, Epay(ec, rec.epay, WithMaxBody(1024), WithErrorHook(hooks.hook)))
	v := epayNotification(3, map[string]string{"param": strings.Repeat("x", 4096)})
	code, body := post(t, u, v)
	assert.Equal(t, 413, code)
	assert.Equal(t, "fail", body)
	assert.ErrorIs(t, hooks.last(), ErrBodyTooLarge)
	assert.Equal(t, 0, rec.total())
}

func TestFnErrorAndPanicAreRetried(t *testing.T) {
	t.Parallel()
	_, ec, _ := newStub(t)
	rec := newRecorder()
	hooks := &hookErrs{}
	u := serve(t, Epay(ec, rec.epay, WithErrorHook(hooks.hook)))
	v := epayNotification(4, nil)

	rec.fail.Store(1)
	code, body := get(t, u, v)
	assert.Equal(t, 500, code)
	assert.Equal(t, "fail", body)
	assert.NotContains(t, body, "success")
	assert.Equal(t, 0, rec.count("ORDER-4"))

	rec.panic.Store(true)
	code, body = get(t, u, v)
	assert.Equal(t, 500, code)
	assert.Equal(t, "fail", body)
	assert.ErrorIs(t, hooks.last(), ErrPanic)

	// The server survived and the order was released: the retry succeeds.
	rec.panic.Store(false)
	code, body = get(t, u, v)
	assert.Equal(t, 200, code)
	assert.Equal(t, "success", body)
	assert.Equal(t, 1, rec.count("ORDER-4"))
}

func TestEpayUnpaidAcknowledgedWithoutFn(t *testing.T) {
	t.Parallel()
	_, ec, _ := newStub(t)
	rec := newRecorder()
	u := serve(t, Epay(ec, rec.epay))
	code, body := get(t, u, epayNotification(5, map[string]string{"trade_status": "TRADE_CLOSED"}))
	assert.Equal(t, 200, code)
	assert.Equal(t, "success", body)
	assert.Equal(t, 0, rec.total())

	var unpaid atomic.Int32
	u2 := serve(t, Epay(ec, rec.epay, WithEpayUnpaid(func(_ context.Context, n *epay.Notification) error {
		assert.False(t, n.Paid())
		if unpaid.Add(1) == 1 {
			return errors.New("not yet")
		}
		return nil
	})))
	code, _ = get(t, u2, epayNotification(5, map[string]string{"trade_status": "TRADE_CLOSED"}))
	assert.Equal(t, 500, code)
	code, body = get(t, u2, epayNotification(5, map[string]string{"trade_status": "TRADE_CLOSED"}))
	assert.Equal(t, 200, code)
	assert.Equal(t, "success", body)
	assert.Equal(t, 0, rec.total())
}

func TestIEPayHandler(t *testing.T) {
	t.Parallel()
	_, _, ic := newStub(t)
	rec := newRecorder()
	hooks := &hookErrs{}
	u := serve(t, IEPay(ic, rec.iepay, WithErrorHook(hooks.hook)))

	code, body := get(t, u, iepayNotification(1))
	assert.Equal(t, 200, code)
	assert.Equal(t, "SUCCESS", body)
	code, body = post(t, u, iepayNotification(2))
	assert.Equal(t, 200, code)
	assert.Equal(t, "SUCCESS", body)
	code, _ = get(t, u, iepayNotification(1))
	assert.Equal(t, 200, code)
	assert.Equal(t, 1, rec.count("ORDER-1"))
	assert.Equal(t, 1, rec.count("ORDER-2"))

	for _, k := range []string{"trade_no", "out_trade_no", "sign"} {
		v := iepayNotification(3)
		v.Set(k, v.Get(k)+"0")
		code, body := get(t, u, v)
		assert.Equal(t, 400, code, k)
		assert.Equal(t, "fail", body, k)
		assert.ErrorIs(t, hooks.last(), iepay.ErrBadSignature, k)
	}
	v := iepayNotification(3)
	v.Set("trade_status", "FAIL")
	code, _ = get(t, u, v)
	assert.Equal(t, 400, code)
	assert.ErrorIs(t, hooks.last(), iepay.ErrNotSuccess)
	v = iepayNotification(3)
	v.Add("out_trade_no", "ORDER-9")
	code, _ = get(t, u, v)
	assert.Equal(t, 400, code)
	assert.ErrorIs(t, hooks.last(), iepay.ErrDuplicateParam)
	assert.Equal(t, 0, rec.count("ORDER-3"))
}

func TestConcurrentDuplicates(t *testing.T) {
	t.Parallel()
	_, ec, _ := newStub(t)
	rec := newRecorder()
	slow := func(ctx context.Context, n *epay.Notification) error {
		time.Sleep(time.Millisecond) // widen the race window
		return rec.epay(ctx, n)
	}
	u := serve(t, Epay(ec, slow))
	const orders, dups = 100, 10
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	t.Cleanup(client.CloseIdleConnections)

	var wg sync.WaitGroup
	var answered, succeeded atomic.Int32
	sem := make(chan struct{}, 64)
	for o := 0; o < orders; o++ {
		q := epayNotification(o, nil).Encode()
		for d := 0; d < dups; d++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				sem <- struct{}{}
				defer func() { <-sem }()
				resp, err := client.Get(u + "?" + q)
				if !assert.NoError(t, err) {
					return
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				answered.Add(1)
				if resp.StatusCode == 200 && string(b) == "success" {
					succeeded.Add(1)
				}
			}()
		}
	}
	wg.Wait()
	assert.EqualValues(t, orders*dups, answered.Load())
	assert.EqualValues(t, orders*dups, succeeded.Load())
	assert.Equal(t, orders, rec.total())
	for o := 0; o < orders; o++ {
		assert.Equal(t, 1, rec.count(fmt.Sprintf("ORDER-%d", o)))
	}
}

func TestConfirmEpay(t *testing.T) {
	t.Parallel()
	g, ec, _ := newStub(t)
	rec := newRecorder()
	hooks := &hookErrs{}
	u := serve(t, Epay(ec, rec.epay, WithConfirm(), WithErrorHook(hooks.hook)))

	code, body := get(t, u, epayNotification(1, nil)) // 10.5 vs stored 10.50
	assert.Equal(t, 200, code)
	assert.Equal(t, "success", body)
	assert.Equal(t, 1, rec.count("ORDER-1"))

	g.mu.Lock()
	g.epayStatus = 0
	g.mu.Unlock()
	code, body = get(t, u, epayNotification(2, nil))
	assert.Equal(t, 409, code)
	assert.Equal(t, "fail", body)
	assert.ErrorIs(t, hooks.last(), ErrNotConfirmed)
	assert.Equal(t, 0, rec.count("ORDER-2"))

	g.mu.Lock()
	g.epayStatus, g.epayMoney = 1, "0.01"
	g.mu.Unlock()
	code, _ = get(t, u, epayNotification(3, nil))
	assert.Equal(t, 409, code)
	assert.ErrorIs(t, hooks.last(), ErrNotConfirmed)
	assert.Contains(t, hooks.last().Error(), "0.01")
	assert.Equal(t, 0, rec.count("ORDER-3"))

	// Once the gateway agrees, the retry goes through.
	g.mu.Lock()
	g.epayMoney = "10.50"
	g.mu.Unlock()
	code, _ = get(t, u, epayNotification(3, nil))
	assert.Equal(t, 200, code)
	assert.Equal(t, 1, rec.count("ORDER-3"))
}

func TestConfirmIEPay(t *testing.T) {
	t.Parallel()
	g, _, ic := newStub(t)
	rec := newRecorder()
	hooks := &hookErrs{}
	u := serve(t, IEPay(ic, rec.iepay, WithConfirm(), WithErrorHook(hooks.hook)))
	code, body := get(t, u, iepayNotification(1))
	assert.Equal(t, 200, code)
	assert.Equal(t, "SUCCESS", body)
	assert.Equal(t, 1, rec.count("ORDER-1"))

	g.mu.Lock()
	g.iepayStatus = 0
	g.mu.Unlock()
	code, _ = get(t, u, iepayNotification(2))
	assert.Equal(t, 409, code)
	assert.ErrorIs(t, hooks.last(), ErrNotConfirmed)
	assert.Equal(t, 0, rec.count("ORDER-2"))

	g.mu.Lock()
	g.iepayStatus = 3 // paid and settled
	g.mu.Unlock()
	code, _ = get(t, u, iepayNotification(2))
	assert.Equal(t, 200, code)
	assert.Equal(t, 1, rec.count("ORDER-2"))
}

func TestServeHelpers(t *testing.T) {
	t.Parallel()
	_, ec, ic := newStub(t)
	rec := newRecorder()
	mux := http.NewServeMux()
	var lastErr atomic.Value
	mux.HandleFunc("/e", func(w http.ResponseWriter, r *http.Request) {
		if err := ServeEpay(w, r, ec, rec.epay); err != nil {
			lastErr.Store(err)
		}
	})
	mux.HandleFunc("/i", func(w http.ResponseWriter, r *http.Request) {
		_ = ServeIEPay(w, r, ic, rec.iepay)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	code, body := get(t, srv.URL+"/e", epayNotification(1, nil))
	assert.Equal(t, 200, code)
	assert.Equal(t, "success", body)
	code, body = get(t, srv.URL+"/i", iepayNotification(1))
	assert.Equal(t, 200, code)
	assert.Equal(t, "SUCCESS", body)
	v := epayNotification(1, nil)
	v.Set("money", "0.01")
	code, _ = get(t, srv.URL+"/e", v)
	assert.Equal(t, 400, code)
	assert.ErrorIs(t, lastErr.Load().(error), epay.ErrBadSignature)
	assert.Equal(t, 2, rec.total())
}

// flakyStore answers Busy a few times, then delegates.
type flakyStore struct {
	Deduper
	busy atomic.Int32
	err  error
}

func (f *flakyStore) Claim(ctx context.Context, key string) (ClaimResult, error) {
	if f.err != nil {
		return 0, f.err
	}
	if f.busy.Add(-1) >= 0 {
		return Busy, nil
	}
	return f.Deduper.Claim(ctx, key)
}

func TestExternalDeduperBusyAndFailing(t *testing.T) {
	t.Parallel()
	_, ec, _ := newStub(t)
	rec := newRecorder()
	store := &flakyStore{Deduper: NewMemoryDeduper(0, 0)}
	store.busy.Store(3)
	u := serve(t, Epay(ec, rec.epay, WithDeduper(store)))
	code, body := get(t, u, epayNotification(1, nil))
	assert.Equal(t, 200, code, "polls until the store stops answering Busy")
	assert.Equal(t, "success", body)

	store.busy.Store(1 << 20)
	u2 := serve(t, Epay(ec, rec.epay, WithDeduper(store), WithBusyWait(50*time.Millisecond)))
	code, _ = get(t, u2, epayNotification(2, nil))
	assert.Equal(t, 503, code)

	broken := &flakyStore{err: errors.New("redis down")}
	u3 := serve(t, Epay(ec, rec.epay, WithDeduper(broken)))
	code, _ = get(t, u3, epayNotification(3, nil))
	assert.Equal(t, 503, code)
	assert.Equal(t, 1, rec.total())
}
