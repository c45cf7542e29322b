package epayv2

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/epaykit/epaykit/epay"
	"github.com/epaykit/epaykit/sign"
)

// Known answers, computed independently with
// printf '%s' "$s" | openssl dgst -sha256 -sign key.pem | base64 -w0
const (
	kaCreateSig = "MevZkfFgjPHKtnw562mtZPqG8bOMAN3jAstglwa/FNyFiQPA1g4taNLTCWlwSBeOlGA2SMH2xQ6ChjcO7MaaU3LjU2Qm9GTA7rzAJeRQz2AdP3TgEah6o1oGBk8aa0ptrGft3F2NUSfcOukhtVzA9m2DEMJBad3w0t719EMW6LFUwQ0nPsbK0CH8ICzM+GiYBsWCpmAOYbKBfeY2oY2mwgDwb+S1Zd/ABpjBh4x5LHftfp6Ne/S8Ci9qpC5JNMuOTcqvplz4hsOdNGRwcUYsIsIYqtpvBfgiudRIw+hUvw7l4WEVsQK58hJw+Hgm8s2aBvfKWTsVCiB9SySFaR/pkQ=="
	// code=0&msg=succ&pay_info=https://pay.example.com/epay/pay/2026010112000000001&pay_type=jump&timestamp=1767225600&trade_no=2026010112000000001
	kaCreateAnswer = `{"code":0,"msg":"succ","trade_no":"2026010112000000001","pay_type":"jump","pay_info":"https:\/\/pay.example.com\/epay\/pay\/2026010112000000001","timestamp":1767225600,"sign_type":"RSA","sign":"WYKQiMgFwrHrkiTDvPg2HYnYCLlcGGzz1/cUN4QFL91uHBnmN0MaWnwO6QKDkkCLPwFQ73LdbatlT+jn+vte17XbSe3epq5glncI9Zv/L2RARkB9C1v6mXDCsvbH2FyflyHezSFOstGyEu5PLAcEBu350Cd5v2rCB5To2FLi2WxxfvyJwo39zfXM9NvRjx5busNBeh2Fytb1GiU9RKb+Y2yaMusHIGS2y/q/N8l/AadqOPlj+4gLVPhez6fWEqA0cFsrU4aCb2Q+/PQ1aMvf6Qbei9bIxDwOF47NAbpRGYOG70+W+qrMeEOA1t3G2BdkW3J/us30C61yBIcBiRrr5w=="}`
	// code=0&count=1&data=[{"trade_no":"2026010112000000001","money":"9.99","status":1,"name":"VIP\/\u4f1a\u5458"}]&msg=succ&timestamp=1767225600
	kaOrdersAnswer = `{"code":0,"msg":"succ","count":1,"data":[{"trade_no":"2026010112000000001","money":"9.99","status":1,"name":"VIP\/\u4f1a\u5458"}],"timestamp":1767225600,"sign_type":"RSA","sign":"UHWuaC9rtIZlvkhGHTl5FiG90MPIhr6J6XklNWRvFbfN7oIdUggNwYOn4tLlGhEWlvjsjOC58dqy/4eJ+Hwul49wxIBTxumxX921Qd2Mg9GRyQpGeaEMpitHWWtCfLkL17348s1RmjXVWMwZ6xCSR6Kr4bPO/7Rqv3ISRZTO9YORxF6FgZMQGeuPYwsJGSQctvHVlt2Lqi61sQ+5p4U6CA3ZyAEwcM3jki5ouNvYMi8SBAqlzZrfJvE4Z9Wa3LrUqo0b+3OpnxgO4hSfQzljhEvD1KPYyeajeWc6dlpiEMizveuZYYVXAnQIyAB++jz/DQK+nQB6R+O3vnQOK0V7Gw=="}`
)

func createReq() *CreateRequest {
	return &CreateRequest{
		Type: epay.TypeAlipay, OutTradeNo: "V2-0001", NotifyURL: "https://shop.example.com/notify",
		Name: "VIP", Money: "9.99", ClientIP: "203.0.113.7",
	}
}

