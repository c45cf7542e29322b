package iepay_test

// Input limits: bad input is rejected before anything is sent, with an
// error naming the field; and a notification with 1,000 parameters is
// handled without harm.

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/epaykit/epaykit/iepay"
	"github.com/epaykit/epaykit/notify"
	"github.com/epaykit/epaykit/sign"
)

// TestLimitsRejectedBeforeSending: each bad create, mini program payment,
// check and refund is refused with a *FieldError naming the wire field, and
// the gateway sees no request. IEPay amounts are int64 cents, so "3-decimal
// money" cannot be expressed; negative and zero amounts are the money cases.
func TestLimitsRejectedBeforeSending(t *testing.T) {
	t.Parallel()
	r := newRig(t, nil)
	ok := func(edit func(*iepay.CreateRequest)) *iepay.CreateRequest {
		req := createReq("LIM-1")
		edit(req)
		return req
	}
	creates := []struct {
		name  string
		req   *iepay.CreateRequest
		field string
	}{
		{"goods of 65 bytes", ok(func(q *iepay.CreateRequest) { q.Goods = strings.Repeat("g", 65) }), "goods"},
		{"goods of 22 CJK characters (66 bytes)", ok(func(q *iepay.CreateRequest) { q.Goods = strings.Repeat("茶", 22) }), "goods"},
		{"goods not UTF-8", ok(func(q *iepay.CreateRequest) { q.Goods = "Tea\xff" }), "goods"},
		{"goods with NUL", ok(func(q *iepay.CreateRequest) { q.Goods = "Tea\x00" }), "goods"},
		{"goods with newline", ok(func(q *iepay.CreateRequest) { q.Goods = "Tea\nTea" }), "goods"},
		{"goods with C1 control", ok(func(q *iepay.CreateRequest) { q.Goods = "Tea\u0085" }), "goods"},
		{"goods with &", ok(func(q *iepay.CreateRequest) { q.Goods = "Tea&total_fee=1" }), "goods"},
		{"goods_detail of 129 bytes", ok(func(q *iepay.CreateRequest) { q.GoodsDetail = strings.Repeat("d", 129) }), "goods_detail"},
		{"goods_detail not UTF-8", ok(func(q *iepay.CreateRequest) { q.GoodsDetail = "\xc3\x28" }), "goods_detail"},
		{"total_fee negative", ok(func(q *iepay.CreateRequest) { q.TotalFee = -999 }), "total_fee"},
		{"total_fee zero", ok(func(q *iepay.CreateRequest) { q.TotalFee = 0 }), "total_fee"},
		{"both total_fee and rmb_fee", ok(func(q *iepay.CreateRequest) { q.PayType = iepay.PayTypeAlipayWeb; q.RMBFee = 100 }), "total_fee"},
		{"rmb_fee negative", ok(func(q *iepay.CreateRequest) { q.PayType = iepay.PayTypeAlipayWeb; q.TotalFee = 0; q.RMBFee = -1 }), "rmb_fee"},
		{"out_trade_no with a space", ok(func(q *iepay.CreateRequest) { q.OutTradeNo = "LIM 1" }), "out_trade_no"},
		{"out_trade_no with a leading space", ok(func(q *iepay.CreateRequest) { q.OutTradeNo = " LIM-1" }), "out_trade_no"},
		{"out_trade_no of 65 bytes", ok(func(q *iepay.CreateRequest) { q.OutTradeNo = strings.Repeat("9", 65) }), "out_trade_no"},
		{"out_trade_no of 33 bytes for WeChat", ok(func(q *iepay.CreateRequest) {
			q.PayType = iepay.PayTypeWeChatQR
			q.OutTradeNo = strings.Repeat("9", 33)
		}), "out_trade_no"},
		{"out_trade_no not ASCII", ok(func(q *iepay.CreateRequest) { q.OutTradeNo = "订单1" }), "out_trade_no"},
		{"out_trade_no with &", ok(func(q *iepay.CreateRequest) { q.OutTradeNo = "A&sign=x" }), "out_trade_no"},
		{"notify_url with a space", ok(func(q *iepay.CreateRequest) { q.NotifyURL = "https://shop.example.com/a b" }), "notify_url"},
		{"notify_url not http", ok(func(q *iepay.CreateRequest) { q.NotifyURL = "javascript:alert(1)" }), "notify_url"},
		{"return_url with CR", ok(func(q *iepay.CreateRequest) { q.ReturnURL = "https://shop.example.com/\r" }), "return_url"},
		{"pay_type with a space", ok(func(q *iepay.CreateRequest) { q.PayType = "IE 011" }), "pay_type"},
		{"expired negative", ok(func(q *iepay.CreateRequest) { q.Expired = -1 }), "expired"},
	}
	ctx := context.Background()
	for _, tc := range creates {
		_, err := r.c.Create(ctx, tc.req)
		assertField(t, tc.name, err, tc.field)
	}
	_, err := r.c.CreateMiniProgram(ctx, &iepay.MiniProgramRequest{AppID: "wx1", OpenID: "o 1", OutTradeNo: "M-1",
		Goods: "Tea", GoodsDetail: "Tea", TotalFee: 1})
	assertField(t, "mini program openid with a space", err, "openid")
	_, err = r.c.CreateMiniProgram(ctx, &iepay.MiniProgramRequest{AppID: "wx1", OpenID: "o1", OutTradeNo: "M-1",
		Goods: "Tea", GoodsDetail: "Tea", TotalFee: -1})
	assertField(t, "mini program negative total_fee", err, "total_fee")

	for _, tc := range []struct {
		name  string
		req   *iepay.RefundRequest
		field string
	}{
		{"negative", &iepay.RefundRequest{PayType: iepay.PayTypeAlipayQR, OutTradeNo: "LIM-1", RefundAmount: -1}, "refund_amount"},
		{"zero", &iepay.RefundRequest{PayType: iepay.PayTypeAlipayQR, OutTradeNo: "LIM-1"}, "refund_amount"},
		{"control in out_trade_no", &iepay.RefundRequest{PayType: iepay.PayTypeAlipayQR, OutTradeNo: "L\n", RefundAmount: 1}, "out_trade_no"},
		{"no pay_type", &iepay.RefundRequest{OutTradeNo: "LIM-1", RefundAmount: 1}, "pay_type"},
	} {
		_, err := r.c.Refund(ctx, tc.req)
		assertField(t, "refund "+tc.name, err, tc.field)
	}
	_, err = r.c.Check(ctx, &iepay.CheckRequest{PayType: iepay.PayTypeAlipayQR, OutTradeNo: "LIM\x00"})
	assertField(t, "check with NUL", err, "out_trade_no")

	assert.Empty(t, r.gw.Requests(), "nothing may reach the gateway")
	assert.Empty(t, r.events.all(), "no HTTP attempt may be made")
}

