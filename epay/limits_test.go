package epay_test

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

	"github.com/epaykit/epaykit/epay"
	"github.com/epaykit/epaykit/epay/epaytest"
	"github.com/epaykit/epaykit/notify"
	"github.com/epaykit/epaykit/sign"
)

// TestLimitsRejectedBeforeSending: each bad create, checkout, refund and
// query is refused with a *FieldError naming the wire field, and the
// gateway sees no request at all.
func TestLimitsRejectedBeforeSending(t *testing.T) {
	t.Parallel()
	r := newRig(t, nil)
	ok := func(edit func(*epay.CreateRequest)) *epay.CreateRequest {
		req := createReq("LIM-1")
		edit(req)
		return req
	}
	creates := []struct {
		name  string
		req   *epay.CreateRequest
		field string
	}{
		{"name of 128 bytes", ok(func(q *epay.CreateRequest) { q.Name = strings.Repeat("n", 128) }), "name"},
		{"name of 43 CJK characters (129 bytes)", ok(func(q *epay.CreateRequest) { q.Name = strings.Repeat("茶", 43) }), "name"},
		{"name not UTF-8", ok(func(q *epay.CreateRequest) { q.Name = "Tea \xff\xfe" }), "name"},
		{"name with NUL", ok(func(q *epay.CreateRequest) { q.Name = "Tea\x00" }), "name"},
		{"name with newline", ok(func(q *epay.CreateRequest) { q.Name = "Tea\nSet-Cookie: x" }), "name"},
		{"name with C1 control", ok(func(q *epay.CreateRequest) { q.Name = "Tea\u0085" }), "name"},
		{"name only spaces", ok(func(q *epay.CreateRequest) { q.Name = "   " }), "name"},
		{"money negative", ok(func(q *epay.CreateRequest) { q.Money = "-1.00" }), "money"},
		{"money 3 decimals", ok(func(q *epay.CreateRequest) { q.Money = "1.005" }), "money"},
		{"money 3 decimals ending in 0", ok(func(q *epay.CreateRequest) { q.Money = "1.000" }), "money"},
		{"money zero", ok(func(q *epay.CreateRequest) { q.Money = "0.00" }), "money"},
		{"money exponent", ok(func(q *epay.CreateRequest) { q.Money = "1e3" }), "money"},
		{"money with space", ok(func(q *epay.CreateRequest) { q.Money = " 9.99" }), "money"},
		{"money full-width digits", ok(func(q *epay.CreateRequest) { q.Money = "９.９９" }), "money"},
		{"money overflowing int64 cents", ok(func(q *epay.CreateRequest) { q.Money = "92233720368547758.08" }), "money"},
		{"out_trade_no with a space", ok(func(q *epay.CreateRequest) { q.OutTradeNo = "LIM 1" }), "out_trade_no"},
		{"out_trade_no with a leading space", ok(func(q *epay.CreateRequest) { q.OutTradeNo = " LIM-1" }), "out_trade_no"},
		{"out_trade_no with a trailing space", ok(func(q *epay.CreateRequest) { q.OutTradeNo = "LIM-1 " }), "out_trade_no"},
		{"out_trade_no of 65 bytes", ok(func(q *epay.CreateRequest) { q.OutTradeNo = strings.Repeat("9", 65) }), "out_trade_no"},
		{"out_trade_no not ASCII", ok(func(q *epay.CreateRequest) { q.OutTradeNo = "订单1" }), "out_trade_no"},
		{"out_trade_no with &", ok(func(q *epay.CreateRequest) { q.OutTradeNo = "A&money=0.01" }), "out_trade_no"},
		{"param not UTF-8", ok(func(q *epay.CreateRequest) { q.Param = "\xc3\x28" }), "param"},
		{"param with control", ok(func(q *epay.CreateRequest) { q.Param = "a\x1bb" }), "param"},
		{"notify_url with a space", ok(func(q *epay.CreateRequest) { q.NotifyURL = "https://shop.example.com/a b" }), "notify_url"},
		{"notify_url with a query", ok(func(q *epay.CreateRequest) { q.NotifyURL = "https://shop.example.com/n?order=1" }), "notify_url"},
		{"notify_url not http", ok(func(q *epay.CreateRequest) { q.NotifyURL = "javascript:alert(1)" }), "notify_url"},
		{"return_url with CR", ok(func(q *epay.CreateRequest) { q.ReturnURL = "https://shop.example.com/\r" }), "return_url"},
		{"clientip not an IP", ok(func(q *epay.CreateRequest) { q.ClientIP = "localhost" }), "clientip"},
		{"Extra sets sign", ok(func(q *epay.CreateRequest) { q.Extra = map[string]string{"sign": "x"} }), "Extra"},
		{"Extra repeats money", ok(func(q *epay.CreateRequest) { q.Extra = map[string]string{"money": "0.01"} }), "Extra"},
	}
	ctx := context.Background()
	for _, tc := range creates {
		_, err := r.c.Create(ctx, tc.req)
		assertField(t, tc.name, err, tc.field)

		_, err = r.c.CheckoutURL(&epay.CheckoutRequest{
			Type: tc.req.Type, OutTradeNo: tc.req.OutTradeNo, NotifyURL: tc.req.NotifyURL,
			ReturnURL: "https://shop.example.com/return", Name: tc.req.Name, Money: tc.req.Money,
			Param: tc.req.Param, Extra: tc.req.Extra,
		})
		if tc.field != "clientip" && tc.field != "return_url" {
			assertField(t, "checkout: "+tc.name, err, tc.field)
		}
	}

	refunds := []struct {
		name  string
		req   *epay.RefundRequest
		field string
	}{
		{"negative", &epay.RefundRequest{OutTradeNo: "LIM-1", Money: "-0.01"}, "money"},
		{"3 decimals", &epay.RefundRequest{OutTradeNo: "LIM-1", Money: "0.001"}, "money"},
		{"empty money", &epay.RefundRequest{OutTradeNo: "LIM-1"}, "money"},
		{"control in out_trade_no", &epay.RefundRequest{OutTradeNo: "LIM-1\n", Money: "1"}, "out_trade_no"},
		{"not UTF-8 trade_no", &epay.RefundRequest{TradeNo: "\xff", Money: "1"}, "trade_no"},
		{"no order", &epay.RefundRequest{Money: "1"}, ""},
	}
	for _, tc := range refunds {
		_, err := r.c.Refund(ctx, tc.req)
		assertField(t, "refund "+tc.name, err, tc.field)
	}
	_, err := r.c.QueryOrder(ctx, &epay.OrderQuery{OutTradeNo: "LIM\x00"})
	assertField(t, "query with NUL", err, "out_trade_no")
	_, err = r.c.QueryOrder(ctx, &epay.OrderQuery{TradeNo: strings.Repeat("1", 257)})
	assertField(t, "query with a long trade_no", err, "trade_no")

	assert.Empty(t, r.gw.Requests(), "nothing may reach the gateway")
	assert.Empty(t, r.events.all(), "no HTTP attempt may be made")
}

