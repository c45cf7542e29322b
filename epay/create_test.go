package epay

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func kyrenCreate() *CreateRequest {
	return &CreateRequest{
		Type: TypeWxPay, OutTradeNo: "ORDER_10002", NotifyURL: "https://merchant.example.com/notify",
		Name: "AI credits", Money: "9.99", ClientIP: "203.0.113.10", Device: DeviceMobile,
		DisplayMerchantName: "Campaign Store", MoneyType: "CNY",
	}
}

// The vector's exact form body goes to <base>mapi.php.
func TestCreateSendsExactSignedForm(t *testing.T) {
	t.Parallel()
	v := loadVectors(t).EpaySign[2]
	c, mt := newMock(t, v.Params["pid"], v.Key)
	rec := &recorder{}
	mt.RegisterResponder("POST", testBase+"mapi.php", rec.responder(t,
		jsonResp(200, `{"code":1,"trade_no":"2026112212000012345","payurl":"https://pay.example.com/pay/x"}`)))
	res, err := c.Create(context.Background(), kyrenCreate())
	require.NoError(t, err)
	got := rec.only(t)
	assert.Equal(t, "POST", got.Method)
	assert.Equal(t, "/epay/mapi.php", got.Path)
	assert.Equal(t, "", got.RawQuery)
	assert.Equal(t, "application/x-www-form-urlencoded; charset=utf-8", got.ContentType)
	assert.Equal(t, "clientip=203.0.113.10&device=mobile&display_merchant_name=Campaign+Store&money=9.99"+
		"&money_type=CNY&name=AI+credits&notify_url=https%3A%2F%2Fmerchant.example.com%2Fnotify"+
		"&out_trade_no=ORDER_10002&pid=10001&sign=60bab95b311a3b9248fd787cdaa81280&sign_type=MD5&type=wxpay", got.Body)
	assert.Equal(t, v.Sign, got.Form.Get("sign"))
	assert.Equal(t, &CreateResult{TradeNo: "2026112212000012345", PayURL: "https://pay.example.com/pay/x"}, res)
	a, val := res.Action()
	assert.Equal(t, ActionPayURL, a)
	assert.Equal(t, "https://pay.example.com/pay/x", val)
}

func TestCreateChannelParamSignedRaw(t *testing.T) {
	t.Parallel()
	v := loadVectors(t).EpaySign[7]
	require.Equal(t, "merch_001", v.Params["pid"])
	c, mt := newMock(t, v.Params["pid"], v.Key)
	rec := &recorder{}
	mt.RegisterResponder("POST", testBase+"mapi.php", rec.responder(t,
		jsonResp(200, `{"code":1,"trade_no":"K1","out_trade_no":"CC-9","img":"https://k/qr.png"}`)))
	res, err := c.Create(context.Background(), &CreateRequest{
		Type: TypeCreditCard, OutTradeNo: "CC-9", NotifyURL: "https://m.example/n", Name: "Card", Money: "12.30",
		ClientIP: "198.51.100.7", ChannelParam: `{"cardNo":"4111111111111111","email":"a@b.c"}`,
	})
	require.NoError(t, err)
	got := rec.only(t)
	assert.Equal(t, v.Sign, got.Form.Get("sign"))
	assert.Equal(t, `{"cardNo":"4111111111111111","email":"a@b.c"}`, got.Form.Get("channel_param"))
	assert.Equal(t, "merch_001", got.Form.Get("pid"))
	assert.Len(t, got.Form, 10)
	a, val := res.Action()
	assert.Equal(t, ActionImg, a)
	assert.Equal(t, "https://k/qr.png", val)
	assert.Equal(t, "CC-9", res.OutTradeNo)
}

