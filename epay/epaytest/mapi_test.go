package epaytest

import (
	"bytes"
	"encoding/json"
	"image/png"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var tradeNoRE = regexp.MustCompile(`^[0-9]{19}$`)

func TestMapiCreate(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	require.True(t, strings.HasSuffix(s.URL, "/epay/"), s.URL)
	assert.Equal(t, DefaultPID, s.PID)
	assert.Equal(t, DefaultKey, s.Key)
	assert.Len(t, s.Key, 32)

	p := createParams("ORDER-1", "https://shop.example.com/notify")
	p["money_type"] = "CNY"
	p["channel_id"] = "7"
	r := post(t, s, "mapi.php", signedValues(p, s.Key))
	require.Equal(t, http.StatusOK, r.status)
	assert.Equal(t, "application/json; charset=utf-8", r.header.Get("Content-Type"))
	// PHP's json_encode escapes slashes.
	assert.Contains(t, string(r.body), `"payurl":"http:\/\/127.0.0.1:`)
	m := decode(t, r.body)
	assert.Equal(t, json.Number("1"), m["code"])
	assert.Equal(t, "succ", m["msg"])
	tn := m["trade_no"].(string)
	assert.Regexp(t, tradeNoRE, tn)
	assert.Equal(t, "2026010112000000001", tn)
	assert.Equal(t, s.URL+"pay/"+tn, m["payurl"])
	assert.Len(t, m, 4)

	o, ok := s.Order("ORDER-1")
	require.True(t, ok)
	assert.Equal(t, tn, o.TradeNo)
	assert.Equal(t, "9.90", o.Money)
	assert.Equal(t, int64(990), o.Cents)
	assert.Equal(t, StatusUnpaid, o.Status)
	assert.Equal(t, "VIP会员", o.Name)
	assert.Equal(t, "user=42", o.Param)
	assert.Equal(t, "203.0.113.10", o.ClientIP)
	assert.Equal(t, "jump", o.Device)
	assert.Equal(t, map[string]string{"money_type": "CNY", "channel_id": "7"}, o.Extra)
	assert.True(t, o.EndTime.IsZero())

	// Same out_trade_no and fields: the same order (a retried create).
	p["clientip"] = "203.0.113.11"
	again := create(t, s, p)
	assert.Equal(t, json.Number("1"), again["code"])
	assert.Equal(t, tn, again["trade_no"])
	assert.Len(t, s.Orders(), 1)

	// Different fields: refused.
	p["money"] = "9.91"
	diff := create(t, s, p)
	assert.Equal(t, json.Number("-1"), diff["code"])
	assert.Contains(t, diff["msg"], "已存在")

	reqs := s.Requests()
	require.Len(t, reqs, 3)
	assert.Equal(t, http.MethodPost, reqs[0].Method)
	assert.Equal(t, "/epay/mapi.php", reqs[0].Path)
	assert.Equal(t, "ORDER-1", reqs[0].Form.Get("out_trade_no"))
	assert.NotEmpty(t, reqs[0].Form.Get("sign"))
	assert.Equal(t, FaultNone, reqs[0].Fault)
	// Snapshots are copies.
	reqs[0].Form.Set("out_trade_no", "changed")
	assert.Equal(t, "ORDER-1", s.Requests()[0].Form.Get("out_trade_no"))
}

func TestMapiCreatePaidOrderAgain(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	p := createParams("PAID-1", "")
	delete(p, "notify_url")
	_, err := s.CreateOrder(NewOrder{OutTradeNo: "PAID-1", Money: "1.00", NotifyURL: "https://shop.example.com/n"})
	require.NoError(t, err)
	require.NoError(t, s.Pay("PAID-1"))
	got := create(t, s, map[string]string{
		"pid": DefaultPID, "type": "alipay", "out_trade_no": "PAID-1", "notify_url": "https://shop.example.com/n",
		"name": "product", "money": "1.00", "clientip": "127.0.0.1",
	})
	assert.Equal(t, json.Number("-1"), got["code"])
	assert.Contains(t, got["msg"], "已完成支付")
}

func TestMapiErrors(t *testing.T) {
	t.Parallel()
	const badSign = "签名校验失败，请返回重试！"
	tests := []struct {
		name   string
		edit   func(p map[string]string)
		resign bool // sign after edit (else the edit happens after signing)
		code   string
		msg    string
	}{
		{"unknown pid", func(p map[string]string) { p["pid"] = "9999" }, true, "-3", "商户不存在"},
		{"missing pid", func(p map[string]string) { delete(p, "pid") }, true, "-4", "pid"},
		{"bad sign", func(p map[string]string) { p["money"] = "0.01" }, false, "-3", badSign},
		{"unsigned extra field", func(p map[string]string) { p["channel_id"] = "1" }, false, "-3", badSign},
		{"sign of other merchant", func(p map[string]string) { p["sign"] = strings.Repeat("0", 32) }, false, "-3", badSign},
		{"missing sign", func(p map[string]string) { delete(p, "sign") }, false, "-4", "sign"},
		{"sign_type SHA256", func(p map[string]string) { p["sign_type"] = "SHA256" }, false, "-3", "sign_type"},
		{"missing out_trade_no", func(p map[string]string) { delete(p, "out_trade_no") }, true, "-4", "缺少参数out_trade_no"},
		{"missing type", func(p map[string]string) { delete(p, "type") }, true, "-4", "缺少参数type"},
		{"missing notify_url", func(p map[string]string) { delete(p, "notify_url") }, true, "-4", "缺少参数notify_url"},
		{"missing name", func(p map[string]string) { p["name"] = "  " }, true, "-4", "缺少参数name"},
		{"missing money", func(p map[string]string) { delete(p, "money") }, true, "-4", "缺少参数money"},
		{"missing clientip", func(p map[string]string) { delete(p, "clientip") }, true, "-4", "缺少参数clientip"},
		{"money 3 decimals", func(p map[string]string) { p["money"] = "1.005" }, true, "-1", "金额"},
		{"money negative", func(p map[string]string) { p["money"] = "-1" }, true, "-1", "金额"},
		{"money zero", func(p map[string]string) { p["money"] = "0.00" }, true, "-1", "金额"},
		{"money exponent", func(p map[string]string) { p["money"] = "1e3" }, true, "-1", "金额"},
		{"money trailing dot", func(p map[string]string) { p["money"] = "1." }, true, "-1", "金额"},
		{"money huge", func(p map[string]string) { p["money"] = "123456789012345" }, true, "-1", "金额"},
		{"out_trade_no space", func(p map[string]string) { p["out_trade_no"] = "A 1" }, true, "-1", "out_trade_no"},
		{"out_trade_no chinese", func(p map[string]string) { p["out_trade_no"] = "订单1" }, true, "-1", "out_trade_no"},
		{"clientip not an IP", func(p map[string]string) { p["clientip"] = "example.com" }, true, "-1", "clientip"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := newServer(t)
			p := createParams("E-1", "https://shop.example.com/notify")
			var form map[string]string
			if tc.resign {
				tc.edit(p)
				form = flat(signedValues(p, s.Key))
			} else {
				form = flat(signedValues(p, s.Key))
				tc.edit(form)
			}
			r := post(t, s, "mapi.php", unflat(form))
			m := decode(t, r.body)
			assert.Equal(t, json.Number(tc.code), m["code"])
			assert.Contains(t, m["msg"], tc.msg)
			assert.Empty(t, s.Orders(), "no order may be created")
		})
	}
}