func TestCreateKnownAnswer(t *testing.T) {
	t.Parallel()
	c, mt := newMock(t)
	var rec recorder
	mt.RegisterResponder("POST", testBase+"api/pay/create", rec.responder(rawResp(200, kaCreateAnswer)))

	res, err := c.Create(context.Background(), createReq())
	require.NoError(t, err)
	assert.Equal(t, &CreateResult{TradeNo: "2026010112000000001", PayType: PayTypeJump,
		PayInfo: "https://pay.example.com/epay/pay/2026010112000000001"}, res)
	u, err := res.URL()
	require.NoError(t, err)
	assert.Equal(t, "https://pay.example.com/epay/pay/2026010112000000001", u)

	got := rec.only(t)
	assert.Equal(t, "/epay/api/pay/create", got.Path)
	checkSigned(t, got)
	assert.Equal(t, map[string][]string{
		"pid": {"1001"}, "type": {"alipay"}, "out_trade_no": {"V2-0001"}, "notify_url": {"https://shop.example.com/notify"},
		"name": {"VIP"}, "money": {"9.99"}, "clientip": {"203.0.113.7"}, "timestamp": {"1767225600"},
		"sign_type": {"RSA"}, "sign": {kaCreateSig},
	}, map[string][]string(got.Form))
}

func TestOrdersKnownAnswerNestedData(t *testing.T) {
	t.Parallel()
	c, mt := newMock(t)
	var rec recorder
	mt.RegisterResponder("POST", testBase+"api/merchant/orders", rec.responder(rawResp(200, kaOrdersAnswer)))
	st := epay.OrderPaid
	list, err := c.Orders(context.Background(), &OrdersRequest{Limit: 5, Offset: 10, Status: &st})
	require.NoError(t, err)
	assert.Equal(t, &OrderList{Count: 1, Orders: []Order{{TradeNo: "2026010112000000001", Money: "9.99", Status: epay.OrderPaid, Name: "VIP/会员"}}}, list)
	got := rec.only(t)
	checkSigned(t, got)
	assert.Equal(t, []string{"limit", "offset", "pid", "sign", "sign_type", "status", "timestamp"}, formKeys(got.Form))
	assert.Equal(t, "5", got.Form.Get("limit"))
	assert.Equal(t, "10", got.Form.Get("offset"))
	assert.Equal(t, "1", got.Form.Get("status"))

	// Re-escaping the nested data (same JSON value, other text) breaks the
	// signature: nested values are signed as received.
	mt2Client, mt2 := newMock(t)
	mt2.RegisterResponder("POST", testBase+"api/merchant/orders",
		rawResp(200, strings.Replace(kaOrdersAnswer, `VIP\/\u4f1a\u5458`, `VIP/会员`, 1)))
	_, err = mt2Client.Orders(context.Background(), nil)
	assert.ErrorIs(t, err, ErrBadResponseSignature)
}

func TestAnswerFields(t *testing.T) {
	t.Parallel()
	var members map[string]json.RawMessage
	require.NoError(t, json.Unmarshal([]byte(`{"s":"a\/b","n":1.50,"i":-3,"t":true,"f":false,"z":null,
		"o":{ "a" : [1, 2] },"e":[],"u":"\u4f1a"}`), &members))
	got, err := AnswerFields(members)
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"s": "a/b", "n": "1.50", "i": "-3", "t": "1", "f": "", "z": "",
		"o": `{"a":[1,2]}`, "e": "[]", "u": "会"}, got)
	assert.Equal(t, `e=[]&i=-3&n=1.50&o={"a":[1,2]}&s=a/b&t=1&u=会`, sign.EpayString(got))
}

