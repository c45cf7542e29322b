package epayv2_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/epaykit/epaykit/epay"
	"github.com/epaykit/epaykit/epay/epaytest"
	"github.com/epaykit/epaykit/epay/epayv2"
)

func newGateway(t *testing.T, opts ...epaytest.Option) (*epaytest.Server, *epayv2.Client) {
	t.Helper()
	gw := epaytest.NewServer(append([]epaytest.Option{epaytest.WithTest(t), epaytest.WithTimeScale(1e6)}, opts...)...)
	c, err := epayv2.NewFromPEM(gw.URL, gw.PID, gw.MerchantPrivateKeyPEM(), gw.PlatformPublicKeyPEM(),
		epayv2.WithRetryWait(time.Millisecond, 2*time.Millisecond))
	require.NoError(t, err)
	return gw, c
}

func TestEndToEnd(t *testing.T) {
	t.Parallel()
	gw, c := newGateway(t)
	ctx := context.Background()

	var mu sync.Mutex
	var got []*epayv2.Notification
	merchant := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, err := c.ParseNotificationRequest(r)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		mu.Lock()
		got = append(got, n)
		mu.Unlock()
		_, _ = w.Write([]byte(epayv2.SuccessReply))
	}))
	t.Cleanup(merchant.Close)

	res, err := c.Create(ctx, &epayv2.CreateRequest{
		Type: epay.TypeAlipay, OutTradeNo: "E2E-1", NotifyURL: merchant.URL + "/notify", Name: "VIP",
		Money: "9.99", ClientIP: "203.0.113.7", Param: "cart=7",
	})
	require.NoError(t, err)
	assert.Equal(t, epayv2.PayTypeJump, res.PayType)
	u, err := res.URL()
	require.NoError(t, err)
	assert.Equal(t, gw.URL+"pay/"+res.TradeNo, u)

	// Same request again: same order.
	again, err := c.Create(ctx, &epayv2.CreateRequest{
		Type: epay.TypeAlipay, OutTradeNo: "E2E-1", NotifyURL: merchant.URL + "/notify", Name: "VIP",
		Money: "9.99", ClientIP: "203.0.113.7", Param: "cart=7",
	})
	require.NoError(t, err)
	assert.Equal(t, res.TradeNo, again.TradeNo)

	o, err := c.Query(ctx, &epayv2.QueryRequest{OutTradeNo: "E2E-1"})
	require.NoError(t, err)
	assert.False(t, o.Paid())

	require.NoError(t, gw.Pay("E2E-1"))
	ds := gw.Deliveries()
	require.Len(t, ds, 1)
	assert.True(t, ds[0].Acknowledged(), "reply %q", ds[0].Reply)
	require.Len(t, got, 1)
	assert.Equal(t, "E2E-1", got[0].OutTradeNo)
	assert.Equal(t, res.TradeNo, got[0].TradeNo)
	assert.Equal(t, "cart=7", got[0].Param)
	assert.True(t, got[0].Paid())
	assert.Equal(t, "RSA", got[0].Raw["sign_type"])

	o, err = c.Query(ctx, &epayv2.QueryRequest{TradeNo: res.TradeNo})
	require.NoError(t, err)
	assert.True(t, o.Paid())
	assert.Equal(t, "9.99", o.Money)

	// Refund with an out_refund_no twice: one refund.
	r1, err := c.Refund(ctx, &epayv2.RefundRequest{TradeNo: res.TradeNo, Money: "5.00", OutRefundNo: "RF-1"})
	require.NoError(t, err)
	r2, err := c.Refund(ctx, &epayv2.RefundRequest{TradeNo: res.TradeNo, Money: "5.00", OutRefundNo: "RF-1"})
	require.NoError(t, err)
	assert.Equal(t, r1, r2)
	stored, _ := gw.Order("E2E-1")
	assert.Equal(t, int64(500), stored.RefundedCents)
	_, err = c.Refund(ctx, &epayv2.RefundRequest{TradeNo: res.TradeNo, Money: "1.00", OutRefundNo: "RF-1"})
	var ae *epayv2.APIError
	require.ErrorAs(t, err, &ae)
	assert.Contains(t, ae.Msg, "out_refund_no")

	rq, err := c.RefundQuery(ctx, &epayv2.RefundQueryRequest{OutRefundNo: "RF-1"})
	require.NoError(t, err)
	assert.Equal(t, epayv2.RefundSucceeded, rq.Status)
	assert.Equal(t, r1.RefundNo, rq.RefundNo)
	assert.Equal(t, "5.00", rq.Money)

	// Too much refunded.
	_, err = c.Refund(ctx, &epayv2.RefundRequest{TradeNo: res.TradeNo, Money: "5.00", OutRefundNo: "RF-2"})
	require.ErrorAs(t, err, &ae)

	// Close an unpaid order; a paid one cannot be closed.
	_, err = c.Create(ctx, &epayv2.CreateRequest{Type: epay.TypeWxPay, OutTradeNo: "E2E-2", NotifyURL: merchant.URL + "/n",
		Name: "Other", Money: "1", ClientIP: "203.0.113.7"})
	require.NoError(t, err)
	require.NoError(t, c.Close(ctx, &epayv2.CloseRequest{OutTradeNo: "E2E-2"}))
	require.ErrorAs(t, c.Close(ctx, &epayv2.CloseRequest{OutTradeNo: "E2E-1"}), &ae)

	info, err := c.MerchantInfo(ctx)
	require.NoError(t, err)
	assert.Equal(t, gw.PID, info.PID)
	assert.True(t, info.Active)
	assert.Equal(t, "4.99", info.Money)
	assert.Equal(t, 2, info.Orders)

	list, err := c.Orders(ctx, &epayv2.OrdersRequest{Limit: 10})
	require.NoError(t, err)
	require.Equal(t, 2, list.Count)
	assert.Equal(t, "E2E-2", list.Orders[0].OutTradeNo)
	assert.Equal(t, "E2E-1", list.Orders[1].OutTradeNo)
	assert.Equal(t, "5.00", list.Orders[1].RefundMoney)
}

