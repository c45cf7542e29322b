package iepay

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/epaykit/epaykit/sign"
)

// rtFunc is an http.RoundTripper without a network, for fuzzing.
type rtFunc func(*http.Request) (*http.Response, error)

func (f rtFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func fuzzClient(f *testing.F, rt rtFunc) *Client {
	c, err := New(testMID, testKey, WithBaseURL(testBase), WithHTTPClient(&http.Client{Transport: rt}), WithRetries(0))
	if err != nil {
		f.Fatal(err)
	}
	return c
}

func FuzzParseNotification(f *testing.F) {
	for _, v := range vectors(f).Notify {
		f.Add(notifyValues(v).Encode(), v.Key)
	}
	f.Add("trade_no=1&out_trade_no=2&trade_status=SUCCESS&sign=&sign=", testKey)
	f.Add("trade_no=%zz", testKey)
	f.Fuzz(func(t *testing.T, raw, key string) {
		if key == "" || strings.TrimSpace(key) != key {
			return
		}
		c, err := New(testMID, key)
		if err != nil {
			t.Fatal(err)
		}
		r, _ := http.NewRequest(http.MethodGet, "https://shop.example.nz/n", nil)
		r.URL.RawQuery = raw
		n, err := c.ParseNotificationRequest(r)
		if err != nil {
			if n != nil {
				t.Fatal("result with error")
			}
			unq, _ := url.QueryUnescape(raw)
			echoed := strings.Contains(raw, key) || strings.Contains(unq, key)
			if len(key) >= 8 && !echoed && strings.Contains(err.Error(), key) {
				t.Fatalf("key in error %q", err)
			}
			return
		}
		v, perr := url.ParseQuery(raw)
		if perr != nil {
			t.Fatalf("accepted a query that does not parse: %v", perr)
		}
		before := v.Encode()
		n2, err := c.ParseNotification(v)
		if err != nil || n2.TradeNo != n.TradeNo || n2.OutTradeNo != n.OutTradeNo {
			t.Fatalf("values and request disagree: %v", err)
		}
		if v.Encode() != before {
			t.Fatal("input modified")
		}
		if n.TradeStatus != "SUCCESS" || n.TradeNo == "" || n.OutTradeNo == "" {
			t.Fatalf("accepted %+v", n)
		}
		if !sign.VerifyIEPayNotify(n.TradeNo, n.OutTradeNo, n.Raw["sign"], key) {
			t.Fatal("accepted a notification that does not verify")
		}
		for k, vs := range v {
			if len(vs) != 1 || n.Raw[k] != vs[0] {
				t.Fatalf("Raw[%q] = %q, sent %q", k, n.Raw[k], vs)
			}
		}
		// The same parameters as a POST body give the same notification.
		p, _ := http.NewRequest(http.MethodPost, "https://shop.example.nz/n", strings.NewReader(raw))
		n3, err := c.ParseNotificationRequest(p)
		if err != nil || n3.TradeNo != n.TradeNo {
			t.Fatalf("POST disagrees with GET: %v", err)
		}
	})
}

func FuzzDecodeResponse(f *testing.F) {
	seeds := []string{
		`{"is_success":"TRUE","message":"SUCCESS","extra":{"mid":"10224","pay_type":"IE0012","out_trade_no":"A-1","pay_url":"https://x"}}`,
		`{"is_success":"FALSE","message":"ORDER_CREATED","extra":{"pay_url":"https://x","status":"0"}}`,
		`{"is_success":"FALSE","message":"COMBINE_ERROR","extra":[]}`,
		`{"is_success":true,"extra":{"order_status":3,"total_fee":"1000","rmb_fee":null}}`,
		`{"message":"SIGN_ERROR"}`,
		`{"code":200,"data":{"timeStamp":1,"nonceStr":"n","package":"p","signType":"MD5","paySign":"s"}}`,
		`{"code":"200","data":"{\"timeStamp\":\"1\",\"nonceStr\":\"n\",\"package\":\"p\",\"paySign\":\"s\"}"}`,
		`{"code":500,"msg":"x"}`,
		"<html>502</html>",
		"",
	}
	for i, s := range seeds {
		f.Add(uint8(i), 200, []byte(s))
	}
	f.Add(uint8(1), 503, []byte(seeds[2]))
	var status int
	var body []byte
	c := fuzzClient(f, func(r *http.Request) (*http.Response, error) {
		return &http.Response{StatusCode: status, Header: http.Header{}, Body: io.NopCloser(strings.NewReader(string(body))), Request: r}, nil
	})
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, which uint8, st int, b []byte) {
		if st < 100 || st > 999 {
			st = 200
		}
		status, body = st, b
		var err error
		switch which % 4 {
		case 0:
			var res *CreateResult
			res, err = c.Create(ctx, &CreateRequest{PayType: PayTypeAlipayWeb, OutTradeNo: "A-1", TotalFee: 1, Goods: "Tea", GoodsDetail: "Tea"})
			if err == nil && res.PayURL == "" {
				t.Fatal("create success without pay_url")
			}
		case 1:
			var o *Order
			o, err = c.Check(ctx, &CheckRequest{PayType: PayTypeAlipayWeb, OutTradeNo: "A-1"})
			if err == nil && (o.OutTradeNo == "" || o.PayType == "") {
				t.Fatalf("check result %+v", o)
			}
		case 2:
			_, err = c.Refund(ctx, &RefundRequest{PayType: PayTypeAlipayWeb, OutTradeNo: "A-1", RefundAmount: 1})
		case 3:
			var p *MiniProgramPayment
			p, err = c.CreateMiniProgram(ctx, &MiniProgramRequest{AppID: "wx", OpenID: "o", OutTradeNo: "M-1", Goods: "Tea", GoodsDetail: "Tea", TotalFee: 1})
			if err == nil && (p.PaySign == "" || len(p.Raw) == 0) {
				t.Fatalf("mini program result %+v", p)
			}
		}
		if err != nil && strings.Contains(err.Error(), testKey) {
			t.Fatalf("key in error %q", err)
		}
		if err == nil && (st < 200 || st > 299) {
			t.Fatalf("success with HTTP %d", st)
		}
	})
}