// assertField checks that err is a *FieldError for field (any field when
// field is empty), that matches ErrInvalidRequest and names the field.
func assertField(t *testing.T, name string, err error, field string) {
	t.Helper()
	var fe *epay.FieldError
	if !assert.ErrorAs(t, err, &fe, name) {
		return
	}
	assert.ErrorIs(t, err, epay.ErrInvalidRequest, name)
	if field != "" {
		assert.Equal(t, field, fe.Field, name)
		assert.Contains(t, err.Error(), field, name)
	}
	assert.True(t, strings.HasPrefix(err.Error(), "epay: "), name)
}

// manyParams returns a notification for order N-1 of 9.99 with n extra
// fields f0000=v0000, ..., signed with key when sig is true.
func manyParams(n int, key string, sig bool) url.Values {
	v := url.Values{"pid": {"1001"}, "trade_no": {"2026010112000000001"}, "out_trade_no": {"N-1"},
		"type": {"alipay"}, "name": {"Tea"}, "money": {"9.99"}, "trade_status": {"TRADE_SUCCESS"}}
	for i := 0; i < n; i++ {
		v.Set(fmt.Sprintf("f%04d", i), fmt.Sprintf("v%04d", i))
	}
	m, _ := sign.Flatten(v)
	if sig {
		v.Set("sign", sign.Epay(m, key))
	} else {
		without := url.Values{}
		for k, s := range v {
			if !strings.HasPrefix(k, "f") {
				without[k] = s
			}
		}
		w, _ := sign.Flatten(without)
		v.Set("sign", sign.Epay(w, key)) // signs only the real fields
	}
	v.Set("sign_type", "MD5")
	return v
}

