package iepaytest

import (
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/epaykit/epaykit/internal/fakegw"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const vectorKey = "e560fb2e61e4d1fe6a11c278388cb965"

type vector struct {
	Name   string            `json:"name"`
	Key    string            `json:"key"`
	Params map[string]string `json:"params"`
	Sign   string            `json:"sign"`
}

func loadVectors(t *testing.T) map[string]vector {
	t.Helper()
	b, err := os.ReadFile("testdata/vectors.json")
	require.NoError(t, err)
	var f struct {
		Sign []vector `json:"iepay_sign"`
	}
	require.NoError(t, json.Unmarshal(b, &f))
	out := map[string]vector{}
	for _, v := range f.Sign {
		out[v.Name] = v
	}
	return out
}

// vectorForm is the vector's params with its known-answer sign.
func vectorForm(v vector) url.Values {
	f := url.Values{}
	for k, x := range v.Params {
		f.Set(k, x)
	}
	f.Set("sign", v.Sign)
	return f
}

func TestVectorsAcceptedAsSigned(t *testing.T) {
	t.Parallel()
	vs := loadVectors(t)
	s := newServer(t, WithMerchant("10224", vectorKey))

	r := post(t, s, "api/online", vectorForm(vs["create IE0012"]))
	assert.Equal(t, `{"is_success":"TRUE","message":"SUCCESS","extra":{"mid":"10224","pay_type":"IE0012",`+
		`"out_trade_no":"202012022020515152520003","pay_url":"`+s.URL+`pay/2026000000000000000000000001"}}`, r.body)

	r = post(t, s, "wechatApi/mini_pay", vectorForm(vs["mini program IE0026, raw & inside a URL value"]))
	m := decode(t, r.body)
	require.Equal(t, float64(200), m["code"], r.body)

	r = post(t, s, "api/check_order_status", vectorForm(vs["check"]))
	assert.Equal(t, `{"is_success":"TRUE","message":"SUCCESS","extra":{"pay_type":"IE0026","trade_no":"",`+
		`"out_trade_no":"2020102204514282","order_status":"0","total_fee":"1000","rmb_fee":"0","goods":"Iphone",`+
		`"pay_url":"","return_url":""}}`, r.body)

	require.NoError(t, s.Pay("2020102204514282"))
	r = post(t, s, "api/refund", vectorForm(vs["refund"]))
	assert.Equal(t, `{"is_success":"TRUE","message":"SUCCESS","extra":[]}`, r.body)
	o, ok := s.Order("2020102204514282")
	require.True(t, ok)
	assert.Equal(t, int64(500), o.Refunded)
	assert.Equal(t, StatusPaid, o.Status)

	// The rmb_fee vector is signed with another key.
	v := vs["create with rmb_fee and pay_rate"]
	s2 := newServer(t, WithMerchant("10224", v.Key))
	m = decode(t, post(t, s2, "api/online", vectorForm(v)).body)
	assert.Equal(t, "TRUE", m["is_success"])
	o, _ = s2.Order("T-0001")
	assert.Equal(t, int64(990), o.RMBFee)
	assert.Equal(t, int64(0), o.TotalFee)
	assert.Equal(t, int64(990), o.Amount())
	assert.Equal(t, "7", o.TID)
	assert.Equal(t, "0", o.PayRate)
}

func TestNewServerDefaults(t *testing.T) {
	t.Parallel()
	s := NewServer()
	defer s.Close()
	assert.Equal(t, DefaultMID, s.MID)
	assert.Equal(t, DefaultKey, s.Key)
	assert.Len(t, s.Key, 32)
	assert.True(t, strings.HasPrefix(s.URL, "http://127.0.0.1:"), s.URL)
	assert.True(t, strings.HasSuffix(s.URL, "/iepay/"), s.URL)

	s2 := NewServer(WithMerchant("", "x"), WithMerchant("20001", "k1"), WithMerchant("20002", "k2"), nil)
	defer s2.Close()
	assert.Equal(t, "20001", s2.MID)
	assert.Equal(t, "k1", s2.Key)
	// The default merchant is gone; both given ones work.
	assert.Equal(t, "SIGN_ERROR", decode(t, post(t, s2, "api/online", signedWith(DefaultMID, DefaultKey, createParams("A", "IE0011"))).body)["message"])
	assert.Equal(t, "TRUE", decode(t, post(t, s2, "api/online", signedWith("20002", "k2", createParams("B", "IE0011"))).body)["is_success"])
	o, _ := s2.Order("B")
	assert.Equal(t, "20002", o.MID)
}

func TestCreate(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	p := createParams("ORDER-1", "IE0012")
	p["notify_url"] = "https://shop.example.nz/notify"
	p["return_url"] = "https://shop.example.nz/return?x=1"
	p["expired"] = "600"
	p["tid"] = "12"
	p["pay_rate"] = "30"
	p["reference"] = "unknown fields are signed and ignored"
	r := post(t, s, "api/online", signed(s, p))
	assert.Equal(t, http.StatusOK, r.status)
	assert.Equal(t, `{"is_success":"TRUE","message":"SUCCESS","extra":{"mid":"10224","pay_type":"IE0012",`+
		`"out_trade_no":"ORDER-1","pay_url":"`+s.URL+`pay/2026000000000000000000000001"}}`, r.body)

	o, ok := s.Order("ORDER-1")
	require.True(t, ok)
	assert.Equal(t, "10224", o.MID)
	assert.Equal(t, "2026000000000000000000000001", o.TradeNo)
	assert.Equal(t, int64(1250), o.TotalFee)
	assert.Equal(t, "Green tea", o.Goods)
	assert.Equal(t, "A tin of green tea", o.GoodsDetail)
	assert.Equal(t, "https://shop.example.nz/notify", o.NotifyURL)
	assert.Equal(t, "https://shop.example.nz/return?x=1", o.ReturnURL)
	assert.Equal(t, "600", o.Expired)
	assert.Equal(t, "12", o.TID)
	assert.Equal(t, "30", o.PayRate)
	assert.Equal(t, StatusUnpaid, o.Status)
	assert.False(t, o.Paid())
	assert.False(t, o.CreatedAt.IsZero())
	assert.True(t, o.PaidAt.IsZero())

	// Same out_trade_no and pay_type: ORDER_CREATED with the same pay_url.
	r = post(t, s, "api/online", signed(s, p))
	assert.Equal(t, `{"is_success":"FALSE","message":"ORDER_CREATED","extra":{"mid":"10224","pay_url":"`+
		s.URL+`pay/2026000000000000000000000001","pay_type":"IE0012","out_trade_no":"ORDER-1","status":"0"}}`, r.body)
	// Another pay type for the same out_trade_no.
	m := call(t, s, "api/online", withField(p, "pay_type", "IE0013"))
	assert.Equal(t, "OUT_TRADE_NO_USED: out_trade_no is used by another order", m["message"])
	assert.Len(t, s.Orders(), 1)

	// WeChat types: 42000-prefixed trade numbers; IE0021 answers a weixin:// URL.
	m = create(t, s, createParams("ORDER-2", "IE0021"))
	extra := m["extra"].(map[string]any)
	assert.Regexp(t, `^weixin://wxpay/bizpayurl\?pr=[0-9a-f]{7}$`, extra["pay_url"])
	o, _ = s.Order("ORDER-2")
	assert.Equal(t, "4200000000000000000000000002", o.TradeNo)
	assert.Equal(t, extra["pay_url"], o.PayURL)

	create(t, s, createParams("ORDER-3", "IE0041"))
	orders := s.Orders()
	require.Len(t, orders, 3)
	assert.Equal(t, []string{"ORDER-1", "ORDER-2", "ORDER-3"}, []string{orders[0].OutTradeNo, orders[1].OutTradeNo, orders[2].OutTradeNo})
}

func TestCreateRMBFee(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	p := withField(createParams("R-1", "IE0013"), "total_fee", "\x00delete")
	p["rmb_fee"] = "990"
	create(t, s, p)
	o, _ := s.Order("R-1")
	assert.Equal(t, int64(990), o.RMBFee)
	assert.Equal(t, int64(0), o.TotalFee)
}

func TestCreateErrors(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	long := func(n int) string { return strings.Repeat("a", n) }
	base := createParams("E-1", "IE0011")
	tests := []struct {
		name string
		p    map[string]string
		msg  string
	}{
		{"no version", withField(base, "version", "\x00delete"), "VERSION_ERROR: version is required and must be v1"},
		{"version v3", withField(base, "version", "v3"), "VERSION_ERROR: version must be v1"},
		{"no pay_type", withField(base, "pay_type", "\x00delete"), "PARAM_ERROR: pay_type is required"},
		{"unknown pay_type", withField(base, "pay_type", "IE9999"), `PAY_TYPE_ERROR: unknown pay_type "IE9999"`},
		{"mini program", withField(base, "pay_type", "IE0026"), "PAY_TYPE_ERROR: IE0026 (WeChat mini program) is created with wechatApi/mini_pay"},
		{"barcode", withField(base, "pay_type", "IE0014"), "PAY_TYPE_ERROR: IE0014 is an in-store barcode payment (api/pay)"},
		{"no total_fee", withField(base, "total_fee", "\x00delete"), "PARAM_ERROR: total_fee is required"},
		{"empty total_fee", withField(base, "total_fee", ""), "PARAM_ERROR: total_fee is required"},
		{"zero total_fee", withField(base, "total_fee", "0"), "PARAM_ERROR: total_fee must be greater than 0"},
		{"negative total_fee", withField(base, "total_fee", "-1"), "PARAM_ERROR: total_fee must be a positive integer of cents (at most 10 digits)"},
		{"decimal total_fee", withField(base, "total_fee", "9.99"), "PARAM_ERROR: total_fee must be a positive integer of cents (at most 10 digits)"},
		{"huge total_fee", withField(base, "total_fee", "12345678901"), "PARAM_ERROR: total_fee must be a positive integer of cents (at most 10 digits)"},
		{"both fees", withField(withField(base, "pay_type", "IE0012"), "rmb_fee", "1"), "PARAM_ERROR: total_fee and rmb_fee are mutually exclusive"},
		{"rmb_fee wrong type", withField(withField(base, "total_fee", "\x00delete"), "rmb_fee", "1"), "PARAM_ERROR: rmb_fee is only accepted with IE0012 or IE0013"},
		{"bad rmb_fee", withField(withField(withField(base, "pay_type", "IE0012"), "total_fee", "\x00delete"), "rmb_fee", "1x"), "PARAM_ERROR: rmb_fee must be a positive integer of cents (at most 10 digits)"},
		{"no goods", withField(base, "goods", "\x00delete"), "PARAM_ERROR: goods is required"},
		{"long goods", withField(base, "goods", long(65)), "PARAM_ERROR: goods has 65 characters, at most 64"},
		{"64 runes goods ok", withField(withField(base, "goods", strings.Repeat("茶", 64)), "goods_detail", "<x>"), `PARAM_ERROR: goods_detail must not contain special characters ('<')`},
		{"special goods", withField(base, "goods", "Tea & cake"), `PARAM_ERROR: goods must not contain special characters ('&')`},
		{"control goods", withField(base, "goods", "Tea\ncake"), `PARAM_ERROR: goods must not contain special characters ('\n')`},
		{"invalid utf8 goods", withField(base, "goods", "Tea\xff"), "PARAM_ERROR: goods is not valid UTF-8"},
		{"no goods_detail", withField(base, "goods_detail", "\x00delete"), "PARAM_ERROR: goods_detail is required"},
		{"long goods_detail", withField(base, "goods_detail", long(129)), "PARAM_ERROR: goods_detail has 129 characters, at most 128"},
		{"no out_trade_no", withField(base, "out_trade_no", "\x00delete"), "PARAM_ERROR: out_trade_no is required"},
		{"long out_trade_no", withField(base, "out_trade_no", long(65)), "PARAM_ERROR: out_trade_no has 65 bytes, at most 64"},
		{"wechat out_trade_no", withField(withField(base, "pay_type", "IE0022"), "out_trade_no", long(33)), "PARAM_ERROR: out_trade_no has 33 bytes, at most 32"},
		{"space out_trade_no", withField(base, "out_trade_no", "A 1"), "PARAM_ERROR: out_trade_no must be printable ASCII without spaces or any of &=#%+?"},
		{"amp out_trade_no", withField(base, "out_trade_no", "A&1"), "PARAM_ERROR: out_trade_no must be printable ASCII without spaces or any of &=#%+?"},
		{"bad tid", withField(base, "tid", "12345"), "PARAM_ERROR: tid must be an unsigned integer of at most 4 digits"},
		{"bad expired", withField(base, "expired", "-5"), "PARAM_ERROR: expired must be an unsigned integer of at most 8 digits"},
		{"relative return_url", withField(base, "return_url", "/return"), "PARAM_ERROR: return_url must be an absolute http or https URL"},
		{"ftp notify_url", withField(base, "notify_url", "ftp://shop.example.nz/n"), "PARAM_ERROR: notify_url must be an absolute http or https URL"},
		{"long notify_url", withField(base, "notify_url", "https://shop.example.nz/"+long(500)), "PARAM_ERROR: notify_url has 524 bytes, at most 512"},
		{"pay_rate 31", withField(base, "pay_rate", "31"), "PARAM_ERROR: pay_rate must be an integer from 0 to 30"},
		{"pay_rate -1", withField(base, "pay_rate", "-1"), "PARAM_ERROR: pay_rate must be an integer from 0 to 30"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := post(t, s, "api/online", signed(s, tc.p))
			want, err := json.Marshal(envelope{"FALSE", tc.msg, json.RawMessage("[]")})
			require.NoError(t, err)
			assert.Equal(t, string(want), r.body)
			assert.Equal(t, http.StatusOK, r.status)
		})
	}
	t.Cleanup(func() { assert.Empty(t, s.Orders(), "no failed create may leave an order") })
}