func FuzzCreateRequest(f *testing.F) {
	v := signVectorNamed(f, "create IE0012")
	f.Add(v.Params["pay_type"], v.Params["out_trade_no"], int64(1), int64(0), v.Params["goods"], v.Params["goods_detail"], 3600, v.Params["notify_url"], 31, "")
	f.Add("IE0013", "T-0001", int64(0), int64(990), "Tea", "Green tea 100g", 0, "", 0, "7")
	f.Add("IE0021", "a&b", int64(-1), int64(0), "x=y", "<b>", -1, "ftp://x", -1, "t")
	var sent string
	c := fuzzClient(f, func(r *http.Request) (*http.Response, error) {
		b, _ := io.ReadAll(r.Body)
		sent = string(b)
		return &http.Response{StatusCode: 200, Header: http.Header{}, Request: r,
			Body: io.NopCloser(strings.NewReader(`{"is_success":"TRUE","extra":{"pay_url":"u"}}`))}, nil
	})
	f.Fuzz(func(t *testing.T, payType, outTradeNo string, total, rmb int64, goods, detail string, expired int, notify string, rate int, tid string) {
		sent = ""
		r := &CreateRequest{PayType: PayType(payType), OutTradeNo: outTradeNo, TotalFee: total, RMBFee: rmb,
			Goods: goods, GoodsDetail: detail, Expired: expired, NotifyURL: notify, TID: tid}
		if rate <= 30 {
			r.PayRate = &rate
		}
		_, err := c.Create(context.Background(), r)
		if err != nil {
			if sent != "" {
				t.Fatalf("sent an invalid request: %v", err)
			}
			return
		}
		vals, perr := url.ParseQuery(sent)
		if perr != nil {
			t.Fatal(perr)
		}
		m, ferr := sign.Flatten(vals)
		if ferr != nil {
			t.Fatal(ferr)
		}
		for k, s := range m {
			if s == "" {
				t.Fatalf("empty field %s sent", k)
			}
		}
		if !sign.VerifyIEPay(m, testKey) {
			t.Fatal("sent form does not verify")
		}
		if m["mid"] != testMID || m["version"] != "v1" || m["out_trade_no"] != outTradeNo || m["goods"] != goods || m["pay_type"] != payType {
			t.Fatalf("sent %v", m)
		}
		if (m["total_fee"] == "") == (m["rmb_fee"] == "") {
			t.Fatalf("total_fee xor rmb_fee broken: %v", m)
		}
	})
}
