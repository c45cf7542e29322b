package epaytest

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/epaykit/epaykit/sign"
)

// fakeTB is a TB that records logs and cleanups.
type fakeTB struct {
	mu       sync.Mutex
	lines    []string
	cleanups []func()
}

func (f *fakeTB) Helper() {}
func (f *fakeTB) Cleanup(fn func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.cleanups = append(f.cleanups, fn)
}
func (f *fakeTB) Logf(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lines = append(f.lines, fmt.Sprintf(format, args...))
}
func (f *fakeTB) logs() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.lines...)
}

func TestNotifyMoney(t *testing.T) {
	t.Parallel()
	for cents, want := range map[int64]string{100: "1", 1050: "10.5", 1: "0.01", 10: "0.1", 10000: "100", 999: "9.99", 300: "3"} {
		assert.Equal(t, want, notifyMoney(cents), cents)
	}
}

func TestPayDeliversSignedGET(t *testing.T) {
	t.Parallel()
	m := newNotifySink(t, 0)
	s := newServer(t)
	p := createParams("N-1", m.notifyURL())
	p["money"] = "10.50"
	res := create(t, s, p)
	tn := res["trade_no"].(string)

	require.NoError(t, s.Pay("N-1"))
	// The first attempt is made before Pay returns.
	require.Equal(t, 1, m.count())
	r := m.request(0)
	assert.Equal(t, http.MethodGet, r.Method)
	assert.Equal(t, "/shop/notify", r.URL.Path)
	got := m.form(0)
	want := url.Values{
		"pid": {"1001"}, "trade_no": {tn}, "out_trade_no": {"N-1"}, "type": {"alipay"}, "name": {"VIP会员"},
		"money": {"10.5"}, "trade_status": {"TRADE_SUCCESS"}, "param": {"user=42"}, "sign_type": {"MD5"},
	}
	want.Set("sign", sign.Epay(flat(want), DefaultKey))
	assert.Equal(t, want, got)
	assert.True(t, sign.VerifyEpay(flat(got), DefaultKey))

	ds := s.Deliveries()
	require.Len(t, ds, 1)
	d := ds[0]
	assert.Equal(t, "N-1", d.OutTradeNo)
	assert.Equal(t, tn, d.TradeNo)
	assert.Equal(t, 1, d.Attempt)
	assert.Equal(t, http.MethodGet, d.Method)
	assert.Equal(t, m.notifyURL()+"?"+want.Encode(), d.URL)
	assert.Equal(t, http.StatusOK, d.StatusCode)
	assert.Equal(t, "success\n", d.Reply)
	assert.Empty(t, d.Err)
	assert.True(t, d.Acknowledged())
	assert.False(t, d.At.IsZero())

	o, _ := s.Order("N-1")
	assert.Equal(t, StatusPaid, o.Status)
	assert.True(t, o.Notified)
	assert.False(t, o.EndTime.IsZero())

	// An operator's re-notify: a duplicate delivery.
	d2, err := s.Notify("N-1")
	require.NoError(t, err)
	assert.Equal(t, 2, d2.Attempt)
	assert.Equal(t, 2, m.count())
	assert.Equal(t, got, m.form(1))

	assert.ErrorContains(t, s.Pay("N-1"), "already paid")
	assert.ErrorContains(t, s.Pay("N-404"), "unknown order")
	_, err = s.Notify("N-404")
	assert.Error(t, err)
}

func TestNotifyWithoutParam(t *testing.T) {
	t.Parallel()
	m := newNotifySink(t, 0)
	s := newServer(t, WithNotifyPOST())
	mustCreate(t, s, NewOrder{OutTradeNo: "20160806151343349", Money: "1.00", Name: "VIP会员", NotifyURL: m.notifyURL()})
	require.NoError(t, s.Pay("20160806151343349"))
	r := m.request(0)
	assert.Equal(t, http.MethodPost, r.Method)
	assert.Equal(t, "application/x-www-form-urlencoded", r.Header.Get("Content-Type"))
	assert.Empty(t, r.URL.RawQuery)
	f := m.form(0)
	assert.Equal(t, "1", f.Get("money"))
	_, hasParam := f["param"]
	assert.False(t, hasParam)
	assert.True(t, sign.VerifyEpay(flat(f), DefaultKey))
	assert.Equal(t, http.MethodPost, s.Deliveries()[0].Method)
	assert.Equal(t, m.notifyURL(), s.Deliveries()[0].URL)
}

func TestNotificationValues(t *testing.T) {
	t.Parallel()
	s := newServer(t, WithMerchant("1001", "89unJUB8HZ54Hj7x4nUj56HN4nUzUJ8i"))
	o := mustCreate(t, s, NewOrder{OutTradeNo: "V-1", Money: "3.00", Name: "Pro plan", Param: "a&b=c"})
	v, err := s.NotificationValues("V-1")
	require.NoError(t, err)
	assert.Equal(t, o.TradeNo, v.Get("trade_no"))
	assert.Equal(t, "3", v.Get("money"))
	assert.Equal(t, "a&b=c", v.Get("param"))
	assert.True(t, sign.VerifyEpay(flat(v), s.Key))
	assert.Empty(t, s.Deliveries(), "nothing is sent")
	_, err = s.NotificationValues("nope")
	assert.Error(t, err)
	_, err = s.Notify("V-1")
	assert.ErrorContains(t, err, "not paid")
}