func TestEveryCallSendsSignedForm(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	orderMembers := []member{{"trade_no", "2026010112000000001"}, {"out_trade_no", "V2-0001"}, {"api_trade_no", "4200010112000000001"},
		{"type", "alipay"}, {"pid", 1001}, {"addtime", "2026-01-01 08:00:00"}, {"endtime", nil}, {"name", "VIP"},
		{"money", "9.99"}, {"refundmoney", "1.00"}, {"param", nil}, {"buyer", nil}, {"clientip", "203.0.113.7"}, {"status", 1}}
	refundMembers := []member{{"refund_no", "2026010113000000001"}, {"out_refund_no", "R-1"}, {"trade_no", "2026010112000000001"},
		{"out_trade_no", "V2-0001"}, {"money", "1.00"}, {"reducemoney", "1.00"}, {"status", 1}, {"addtime", "2026-01-01 09:00:00"}}
	cases := []struct {
		name, path string
		answer     []member
		call       func(c *Client) (any, error)
		form       map[string]string // besides pid, timestamp, sign_type, sign
		want       any
	}{
		{"query", "api/pay/query", orderMembers,
			func(c *Client) (any, error) { return c.Query(ctx, &QueryRequest{OutTradeNo: "V2-0001"}) },
			map[string]string{"out_trade_no": "V2-0001"},
			&Order{TradeNo: "2026010112000000001", OutTradeNo: "V2-0001", APITradeNo: "4200010112000000001", Type: "alipay",
				PID: "1001", AddTime: "2026-01-01 08:00:00", Name: "VIP", Money: "9.99", RefundMoney: "1.00",
				ClientIP: "203.0.113.7", Status: epay.OrderPaid}},
		{"refund", "api/pay/refund", refundMembers,
			func(c *Client) (any, error) {
				return c.Refund(ctx, &RefundRequest{TradeNo: "2026010112000000001", Money: "1.00", OutRefundNo: "R-1"})
			},
			map[string]string{"trade_no": "2026010112000000001", "money": "1.00", "out_refund_no": "R-1"},
			&RefundResult{RefundNo: "2026010113000000001", OutRefundNo: "R-1", TradeNo: "2026010112000000001",
				OutTradeNo: "V2-0001", Money: "1.00", ReduceMoney: "1.00"}},
		{"refundquery", "api/pay/refundquery", refundMembers,
			func(c *Client) (any, error) { return c.RefundQuery(ctx, &RefundQueryRequest{OutRefundNo: "R-1"}) },
			map[string]string{"out_refund_no": "R-1"},
			&Refund{RefundNo: "2026010113000000001", OutRefundNo: "R-1", TradeNo: "2026010112000000001",
				OutTradeNo: "V2-0001", Money: "1.00", ReduceMoney: "1.00", Status: RefundSucceeded, AddTime: "2026-01-01 09:00:00"}},
		{"close", "api/pay/close", nil,
			func(c *Client) (any, error) { return nil, c.Close(ctx, &CloseRequest{TradeNo: "2026010112000000001"}) },
			map[string]string{"trade_no": "2026010112000000001"}, nil},
		{"merchant info", "api/merchant/info",
			[]member{{"pid", 1001}, {"status", 1}, {"pay_status", 1}, {"settle_status", 0}, {"money", "12.34"},
				{"settle_type", 1}, {"account", "merchant@example.com"}, {"username", "Test"}, {"order_num", 7},
				{"order_num_today", 2}, {"order_num_lastday", "1"}, {"order_money_today", "19.98"}, {"order_money_lastday", "0.00"}},
			func(c *Client) (any, error) { return c.MerchantInfo(ctx) },
			map[string]string{},
			&MerchantInfo{PID: "1001", Active: true, PayEnabled: true, Money: "12.34", SettleType: 1,
				Account: "merchant@example.com", Username: "Test", Orders: 7, OrdersToday: 2, OrdersLastDay: 1,
				OrderMoneyToday: "19.98", OrderMoneyLast: "0.00"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, mt := newMock(t)
			var rec recorder
			mt.RegisterResponder("POST", testBase+tc.path, rec.responder(rawResp(200, okBody(t, tc.answer...))))
			got, err := tc.call(c)
			require.NoError(t, err)
			if tc.want != nil {
				assert.Equal(t, tc.want, got)
			}
			req := rec.only(t)
			assert.Equal(t, "/epay/"+tc.path, req.Path)
			checkSigned(t, req)
			for k, v := range tc.form {
				assert.Equal(t, []string{v}, req.Form[k], k)
			}
			assert.Len(t, req.Form, len(tc.form)+4, "only the documented fields: %v", formKeys(req.Form))

			// The same answer with a tampered field, without sign, with a
			// wrong sign_type or signed by the merchant key is refused.
			for name, body := range map[string]string{
				"tampered":      strings.Replace(okBody(t, tc.answer...), `"msg":"succ"`, `"msg":"ok"`, 1),
				"unsigned":      encodeMembers(append([]member{{"code", 0}, {"msg", "succ"}, {"timestamp", testTS}}, tc.answer...)),
				"wrong key":     signedBody(t, testKeys().merchant, testTS, append([]member{{"code", 0}, {"msg", "succ"}}, tc.answer...)...),
				"old timestamp": signedBody(t, testKeys().platform, testTS-301, append([]member{{"code", 0}, {"msg", "succ"}}, tc.answer...)...),
				"future":        signedBody(t, testKeys().platform, testTS+301, append([]member{{"code", 0}, {"msg", "succ"}}, tc.answer...)...),
				"sign_type MD5": strings.Replace(okBody(t, tc.answer...), `"sign_type":"RSA"`, `"sign_type":"MD5"`, 1),
			} {
				c2, mt2 := newMock(t)
				mt2.RegisterResponder("POST", testBase+tc.path, rawResp(200, body))
				_, err := tc.call(c2)
				require.Error(t, err, name)
				if strings.Contains(name, "timestamp") || name == "future" {
					assert.ErrorIs(t, err, ErrTimestamp, name)
				} else {
					assert.ErrorIs(t, err, ErrBadResponseSignature, name)
				}
			}
		})
	}
}

