package iepay

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const payURL = "https://intlmapi.alipay.com/gateway.do?out_trade_no=202012022020515152520003&total_fee=0.01"

func createFromVector(t *testing.T, v signVector) *CreateRequest {
	t.Helper()
	p := v.Params
	r := &CreateRequest{
		PayType:     PayType(p["pay_type"]),
		OutTradeNo:  p["out_trade_no"],
		Goods:       p["goods"],
		GoodsDetail: p["goods_detail"],
		ReturnURL:   p["return_url"],
		NotifyURL:   p["notify_url"],
		TID:         p["tid"],
	}
	num := func(k string) int64 {
		if p[k] == "" {
			return 0
		}
		n, err := strconv.ParseInt(p[k], 10, 64)
		require.NoError(t, err)
		return n
	}
	r.TotalFee, r.RMBFee, r.Expired = num("total_fee"), num("rmb_fee"), int(num("expired"))
	if s, ok := p["pay_rate"]; ok {
		n, err := strconv.Atoi(s)
		require.NoError(t, err)
		r.PayRate = &n
	}
	return r
}

func TestCreateSendsSignedVectorForm(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"create IE0012", "create with rmb_fee and pay_rate"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			v := signVectorNamed(t, name)
			c, mt := mockClient(t, v.Key)
			var cap captured
			mt.RegisterResponder("POST", testBase+"api/online", respond(&cap, ok(`{"is_success":"TRUE","message":"SUCCESS","extra":{"mid":"10224","pay_type":"`+v.Params["pay_type"]+`","out_trade_no":"`+v.Params["out_trade_no"]+`","pay_url":"`+payURL+`"}}`)))

			res, err := c.Create(context.Background(), createFromVector(t, v))
			require.NoError(t, err)
			assert.Equal(t, &CreateResult{PayURL: payURL, OutTradeNo: v.Params["out_trade_no"], PayType: PayType(v.Params["pay_type"])}, res)
			assert.Equal(t, formOf(v.Params, v.Sign), cap.last(t))
			assert.Equal(t, "application/x-www-form-urlencoded; charset=utf-8", cap.ctypes[0])
		})
	}
}

func TestCreateExactBody(t *testing.T) {
	t.Parallel()
	c, mt := mockClient(t, testKey)
	var cap captured
	mt.RegisterResponder("POST", testBase+"api/online", respond(&cap, ok(`{"is_success":"TRUE","message":"SUCCESS","extra":{"pay_url":"`+payURL+`"}}`)))
	_, err := c.Create(context.Background(), &CreateRequest{
		PayType: PayTypeAlipayWeb, OutTradeNo: "202012022020515152520003", TotalFee: 1,
		Goods: "goodname", GoodsDetail: "goodsdetail", Expired: 3600,
		NotifyURL: "https://shop.example.nz/iepay/notify", ReturnURL: "https://shop.example.nz/return",
	})
	require.NoError(t, err)
	assert.Equal(t, "expired=3600&goods=goodname&goods_detail=goodsdetail&mid=10224"+
		"&notify_url=https%3A%2F%2Fshop.example.nz%2Fiepay%2Fnotify&out_trade_no=202012022020515152520003"+
		"&pay_type=IE0012&return_url=https%3A%2F%2Fshop.example.nz%2Freturn"+
		"&sign=7c78f801f621250685b74b1c88588fc7&total_fee=1&version=v1", cap.last(t))
}

