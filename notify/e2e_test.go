package notify_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/epaykit/epaykit/epay"
	"github.com/epaykit/epaykit/epay/epaytest"
	"github.com/epaykit/epaykit/iepay"
	"github.com/epaykit/epaykit/iepay/iepaytest"
	"github.com/epaykit/epaykit/notify"
)

// merchant is a shop's notify endpoint and order book for the end-to-end
// tests: it credits each order once and remembers the amounts.
type merchant struct {
	mu       sync.Mutex
	credited map[string]int64
	calls    atomic.Int32
	failNext atomic.Int32
}

func newMerchant() *merchant { return &merchant{credited: map[string]int64{}} }

func (m *merchant) creditEpay(_ context.Context, n *epay.Notification) error {
	m.calls.Add(1)
	if m.failNext.Add(-1) >= 0 {
		return errors.New("database busy")
	}
	cents, err := n.Cents()
	if err != nil {
		return err
	}
	m.mu.Lock()
	m.credited[n.OutTradeNo] = cents
	m.mu.Unlock()
	return nil
}

func (m *merchant) creditIEPay(_ context.Context, n *iepay.Notification) error {
	m.calls.Add(1)
	if m.failNext.Add(-1) >= 0 {
		return errors.New("database busy")
	}
	m.mu.Lock()
	m.credited[n.OutTradeNo] = -1
	m.mu.Unlock()
	return nil
}

func (m *merchant) amount(order string) (int64, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.credited[order]
	return c, ok
}

// TestEpayEndToEnd runs create → pay → notify handler → query → refund
// against the test gateway in each server variant the spec lists.
func TestEpayEndToEnd(t *testing.T) {
	t.Parallel()
	variants := map[string][]epaytest.Option{
		"rainbow 3065+":      nil,
		"rainbow old refund": {epaytest.WithOldRefundDialect()},
		"old PHP strings":    {epaytest.WithStringNumbers()},
		"kyren":              {epaytest.WithKyren()},
		"notify by POST":     {epaytest.WithNotifyPOST()},
	}
	for name, opts := range variants {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			gw := epaytest.NewServer(append(opts, epaytest.WithTest(t), epaytest.WithTimeScale(1e6),
				epaytest.WithMerchant(epaytest.DefaultPID, epaytest.DefaultKey), epaytest.WithMerchant("merch_001", "kyren-secret"))...)
			// A numeric pid, and a Kyren-style string pid.
			for _, mc := range []struct{ pid, key, order string }{{gw.PID, gw.Key, "E2E-1"}, {"merch_001", "kyren-secret", "E2E-2"}} {
				c, err := epay.New(gw.URL, mc.pid, mc.key, epay.WithRetryWait(time.Millisecond, 5*time.Millisecond))
				require.NoError(t, err)
				runEpayFlow(t, gw, c, mc.order)
			}
		})
	}
}

func runEpayFlow(t *testing.T, gw *epaytest.Server, c *epay.Client, orderNo string) {
	t.Helper()
	ctx := context.Background()
	m := newMerchant()
	shop := httptest.NewServer(notify.Epay(c, m.creditEpay, notify.WithConfirm()))
	t.Cleanup(shop.Close)

	res, err := c.Create(ctx, &epay.CreateRequest{
		Type: epay.TypeAlipay, OutTradeNo: orderNo, NotifyURL: shop.URL + "/notify",
		Name: "End to end", Money: "10.50", ClientIP: "203.0.113.10", Param: "user=42",
	})
	require.NoError(t, err)
	require.NotEmpty(t, res.TradeNo)
	action, target := res.Action()
	assert.NotEqual(t, epay.ActionNone, action)
	assert.NotEmpty(t, target)

	// Creating again with the same parameters is idempotent.
	again, err := c.Create(ctx, &epay.CreateRequest{
		Type: epay.TypeAlipay, OutTradeNo: orderNo, NotifyURL: shop.URL + "/notify",
		Name: "End to end", Money: "10.50", ClientIP: "203.0.113.10", Param: "user=42",
	})
	require.NoError(t, err)
	assert.Equal(t, res.TradeNo, again.TradeNo)

	o, err := c.QueryOrder(ctx, &epay.OrderQuery{OutTradeNo: orderNo})
	require.NoError(t, err)
	assert.Equal(t, epay.OrderUnpaid, o.Status)
	assert.False(t, o.Paid())

	// The first delivery fails in the merchant's code: not acknowledged,
	// and the gateway's retry is.
	m.failNext.Store(1)
	require.NoError(t, gw.Pay(orderNo))
	ds, err := gw.WaitDeliveries(ctx, orderNo, 2)
	require.NoError(t, err)
	assert.NotEqual(t, "success", ds[0].Reply)
	assert.Equal(t, "success", ds[1].Reply)
	cents, ok := m.amount(orderNo)
	require.True(t, ok, "the order was credited")
	assert.EqualValues(t, 1050, cents)
	// A further duplicate is acknowledged without crediting again.
	d, err := gw.Notify(orderNo)
	require.NoError(t, err)
	assert.Equal(t, "success", d.Reply)
	assert.EqualValues(t, 2, m.calls.Load())

	o, err = c.QueryOrder(ctx, &epay.OrderQuery{TradeNo: res.TradeNo})
	require.NoError(t, err)
	assert.True(t, o.Paid())
	oc, err := o.Cents()
	require.NoError(t, err)
	assert.EqualValues(t, 1050, oc)
	assert.Equal(t, orderNo, o.OutTradeNo)

	rr, err := c.Refund(ctx, &epay.RefundRequest{OutTradeNo: orderNo, Money: "10.50"})
	require.NoError(t, err)
	assert.NotEmpty(t, rr.Msg)
	o, err = c.QueryOrder(ctx, &epay.OrderQuery{TradeNo: res.TradeNo})
	require.NoError(t, err)
	assert.Equal(t, epay.OrderRefunded, o.Status)
	g, ok := gw.Order(orderNo)
	require.True(t, ok)
	assert.Equal(t, 1, g.Refunds)

	// A second refund is refused by the gateway and reported as an APIError.
	_, err = c.Refund(ctx, &epay.RefundRequest{OutTradeNo: orderNo, Money: "1.00"})
	var apiErr *epay.APIError
	require.ErrorAs(t, err, &apiErr)
	g, _ = gw.Order(orderNo)
	assert.Equal(t, 1, g.Refunds)
}