func TestCreateResponseVariants(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, body string
		want       CreateResult
		action     Action
	}{
		{"code as string", `{"code":"1","msg":"succ","trade_no":"T1","qrcode":"weixin://wxpay/bizpayurl?pr=abc"}`,
			CreateResult{TradeNo: "T1", QRCode: "weixin://wxpay/bizpayurl?pr=abc"}, ActionQRCode},
		{"urlscheme", `{"code":1,"trade_no":"T2","urlscheme":"alipays://platformapi/startapp?x=1"}`,
			CreateResult{TradeNo: "T2", URLScheme: "alipays://platformapi/startapp?x=1"}, ActionURLScheme},
		{"html", `{"code":1,"trade_no":"T3","html":"<form id=\"f\"></form>"}`,
			CreateResult{TradeNo: "T3", HTML: `<form id="f"></form>`}, ActionHTML},
		{"kyren payurl qrcode img", `{"code":1,"trade_no":"K202605260001","out_trade_no":"ORDER_10002","payurl":"https://api.kyren.top/epay/redirect/order_abc123","qrcode":"https://api.kyren.top/epay/qr/order_abc123","img":"https://api.kyren.top/epay/qr/order_abc123.png"}`,
			CreateResult{TradeNo: "K202605260001", OutTradeNo: "ORDER_10002", PayURL: "https://api.kyren.top/epay/redirect/order_abc123",
				QRCode: "https://api.kyren.top/epay/qr/order_abc123", Img: "https://api.kyren.top/epay/qr/order_abc123.png"}, ActionPayURL},
		{"numeric trade_no and BOM", "\xef\xbb\xbf{\"code\":1,\"trade_no\":2026112212000012345,\"payurl\":\"https://p/x\"}",
			CreateResult{TradeNo: "2026112212000012345", PayURL: "https://p/x"}, ActionPayURL},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, mt := newMock(t, "10001", "k3y")
			mt.RegisterResponder("POST", testBase+"mapi.php", jsonResp(200, tc.body))
			res, err := c.Create(context.Background(), kyrenCreate())
			require.NoError(t, err)
			assert.Equal(t, tc.want, *res)
			a, _ := res.Action()
			assert.Equal(t, tc.action, a)
		})
	}
}

func TestCreateErrors(t *testing.T) {
	t.Parallel()
	type check func(t *testing.T, err error)
	apiErr := func(code int, msg string, status int, is ...error) check {
		return func(t *testing.T, err error) {
			var ae *APIError
			require.ErrorAs(t, err, &ae)
			assert.Equal(t, &APIError{Code: code, Msg: msg, HTTPStatus: status, Endpoint: "mapi.php"}, ae)
			for _, target := range is {
				assert.ErrorIs(t, err, target)
			}
		}
	}
	httpErr := func(status int, reason, excerpt string) check {
		return func(t *testing.T, err error) {
			var he *HTTPError
			require.ErrorAs(t, err, &he)
			assert.Equal(t, status, he.StatusCode)
			assert.Equal(t, reason, he.Reason)
			assert.Equal(t, excerpt, he.Excerpt)
			assert.True(t, strings.HasPrefix(err.Error(), "epay: POST https://pay.example.com/epay/mapi.php: HTTP "), err.Error())
		}
	}
	cases := []struct {
		name   string
		status int
		body   string
		check  check
		text   string
	}{
		{"kyren ip allowlist", 200, `{"code":0,"msg":"IP not allowed"}`, apiErr(0, "IP not allowed", 200, ErrIPNotAllowed),
			"epay: mapi.php: code 0: IP not allowed"},
		{"bad sign", 200, `{"code":-3,"msg":"签名校验失败！"}`, apiErr(-3, "签名校验失败！", 200, ErrBadSignature),
			"epay: mapi.php: code -3: 签名校验失败！"},
		{"missing", 200, `{"code":"-4","msg":"缺少参数 clientip"}`, apiErr(-4, "缺少参数 clientip", 200, ErrMissingParams), ""},
		{"exists", 200, `{"code":-1,"msg":"该订单号已存在，请更换订单号"}`, apiErr(-1, "该订单号已存在，请更换订单号", 200, ErrOrderExists), ""},
		{"api error on 500", 500, `{"code":-2,"msg":"channel down"}`, apiErr(-2, "channel down", 500),
			"epay: mapi.php: code -2 (HTTP 500): channel down"},
		{"html page", 200, "<!DOCTYPE html><html><body>系统维护中</body></html>",
			httpErr(200, "expected a JSON object", "<!DOCTYPE html><html><body>系统维护中</body></html>"), ""},
		{"empty body", 200, "", httpErr(200, "expected JSON", ""),
			"epay: POST https://pay.example.com/epay/mapi.php: HTTP 200: expected JSON: empty body"},
		{"php warning", 200, "<br />\n<b>Warning</b>: x in /www/mapi.php<br />{\"code\":1}", httpErr(200, "expected a JSON object", "<br />\n<b>Warning</b>: x in /www/mapi.php<br />{\"code\":1}"), ""},
		{"no code", 200, `{"msg":"ok"}`, httpErr(200, "JSON answer without a code", `{"msg":"ok"}`), ""},
		{"404 json without code", 404, `{"error":"no route"}`, httpErr(404, "HTTP error status", `{"error":"no route"}`), ""},
		{"success code on 500", 500, `{"code":1,"payurl":"x"}`, httpErr(500, "HTTP error status with a success code", `{"code":1,"payurl":"x"}`), ""},
		{"no pay field", 200, `{"code":1,"trade_no":"T"}`, httpErr(200, "success answer without payurl, qrcode, urlscheme, html or img", `{"code":1,"trade_no":"T"}`), ""},
		{"truncated", 200, `{"code":1,"payurl":"htt`, httpErr(200, "malformed JSON", `{"code":1,"payurl":"htt`), ""},
		{"code not a number", 200, `{"code":"ok"}`, httpErr(200, "malformed JSON", `{"code":"ok"}`), ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, mt := newMock(t, "10001", "k3y", WithRetries(0))
			mt.RegisterResponder("POST", testBase+"mapi.php", jsonResp(tc.status, tc.body))
			res, err := c.Create(context.Background(), kyrenCreate())
			require.Error(t, err)
			assert.Nil(t, res)
			tc.check(t, err)
			if tc.text != "" {
				assert.EqualError(t, err, tc.text)
			}
			assert.NotContains(t, err.Error(), "k3y")
		})
	}
}

