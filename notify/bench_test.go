package notify

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/epaykit/epaykit/epay"
)

// BenchmarkHandlerBaseline is a handler that only answers the success word.
func BenchmarkHandlerBaseline(b *testing.B) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, "success")
	})
	benchHandler(b, h)
}

// BenchmarkEpayHandler verifies, de-duplicates (a repeated delivery after
// the first) and answers.
func BenchmarkEpayHandler(b *testing.B) {
	c, err := epay.New("https://pay.example.com/epay/", epayPID, epayKey)
	if err != nil {
		b.Fatal(err)
	}
	h := Epay(c, func(context.Context, *epay.Notification) error { return nil })
	benchHandler(b, h)
}

func benchHandler(b *testing.B, h http.Handler) {
	target := "/shop/notify?" + epayNotification(1, map[string]string{"param": "user=42"}).Encode()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r := httptest.NewRequest(http.MethodGet, target, nil)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Body.String() != "success" {
			b.Fatalf("reply %q", w.Body.String())
		}
	}
}
