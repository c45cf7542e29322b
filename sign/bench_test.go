package sign

import (
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"sort"
	"testing"
)

// benchParams is a realistic 10-field Epay mapi.php create request.
var benchParams = map[string]string{
	"pid":          "1001",
	"type":         "alipay",
	"out_trade_no": "20261123085512345678",
	"notify_url":   "https://shop.example.com/pay/epay/notify",
	"return_url":   "https://shop.example.com/pay/epay/return",
	"name":         "Pro plan, 12 months",
	"money":        "129.90",
	"clientip":     "203.0.113.10",
	"device":       "pc",
	"param":        "user=42",
}

const benchKey = "89unJUB8HZ54Hj7x4nUj56HN4nUzUJ8i"

var sink string

// naiveEpay is the straightforward implementation: copy keys, sort, build with
// fmt.Sprintf, hex.EncodeToString.
func naiveEpay(params map[string]string, key string) string {
	keys := make([]string, 0, len(params))
	for k, v := range params {
		if k == "sign" || k == "sign_type" || v == "" {
			continue
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	s := ""
	for i, k := range keys {
		if i > 0 {
			s += "&"
		}
		s += fmt.Sprintf("%s=%s", k, params[k])
	}
	h := md5.Sum([]byte(s + key))
	return hex.EncodeToString(h[:])
}

func TestNaiveBaselineAgrees(t *testing.T) {
	if naiveEpay(benchParams, benchKey) != Epay(benchParams, benchKey) {
		t.Fatal("the baseline must compute the same signature")
	}
}

// BenchmarkEpayFloor is the floor: MD5 and hex of the prepared string.
func BenchmarkEpayFloor(b *testing.B) {
	prepared := EpayString(benchParams) + benchKey
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		h := md5.Sum([]byte(prepared))
		sink = hex.EncodeToString(h[:])
	}
}

// BenchmarkEpayNaive is the straightforward implementation.
func BenchmarkEpayNaive(b *testing.B) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		sink = naiveEpay(benchParams, benchKey)
	}
}

// BenchmarkEpay is this package's signer on the same request.
func BenchmarkEpay(b *testing.B) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		sink = Epay(benchParams, benchKey)
	}
}

// BenchmarkVerifyEpay signs and compares a received signature.
func BenchmarkVerifyEpay(b *testing.B) {
	p := map[string]string{"sign": Epay(benchParams, benchKey), "sign_type": "MD5"}
	for k, v := range benchParams {
		p[k] = v
	}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if !VerifyEpay(p, benchKey) {
			b.Fatal("must verify")
		}
	}
}