func TestMapiGETRefused(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	r := get(t, s, "mapi.php", signedValues(createParams("G-1", "https://shop.example.com/n"), s.Key))
	m := decode(t, r.body)
	assert.Equal(t, json.Number("-1"), m["code"])
	assert.Contains(t, m["msg"], "POST")
	assert.Empty(t, s.Orders())
}

func TestMapiFormWithoutContentTypeIsEmpty(t *testing.T) {
	t.Parallel()
	// PHP fills $_POST only for form content types.
	s := newServer(t)
	req, err := http.NewRequest(http.MethodPost, s.URL+"mapi.php",
		strings.NewReader(signedValues(createParams("C-1", "https://shop.example.com/n"), s.Key).Encode()))
	require.NoError(t, err)
	resp, err := httpClient(t).Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var m map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&m))
	assert.Equal(t, -4.0, m["code"])
	assert.Equal(t, "缺少参数pid", m["msg"])
}

func TestMapiKyren(t *testing.T) {
	t.Parallel()
	s := newServer(t, WithKyren(), WithMerchant("merch_001", "merchant_secret"))
	assert.Equal(t, "merch_001", s.PID)
	p := createParams("K-1", "https://shop.example.com/notify")
	p["pid"] = s.PID
	p["display_merchant_name"] = "Campaign Store"
	m := create(t, s, p)
	assert.Equal(t, json.Number("1"), m["code"])
	tn := m["trade_no"].(string)
	assert.Equal(t, "K-1", m["out_trade_no"])
	assert.Equal(t, s.URL+"pay/"+tn, m["payurl"])
	assert.Equal(t, s.URL+"qr/"+tn+".png", m["img"])

	img := do(t, httpClient(t), http.MethodGet, m["img"].(string), nil)
	assert.Equal(t, http.StatusOK, img.status)
	assert.Equal(t, "image/png", img.header.Get("Content-Type"))
	_, err := png.Decode(bytes.NewReader(img.body))
	assert.NoError(t, err)
	assert.Equal(t, http.StatusNotFound, do(t, httpClient(t), http.MethodGet, s.URL+"qr/1.png", nil).status)

	// Every failure is code 0.
	p["money"] = "1.001"
	bad := create(t, s, p)
	assert.Equal(t, json.Number("0"), bad["code"])
	assert.Contains(t, bad["msg"], "金额")
	p["money"] = "9.90"
	p["pid"] = "merch_404"
	bad = create(t, s, p)
	assert.Equal(t, json.Number("0"), bad["code"])
	assert.Contains(t, bad["msg"], "商户不存在")
}