func TestSignErrors(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	good := signed(s, createParams("S-1", "IE0011"))
	const want = `{"is_success":"FALSE","message":"SIGN_ERROR","extra":[]}`
	for _, ep := range []string{"api/online", "api/check_order_status", "api/refund"} {
		t.Run(ep, func(t *testing.T) {
			t.Parallel()
			tampered := fakegw.CloneValues(good)
			tampered.Set("total_fee", "1")
			assert.Equal(t, want, post(t, s, ep, tampered).body, "field changed after signing")

			noSign := fakegw.CloneValues(good)
			noSign.Del("sign")
			assert.Equal(t, want, post(t, s, ep, noSign).body, "no sign")

			unknown := signedWith("99999", s.Key, createParams("S-1", "IE0011"))
			assert.Equal(t, want, post(t, s, ep, unknown).body, "unknown mid")

			wrongKey := signedWith(s.MID, strings.Repeat("0", 32), createParams("S-1", "IE0011"))
			assert.Equal(t, want, post(t, s, ep, wrongKey).body, "wrong key")

			assert.Equal(t, want, post(t, s, ep, url.Values{}).body, "empty form")
		})
	}
	// Upper-case hex signs are accepted.
	upper := fakegw.CloneValues(good)
	upper.Set("sign", strings.ToUpper(good.Get("sign")))
	assert.Equal(t, "TRUE", decode(t, post(t, s, "api/online", upper).body)["is_success"])

	// A repeated field is refused before anything else.
	dup := fakegw.CloneValues(good)
	dup.Add("goods", "other")
	assert.Equal(t, `{"is_success":"FALSE","message":"PARAM_ERROR: goods sent more than once","extra":[]}`,
		post(t, s, "api/online", dup).body)
	// The query string is not read: only the body is signed.
	r := do(t, httpClient(t), http.MethodPost, s.URL+"api/online?"+good.Encode(), url.Values{})
	assert.Equal(t, want, r.body)
}

