package epay

import (
	"context"
	"crypto/md5"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/epaykit/epaykit/internal/fields"
	"github.com/epaykit/epaykit/internal/transport"
)

// benchNotify is a realistic notification query string (vector 2).
func benchNotify(b *testing.B) (raw string, v vector) {
	v = loadVectors(b).EpayNotify[1]
	return values(v.Params).Encode(), v
}

// BenchmarkNotifyFloor is the floor: MD5 of the prepared string-to-sign
// with the key, which any verification must compute.
func BenchmarkNotifyFloor(b *testing.B) {
	_, v := benchNotify(b)
	prepared := []byte(v.StringToSign + v.Key)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		sum := md5.Sum(prepared)
		if sum[0] == 0 && sum[1] == 0 && sum[2] == 0 && sum[3] == 0 {
			b.Fatal("unlikely")
		}
	}
}

// BenchmarkParseNotificationRequest parses and verifies a GET notification
// from its raw query string, as a notify handler does.
func BenchmarkParseNotificationRequest(b *testing.B) {
	raw, v := benchNotify(b)
	c, err := New(testBase, v.Params["pid"], v.Key)
	if err != nil {
		b.Fatal(err)
	}
	r := httptest.NewRequest("GET", "/notify?"+raw, nil)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := c.ParseNotificationRequest(r); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseNotification is url.ParseQuery followed by
// ParseNotification, for callers that hold url.Values.
func BenchmarkParseNotification(b *testing.B) {
	raw, v := benchNotify(b)
	c, err := New(testBase, v.Params["pid"], v.Key)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		in, err := url.ParseQuery(raw)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := c.ParseNotification(in); err != nil {
			b.Fatal(err)
		}
	}
}

func createServer(b *testing.B) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"code":1,"trade_no":"2026112212000012345","payurl":"https://pay.example.com/pay/x"}`)
	}))
	b.Cleanup(srv.Close)
	return srv
}

// BenchmarkCreateBaseline is the floor of a Create round trip: a bare
// http.PostForm of the same signed form, reading the body.
func BenchmarkCreateBaseline(b *testing.B) {
	benchPostForm(b, &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()})
}

// BenchmarkCreateBaselineTimeout is BenchmarkCreateBaseline through a client
// with the per-attempt time limit Create's default client has
// (transport.DefaultTimeout): the like-for-like floor.
func BenchmarkCreateBaselineTimeout(b *testing.B) {
	benchPostForm(b, &http.Client{Timeout: transport.DefaultTimeout, Transport: http.DefaultTransport.(*http.Transport).Clone()})
}

func benchPostForm(b *testing.B, hc *http.Client) {
	srv := createServer(b)
	c, err := New(srv.URL+"/epay/", "10001", "k3y")
	if err != nil {
		b.Fatal(err)
	}
	r := kyrenCreate()
	fs, err := c.signed(nil, &wire{Type: r.Type, OutTradeNo: r.OutTradeNo, NotifyURL: r.NotifyURL, Name: r.Name,
		Money: r.Money, ClientIP: r.ClientIP, Device: r.Device, MoneyType: r.MoneyType,
		DisplayMerchantName: r.DisplayMerchantName}, nil)
	if err != nil {
		b.Fatal(err)
	}
	vals := fields.Values(fs)
	u := srv.URL + "/epay/mapi.php"
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		resp, err := hc.PostForm(u, vals)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
	}
}

// BenchmarkCreate is the whole Create: validate, sign, send, decode.
func BenchmarkCreate(b *testing.B) {
	srv := createServer(b)
	c, err := New(srv.URL+"/epay/", "10001", "k3y")
	if err != nil {
		b.Fatal(err)
	}
	r := kyrenCreate()
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := c.Create(ctx, r); err != nil {
			b.Fatal(err)
		}
	}
}