func TestAPIErrorUnsigned(t *testing.T) {
	t.Parallel()
	c, mt := newMock(t)
	mt.RegisterResponder("POST", testBase+"api/pay/query", rawResp(200, `{"code":-1,"msg":"订单号不存在"}`))
	_, err := c.Query(context.Background(), &QueryRequest{TradeNo: "1"})
	var ae *APIError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, &APIError{Code: -1, Msg: "订单号不存在", HTTPStatus: 200, Endpoint: "api/pay/query"}, ae)
	assert.EqualError(t, err, "epayv2: api/pay/query: code -1: 订单号不存在")

	mt.RegisterResponder("POST", testBase+"api/pay/close", rawResp(400, `{"code":"-3","msg":"签名校验失败"}`))
	err = c.Close(context.Background(), &CloseRequest{OutTradeNo: "x"})
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, &APIError{Code: -3, Msg: "签名校验失败", HTTPStatus: 400, Endpoint: "api/pay/close"}, ae)
}

func TestBadBodies(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		status int
		body   string
		reason string
	}{
		"html":          {200, "<html>busy</html>", "expected a JSON object"},
		"no code":       {200, `{"msg":"x"}`, "JSON answer without a code"},
		"502 no code":   {502, `{"msg":"x"}`, "HTTP error status"},
		"code not num":  {200, `{"code":"abc"}`, "code is not a number"},
		"ok on 500":     {500, okBody(t, member{"trade_no", "1"}), "HTTP error status with a success code"},
		"no trade_no":   {200, okBody(t, member{"status", 1}), "success answer without trade_no"},
		"truncated":     {200, `{"code":0,"msg":`, "malformed JSON"},
		"status object": {200, okBody(t, member{"trade_no", "1"}, member{"status", json.RawMessage(`{"a":1}`)}), "malformed JSON"},
	} {
		c, mt := newMock(t, WithRetries(0))
		mt.RegisterResponder("POST", testBase+"api/pay/query", rawResp(tc.status, tc.body))
		_, err := c.Query(context.Background(), &QueryRequest{TradeNo: "1"})
		var he *HTTPError
		if assert.ErrorAs(t, err, &he, name) {
			assert.Equal(t, tc.reason, he.Reason, name)
			assert.Equal(t, tc.status, he.StatusCode, name)
		}
	}
}