func TestMethodAndBody(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	r := do(t, httpClient(t), http.MethodGet, s.URL+"api/online?"+signed(s, createParams("M-1", "IE0011")).Encode(), nil)
	assert.Equal(t, http.StatusMethodNotAllowed, r.status)
	assert.Equal(t, `{"is_success":"FALSE","message":"METHOD_ERROR: POST required","extra":[]}`, r.body)
	_, ok := s.Order("M-1")
	assert.False(t, ok)

	big := url.Values{"goods": {strings.Repeat("x", maxForm)}}
	r = post(t, s, "api/online", big)
	assert.Equal(t, http.StatusRequestEntityTooLarge, r.status)

	r = do(t, httpClient(t), http.MethodGet, s.URL+"api/nothing", nil)
	assert.Equal(t, http.StatusNotFound, r.status)
	r = do(t, httpClient(t), http.MethodPost, strings.TrimSuffix(s.URL, "iepay/")+"api/online", signed(s, createParams("M-2", "IE0011")))
	assert.Equal(t, http.StatusNotFound, r.status, "the API lives under the prefix only")
}

func TestMiniPay(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	p := map[string]string{
		"version": "v1", "pay_type": "IE0026", "appid": "wx1234567890abcdef", "openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o",
		"total_fee": "1000", "goods": "Iphone", "goods_detail": "An Iphone 12", "out_trade_no": "MINI-1",
		"notify_url": "https://shop.example.nz/notify", "expired": "3600",
	}
	m := call(t, s, "wechatApi/mini_pay", p)
	assert.Equal(t, float64(200), m["code"])
	assert.Equal(t, "success", m["msg"])
	data := m["data"].(map[string]any)
	assert.Regexp(t, `^[0-9]{10}$`, data["timeStamp"])
	assert.Regexp(t, `^[0-9a-f]{32}$`, data["nonceStr"])
	assert.Regexp(t, `^prepay_id=wx[0-9a-f]{30}$`, data["package"])
	assert.Equal(t, "MD5", data["signType"])
	assert.Regexp(t, `^[0-9A-F]{32}$`, data["paySign"])
	assert.Equal(t, md5Upper("appId=wx1234567890abcdef&nonceStr="+data["nonceStr"].(string)+"&package="+
		data["package"].(string)+"&signType=MD5&timeStamp="+data["timeStamp"].(string)+"&key="+s.Key), data["paySign"])

	o, ok := s.Order("MINI-1")
	require.True(t, ok)
	assert.Equal(t, "IE0026", o.PayType)
	assert.Equal(t, "4200000000000000000000000001", o.TradeNo)
	assert.Equal(t, "wx1234567890abcdef", o.AppID)
	assert.Equal(t, "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o", o.OpenID)
	assert.Equal(t, int64(1000), o.TotalFee)
	assert.Equal(t, "", o.PayURL)

	// Repeating the request answers the same payment data (a retry is safe).
	again := call(t, s, "wechatApi/mini_pay", p)
	assert.Equal(t, m, again)
	assert.Len(t, s.Orders(), 1)

	// version may be left out.
	create := call(t, s, "wechatApi/mini_pay", withField(withField(p, "version", "\x00delete"), "out_trade_no", "MINI-2"))
	assert.Equal(t, float64(200), create["code"])

	// The order is payable and checkable like the others.
	require.NoError(t, s.Pay("MINI-1"))
	c := call(t, s, "api/check_order_status", map[string]string{"version": "v1", "pay_type": "IE0026", "out_trade_no": "MINI-1"})
	assert.Equal(t, "1", c["extra"].(map[string]any)["order_status"])
}