func TestMapiCreateAnswers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		kind, typ, field string
		want             func(s *Server, tn string) string
	}{
		{AnswerQRCode, "wxpay", "qrcode", func(_ *Server, tn string) string { return "weixin://wxpay/bizpayurl?pr=" + tn }},
		{AnswerQRCode, "alipay", "qrcode", func(_ *Server, tn string) string { return "https://qr.alipay.com/bax" + tn }},
		{AnswerURLScheme, "wxpay", "urlscheme", func(_ *Server, tn string) string { return "weixin://dl/business/?t=" + tn }},
		{AnswerHTML, "alipay", "html", func(s *Server, tn string) string {
			return `<form id="epaysubmit" action="` + s.URL + "pay/" + tn + `" method="get"></form><script>document.getElementById("epaysubmit").submit();</script>`
		}},
		{AnswerPayURL, "alipay", "payurl", func(s *Server, tn string) string { return s.URL + "pay/" + tn }},
	}
	for _, tc := range tests {
		t.Run(tc.kind+"/"+tc.typ, func(t *testing.T) {
			t.Parallel()
			s := newServer(t, WithCreateAnswer(tc.kind))
			p := createParams("A-1", "https://shop.example.com/notify")
			p["type"] = tc.typ
			m := create(t, s, p)
			require.Equal(t, json.Number("1"), m["code"], m)
			tn := m["trade_no"].(string)
			assert.Equal(t, tc.want(s, tn), m[tc.field])
			assert.Len(t, m, 4, "code, msg, trade_no and one answer field")
		})
	}
	// An unknown kind is ignored and reported.
	tb := &fakeTB{}
	s := NewServer(WithTest(tb), WithCreateAnswer("bogus"), WithTimeScale(-1), WithMerchant("", "k"), WithIPAllowlist("nope", "127.0.0.1"))
	defer s.Close()
	assert.Len(t, tb.logs(), 4)
	m := create(t, s, createParams("A-2", "https://shop.example.com/notify"))
	assert.NotEmpty(t, m["payurl"])
}

func TestStringNumbers(t *testing.T) {
	t.Parallel()
	s := newServer(t, WithStringNumbers())
	r := post(t, s, "mapi.php", signedValues(createParams("S-1", "https://shop.example.com/n"), s.Key))
	assert.Contains(t, string(r.body), `{"code":"1","msg":"succ"`)
	bad := create(t, s, map[string]string{"pid": "1"})
	assert.Equal(t, "-3", bad["code"])
}

func TestIPAllowlist(t *testing.T) {
	t.Parallel()
	for _, opts := range [][]Option{nil, {WithKyren()}} {
		s := newServer(t, append(opts, WithIPAllowlist("203.0.113.9"))...)
		for _, r := range []result{
			post(t, s, "mapi.php", signedValues(createParams("I-1", "https://shop.example.com/n"), s.Key)),
			get(t, s, "api.php", apiQuery(s, "query")),
		} {
			assert.Equal(t, `{"code":0,"msg":"IP not allowed"}`, string(r.body))
		}
		assert.Empty(t, s.Orders())
	}
	s := newServer(t, WithIPAllowlist("203.0.113.9", "127.0.0.1"))
	m := create(t, s, createParams("I-2", "https://shop.example.com/n"))
	assert.Equal(t, json.Number("1"), m["code"])
}

func TestMultipleMerchants(t *testing.T) {
	t.Parallel()
	s := newServer(t, WithMerchant("2001", "key-one"), WithMerchant("2002", "key-two"), WithMerchant("2002", "dup"))
	assert.Equal(t, "2001", s.PID)
	assert.Equal(t, "key-one", s.Key)

	p := createParams("M-1", "https://shop.example.com/n")
	p["pid"] = "2002"
	m := decode(t, post(t, s, "mapi.php", signedValues(p, "key-two")).body)
	assert.Equal(t, json.Number("1"), m["code"])
	m = decode(t, post(t, s, "mapi.php", signedValues(p, "key-one")).body)
	assert.Equal(t, "签名校验失败，请返回重试！", m["msg"])
	p["pid"] = DefaultPID
	m = decode(t, post(t, s, "mapi.php", signedValues(p, DefaultKey)).body)
	assert.Equal(t, json.Number("-3"), m["code"], "the default merchant is not registered")

	// The same out_trade_no at two merchants: separate orders.
	p["pid"] = "2001"
	m = decode(t, post(t, s, "mapi.php", signedValues(p, "key-one")).body)
	assert.Equal(t, json.Number("1"), m["code"])
	assert.Len(t, s.Orders(), 2)
	_, ok := s.Order("M-1")
	assert.False(t, ok, "ambiguous out_trade_no")
	assert.ErrorContains(t, s.Pay("M-1"), "2001")
}

// flat turns single-valued url.Values into a map.
func flat(v map[string][]string) map[string]string {
	m := map[string]string{}
	for k, vs := range v {
		m[k] = vs[0]
	}
	return m
}

func unflat(m map[string]string) map[string][]string {
	v := map[string][]string{}
	for k, s := range m {
		v[k] = []string{s}
	}
	return v
}