func TestRefundRetriedOnlyWithOutRefundNo(t *testing.T) {
	t.Parallel()
	answer := []member{{"refund_no", "2026010113000000001"}, {"out_refund_no", "R-1"}, {"money", "1.00"}}
	for _, tc := range []struct {
		outRefundNo string
		attempts    int
		ok          bool
	}{{"R-1", 3, true}, {"", 1, false}} {
		c, mt := newMock(t, WithRetries(2))
		var rec recorder
		mt.RegisterResponder("POST", testBase+"api/pay/refund",
			rec.responder(rawResp(503, "<html>503</html>"), rawResp(503, "<html>503</html>"), rawResp(200, okBody(t, answer...))))
		res, err := c.Refund(context.Background(), &RefundRequest{OutTradeNo: "V2-0001", Money: "1.00", OutRefundNo: tc.outRefundNo})
		assert.Len(t, rec.all(), tc.attempts, "out_refund_no %q", tc.outRefundNo)
		if tc.ok {
			require.NoError(t, err)
			assert.Equal(t, "2026010113000000001", res.RefundNo)
		} else {
			var he *HTTPError
			require.ErrorAs(t, err, &he)
			assert.Equal(t, 503, he.StatusCode)
		}
	}
	// Queries are retried too.
	c, mt := newMock(t)
	var rec recorder
	mt.RegisterResponder("POST", testBase+"api/pay/query",
		rec.responder(rawResp(502, ""), rawResp(200, okBody(t, member{"trade_no", "1"}))))
	_, err := c.Query(context.Background(), &QueryRequest{TradeNo: "1"})
	require.NoError(t, err)
	assert.Len(t, rec.all(), 2)
}

func TestValidation(t *testing.T) {
	t.Parallel()
	c, mt := newMock(t)
	ctx := context.Background()
	mod := func(f func(r *CreateRequest)) *CreateRequest { r := createReq(); f(r); return r }
	for _, tc := range []struct {
		err  func() error
		want string
	}{
		{func() error { _, e := c.Create(ctx, mod(func(r *CreateRequest) { r.Money = "9.999" })); return e },
			"epayv2: money: want a positive amount in yuan with at most 2 decimals, such as 9.99"},
		{func() error { _, e := c.Create(ctx, mod(func(r *CreateRequest) { r.Money = "" })); return e },
			"epayv2: money: required: an amount in yuan such as 9.99"},
		{func() error { _, e := c.Create(ctx, mod(func(r *CreateRequest) { r.OutTradeNo = "a b" })); return e },
			"epayv2: out_trade_no: may contain only letters, digits and . _ - |"},
		{func() error {
			_, e := c.Create(ctx, mod(func(r *CreateRequest) { r.NotifyURL = "https://x/n?a=1" }))
			return e
		},
			"epayv2: notify_url: must not have a query string: its parameters would arrive unsigned"},
		{func() error { _, e := c.Create(ctx, mod(func(r *CreateRequest) { r.ClientIP = "" })); return e },
			"epayv2: clientip: required: the buyer's IP address"},
		{func() error {
			_, e := c.Create(ctx, mod(func(r *CreateRequest) { r.Extra = map[string]string{"timestamp": "1"} }))
			return e
		},
			"epayv2: Extra: key timestamp is set by the client"},
		{func() error { _, e := c.Create(ctx, mod(func(r *CreateRequest) { r.Method = MethodJSAPI })); return e },
			"epayv2: sub_openid: required with method jsapi"},
		{func() error { _, e := c.Query(ctx, &QueryRequest{}); return e }, "epayv2: trade_no: required: set trade_no or out_trade_no"},
		{func() error { _, e := c.Refund(ctx, &RefundRequest{TradeNo: "1", Money: "0"}); return e },
			"epayv2: money: want a positive amount in yuan with at most 2 decimals, such as 9.99"},
		{func() error {
			_, e := c.Refund(ctx, &RefundRequest{TradeNo: "1", Money: "1", OutRefundNo: strings.Repeat("r", 65)})
			return e
		}, "epayv2: out_refund_no: longer than 64 bytes"},
		{func() error { _, e := c.RefundQuery(ctx, &RefundQueryRequest{}); return e },
			"epayv2: out_refund_no: required: set out_refund_no or refund_no"},
		{func() error { return c.Close(ctx, &CloseRequest{TradeNo: "a\nb"}) }, "epayv2: trade_no: must be valid UTF-8 without control characters"},
		{func() error { _, e := c.Orders(ctx, &OrdersRequest{Limit: 51}); return e }, "epayv2: limit: want 0 (the default) to 50"},
	} {
		err := tc.err()
		assert.EqualError(t, err, tc.want)
		assert.ErrorIs(t, err, ErrInvalidRequest, tc.want)
	}
	_, err := c.Create(ctx, nil)
	assert.EqualError(t, err, "epayv2: nil *CreateRequest")
	var zero *Client
	_, err = zero.Query(ctx, &QueryRequest{TradeNo: "1"})
	assert.ErrorIs(t, err, ErrNotInitialized)
	assert.Equal(t, 0, mt.GetTotalCallCount(), "nothing is sent for an invalid request")
}