func TestAPIErrorIs(t *testing.T) {
	t.Parallel()
	all := []error{ErrBadSignature, ErrIPNotAllowed, ErrOrderNotFound, ErrMissingParams, ErrOrderExists}
	for _, tc := range []struct {
		code int
		msg  string
		want []error
	}{
		{-3, "商户密钥错误", []error{ErrBadSignature}},
		{-1, "Sign verification failed", []error{ErrBadSignature}},
		{0, "ip NOT allowed", []error{ErrIPNotAllowed}},
		{0, "order not found", []error{ErrOrderNotFound}},
		{-1, "订单不存在", []error{ErrOrderNotFound}},
		{-1, "Order does not exist", []error{ErrOrderNotFound}},
		{-4, "", []error{ErrMissingParams}},
		{-1, "Missing parameter money", []error{ErrMissingParams}},
		{-1, "order already exists", []error{ErrOrderExists}},
		{-1, "channel down", nil},
		{-1, "invalid signature", []error{ErrBadSignature}},
		{0, "sign error", []error{ErrBadSignature}},
		{-1, "template design unavailable", nil},
		{-1, "signup required", nil},
	} {
		err := error(&APIError{Code: tc.code, Msg: tc.msg})
		for _, target := range all {
			want := false
			for _, w := range tc.want {
				want = want || w == target
			}
			assert.Equal(t, want, errors.Is(err, target), "%d %q %v", tc.code, tc.msg, target)
		}
	}
}

func TestCreateRetriesThenSucceeds(t *testing.T) {
	t.Parallel()
	c, mt := newMock(t, "10001", "k3y")
	rec := &recorder{}
	mt.RegisterResponder("POST", testBase+"mapi.php", rec.responder(t,
		jsonResp(502, "<html>502 Bad Gateway</html>"),
		jsonResp(200, `{"code":1,"trade_no":"T1","payurl":"https://p/x"}`)))
	res, err := c.Create(context.Background(), kyrenCreate())
	require.NoError(t, err)
	assert.Equal(t, "T1", res.TradeNo)
	reqs := rec.all()
	require.Len(t, reqs, 2)
	assert.Equal(t, reqs[0].Body, reqs[1].Body, "the retry sends the same signed form")
}