func TestCreateResponses(t *testing.T) {
	t.Parallel()
	req := func() *CreateRequest {
		return &CreateRequest{PayType: PayTypeAlipayQR, OutTradeNo: "A-1", TotalFee: 999, Goods: "Tea", GoodsDetail: "Tea"}
	}
	tests := []struct {
		name    string
		steps   []step
		want    *CreateResult
		is      error  // errors.Is target
		apiMsg  string // expected APIError message
		httpErr int    // expected HTTPError status
		text    string // exact error text
		calls   int
	}{
		{name: "success", steps: []step{ok(`{"is_success":"TRUE","message":"SUCCESS","extra":{"mid":"10224","pay_type":"IE0011","out_trade_no":"A-1","pay_url":"https://qr.example/x"}}`)},
			want: &CreateResult{PayURL: "https://qr.example/x", OutTradeNo: "A-1", PayType: PayTypeAlipayQR}},
		{name: "bool and numbers", steps: []step{ok(`{"is_success":true,"message":"SUCCESS","extra":{"mid":10224,"pay_url":"https://qr.example/x"}}`)},
			want: &CreateResult{PayURL: "https://qr.example/x", OutTradeNo: "A-1", PayType: PayTypeAlipayQR}},
		{name: "BOM before JSON", steps: []step{ok("\ufeff" + `{"is_success":"TRUE","extra":{"pay_url":"u"}}`)},
			want: &CreateResult{PayURL: "u", OutTradeNo: "A-1", PayType: PayTypeAlipayQR}},
		{name: "order created", steps: []step{ok(`{"is_success":"FALSE","message":"ORDER_CREATED","extra":{"mid":"10224","pay_url":"https://qr.example/x","pay_type":"IE0011","out_trade_no":"A-1","status":"0"}}`)},
			want: &CreateResult{PayURL: "https://qr.example/x", OutTradeNo: "A-1", PayType: PayTypeAlipayQR, AlreadyCreated: true}},
		{name: "order created without pay_url", steps: []step{ok(`{"is_success":"FALSE","message":"ORDER_CREATED","extra":[]}`)},
			is: ErrOrderCreated, apiMsg: "ORDER_CREATED", text: "iepay: api/online: ORDER_CREATED"},
		{name: "sign error", steps: []step{ok(`{"is_success":"FALSE","message":"SIGN_ERROR","extra":[]}`)},
			is: ErrSign, apiMsg: "SIGN_ERROR", text: "iepay: api/online: SIGN_ERROR"},
		{name: "sign error without is_success", steps: []step{ok(`{"message":"SIGN_ERROR"}`)},
			is: ErrSign, apiMsg: "SIGN_ERROR"},
		{name: "combine error as bool false", steps: []step{ok(`{"is_success":false,"message":"COMBINE_ERROR"}`)},
			is: ErrCombine, apiMsg: "COMBINE_ERROR"},
		{name: "unknown message", steps: []step{ok(`{"is_success":"FALSE","message":"MERCHANT_DISABLED","extra":null}`)},
			apiMsg: "MERCHANT_DISABLED", text: "iepay: api/online: MERCHANT_DISABLED"},
		{name: "refusal with HTTP 500", steps: []step{{status: 500, body: `{"is_success":"FALSE","message":"PAY_ROW_ERROR"}`}},
			is: ErrPayRow, apiMsg: "PAY_ROW_ERROR", text: "iepay: api/online: PAY_ROW_ERROR (HTTP 500)"},
		{name: "order created with HTTP 500", steps: []step{{status: 500, body: `{"is_success":"FALSE","message":"ORDER_CREATED","extra":{"pay_url":"u"}}`}}, httpErr: 500},
		{name: "success with HTTP 500", steps: []step{{status: 500, body: `{"is_success":"TRUE","extra":{"pay_url":"u"}}`}}, httpErr: 500},
		{name: "success without pay_url", steps: []step{ok(`{"is_success":"TRUE","message":"SUCCESS","extra":[]}`)}, httpErr: 200},
		{name: "html error page", steps: []step{{status: 500, body: "<html><body>Internal Server Error</body></html>", ctype: "text/html"}}, httpErr: 500},
		{name: "php warning before JSON", steps: []step{ok(`Warning: mysql_connect() failed {"is_success":"TRUE"}`)}, httpErr: 200},
		{name: "empty body", steps: []step{ok("")}, httpErr: 200},
		{name: "is_success odd", steps: []step{ok(`{"is_success":"MAYBE"}`)}, httpErr: 200},
		{name: "no envelope", steps: []step{ok(`{"foo":1}`)}, httpErr: 200},
		{name: "502 html is retried", steps: []step{{status: 502, body: "<html>Bad Gateway</html>"}}, httpErr: 502, calls: 3},
		{name: "503 then success", steps: []step{{status: 503, body: "busy"}, ok(`{"is_success":"TRUE","extra":{"pay_url":"u"}}`)},
			want: &CreateResult{PayURL: "u", OutTradeNo: "A-1", PayType: PayTypeAlipayQR}, calls: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, mt := mockClient(t, testKey)
			var cap captured
			mt.RegisterResponder("POST", testBase+"api/online", respond(&cap, tt.steps...))
			res, err := c.Create(context.Background(), req())
			calls := tt.calls
			if calls == 0 {
				calls = 1
			}
			assert.Equal(t, calls, cap.count(), "attempts")
			if tt.want != nil {
				require.NoError(t, err)
				assert.Equal(t, tt.want, res)
				return
			}
			require.Error(t, err)
			assert.Nil(t, res)
			assert.NotContains(t, err.Error(), testKey)
			if tt.apiMsg != "" {
				var ae *APIError
				require.ErrorAs(t, err, &ae)
				assert.Equal(t, tt.apiMsg, ae.Message)
				assert.Equal(t, "api/online", ae.Endpoint)
			}
			if tt.is != nil {
				assert.ErrorIs(t, err, tt.is)
			}
			for _, other := range []error{ErrSign, ErrCombine, ErrBalance, ErrPaymentStatus, ErrPayRow, ErrOrderCreated} {
				if other != tt.is {
					assert.NotErrorIs(t, err, other)
				}
			}
			if tt.httpErr != 0 {
				var he *HTTPError
				require.ErrorAs(t, err, &he)
				assert.Equal(t, tt.httpErr, he.StatusCode)
				assert.True(t, strings.HasPrefix(err.Error(), "iepay: POST "+testBase+"api/online: HTTP "), err.Error())
			}
			if tt.text != "" {
				assert.Equal(t, tt.text, err.Error())
			}
		})
	}
}

