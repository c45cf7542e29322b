package transport

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/epaykit/epaykit/internal/fields"
)

var benchForm = url.Values{
	"pid": {"10001"}, "type": {"alipay"}, "out_trade_no": {"ORDER-20261122-0001"},
	"notify_url": {"https://shop.example.com/pay/notify"}, "name": {"VIP 会员 1 个月"}, "money": {"9.99"},
	"clientip": {"203.0.113.7"}, "device": {"pc"}, "sign": {"0123456789abcdef0123456789abcdef"}, "sign_type": {"MD5"},
}

func benchServer(b *testing.B) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"code":1,"trade_no":"2026112212000012345","payurl":"https://pay.example.com/pay/x"}`)
	}))
	b.Cleanup(srv.Close)
	return srv
}

// BenchmarkBareClient is the floor of Do: a plain http.Client POST of the
// same form, reading the whole body.
func BenchmarkBareClient(b *testing.B) {
	srv := benchServer(b)
	hc := &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		resp, err := hc.PostForm(srv.URL+"/mapi.php", benchForm)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
	}
}

// BenchmarkDo is Do with the default configuration on the same request.
func BenchmarkDo(b *testing.B) {
	benchDo(b, Config{Prefix: "bench", Secrets: []string{"k3y"}})
}

// BenchmarkDoNoTimeout is Do through a client without a time limit, to show
// what the default client's per-attempt DefaultTimeout costs.
func BenchmarkDoNoTimeout(b *testing.B) {
	benchDo(b, Config{Prefix: "bench", Secrets: []string{"k3y"},
		HTTPClient: &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}})
}

func benchDo(b *testing.B, cfg Config) {
	srv := benchServer(b)
	c := New(cfg)
	r := &Request{Method: "POST", URL: srv.URL + "/mapi.php", Form: fields.FromValues(nil, benchForm)}
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := c.Do(ctx, r); err != nil {
			b.Fatal(err)
		}
	}
}