func TestEpayEndToEndWrongKey(t *testing.T) {
	t.Parallel()
	gw := epaytest.NewServer(epaytest.WithTest(t))
	c, err := epay.New(gw.URL, gw.PID, "not-the-key", epay.WithRetries(0))
	require.NoError(t, err)
	_, err = c.Create(context.Background(), &epay.CreateRequest{
		Type: epay.TypeAlipay, OutTradeNo: "K-1", NotifyURL: "https://shop.example.com/n",
		Name: "x", Money: "1.00", ClientIP: "203.0.113.10",
	})
	assert.ErrorIs(t, err, epay.ErrBadSignature)
	assert.NotContains(t, err.Error(), "not-the-key")
	_, err = c.QueryOrder(context.Background(), &epay.OrderQuery{OutTradeNo: "K-1"})
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "not-the-key")
}

func TestKyrenIPAllowlist(t *testing.T) {
	t.Parallel()
	gw := epaytest.NewServer(epaytest.WithTest(t), epaytest.WithKyren(), epaytest.WithIPAllowlist("198.51.100.1"))
	c, err := epay.New(gw.URL, gw.PID, gw.Key, epay.WithRetries(0))
	require.NoError(t, err)
	_, err = c.Create(context.Background(), &epay.CreateRequest{
		Type: epay.TypeAlipay, OutTradeNo: "IP-1", NotifyURL: "https://shop.example.com/n",
		Name: "x", Money: "1.00", ClientIP: "203.0.113.10",
	})
	assert.ErrorIs(t, err, epay.ErrIPNotAllowed)
}