func TestCreateValidation(t *testing.T) {
	t.Parallel()
	valid := func() CreateRequest {
		return CreateRequest{PayType: PayTypeWeChatQR, OutTradeNo: "W-1", TotalFee: 100, Goods: "Tea", GoodsDetail: "Tea"}
	}
	intp := func(n int) *int { return &n }
	tests := []struct {
		name  string
		edit  func(r *CreateRequest)
		field string
	}{
		{"no pay type", func(r *CreateRequest) { r.PayType = "" }, "pay_type"},
		{"pay type too long", func(r *CreateRequest) { r.PayType = "IE00110000" }, "pay_type"},
		{"pay type with space", func(r *CreateRequest) { r.PayType = "IE 11" }, "pay_type"},
		{"mini program", func(r *CreateRequest) { r.PayType = PayTypeWeChatMiniProgram }, "pay_type"},
		{"in-store", func(r *CreateRequest) { r.PayType = PayTypeAlipayBarcode }, "pay_type"},
		{"no out_trade_no", func(r *CreateRequest) { r.OutTradeNo = "" }, "out_trade_no"},
		{"out_trade_no 33 for WeChat", func(r *CreateRequest) { r.OutTradeNo = strings.Repeat("1", 33) }, "out_trade_no"},
		{"out_trade_no 65", func(r *CreateRequest) { r.PayType = PayTypeAlipayQR; r.OutTradeNo = strings.Repeat("1", 65) }, "out_trade_no"},
		{"out_trade_no space", func(r *CreateRequest) { r.OutTradeNo = "A 1" }, "out_trade_no"},
		{"out_trade_no ampersand", func(r *CreateRequest) { r.OutTradeNo = "A&sign=1" }, "out_trade_no"},
		{"out_trade_no non-ASCII", func(r *CreateRequest) { r.OutTradeNo = "订单1" }, "out_trade_no"},
		{"no amount", func(r *CreateRequest) { r.TotalFee = 0 }, "total_fee"},
		{"negative amount", func(r *CreateRequest) { r.TotalFee = -1 }, "total_fee"},
		{"negative rmb", func(r *CreateRequest) { r.TotalFee = 0; r.RMBFee = -5 }, "rmb_fee"},
		{"both amounts", func(r *CreateRequest) { r.PayType = PayTypeAlipayWeb; r.RMBFee = 5 }, "total_fee"},
		{"rmb for WeChat", func(r *CreateRequest) { r.TotalFee = 0; r.RMBFee = 5 }, "rmb_fee"},
		{"no goods", func(r *CreateRequest) { r.Goods = "" }, "goods"},
		{"goods 65 bytes", func(r *CreateRequest) { r.Goods = strings.Repeat("g", 65) }, "goods"},
		{"goods 22 CJK = 66 bytes", func(r *CreateRequest) { r.Goods = strings.Repeat("茶", 22) }, "goods"},
		{"goods ampersand", func(r *CreateRequest) { r.Goods = "Tea & cake" }, "goods"},
		{"goods quote", func(r *CreateRequest) { r.Goods = `Tea "green"` }, "goods"},
		{"goods newline", func(r *CreateRequest) { r.Goods = "Tea\ncake" }, "goods"},
		{"goods invalid UTF-8", func(r *CreateRequest) { r.Goods = "Tea\xff" }, "goods"},
		{"no goods_detail", func(r *CreateRequest) { r.GoodsDetail = "" }, "goods_detail"},
		{"goods_detail 129", func(r *CreateRequest) { r.GoodsDetail = strings.Repeat("d", 129) }, "goods_detail"},
		{"goods_detail percent", func(r *CreateRequest) { r.GoodsDetail = "100%" }, "goods_detail"},
		{"expired negative", func(r *CreateRequest) { r.Expired = -1 }, "expired"},
		{"return_url relative", func(r *CreateRequest) { r.ReturnURL = "/return" }, "return_url"},
		{"notify_url ftp", func(r *CreateRequest) { r.NotifyURL = "ftp://shop.example/n" }, "notify_url"},
		{"notify_url no host", func(r *CreateRequest) { r.NotifyURL = "https:///n" }, "notify_url"},
		{"pay_rate 31", func(r *CreateRequest) { r.PayRate = intp(31) }, "pay_rate"},
		{"pay_rate -1", func(r *CreateRequest) { r.PayRate = intp(-1) }, "pay_rate"},
		{"tid letters", func(r *CreateRequest) { r.TID = "T7" }, "tid"},
	}
	c, mt := mockClient(t, testKey)
	var cap captured
	mt.RegisterResponder("POST", testBase+"api/online", respond(&cap, ok(`{"is_success":"TRUE","extra":{"pay_url":"u"}}`)))
	for _, tt := range tests {
		r := valid()
		tt.edit(&r)
		_, err := c.Create(context.Background(), &r)
		var fe *FieldError
		if assert.ErrorAs(t, err, &fe, tt.name) {
			assert.Equal(t, tt.field, fe.Field, tt.name)
			assert.ErrorIs(t, err, ErrInvalidRequest, tt.name)
			assert.True(t, strings.HasPrefix(err.Error(), "iepay: "+tt.field+": "), err.Error())
		}
	}
	assert.Equal(t, 0, cap.count(), "an invalid request reached the gateway")

	// The edges that are allowed.
	for _, r := range []CreateRequest{
		{PayType: PayTypeWeChatQR, OutTradeNo: strings.Repeat("1", 32), TotalFee: 1, Goods: strings.Repeat("g", 64), GoodsDetail: strings.Repeat("d", 128)},
		{PayType: PayTypeAlipayQR, OutTradeNo: strings.Repeat("1", 64), TotalFee: 1, Goods: "Green tea 100g (loose-leaf)", GoodsDetail: "Loose-leaf", PayRate: intp(30)},
		{PayType: PayTypeAlipayMobileWeb, OutTradeNo: "R-1", RMBFee: 1, Goods: "茶叶", GoodsDetail: "绿茶", PayRate: intp(0), TID: "7"},
		{PayType: "IE0099", OutTradeNo: "X-1", TotalFee: 1, Goods: "Tea", GoodsDetail: "Tea"},
	} {
		_, err := c.Create(context.Background(), &r)
		assert.NoError(t, err, r.OutTradeNo)
	}
}

