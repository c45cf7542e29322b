package epayv2

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"net/url"
	"testing"

	"github.com/epaykit/epaykit/sign"
)

// BenchmarkParseNotification verifies a V2 notification end to end;
// BenchmarkBaselineRSAVerify is the bare RSA verification of a prepared
// digest, the floor it cannot go below.
func BenchmarkParseNotification(b *testing.B) {
	k := testKeys()
	c, err := New(testBase, testPID, k.merchant, &k.platform.PublicKey, WithClock(fixedClock))
	if err != nil {
		b.Fatal(err)
	}
	v := notification(b, k.platform, testTS, nil)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := c.ParseNotification(v); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkBaselineRSAVerify(b *testing.B) {
	k := testKeys()
	v := notification(b, k.platform, testTS, nil)
	m, _ := sign.Flatten(v)
	digest := sha256.Sum256([]byte(sign.EpayString(m)))
	sig, _ := base64.StdEncoding.DecodeString(v.Get("sign"))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if rsa.VerifyPKCS1v15(&k.platform.PublicKey, crypto.SHA256, digest[:], sig) != nil {
			b.Fatal("no")
		}
	}
}

// BenchmarkSignRequest signs a create request's form; its baseline is the
// MD5 signature of the same fields (V1).
func BenchmarkSignRequest(b *testing.B) {
	c, _ := New(testBase, testPID, testKeys().merchant, &testKeys().platform.PublicKey, WithClock(fixedClock))
	r := createReq()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := c.signedForm(r.params()); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkBaselineSignMD5(b *testing.B) {
	r := createReq()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p := r.params()
		p["pid"] = testPID
		p["sign"] = sign.Epay(p, "89unJUB8HZ54Hj7x4nUj56HN4nUzUJ8i")
		_ = url.Values{}
	}
}