func TestIEPayEndToEnd(t *testing.T) {
	t.Parallel()
	variants := map[string][]iepaytest.Option{
		"strings":        nil,
		"numbers":        {iepaytest.WithNumbers()},
		"extra omitted":  {iepaytest.WithExtraOmitted()},
		"notify by POST": {iepaytest.WithNotifyPOST()},
	}
	for name, opts := range variants {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			gw := iepaytest.NewServer(append(opts, iepaytest.WithTest(t), iepaytest.WithTimeScale(1e6))...)
			c, err := iepay.New(gw.MID, gw.Key, iepay.WithBaseURL(gw.URL), iepay.WithRetryWait(time.Millisecond, 5*time.Millisecond))
			require.NoError(t, err)
			m := newMerchant()
			shop := httptest.NewServer(notify.IEPay(c, m.creditIEPay, notify.WithConfirm()))
			t.Cleanup(shop.Close)

			req := &iepay.CreateRequest{
				PayType: iepay.PayTypeAlipayWeb, OutTradeNo: "E2E-1", TotalFee: 1050,
				Goods: "Tea", GoodsDetail: "Green tea", NotifyURL: shop.URL + "/notify", ReturnURL: shop.URL + "/return",
			}
			res, err := c.Create(ctx, req)
			require.NoError(t, err)
			assert.NotEmpty(t, res.PayURL)
			assert.False(t, res.AlreadyCreated)
			again, err := c.Create(ctx, req)
			require.NoError(t, err)
			assert.True(t, again.AlreadyCreated)
			assert.Equal(t, res.PayURL, again.PayURL)

			o, err := c.Check(ctx, &iepay.CheckRequest{PayType: iepay.PayTypeAlipayWeb, OutTradeNo: "E2E-1"})
			require.NoError(t, err)
			assert.False(t, o.Paid())
			assert.EqualValues(t, 1050, o.TotalFee)

			m.failNext.Store(1)
			require.NoError(t, gw.Pay("E2E-1"))
			ds, err := gw.WaitDeliveries(ctx, "E2E-1", 2)
			require.NoError(t, err)
			assert.NotEqual(t, "SUCCESS", ds[0].Reply)
			assert.Equal(t, "SUCCESS", ds[1].Reply)
			_, ok := m.amount("E2E-1")
			assert.True(t, ok)
			d, err := gw.Notify("E2E-1")
			require.NoError(t, err)
			assert.Equal(t, "SUCCESS", d.Reply)
			assert.EqualValues(t, 2, m.calls.Load())

			o, err = c.Check(ctx, &iepay.CheckRequest{PayType: iepay.PayTypeAlipayWeb, OutTradeNo: "E2E-1"})
			require.NoError(t, err)
			assert.True(t, o.Paid())
			assert.NotEmpty(t, o.TradeNo)

			_, err = c.Refund(ctx, &iepay.RefundRequest{OutTradeNo: "E2E-1", PayType: iepay.PayTypeAlipayWeb, RefundAmount: 2000})
			assert.ErrorIs(t, err, iepay.ErrBalance)
			_, err = c.Refund(ctx, &iepay.RefundRequest{OutTradeNo: "E2E-1", PayType: iepay.PayTypeWeChatQR, RefundAmount: 100})
			assert.Error(t, err)
			rr, err := c.Refund(ctx, &iepay.RefundRequest{OutTradeNo: "E2E-1", PayType: iepay.PayTypeAlipayWeb, RefundAmount: 1050})
			require.NoError(t, err)
			assert.Equal(t, "SUCCESS", rr.Message)
			o, err = c.Check(ctx, &iepay.CheckRequest{PayType: iepay.PayTypeAlipayWeb, OutTradeNo: "E2E-1"})
			require.NoError(t, err)
			assert.Equal(t, iepay.OrderRefunded, o.Status)
		})
	}
}

func TestIEPayMiniProgramEndToEnd(t *testing.T) {
	t.Parallel()
	gw := iepaytest.NewServer(iepaytest.WithTest(t))
	c, err := iepay.New(gw.MID, gw.Key, iepay.WithBaseURL(gw.URL))
	require.NoError(t, err)
	p, err := c.CreateMiniProgram(context.Background(), &iepay.MiniProgramRequest{
		AppID: "wx1234567890abcdef", OpenID: "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o", OutTradeNo: "MINI-1",
		Goods: "Tea", GoodsDetail: "Green tea", TotalFee: 100,
	})
	require.NoError(t, err)
	assert.NotEmpty(t, p.PaySign)
	assert.NotEmpty(t, p.Package)
	assert.NotEmpty(t, p.Raw)

	bad, err := iepay.New(gw.MID, "wrong-key", iepay.WithBaseURL(gw.URL))
	require.NoError(t, err)
	_, err = bad.CreateMiniProgram(context.Background(), &iepay.MiniProgramRequest{
		AppID: "wx1234567890abcdef", OpenID: "o", OutTradeNo: "MINI-2", Goods: "Tea", GoodsDetail: "Tea", TotalFee: 100,
	})
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "wrong-key")
	var apiErr *iepay.APIError
	assert.ErrorAs(t, err, &apiErr)
}

// TestForgedNotificationNotAcknowledged checks that the gateway sees the handler's
// refusal of a forged notification as not acknowledged.
func TestForgedNotificationNotAcknowledged(t *testing.T) {
	t.Parallel()
	gw := epaytest.NewServer(epaytest.WithTest(t), epaytest.WithMerchant(epaytest.DefaultPID, epaytest.DefaultKey), epaytest.WithMerchant("2002", "other-merchant-key"))
	c, err := epay.New(gw.URL, gw.PID, gw.Key)
	require.NoError(t, err)
	m := newMerchant()
	shop := httptest.NewServer(notify.Epay(c, m.creditEpay))
	t.Cleanup(shop.Close)
	// Another merchant of the same gateway pays an order whose notify_url
	// is our endpoint: signed with the other key, so refused.
	other, err := epay.New(gw.URL, "2002", "other-merchant-key")
	require.NoError(t, err)
	_, err = other.Create(context.Background(), &epay.CreateRequest{
		Type: epay.TypeAlipay, OutTradeNo: "X-1", NotifyURL: shop.URL + "/notify",
		Name: "x", Money: "1.00", ClientIP: "203.0.113.10",
	})
	require.NoError(t, err)
	require.NoError(t, gw.Pay("X-1"))
	ds := gw.Deliveries()
	require.NotEmpty(t, ds)
	assert.Equal(t, http.StatusBadRequest, ds[0].StatusCode)
	assert.Equal(t, "fail", ds[0].Reply)
	assert.EqualValues(t, 0, m.calls.Load())
}