func TestNotifyRetriesUntilSuccess(t *testing.T) {
	t.Parallel()
	m := newNotifySink(t, 2)
	s := newServer(t)
	mustCreate(t, s, NewOrder{OutTradeNo: "T-1", Money: "1", NotifyURL: m.notifyURL()})
	require.NoError(t, s.Pay("T-1"))

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ds, err := s.WaitDeliveries(ctx, "T-1", 3)
	require.NoError(t, err)
	require.Len(t, ds, 3)
	for i, d := range ds {
		assert.Equal(t, i+1, d.Attempt)
	}
	assert.Equal(t, http.StatusInternalServerError, ds[0].StatusCode)
	assert.Equal(t, "fail", ds[0].Reply)
	assert.False(t, ds[0].Acknowledged())
	assert.True(t, ds[2].Acknowledged())

	// The whole schedule (55 min / 1e6 = 3.3 ms) has passed many times over
	// once Close returns: no attempt after the acknowledged one.
	time.Sleep(20 * time.Millisecond)
	s.Close()
	assert.Len(t, s.Deliveries(), 3)
	assert.Equal(t, 3, m.count())
	o, _ := s.Order("T-1")
	assert.True(t, o.Notified)
}

func TestNotifyGivesUpAfterSchedule(t *testing.T) {
	t.Parallel()
	m := newNotifySink(t, 1000)
	s := newServer(t)
	mustCreate(t, s, NewOrder{OutTradeNo: "T-2", Money: "1", NotifyURL: m.notifyURL()})
	require.NoError(t, s.Pay("T-2"))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ds, err := s.WaitDeliveries(ctx, "T-2", len(notifySchedule))
	require.NoError(t, err)
	assert.Len(t, ds, 5)
	time.Sleep(20 * time.Millisecond)
	s.Close()
	assert.Equal(t, 5, m.count())
	o, _ := s.Order("T-2")
	assert.False(t, o.Notified)
}

func TestNotifyUnreachable(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	dead := "http://" + l.Addr().String() + "/notify"
	require.NoError(t, l.Close())
	s := newServer(t, WithTimeScale(1)) // real time: only the first attempt happens
	mustCreate(t, s, NewOrder{OutTradeNo: "U-1", Money: "1", NotifyURL: dead})
	require.NoError(t, s.Pay("U-1"))
	ds := s.Deliveries()
	require.Len(t, ds, 1)
	assert.Equal(t, 0, ds[0].StatusCode)
	assert.NotEmpty(t, ds[0].Err)
	assert.False(t, ds[0].Acknowledged())

	// Without notify_url nothing is delivered.
	mustCreate(t, s, NewOrder{OutTradeNo: "U-2", Money: "1"})
	require.NoError(t, s.Pay("U-2"))
	assert.Len(t, s.Deliveries(), 1)
	_, err = s.Notify("U-2")
	assert.ErrorContains(t, err, "notify_url")
}

func TestWaitDeliveriesContext(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	ds, err := s.WaitDeliveries(ctx, "W-1", 1)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Empty(t, ds)
	ds, err = s.WaitDeliveries(context.Background(), "W-1", 0)
	assert.NoError(t, err)
	assert.Empty(t, ds)
}

func TestCloseStopsPendingDeliveries(t *testing.T) {
	t.Parallel()
	m := newNotifySink(t, 1000)
	s := NewServer() // real time: the next attempt would be in a minute
	mustCreate(t, s, NewOrder{OutTradeNo: "P-1", Money: "1", NotifyURL: m.notifyURL()})
	mustCreate(t, s, NewOrder{OutTradeNo: "P-2", Money: "1", NotifyURL: m.notifyURL()})
	require.NoError(t, s.Pay("P-1"))
	require.NoError(t, s.Pay("P-2"))

	waitErr := make(chan error, 1)
	go func() {
		_, err := s.WaitDeliveries(context.Background(), "P-1", 2)
		waitErr <- err
	}()
	s.Close()
	s.Close() // idempotent
	assert.ErrorContains(t, <-waitErr, "closed")
	assert.Equal(t, 2, m.count())
	assert.ErrorIs(t, s.Pay("P-1"), errClosed)
	_, err := s.Notify("P-1")
	assert.ErrorIs(t, err, errClosed)
	_, err = s.CreateOrder(NewOrder{OutTradeNo: "P-3", Money: "1"})
	assert.ErrorIs(t, err, errClosed)
	_, err = http.Get(s.URL + "api.php")
	assert.Error(t, err, "the listener is closed")
}