func TestMiniPayErrors(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	base := map[string]string{
		"pay_type": "IE0026", "appid": "wx1", "openid": "o1", "total_fee": "1", "goods": "g",
		"goods_detail": "d", "out_trade_no": "MINI-E",
	}
	create(t, s, createParams("USED-1", "IE0021"))
	tests := []struct {
		name string
		p    map[string]string
		msg  string
	}{
		{"version v2", withField(base, "version", "v2"), "VERSION_ERROR: version must be v1"},
		{"no pay_type", withField(base, "pay_type", "\x00delete"), "PARAM_ERROR: pay_type is required (IE0026)"},
		{"other pay_type", withField(base, "pay_type", "IE0021"), `PAY_TYPE_ERROR: wechatApi/mini_pay takes pay_type IE0026, not "IE0021"`},
		{"no appid", withField(base, "appid", "\x00delete"), "PARAM_ERROR: appid is required"},
		{"no openid", withField(base, "openid", ""), "PARAM_ERROR: openid is required"},
		{"rmb_fee", withField(base, "rmb_fee", "1"), "PARAM_ERROR: rmb_fee is not accepted by wechatApi/mini_pay"},
		{"no total_fee", withField(base, "total_fee", "\x00delete"), "PARAM_ERROR: total_fee is required"},
		{"long out_trade_no", withField(base, "out_trade_no", strings.Repeat("1", 33)), "PARAM_ERROR: out_trade_no has 33 bytes, at most 32"},
		{"used out_trade_no", withField(base, "out_trade_no", "USED-1"), "OUT_TRADE_NO_USED: out_trade_no is used by another order"},
		{"no goods", withField(base, "goods", "\x00delete"), "PARAM_ERROR: goods is required"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := post(t, s, "wechatApi/mini_pay", signed(s, tc.p))
			want, err := json.Marshal(miniEnvelope{Code: 400, Msg: tc.msg})
			require.NoError(t, err)
			assert.Equal(t, string(want), r.body)
		})
	}
	bad := signed(s, base)
	bad.Set("sign", strings.Repeat("a", 32))
	assert.Equal(t, `{"code":400,"msg":"SIGN_ERROR"}`, post(t, s, "wechatApi/mini_pay", bad).body)
}

