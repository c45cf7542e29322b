package iepaytest

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/epaykit/epaykit/sign"
)

func paidOrder(t *testing.T, s *Server, outTradeNo, payType, notifyURL string) {
	t.Helper()
	p := createParams(outTradeNo, payType)
	if notifyURL != "" {
		p["notify_url"] = notifyURL
	}
	create(t, s, p)
}

func TestPayDeliversExactNotification(t *testing.T) {
	t.Parallel()
	m := newShop(t, 0)
	s := newServer(t, WithMerchant("10224", vectorKey))
	paidOrder(t, s, "2020102204514282", "IE0022", m.notifyURL())
	require.NoError(t, s.Pay("2020102204514282"))

	// The first attempt is synchronous.
	require.Equal(t, 1, m.count())
	req := m.request(0)
	assert.Equal(t, http.MethodGet, req.Method)
	assert.Equal(t, "/shop/notify", req.URL.Path)
	assert.Equal(t, "out_trade_no=2020102204514282&trade_no=4200000000000000000000000001&trade_status=SUCCESS"+
		"&pay_type=IE0022&sign=eab6624015aaeac2aeacee0bf4b844d6", req.URL.RawQuery)

	ds := s.Deliveries()
	require.Len(t, ds, 1)
	d := ds[0]
	assert.Equal(t, "2020102204514282", d.OutTradeNo)
	assert.Equal(t, "4200000000000000000000000001", d.TradeNo)
	assert.Equal(t, m.notifyURL()+"?"+req.URL.RawQuery, d.URL)
	assert.Equal(t, 1, d.Attempt)
	assert.Equal(t, 200, d.StatusCode)
	assert.Equal(t, "SUCCESS\n", d.Reply)
	assert.Empty(t, d.Err)
	assert.True(t, d.Acknowledged())
	assert.False(t, d.At.IsZero())

	q := req.URL.Query()
	assert.True(t, sign.VerifyIEPayNotify(q.Get("trade_no"), q.Get("out_trade_no"), q.Get("sign"), vectorKey))
	o, _ := s.Order("2020102204514282")
	assert.Equal(t, StatusPaid, o.Status)
	assert.False(t, o.PaidAt.IsZero())

	// NotificationValues are exactly what was sent.
	v, err := s.NotificationValues("2020102204514282")
	require.NoError(t, err)
	assert.Equal(t, q, v)

	// Acknowledged: no retries.
	time.Sleep(5 * time.Millisecond)
	assert.Equal(t, 1, m.count())
}

func TestPayErrors(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	assert.EqualError(t, s.Pay("nope"), `iepaytest: unknown order out_trade_no "nope"`)
	paidOrder(t, s, "P-1", "IE0011", "")
	require.NoError(t, s.Pay("P-1"), "no notify_url: paid without a delivery")
	assert.Empty(t, s.Deliveries())
	assert.EqualError(t, s.Pay("P-1"), `iepaytest: order out_trade_no "P-1" is not unpaid (status 1)`)
	_, err := s.Notify("P-1")
	assert.EqualError(t, err, `iepaytest: order out_trade_no "P-1" has no notify_url`)
	_, err = s.Notify("nope")
	assert.EqualError(t, err, `iepaytest: unknown order out_trade_no "nope"`)
	paidOrder(t, s, "P-2", "IE0011", "http://127.0.0.1:1/notify")
	_, err = s.Notify("P-2")
	assert.EqualError(t, err, `iepaytest: order out_trade_no "P-2" is unpaid`)
	_, err = s.NotificationValues("nope")
	assert.EqualError(t, err, `iepaytest: unknown order out_trade_no "nope"`)
	_, err = s.WaitDeliveries(context.Background(), "nope", 1)
	assert.EqualError(t, err, `iepaytest: unknown order out_trade_no "nope"`)
}