func TestNewAndBaseURL(t *testing.T) {
	t.Parallel()
	k := testKeys()
	for in, want := range map[string]string{
		"https://pay.example.com":                         "https://pay.example.com/",
		"https://pay.example.com/epay":                    "https://pay.example.com/epay/",
		"https://pay.example.com/epay/api/pay/create":     "https://pay.example.com/epay/",
		"https://pay.example.com/epay/api/merchant/info/": "https://pay.example.com/epay/",
		"https://pay.example.com/epay/mapi.php?x=1#f":     "https://pay.example.com/epay/",
		" HTTPS://pay.example.com/API/PAY/QUERY ":         "https://pay.example.com/",
	} {
		c, err := New(in, "1001", k.merchant, &k.platform.PublicKey)
		require.NoError(t, err, in)
		assert.Equal(t, want, c.BaseURL(), in)
	}
	for in, msg := range map[string]string{
		"":                         "epayv2: base URL is empty",
		"ftp://x/":                 `epayv2: base URL "ftp://x/": scheme must be http or https`,
		"https://u:p@x/":           `epayv2: base URL "https://x/" must not contain user credentials`,
		"https:///path":            `epayv2: base URL "https:///path" has no host`,
		"https://x/?sign=abcdefgh": "", // checked below: redacted
	} {
		_, err := New(in, "1001", k.merchant, &k.platform.PublicKey)
		if msg != "" {
			assert.EqualError(t, err, msg)
		}
	}
	_, err := New(testBase, "", k.merchant, &k.platform.PublicKey)
	assert.EqualError(t, err, "epayv2: pid is empty")
	_, err = New(testBase, "1001", nil, &k.platform.PublicKey)
	assert.EqualError(t, err, "epayv2: merchant private key is nil")
	_, err = New(testBase, "1001", k.merchant, nil)
	assert.EqualError(t, err, "epayv2: platform public key is nil")
	_, err = New(testBase, "1001", k.merchant, &k.merchant.PublicKey)
	assert.ErrorContains(t, err, "is the merchant's own key")
	_, err = New(testBase, "1001", k.merchant, &k.platform.PublicKey, WithMaxSkew(0))
	assert.EqualError(t, err, "epayv2: max skew 0s: want a positive duration")

	c, err := NewFromPEM(testBase, "1001", k.merchantPEM, k.platformPEM, WithMaxSkew(time.Minute))
	require.NoError(t, err)
	assert.Equal(t, time.Minute, c.MaxSkew())
	assert.Equal(t, `epayv2.Client{base: "https://pay.example.com/epay/", pid: "1001"}`, fmt.Sprintf("%v|%#v", c, c)[:len(c.String())])
	assert.NotContains(t, fmt.Sprintf("%+v %#v", c, c), "MII")
}

func TestNewFromPEMErrorsHideKeys(t *testing.T) {
	t.Parallel()
	k := testKeys()
	body := strings.Join(strings.Split(k.merchantPEM, "\n")[1:10], "")
	corrupt := body[:100] + "!!" + body[102:]
	_, err := NewFromPEM(testBase, "1001", corrupt, k.platformPEM)
	require.Error(t, err)
	assert.ErrorIs(t, err, sign.ErrInvalidRSAKey)
	assert.Equal(t, "epayv2: merchant key: sign: RSA private key: neither PEM nor base64", err.Error())
	_, err = NewFromPEM(testBase, "1001", k.merchantPEM, body[:200])
	assert.EqualError(t, err, "epayv2: platform key: sign: RSA public key: not a valid SPKI or PKCS#1 key")
	for i := 0; i+9 <= len(body); i++ {
		if strings.Contains(err.Error(), body[i:i+9]) {
			t.Fatalf("error contains key material %q", body[i:i+9])
		}
	}
}

func TestContextCancelled(t *testing.T) {
	t.Parallel()
	c, mt := newMock(t)
	mt.RegisterResponder("POST", testBase+"api/pay/query", rawResp(200, okBody(t, member{"trade_no", "1"})))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := c.Query(ctx, &QueryRequest{TradeNo: "1"})
	var te *TransportError
	require.ErrorAs(t, err, &te)
	assert.True(t, errors.Is(err, context.Canceled))
}