func TestCheck(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	p := createParams("C-1", "IE0012")
	p["return_url"] = "https://shop.example.nz/return"
	create(t, s, p)
	q := map[string]string{"version": "v1", "pay_type": "IE0012", "out_trade_no": "C-1"}
	r := post(t, s, "api/check_order_status", signed(s, q))
	assert.Equal(t, `{"is_success":"TRUE","message":"SUCCESS","extra":{"pay_type":"IE0012","trade_no":"",`+
		`"out_trade_no":"C-1","order_status":"0","total_fee":"1250","rmb_fee":"0","goods":"Green tea",`+
		`"pay_url":"`+s.URL+`pay/2026000000000000000000000001","return_url":"https://shop.example.nz/return"}}`, r.body)

	require.NoError(t, s.Pay("C-1"))
	extra := call(t, s, "api/check_order_status", q)["extra"].(map[string]any)
	assert.Equal(t, "1", extra["order_status"])
	assert.Equal(t, "2026000000000000000000000001", extra["trade_no"])

	for name, tc := range map[string]struct {
		p   map[string]string
		msg string
	}{
		"unknown order":  {withField(q, "out_trade_no", "C-404"), "COMBINE_ERROR"},
		"wrong pay_type": {withField(q, "pay_type", "IE0013"), "COMBINE_ERROR"},
		"no version":     {withField(q, "version", "\x00delete"), "VERSION_ERROR: version is required and must be v1"},
		"no pay_type":    {withField(q, "pay_type", "\x00delete"), "PARAM_ERROR: pay_type is required"},
		"no out_trade":   {withField(q, "out_trade_no", ""), "PARAM_ERROR: out_trade_no is required"},
	} {
		r := post(t, s, "api/check_order_status", signed(s, tc.p))
		assert.Equal(t, `{"is_success":"FALSE","message":"`+tc.msg+`","extra":[]}`, r.body, name)
	}
}

