package sign

import (
	"maps"
	"net/url"
	"testing"

	"github.com/epaykit/epaykit/internal/fields"
)

// addVectorSeeds seeds a fuzz target with the known-answer vectors encoded
// as query strings.
func addVectorSeeds(f *testing.F) {
	vf := loadVectors(f)
	for _, group := range [][]vector{vf.EpaySign, vf.EpayNotify, vf.IEPaySign} {
		for _, v := range group {
			q := url.Values{}
			for k, val := range v.Params {
				q.Set(k, val)
			}
			f.Add(q.Encode(), v.Key)
		}
	}
	f.Add("a=1&a=2", "k")
	f.Add("0sign_type=1&sign=2", "k") // names that contain the dropped ones are signed
	f.Add("%zz", "")
}

// FuzzEpayString checks that the canonical string never panics, never
// contains a dropped field, and that signing round-trips through verify.
func FuzzEpayString(f *testing.F) {
	addVectorSeeds(f)
	f.Fuzz(func(t *testing.T, query, key string) {
		v, err := url.ParseQuery(query)
		if err != nil {
			return
		}
		m, err := Flatten(v)
		if err != nil {
			return
		}
		delete(m, "sign")
		before := maps.Clone(m)
		s := EpayString(m)
		withSign := maps.Clone(m)
		withSign["sign"], withSign["sign_type"] = "0123", "MD5"
		if EpayString(withSign) != s {
			t.Fatalf("sign and sign_type must not be signed: %q", s)
		}
		_ = IEPayString(m)
		m["sign"] = Epay(m, key)
		if !VerifyEpay(m, key) {
			t.Fatalf("sign/verify round trip failed for %q", query)
		}
		m["sign"] = IEPay(m, key)
		if !VerifyIEPay(m, key) {
			t.Fatalf("IEPay sign/verify round trip failed for %q", query)
		}
		delete(m, "sign")
		if !maps.Equal(before, m) {
			t.Fatal("signing modified its input")
		}
	})
}

// FuzzEpayTamper checks that changing one character of any signed value, or
// of the key, makes verification fail.
func FuzzEpayTamper(f *testing.F) {
	addVectorSeeds(f)
	f.Fuzz(func(t *testing.T, query, key string) {
		v, err := url.ParseQuery(query)
		if err != nil {
			return
		}
		m, err := Flatten(v)
		if err != nil {
			return
		}
		m["sign"] = Epay(m, key)
		for k, val := range m {
			if k == "sign" || k == "sign_type" || fields.PHPBlank(val) {
				continue
			}
			for i := 0; i < len(val); i++ {
				t2 := maps.Clone(m)
				b := []byte(val)
				b[i] ^= 0x01
				t2[k] = string(b)
				if fields.PHPBlank(t2[k]) {
					continue // the change turned the value blank: unsigned either way
				}
				if VerifyEpay(t2, key) {
					t.Fatalf("changed %s[%d] still verifies", k, i)
				}
			}
		}
		if len(key) > 0 {
			b := []byte(key)
			b[len(b)-1] ^= 0x01
			if VerifyEpay(m, string(b)) {
				t.Fatal("changed key still verifies")
			}
		}
		if VerifyEpay(m, key+"x") {
			t.Fatal("longer key still verifies")
		}
	})
}

// FuzzIEPayNotify checks the notification signature round trip and that a
// changed character in either number fails.
func FuzzIEPayNotify(f *testing.F) {
	for _, v := range loadVectors(f).IEPayNotify {
		f.Add(v.Params["trade_no"], v.Params["out_trade_no"], v.Key)
	}
	f.Fuzz(func(t *testing.T, tradeNo, outTradeNo, key string) {
		s := IEPayNotify(tradeNo, outTradeNo, key)
		if !VerifyIEPayNotify(tradeNo, outTradeNo, s, key) {
			t.Fatal("round trip failed")
		}
		if tradeNo != "" {
			b := []byte(tradeNo)
			b[0] ^= 0x01
			// Moving a character between the two numbers keeps the
			// concatenation, which the protocol cannot tell apart.
			if string(b)+outTradeNo != tradeNo+outTradeNo && VerifyIEPayNotify(string(b), outTradeNo, s, key) {
				t.Fatal("changed trade_no still verifies")
			}
		}
	})
}