func TestPayInfoAccessors(t *testing.T) {
	t.Parallel()
	r := &CreateResult{PayType: PayTypeJSAPI, PayInfo: `{"appId":"wx1","timeStamp":1767225600,"package":"prepay_id=wx2","ok":true}`}
	m, err := r.JSAPI()
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"appId": "wx1", "timeStamp": "1767225600", "package": "prepay_id=wx2", "ok": "true"}, m)
	_, err = r.URL()
	assert.EqualError(t, err, `epayv2: pay_type "jsapi" carries no URL`)
	_, err = r.HTML()
	assert.EqualError(t, err, `epayv2: pay_type "jsapi" carries no HTML`)
	_, err = (&CreateResult{PayType: PayTypeJSAPI, PayInfo: "nope"}).JSAPI()
	assert.EqualError(t, err, "epayv2: pay_info of pay_type jsapi: not a JSON object")

	app, err := (&CreateResult{PayType: PayTypeApp, PayInfo: "app_id=1&biz_content=x"}).App()
	require.NoError(t, err)
	assert.Equal(t, &AppPayment{OrderString: "app_id=1&biz_content=x"}, app)
	app, err = (&CreateResult{PayType: PayTypeApp, PayInfo: `{"partnerid":"1","noncestr":"n"}`}).App()
	require.NoError(t, err)
	assert.Equal(t, &AppPayment{Params: map[string]string{"partnerid": "1", "noncestr": "n"}}, app)
	_, err = (&CreateResult{PayType: PayTypeJump}).App()
	assert.EqualError(t, err, `epayv2: pay_type "jump" carries no app payment`)
	h, err := (&CreateResult{PayType: PayTypeHTML, PayInfo: "<form></form>"}).HTML()
	require.NoError(t, err)
	assert.Equal(t, "<form></form>", h)
	for _, pt := range []PayType{PayTypeQRCode, PayTypeURLScheme} {
		u, err := (&CreateResult{PayType: pt, PayInfo: "weixin://x"}).URL()
		require.NoError(t, err)
		assert.Equal(t, "weixin://x", u)
	}
}

func TestCreatePayInfoObject(t *testing.T) {
	t.Parallel()
	c, mt := newMock(t)
	var rec recorder
	mt.RegisterResponder("POST", testBase+"api/pay/create", rec.responder(rawResp(200, okBody(t,
		member{"trade_no", "2026010112000000002"}, member{"pay_type", "jsapi"},
		member{"pay_info", json.RawMessage(`{"appId":"wx1","paySign":"abc"}`)}))))
	r := createReq()
	r.Method, r.SubOpenID, r.Extra = MethodJSAPI, "openid-1", map[string]string{"channel_id": "3"}
	res, err := c.Create(context.Background(), r)
	require.NoError(t, err)
	m, err := res.JSAPI()
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"appId": "wx1", "paySign": "abc"}, m)
	got := rec.only(t)
	checkSigned(t, got)
	assert.Equal(t, "jsapi", got.Form.Get("method"))
	assert.Equal(t, "openid-1", got.Form.Get("sub_openid"))
	assert.Equal(t, "3", got.Form.Get("channel_id"))
}

func TestRequestHookAndNoKeyInLogs(t *testing.T) {
	t.Parallel()
	var events []RequestEvent
	var logBuf strings.Builder
	c, mt := newMock(t, WithRequestHook(func(e RequestEvent) { events = append(events, e) }), WithUserAgent("shop/1"))
	mt.RegisterResponder("POST", testBase+"api/pay/query", func(r *http.Request) (*http.Response, error) {
		logBuf.WriteString(r.Header.Get("User-Agent"))
		return rawResp(200, okBody(t, member{"trade_no", "1"}))(r)
	})
	_, err := c.Query(context.Background(), &QueryRequest{TradeNo: "1"})
	require.NoError(t, err)
	require.Len(t, events, 1)
	assert.Equal(t, "https://pay.example.com/epay/api/pay/query", events[0].URL)
	assert.Equal(t, "shop/1", logBuf.String())
}