func TestDeliveryRetriesUntilSuccess(t *testing.T) {
	t.Parallel()
	m := newShop(t, 2) // fails twice, then SUCCESS
	s := newServer(t)
	paidOrder(t, s, "RT-1", "IE0012", m.notifyURL())
	require.NoError(t, s.Pay("RT-1"))

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ds, err := s.WaitDeliveries(ctx, "RT-1", 3)
	require.NoError(t, err)
	require.Len(t, ds, 3)
	for i, d := range ds {
		assert.Equal(t, i+1, d.Attempt)
	}
	assert.Equal(t, 500, ds[0].StatusCode)
	assert.Equal(t, "FAIL", ds[0].Reply)
	assert.False(t, ds[0].Acknowledged())
	assert.Equal(t, 500, ds[1].StatusCode)
	assert.True(t, ds[2].Acknowledged())
	// Every attempt carries the same signed query.
	assert.Equal(t, m.form(0), m.form(2))

	// Retries stop after the acknowledgement: Close waits for the goroutine,
	// so the count is final afterwards.
	s.Close()
	assert.Equal(t, 3, m.count())
	assert.Len(t, s.Deliveries(), 3)
}

func TestDeliveryScheduleEnds(t *testing.T) {
	t.Parallel()
	m := newShop(t, 1000) // never answers SUCCESS
	s := newServer(t)
	paidOrder(t, s, "END-1", "IE0012", m.notifyURL())
	require.NoError(t, s.Pay("END-1"))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ds, err := s.WaitDeliveries(ctx, "END-1", len(RetryIntervals())+1)
	require.NoError(t, err)
	assert.Len(t, ds, 13)
	s.Close()
	assert.Equal(t, 13, m.count(), "13 attempts, then the schedule ends")
}

func TestRetryIntervals(t *testing.T) {
	t.Parallel()
	iv := RetryIntervals()
	require.Len(t, iv, 12)
	var total time.Duration
	for i, d := range iv {
		total += d
		if i > 0 {
			assert.GreaterOrEqual(t, d, iv[i-1], "intervals grow")
		}
	}
	assert.Equal(t, 11*time.Hour+34*time.Minute, total)
	iv[0] = 0
	assert.Equal(t, 15*time.Second, RetryIntervals()[0], "a copy")
}

func TestCloseStopsPendingDeliveries(t *testing.T) {
	t.Parallel()
	m := newShop(t, 1000)
	s := NewServer() // real time: the second attempt would be 15 s away
	paidOrder(t, s, "CL-1", "IE0012", m.notifyURL())
	require.NoError(t, s.Pay("CL-1"))
	require.Equal(t, 1, m.count())

	done := make(chan struct{})
	go func() {
		s.Close()
		s.Close() // idempotent
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close hangs with a pending delivery")
	}
	assert.Equal(t, 1, m.count())
	assert.ErrorIs(t, s.Pay("CL-1"), errClosed)
	_, err := s.Notify("CL-1")
	assert.ErrorIs(t, err, errClosed)
	_, err = s.WaitDeliveries(context.Background(), "CL-1", 2)
	assert.EqualError(t, err, `iepaytest: server closed after 1 of 2 notifications for "CL-1"`)
	_, err = http.Get(s.URL + "api/online")
	assert.Error(t, err, "the listener is closed")
}

func TestCloseInterruptsHangingMerchant(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	var calls atomic.Int32
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			_, _ = w.Write([]byte("no"))
			return
		}
		select { // the retry hangs until the gateway gives up
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer hang.Close()
	defer close(release)
	s := NewServer(WithTimeScale(1e6))
	paidOrder(t, s, "H-1", "IE0012", hang.URL+"/n")
	require.NoError(t, s.Pay("H-1"))
	require.Eventually(t, func() bool { return calls.Load() >= 2 }, 5*time.Second, time.Millisecond)
	done := make(chan struct{})
	go func() { s.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close waits for a hanging merchant")
	}
	ds := s.Deliveries()
	require.Len(t, ds, 2)
	assert.Contains(t, ds[1].Err, "context canceled")
	assert.Equal(t, 0, ds[1].StatusCode)
}

func TestNotifyDuplicate(t *testing.T) {
	t.Parallel()
	m := newShop(t, 0)
	s := newServer(t)
	paidOrder(t, s, "D-1", "IE0031", m.notifyURL())
	require.NoError(t, s.Pay("D-1"))
	d, err := s.Notify("D-1")
	require.NoError(t, err)
	assert.Equal(t, 2, d.Attempt)
	assert.True(t, d.Acknowledged())
	assert.Equal(t, 2, m.count())
	assert.Equal(t, m.form(0), m.form(1))
	assert.Len(t, s.Deliveries(), 2)
}