// TestLimitsThousandNotificationParams decides what 1,000 parameters in a
// notification mean. Epay signs every field it sends, so:
//   - 1,000 extra fields that the signature covers are a valid notification
//     (a gateway may add fields); they are kept in Raw and nothing else
//     changes. The 64 KiB body limit bounds the work.
//   - 1,000 fields added to a genuine notification (not covered by its
//     signature) make it fail verification: ErrBadSignature.
//   - a repeated field among them is ErrDuplicateParam.
func TestLimitsThousandNotificationParams(t *testing.T) {
	t.Parallel()
	const key = extKey
	c, err := epay.New("https://pay.example.com/epay/", "1001", key)
	require.NoError(t, err)

	signed := manyParams(1000, key, true)
	n, err := c.ParseNotification(signed)
	require.NoError(t, err)
	assert.Equal(t, "N-1", n.OutTradeNo)
	assert.Equal(t, "9.99", n.Money)
	assert.Len(t, n.Raw, 1000+9)
	assert.Equal(t, "v0999", n.Raw["f0999"])

	_, err = c.ParseNotification(manyParams(1000, key, false))
	assert.ErrorIs(t, err, epay.ErrBadSignature)

	dup := manyParams(1000, key, true)
	dup.Add("f0500", "other")
	_, err = c.ParseNotification(dup)
	assert.ErrorIs(t, err, epay.ErrDuplicateParam)

	// Through HTTP: GET and POST both work under the body limit, and the
	// notify handler calls the merchant's function once.
	var calls atomic.Int32
	h := notify.Epay(c, func(_ context.Context, n *epay.Notification) error {
		calls.Add(1)
		return nil
	})
	for _, req := range []*http.Request{
		httptest.NewRequest(http.MethodGet, "/notify?"+signed.Encode(), nil),
		postForm("/notify", signed.Encode()),
	} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		assert.Equal(t, epay.SuccessReply, w.Body.String())
	}
	assert.EqualValues(t, 1, calls.Load())
	n, err = c.ParseNotificationRequest(postForm("/notify", signed.Encode()))
	require.NoError(t, err)
	assert.Len(t, n.Raw, 1009)

	// Beyond the body limit the request is refused before parsing.
	huge := manyParams(8000, key, true).Encode()
	require.Greater(t, len(huge), epay.MaxNotificationBody)
	_, err = c.ParseNotificationRequest(postForm("/notify", huge))
	assert.ErrorIs(t, err, epay.ErrBodyTooLarge)
}

// TestLimitsGatewayStoredName: a name at the limit (127 bytes) is sent and
// stored unchanged.
func TestLimitsGatewayStoredName(t *testing.T) {
	t.Parallel()
	r := newRig(t, []epaytest.Option{})
	req := createReq("LIM-2")
	req.Name = strings.Repeat("茶", 42) + "a" // 127 bytes
	_, err := r.c.Create(context.Background(), req)
	require.NoError(t, err)
	o, _ := r.gw.Order("LIM-2")
	assert.Equal(t, req.Name, o.Name)
}