func TestCheckOtherMerchantsOrder(t *testing.T) {
	t.Parallel()
	s := newServer(t, WithMerchant("1", "key-one"), WithMerchant("2", "key-two"))
	require.Equal(t, "TRUE", decode(t, post(t, s, "api/online", signedWith("1", "key-one", createParams("X-1", "IE0011"))).body)["is_success"])
	q := map[string]string{"version": "v1", "pay_type": "IE0011", "out_trade_no": "X-1"}
	assert.Equal(t, "COMBINE_ERROR", decode(t, post(t, s, "api/check_order_status", signedWith("2", "key-two", q)).body)["message"])
	r := map[string]string{"version": "v1", "pay_type": "IE0011", "out_trade_no": "X-1", "refund_amount": "1"}
	assert.Equal(t, "COMBINE_ERROR", decode(t, post(t, s, "api/refund", signedWith("2", "key-two", r)).body)["message"])
	assert.Equal(t, "OUT_TRADE_NO_USED: out_trade_no is used by another order",
		decode(t, post(t, s, "api/online", signedWith("2", "key-two", createParams("X-1", "IE0011"))).body)["message"])
}

func TestNumbersAndExtraVariants(t *testing.T) {
	t.Parallel()
	q := map[string]string{"version": "v1", "pay_type": "IE0011", "out_trade_no": "N-1"}

	s := newServer(t, WithNumbers())
	create(t, s, createParams("N-1", "IE0011"))
	r := post(t, s, "api/check_order_status", signed(s, q))
	assert.Contains(t, r.body, `"order_status":0,"total_fee":1250,"rmb_fee":0,`)
	r = post(t, s, "api/online", signed(s, createParams("N-1", "IE0011")))
	assert.Contains(t, r.body, `"status":0}`)

	omit := newServer(t, WithExtraOmitted())
	assert.Equal(t, `{"is_success":"FALSE","message":"COMBINE_ERROR"}`, post(t, omit, "api/check_order_status", signed(omit, q)).body)
	create(t, omit, createParams("N-1", "IE0011"))
	require.NoError(t, omit.Pay("N-1"))
	refund := map[string]string{"version": "v1", "pay_type": "IE0011", "out_trade_no": "N-1", "refund_amount": "1"}
	assert.Equal(t, `{"is_success":"TRUE","message":"SUCCESS"}`, post(t, omit, "api/refund", signed(omit, refund)).body)

	obj := newServer(t, WithEmptyExtraObject())
	assert.Equal(t, `{"is_success":"FALSE","message":"COMBINE_ERROR","extra":{}}`, post(t, obj, "api/check_order_status", signed(obj, q)).body)
}

