package iepay

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/epaykit/epaykit/sign"
)

// BenchmarkNotification compares verifying a notification from its raw
// query string with the floor: one MD5 of the prepared string.
func BenchmarkNotification(b *testing.B) {
	v := vectors(b).Notify[0]
	raw := notifyValues(v).Encode()
	c, err := New(testMID, v.Key)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("baseline-md5", func(b *testing.B) {
		msg := []byte(v.Params["trade_no"] + v.Params["out_trade_no"] + "SUCCESS" + v.Key)
		var out [32]byte
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			d := md5.Sum(msg)
			hex.Encode(out[:], d[:])
		}
	})
	b.Run("parse-verify", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			q, err := url.ParseQuery(raw)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := c.ParseNotification(q); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkCreate compares a Create round trip against a local server with a
// bare http.PostForm of the same signed form and a read of the answer.
func BenchmarkCreate(b *testing.B) {
	const answer = `{"is_success":"TRUE","message":"SUCCESS","extra":{"mid":"10224","pay_type":"IE0012","out_trade_no":"202012022020515152520003","pay_url":"https://intlmapi.alipay.com/gateway.do?x=1"}}`
	mux := http.NewServeMux()
	mux.HandleFunc("/iepay/api/online", func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, answer)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	hc := srv.Client()

	v := signVectorNamed(b, "create IE0012")
	req := &CreateRequest{
		PayType: PayTypeAlipayWeb, OutTradeNo: v.Params["out_trade_no"], TotalFee: 1, Goods: "goodname",
		GoodsDetail: "goodsdetail", Expired: 3600, NotifyURL: v.Params["notify_url"], ReturnURL: v.Params["return_url"],
	}
	form := url.Values{}
	for k, s := range v.Params {
		form.Set(k, s)
	}
	form.Set("sign", sign.IEPay(v.Params, v.Key))

	b.Run("baseline-postform", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			resp, err := hc.PostForm(srv.URL+"/iepay/api/online", form)
			if err != nil {
				b.Fatal(err)
			}
			_, _ = io.ReadAll(resp.Body)
			resp.Body.Close()
		}
	})
	b.Run("client-create", func(b *testing.B) {
		c, err := New(testMID, v.Key, WithBaseURL(srv.URL+"/iepay"), WithHTTPClient(hc))
		if err != nil {
			b.Fatal(err)
		}
		ctx := context.Background()
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if _, err := c.Create(ctx, req); err != nil {
				b.Fatal(err)
			}
		}
	})
}