func assertField(t *testing.T, name string, err error, field string) {
	t.Helper()
	var fe *iepay.FieldError
	if !assert.ErrorAs(t, err, &fe, name) {
		return
	}
	assert.ErrorIs(t, err, iepay.ErrInvalidRequest, name)
	assert.Equal(t, field, fe.Field, name)
	assert.True(t, strings.HasPrefix(err.Error(), "iepay: "+field+": "), "%s: %v", name, err)
}

// TestLimitsThousandNotificationParams decides what 1,000 parameters in an
// IEPay notification mean. IEPay's sign covers trade_no, out_trade_no and
// the SUCCESS status only, so:
//   - extra fields cannot be signed and are not trusted: the notification
//     verifies on the signed fields, the extras are kept in Raw, and the
//     signed fields are what the merchant's function receives;
//   - a repeated signed field (or any repeated field) is ErrDuplicateParam;
//   - a bad sign stays ErrBadSignature whatever else is present;
//   - the 64 KiB body limit bounds the work.
func TestLimitsThousandNotificationParams(t *testing.T) {
	t.Parallel()
	const key = extKey
	c, err := iepay.New(extMID, key, iepay.WithBaseURL("https://pay.example.com/iepay/"))
	require.NoError(t, err)
	build := func(n int) url.Values {
		v := url.Values{"trade_no": {"T-1"}, "out_trade_no": {"N-1"}, "trade_status": {"SUCCESS"},
			"pay_type": {"IE0011"}, "sign": {sign.IEPayNotify("T-1", "N-1", key)}}
		for i := 0; i < n; i++ {
			v.Set(fmt.Sprintf("f%04d", i), fmt.Sprintf("v%04d", i))
		}
		return v
	}
	v := build(1000)
	n, err := c.ParseNotification(v)
	require.NoError(t, err)
	assert.Equal(t, "N-1", n.OutTradeNo)
	assert.Equal(t, "T-1", n.TradeNo)
	assert.Len(t, n.Raw, 1005)

	bad := build(1000)
	bad.Set("sign", sign.IEPayNotify("T-1", "N-2", key))
	_, err = c.ParseNotification(bad)
	assert.ErrorIs(t, err, iepay.ErrBadSignature)

	dup := build(1000)
	dup.Add("out_trade_no", "N-2")
	_, err = c.ParseNotification(dup)
	assert.ErrorIs(t, err, iepay.ErrDuplicateParam)

	var calls atomic.Int32
	h := notify.IEPay(c, func(_ context.Context, got *iepay.Notification) error {
		calls.Add(1)
		assert.Equal(t, "N-1", got.OutTradeNo)
		return nil
	})
	post := httptest.NewRequest(http.MethodPost, "/notify", strings.NewReader(v.Encode()))
	post.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for _, req := range []*http.Request{httptest.NewRequest(http.MethodGet, "/notify?"+v.Encode(), nil), post} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		assert.Equal(t, iepay.SuccessReply, w.Body.String())
	}
	assert.EqualValues(t, 1, calls.Load())

	huge := build(8000).Encode()
	require.Greater(t, len(huge), iepay.MaxNotificationBody)
	req := httptest.NewRequest(http.MethodPost, "/notify", strings.NewReader(huge))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	_, err = c.ParseNotificationRequest(req)
	assert.ErrorIs(t, err, iepay.ErrBadRequest)
}