func TestEndToEndRejections(t *testing.T) {
	t.Parallel()
	gw, _ := newGateway(t)
	ctx := context.Background()

	// A client whose clock is 10 minutes off is refused by the gateway.
	skewed, err := epayv2.NewFromPEM(gw.URL, gw.PID, gw.MerchantPrivateKeyPEM(), gw.PlatformPublicKeyPEM(),
		epayv2.WithClock(func() time.Time { return time.Now().Add(10 * time.Minute) }), epayv2.WithMaxSkew(time.Hour))
	require.NoError(t, err)
	_, err = skewed.MerchantInfo(ctx)
	var ae *epayv2.APIError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, -1, ae.Code)
	assert.Contains(t, ae.Msg, "timestamp")

	// The gateway's answers are too old for a client whose clock is ahead.
	ahead, err := epayv2.NewFromPEM(gw.URL, gw.PID, gw.MerchantPrivateKeyPEM(), gw.PlatformPublicKeyPEM(),
		epayv2.WithClock(func() time.Time { return time.Now().Add(299 * time.Second) }), epayv2.WithMaxSkew(5*time.Second))
	require.NoError(t, err)
	_, err = ahead.MerchantInfo(ctx)
	assert.ErrorIs(t, err, epayv2.ErrTimestamp)

	// Another merchant key is refused; a client trusting another platform
	// key refuses the gateway's answers.
	_, err = epayv2.NewFromPEM(gw.URL, gw.PID, testdataPEM(t, "rsa_platform_private.pem"), gw.PlatformPublicKeyPEM())
	require.Error(t, err, "own key as platform key")
	other, err := epayv2.NewFromPEM(gw.URL, gw.PID, testdataPEM(t, "rsa_platform_private.pem"), testdataPEM(t, "rsa_merchant_public.pem"))
	require.NoError(t, err)
	_, err = other.MerchantInfo(ctx)
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, -3, ae.Code)
}

func testdataPEM(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	require.NoError(t, err)
	return string(b)
}

func TestEndToEndRetryAfterFault(t *testing.T) {
	t.Parallel()
	gw, c := newGateway(t)
	gw.FailNext(1, epaytest.Fault503)
	info, err := c.MerchantInfo(context.Background())
	require.NoError(t, err)
	assert.Equal(t, gw.PID, info.PID)
	assert.Len(t, gw.Requests(), 2)
}
