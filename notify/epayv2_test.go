package notify_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/epaykit/epaykit/epay"
	"github.com/epaykit/epaykit/epay/epaytest"
	"github.com/epaykit/epaykit/epay/epayv2"
	"github.com/epaykit/epaykit/notify"
)

func newV2(t *testing.T) (*epaytest.Server, *epayv2.Client) {
	t.Helper()
	gw := epaytest.NewServer(epaytest.WithTest(t), epaytest.WithTimeScale(1e6))
	c, err := epayv2.NewFromPEM(gw.URL, gw.PID, gw.MerchantPrivateKeyPEM(), gw.PlatformPublicKeyPEM(),
		epayv2.WithRetryWait(time.Millisecond, 2*time.Millisecond))
	require.NoError(t, err)
	return gw, c
}

func createV2(t *testing.T, c *epayv2.Client, out, notifyURL string) {
	t.Helper()
	_, err := c.Create(context.Background(), &epayv2.CreateRequest{Type: epay.TypeAlipay, OutTradeNo: out,
		NotifyURL: notifyURL, Name: "VIP", Money: "9.99", ClientIP: "203.0.113.7"})
	require.NoError(t, err)
}

func serve(h http.Handler, target string) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", target, nil))
	return rec
}

func TestEpayV2Handler(t *testing.T) {
	t.Parallel()
	gw, c := newV2(t)
	createV2(t, c, "NV2-1", "https://shop.example.com/notify")
	require.NoError(t, gw.SetStatus("NV2-1", epaytest.StatusPaid))
	v, err := gw.V2NotificationValues("NV2-1")
	require.NoError(t, err)

	var calls atomic.Int32
	var got *epayv2.Notification
	h := notify.EpayV2(c, func(_ context.Context, n *epayv2.Notification) error {
		calls.Add(1)
		got = n
		return nil
	})
	rec := serve(h, "/notify?"+v.Encode())
	assert.Equal(t, 200, rec.Code)
	assert.Equal(t, "success", rec.Body.String())
	require.Equal(t, int32(1), calls.Load())
	assert.Equal(t, "NV2-1", got.OutTradeNo)
	cents, _ := got.Cents()
	assert.Equal(t, int64(999), cents)

	// A repeat is acknowledged without calling fn again.
	rec = serve(h, "/notify?"+v.Encode())
	assert.Equal(t, "success", rec.Body.String())
	assert.Equal(t, int32(1), calls.Load())

	// Tampered, wrong sign_type, duplicate parameter: 400, fn not called.
	for name, q := range map[string]string{
		"tampered":  strings.Replace(v.Encode(), "money=9.99", "money=0.01", 1),
		"sign_type": strings.Replace(v.Encode(), "sign_type=RSA", "sign_type=MD5", 1),
		"duplicate": v.Encode() + "&money=9.99",
	} {
		var hookErr error
		h2 := notify.EpayV2(c, func(context.Context, *epayv2.Notification) error {
			t.Errorf("%s: fn called", name)
			return nil
		}, notify.WithErrorHook(func(_ *http.Request, err error) { hookErr = err }))
		rec = serve(h2, "/notify?"+q)
		assert.Equal(t, 400, rec.Code, name)
		assert.Equal(t, "fail", rec.Body.String(), name)
		assert.Error(t, hookErr, name)
	}

	// fn failing: 500, and the gateway will retry.
	h3 := notify.EpayV2(c, func(context.Context, *epayv2.Notification) error { return errors.New("db down") })
	rec = serve(h3, "/notify?"+v.Encode())
	assert.Equal(t, 500, rec.Code)
}

func TestEpayV2HandlerEndToEndWithConfirm(t *testing.T) {
	t.Parallel()
	gw, c := newV2(t)
	var calls atomic.Int32
	shop := httptest.NewServer(notify.EpayV2(c, func(_ context.Context, n *epayv2.Notification) error {
		calls.Add(1)
		return nil
	}, notify.WithConfirm()))
	t.Cleanup(shop.Close)
	createV2(t, c, "NV2-2", shop.URL+"/notify")
	require.NoError(t, gw.Pay("NV2-2"))
	ds := gw.Deliveries()
	require.Len(t, ds, 1)
	assert.True(t, ds[0].Acknowledged(), "status %d reply %q", ds[0].StatusCode, ds[0].Reply)
	assert.Equal(t, int32(1), calls.Load())

	// Confirmation fails for an order the gateway reports unpaid.
	createV2(t, c, "NV2-3", shop.URL+"/notify")
	v, err := gw.V2NotificationValues("NV2-3")
	require.NoError(t, err)
	rec := httptest.NewRecorder()
	notify.EpayV2(c, func(context.Context, *epayv2.Notification) error { return nil }, notify.WithConfirm()).
		ServeHTTP(rec, httptest.NewRequest("GET", "/n?"+v.Encode(), nil))
	assert.Equal(t, 409, rec.Code)

	// ServeEpayV2 keeps no state.
	rec = httptest.NewRecorder()
	pv, _ := gw.V2NotificationValues("NV2-2")
	err = notify.ServeEpayV2(rec, httptest.NewRequest("GET", "/n?"+pv.Encode(), nil), c,
		func(context.Context, *epayv2.Notification) error { return nil })
	assert.NoError(t, err)
	assert.Equal(t, "success", rec.Body.String())
}