func TestNotifyPOST(t *testing.T) {
	t.Parallel()
	m := newShop(t, 0)
	s := newServer(t, WithNotifyPOST())
	paidOrder(t, s, "PO-1", "IE0011", m.notifyURL()+"?shop=7")
	require.NoError(t, s.Pay("PO-1"))
	req := m.request(0)
	assert.Equal(t, http.MethodPost, req.Method)
	assert.Equal(t, "application/x-www-form-urlencoded", req.Header.Get("Content-Type"))
	assert.Equal(t, "shop=7", req.URL.RawQuery)
	want, err := s.NotificationValues("PO-1")
	require.NoError(t, err)
	got := m.form(0)
	got.Del("shop")
	assert.Equal(t, want, got)
	assert.Equal(t, m.notifyURL()+"?shop=7", s.Deliveries()[0].URL)
}

func TestNotifyURLWithQuery(t *testing.T) {
	t.Parallel()
	m := newShop(t, 0)
	s := newServer(t)
	paidOrder(t, s, "Q-1", "IE0011", m.notifyURL()+"?x=1&y=2")
	require.NoError(t, s.Pay("Q-1"))
	q := m.request(0).URL.Query()
	assert.Equal(t, "2", q.Get("y"))
	assert.Equal(t, "Q-1", q.Get("out_trade_no"))
	assert.True(t, sign.VerifyIEPayNotify(q.Get("trade_no"), "Q-1", q.Get("sign"), s.Key))
}

func TestNotificationValuesUnpaid(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	paidOrder(t, s, "T-1", "IE0011", "")
	v, err := s.NotificationValues("T-1")
	require.NoError(t, err)
	assert.Equal(t, url.Values{
		"out_trade_no": {"T-1"},
		"trade_no":     {"2026000000000000000000000001"},
		"trade_status": {"SUCCESS"},
		"pay_type":     {"IE0011"},
		"sign":         {"1bf055606d91b3dc983ab2003c7b0055"},
	}, v)
	assert.Empty(t, s.Deliveries(), "nothing sent")
}

func TestWaitDeliveriesContext(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	paidOrder(t, s, "W-1", "IE0011", "")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	got, err := s.WaitDeliveries(ctx, "W-1", 1)
	assert.ErrorIs(t, err, context.Canceled)
	assert.Empty(t, got)
	got, err = s.WaitDeliveries(context.Background(), "W-1", 0)
	assert.NoError(t, err)
	assert.Empty(t, got)
}

func TestDeliveryToDeadMerchant(t *testing.T) {
	t.Parallel()
	dead := httptest.NewServer(http.NotFoundHandler())
	deadURL := dead.URL + "/notify"
	dead.Close()
	s := newServer(t)
	paidOrder(t, s, "X-1", "IE0011", deadURL)
	require.NoError(t, s.Pay("X-1"), "a failed delivery is not an error of Pay")
	ds := s.Deliveries()
	require.NotEmpty(t, ds)
	assert.Equal(t, 0, ds[0].StatusCode)
	assert.NotEmpty(t, ds[0].Err)
	assert.NotContains(t, ds[0].Err, s.Key)
}

func TestConcurrentPayAndNotify(t *testing.T) {
	t.Parallel()
	m := newShop(t, 0)
	s := newServer(t)
	const n = 20
	for i := 0; i < n; i++ {
		paidOrder(t, s, "CC-"+string(rune('A'+i)), "IE0011", m.notifyURL())
	}
	errs := make(chan error, 2*n)
	for i := 0; i < n; i++ {
		id := "CC-" + string(rune('A'+i))
		go func() { errs <- s.Pay(id) }()
		go func() { errs <- s.Pay(id) }()
	}
	var failed int
	for i := 0; i < 2*n; i++ {
		if <-errs != nil {
			failed++
		}
	}
	assert.Equal(t, n, failed, "each order is paid exactly once")
	assert.Equal(t, n, m.count())
}