func TestRefund(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	create(t, s, createParams("F-1", "IE0011")) // 1250 cents
	refund := func(p map[string]string) string {
		return post(t, s, "api/refund", signed(s, p)).body
	}
	req := map[string]string{"version": "v1", "pay_type": "IE0011", "out_trade_no": "F-1", "refund_amount": "250"}
	fail := func(msg string) string { return `{"is_success":"FALSE","message":"` + msg + `","extra":[]}` }
	const ok = `{"is_success":"TRUE","message":"SUCCESS","extra":[]}`

	assert.Equal(t, fail("ERROR_PAYMENT_STATUS"), refund(req), "unpaid")
	require.NoError(t, s.Pay("F-1"))
	assert.Equal(t, fail("COMBINE_ERROR"), refund(withField(req, "out_trade_no", "F-404")))
	assert.Equal(t, fail("PAY_ROW_ERROR"), refund(withField(req, "pay_type", "IE0012")))
	assert.Equal(t, fail("BALANCE_ERROR"), refund(withField(req, "refund_amount", "1251")))
	assert.Equal(t, fail("PARAM_ERROR: refund_amount must be greater than 0"), refund(withField(req, "refund_amount", "0")))
	assert.Equal(t, fail("PARAM_ERROR: refund_amount is required"), refund(withField(req, "refund_amount", "\x00delete")))
	assert.Equal(t, fail("PARAM_ERROR: refund_amount must be a positive integer of cents (at most 10 digits)"), refund(withField(req, "refund_amount", "2.50")))
	assert.Equal(t, fail("PARAM_ERROR: refund_charge_fee must be TRUE or FALSE"), refund(withField(req, "refund_charge_fee", "yes")))
	assert.Equal(t, fail("VERSION_ERROR: version is required and must be v1"), refund(withField(req, "version", "\x00delete")))
	assert.Equal(t, fail("PARAM_ERROR: out_trade_no is required"), refund(withField(req, "out_trade_no", "\x00delete")))
	assert.Equal(t, fail("PARAM_ERROR: pay_type is required"), refund(withField(req, "pay_type", "\x00delete")))
	o, _ := s.Order("F-1")
	assert.Equal(t, 0, o.RefundCount, "failed refunds take no effect")

	// Partial refund: still paid.
	assert.Equal(t, ok, refund(withField(req, "refund_charge_fee", "TRUE")))
	o, _ = s.Order("F-1")
	assert.Equal(t, StatusPaid, o.Status)
	assert.Equal(t, int64(250), o.Refunded)
	assert.Equal(t, 1, o.RefundCount)
	require.Len(t, o.Refunds, 1)
	assert.Equal(t, int64(250), o.Refunds[0].Amount)
	assert.True(t, o.Refunds[0].ChargeFee)

	// More than what is left.
	assert.Equal(t, fail("BALANCE_ERROR"), refund(withField(req, "refund_amount", "1001")))
	// The rest: refunded in full.
	assert.Equal(t, ok, refund(withField(req, "refund_amount", "1000")))
	o, _ = s.Order("F-1")
	assert.Equal(t, StatusRefunded, o.Status)
	assert.Equal(t, int64(1250), o.Refunded)
	assert.Equal(t, 2, o.RefundCount)
	assert.False(t, o.Refunds[1].ChargeFee)
	assert.Equal(t, fail("ERROR_PAYMENT_STATUS"), refund(withField(req, "refund_amount", "1")))

	// The snapshot is a copy.
	o.Refunds[0].Amount = 999
	o2, _ := s.Order("F-1")
	assert.Equal(t, int64(250), o2.Refunds[0].Amount)
}

