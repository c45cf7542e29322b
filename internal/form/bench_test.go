package form

import (
	"testing"

	"github.com/google/go-querystring/query"

	"github.com/epaykit/epaykit/internal/fields"
)

// benchWire is an Epay checkout as the SDK sends it: nine fields set.
func benchWire() epayWire {
	return epayWire{
		PID:        "1001",
		Type:       "alipay",
		OutTradeNo: "20240101123456789",
		NotifyURL:  "https://merchant.example/notify",
		ReturnURL:  "https://merchant.example/return",
		Name:       "VIP membership",
		Money:      "19.90",
		ClientIP:   "192.0.2.10",
		Device:     "pc",
	}
}

var benchExtra = map[string]string{"channel_id": "7"}

func BenchmarkFields(b *testing.B) {
	w := benchWire()
	b.ReportAllocs()
	for range b.N {
		var buf [fields.OnStack]fields.Field
		fs, err := Fields(buf[:0], &w, benchExtra)
		if err != nil || len(fs) != 10 {
			b.Fatal(len(fs), err)
		}
	}
}

// BenchmarkQueryValues is the encoding before Fields: go-querystring alone.
func BenchmarkQueryValues(b *testing.B) {
	w := benchWire()
	b.ReportAllocs()
	for range b.N {
		v, err := query.Values(&w)
		if err != nil || len(v) != 9 {
			b.Fatal(v, err)
		}
	}
}

func BenchmarkFieldsIEPay(b *testing.B) {
	rate := 7
	r := iepayCreate{PayType: "IE0012", OutTradeNo: "20240101123456789", TotalFee: 1000, Goods: "VIP",
		GoodsDetail: "VIP membership", Expired: 600, NotifyURL: "https://merchant.example/notify", PayRate: &rate}
	extra := map[string]string{"version": "v1"}
	b.ReportAllocs()
	for range b.N {
		var buf [fields.OnStack]fields.Field
		fs, err := Fields(buf[:0], &r, extra)
		if err != nil || len(fs) != 9 {
			b.Fatal(len(fs), err)
		}
	}
}

func BenchmarkQueryValuesIEPay(b *testing.B) {
	rate := 7
	r := iepayCreate{PayType: "IE0012", OutTradeNo: "20240101123456789", TotalFee: 1000, Goods: "VIP",
		GoodsDetail: "VIP membership", Expired: 600, NotifyURL: "https://merchant.example/notify", PayRate: &rate}
	b.ReportAllocs()
	for range b.N {
		v, err := query.Values(&r)
		if err != nil || len(v) != 8 {
			b.Fatal(v, err)
		}
	}
}