func TestCreateTransportFailure(t *testing.T) {
	t.Parallel()
	c, mt := newMock(t, "10001", "k3y", WithRetries(1))
	rec := &recorder{}
	mt.RegisterResponder("POST", testBase+"mapi.php", rec.responder(t,
		httpmock.NewErrorResponder(errors.New("connection reset by peer"))))
	_, err := c.Create(context.Background(), kyrenCreate())
	var te *TransportError
	require.ErrorAs(t, err, &te)
	assert.Equal(t, 2, te.Attempts)
	assert.Len(t, rec.all(), 2, "create is safe to retry")
	assert.True(t, strings.HasPrefix(err.Error(), "epay: POST https://pay.example.com/epay/mapi.php"), err.Error())
}

func TestCreateHonoursContext(t *testing.T) {
	t.Parallel()
	c, mt := newMock(t, "10001", "k3y")
	mt.RegisterResponder("POST", testBase+"mapi.php", jsonResp(200, `{"code":1,"payurl":"x"}`))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := c.Create(ctx, kyrenCreate())
	assert.ErrorIs(t, err, context.Canceled)
}

func TestCreateValidation(t *testing.T) {
	t.Parallel()
	c, mt := newMock(t, "10001", "k3y")
	rec := &recorder{}
	mt.RegisterResponder("POST", testBase+"mapi.php", rec.responder(t, jsonResp(200, `{"code":1,"payurl":"x"}`)))
	cases := []struct {
		edit       func(*CreateRequest)
		field, msg string
	}{
		{func(r *CreateRequest) { r.ClientIP = "" }, "clientip", "epay: clientip: required: the buyer's IP address"},
		{func(r *CreateRequest) { r.ClientIP = "example.com" }, "clientip", "epay: clientip: not an IP address"},
		{func(r *CreateRequest) { r.ClientIP = "203.0.113.10:443" }, "clientip", "not an IP address"},
		{func(r *CreateRequest) { r.Money = "9.999" }, "money", "at most 2 decimals"},
		{func(r *CreateRequest) { r.ReturnURL = "not a url" }, "return_url", "spaces"},
		{func(r *CreateRequest) { r.ReturnURL = "mailto:a@b.c" }, "return_url", "absolute http or https"},
		{func(r *CreateRequest) { r.NotifyURL = "https://m.example/n?x=1" }, "notify_url", "query string"},
		{func(r *CreateRequest) { r.Extra = map[string]string{"clientip": "1.2.3.4"} }, "Extra", "repeats a request field"},
		{func(r *CreateRequest) { r.Extra = map[string]string{"channel_param": "{}"} }, "Extra", "repeats a request field"},
		{func(r *CreateRequest) { r.ChannelParam = "{\x01}" }, "channel_param", "control characters"},
		{func(r *CreateRequest) { r.OutTradeNo = "A/B" }, "out_trade_no", "only letters"},
	}
	for _, tc := range cases {
		r := kyrenCreate()
		tc.edit(r)
		_, err := c.Create(context.Background(), r)
		var fe *FieldError
		require.ErrorAs(t, err, &fe, tc.msg)
		assert.Equal(t, tc.field, fe.Field)
		assert.Contains(t, err.Error(), tc.msg)
	}
	assert.Empty(t, rec.all(), "nothing is sent for an invalid request")

	r := kyrenCreate()
	r.ClientIP = "2001:db8::1"
	r.ReturnURL = "https://m.example/r?order=1"
	r.Extra = map[string]string{"sitename": "Shop"}
	_, err := c.Create(context.Background(), r)
	require.NoError(t, err)
	got := rec.only(t)
	assert.Equal(t, "2001:db8::1", got.Form.Get("clientip"))
	assert.Equal(t, "Shop", got.Form.Get("sitename"))
	assert.Equal(t, "https://m.example/r?order=1", got.Form.Get("return_url"))
}

func TestActionString(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "payurl", ActionPayURL.String())
	assert.Equal(t, "img", ActionImg.String())
	assert.Equal(t, "none", ActionNone.String())
	assert.Equal(t, "Action(9)", Action(9).String())
	var r *CreateResult
	a, v := r.Action()
	assert.Equal(t, ActionNone, a)
	assert.Equal(t, "", v)
}

// dialRefused fails like a connection that could not be made.
func dialRefused(*http.Request) (*http.Response, error) {
	return nil, &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}
}