func TestCloseDuringSlowDelivery(t *testing.T) {
	t.Parallel()
	entered := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		<-r.Context().Done() // never answers
	}))
	defer slow.Close()
	s := NewServer(WithTimeScale(1e6))
	mustCreate(t, s, NewOrder{OutTradeNo: "S-1", Money: "1", NotifyURL: slow.URL + "/n"})
	payErr := make(chan error, 1)
	go func() { payErr <- s.Pay("S-1") }()
	<-entered
	s.Close()
	require.NoError(t, <-payErr)
	ds := s.Deliveries()
	require.Len(t, ds, 1)
	assert.Contains(t, ds[0].Err, "context canceled")
}

func TestWithTest(t *testing.T) {
	t.Parallel()
	m := newNotifySink(t, 0)
	tb := &fakeTB{}
	s := NewServer(WithTest(tb), WithNotifyClient(&http.Client{Timeout: time.Second}))
	require.Len(t, tb.cleanups, 1)
	mustCreate(t, s, NewOrder{OutTradeNo: "L-1", Money: "1", NotifyURL: m.notifyURL()})
	require.NoError(t, s.Pay("L-1"))
	assert.NotEmpty(t, tb.logs())
	tb.cleanups[0]()
	_, err := http.Get(s.URL + "api.php")
	assert.Error(t, err)
	s.Close()
}

func TestConcurrentUse(t *testing.T) {
	t.Parallel()
	m := newNotifySink(t, 1)
	s := newServer(t)
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			no := "CC-" + string(rune('a'+i))
			if _, err := s.CreateOrder(NewOrder{OutTradeNo: no, Money: "1", NotifyURL: m.notifyURL()}); err != nil {
				t.Error(err)
				return
			}
			if err := s.Pay(no); err != nil {
				t.Error(err)
			}
			_ = s.Deliveries()
			_ = s.Requests()
			_, _ = s.Order(no)
			resp, err := http.Get(s.URL + "api.php?" + apiQuery(s, "order", "out_trade_no", no).Encode())
			if err == nil {
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		}()
	}
	wg.Wait()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for i := range 20 {
		_, err := s.WaitDeliveries(ctx, "CC-"+string(rune('a'+i)), 1)
		require.NoError(t, err)
	}
}

func TestKeyNeverLoggedOrInErrors(t *testing.T) {
	t.Parallel()
	const key = "super-secret-merchant-key-000001"
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	dead := "http://" + l.Addr().String() + "/notify"
	require.NoError(t, l.Close())
	m := newNotifySink(t, 1)

	tb := &fakeTB{}
	s := NewServer(WithTest(tb), WithMerchant("1001", key), WithTimeScale(1e6))
	var errs []error
	keep := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	_, err = s.CreateOrder(NewOrder{OutTradeNo: "K-1", Money: "1", NotifyURL: dead})
	keep(err)
	_, err = s.CreateOrder(NewOrder{OutTradeNo: "K-2", Money: "1", NotifyURL: m.notifyURL()})
	keep(err)
	_, err = s.CreateOrder(NewOrder{OutTradeNo: "K 3", Money: "1"})
	keep(err)
	_, err = s.CreateOrder(NewOrder{OutTradeNo: "K-2", Money: "2"})
	keep(err)
	keep(s.Pay("K-1"))
	keep(s.Pay("K-2"))
	keep(s.Pay("K-2"))
	keep(s.Pay("nope"))
	_, err = s.Notify("nope")
	keep(err)
	keep(s.SetStatus("K-1", 42))
	_, err = s.AddSettlement(Settlement{})
	keep(err)
	s.FailNext(1, FaultReset)
	_, _ = send(httpClient(t), s, url.Values{"pid": {"1001"}, "key": {key}})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err = s.WaitDeliveries(ctx, "K-2", 2)
	require.NoError(t, err)
	s.Close()
	_, err = s.WaitDeliveries(ctx, "K-2", 9)
	keep(err)
	keep(s.Pay("K-1"))

	require.Len(t, errs, 9)
	for _, e := range errs {
		assert.NotContains(t, e.Error(), key)
		assert.True(t, strings.HasPrefix(e.Error(), "epaytest: "), e.Error())
	}
	require.NotEmpty(t, tb.logs())
	for _, line := range tb.logs() {
		assert.NotContains(t, line, key)
		assert.NotContains(t, line, "sign=", "no signed URL in the log")
	}
}

func TestCloseWithUnreadHugeBody(t *testing.T) {
	t.Parallel()
	s := NewServer()
	s.FailNext(1, FaultHuge)
	conn, err := net.Dial("tcp", strings.TrimPrefix(strings.TrimSuffix(s.URL, "/epay/"), "http://"))
	require.NoError(t, err)
	defer conn.Close()
	_, err = io.WriteString(conn, "GET /epay/api.php?act=query HTTP/1.1\r\nHost: gateway\r\n\r\n")
	require.NoError(t, err)
	require.Eventually(t, func() bool { return len(s.Requests()) == 1 }, 5*time.Second, time.Millisecond)
	s.Close() // returns although the client reads nothing
}