func TestNilArguments(t *testing.T) {
	t.Parallel()
	c, _ := mockClient(t, testKey)
	//lint:ignore SA1012 a nil context must be an error, not a panic
	_, err := c.Create(nil, &CreateRequest{}) //nolint:staticcheck
	assert.EqualError(t, err, "iepay: nil context.Context")
	_, err = c.Create(context.Background(), nil)
	assert.EqualError(t, err, "iepay: nil *CreateRequest")
	_, err = c.CreateMiniProgram(context.Background(), nil)
	assert.EqualError(t, err, "iepay: nil *MiniProgramRequest")
	_, err = c.Check(context.Background(), nil)
	assert.EqualError(t, err, "iepay: nil *CheckRequest")
	_, err = c.Refund(context.Background(), nil)
	assert.EqualError(t, err, "iepay: nil *RefundRequest")
}

func TestCreateContextCanceled(t *testing.T) {
	t.Parallel()
	c, mt := mockClient(t, testKey)
	var cap captured
	mt.RegisterResponder("POST", testBase+"api/online", respond(&cap, ok(`{}`)))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := c.Create(ctx, &CreateRequest{PayType: PayTypeAlipayQR, OutTradeNo: "A-1", TotalFee: 1, Goods: "Tea", GoodsDetail: "Tea"})
	var te *TransportError
	require.ErrorAs(t, err, &te)
	assert.True(t, errors.Is(err, context.Canceled), err.Error())
}