func TestRefundSettled(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	create(t, s, createParams("ST-1", "IE0011"))
	require.NoError(t, s.SetStatus("ST-1", StatusSettled))
	o, _ := s.Order("ST-1")
	assert.True(t, o.Paid())
	assert.False(t, o.PaidAt.IsZero())
	req := map[string]string{"version": "v1", "pay_type": "IE0011", "out_trade_no": "ST-1", "refund_amount": "1250"}
	assert.Equal(t, "TRUE", call(t, s, "api/refund", req)["is_success"])
	o, _ = s.Order("ST-1")
	assert.Equal(t, StatusSettledRefunded, o.Status)
	assert.False(t, o.Paid())

	assert.EqualError(t, s.SetStatus("ST-1", 5), "iepaytest: status 5: want 0 (unpaid) to 4 (settled and refunded)")
	assert.EqualError(t, s.SetStatus("ST-1", -1), "iepaytest: status -1: want 0 (unpaid) to 4 (settled and refunded)")
	assert.EqualError(t, s.SetStatus("nope", 1), `iepaytest: unknown order out_trade_no "nope"`)
	_, ok := s.Order("nope")
	assert.False(t, ok)
}

func TestKeyNeverInAnswers(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	create(t, s, createParams("K-1", "IE0011"))
	var bodies []string
	for _, ep := range []string{"api/online", "wechatApi/mini_pay", "api/check_order_status", "api/refund"} {
		bodies = append(bodies, post(t, s, ep, signed(s, map[string]string{"version": "v1"})).body)
		bodies = append(bodies, post(t, s, ep, url.Values{"mid": {s.MID}, "sign": {"x"}}).body)
	}
	for _, b := range bodies {
		assert.NotContains(t, b, s.Key)
	}
}
