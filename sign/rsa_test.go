package sign

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func readKey(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	require.NoError(t, err)
	return string(b)
}

// bareBody returns the base64 body of a PEM text, as merchant panels show it.
func bareBody(t testing.TB, pemText string) string {
	t.Helper()
	block, _ := pem.Decode([]byte(pemText))
	require.NotNil(t, block)
	return base64.StdEncoding.EncodeToString(block.Bytes)
}

// Known answers, computed independently with
// printf '%s' "$s" | openssl dgst -sha256 -sign key.pem | base64 -w0
const (
	kaString      = "money=1.00&name=VIP&out_trade_no=1&pid=1001&timestamp=1767225600&type=alipay"
	kaMerchantSig = "TKWY2fQm9cMraZh1yUz4mRvdooEn9mM6+ggPJPlG63aQTwp4G99nyqLHvh1usSNLqa3SJ9J1DmaIxEDLupxeS4jWtIiRmSOVK67afAkf0x1XzNWlkuQ9dT4nP100505AqjNqreqTl43M6Q0VSBbTDmKL7kneAzsMIQxViiaASVqp0gOfS4dwZ6QQtD9zcnU9nPnk8fkugIRe00gecpbfkexhiEHvyxHunGgNEtEdiXHLdbwCZtIdmgcoSTyDhK7dzw9YutV9//LG3s28OHJB5le/1zZDibg0PyrhrLH8xtKn+gKMkVcXU4qq5uJRxAGTfw+E2uq0nEa6cAbafeY/VA=="
	kaPlatformSig = "PywhFHduIiKC+m91oYdN7JrY8uTFPRGj0WZBKy7fN302z7s7yvD2RfLUfM1DeooYsT0Te+nHNqNyS1ueDg37LbZ1z0VVVK7GSIn6JU2EPOT5a5PFnulD1/+kLoUzFvxJZFJl2RkKpPek1vpWvVOwackflrsNEHx+7D9yqHZ0tqnGCR6pb/Zm5eRRzXxpcLLqgkB/Wu/CXNNRbTqQjduERCEKlC9epw9HPw1PO3szRcUQDeGxCctZLhL0zOxPpIWG6HgoMXhaeWtPZdTKgWUkJj4RQDWl1AyLlmgq7PJTjjl936gFeEKxBP8Ks6bO7VUZYeCsHGtJSyldbbG2tDBqLw=="
)

func kaParams() map[string]string {
	return map[string]string{
		"pid": "1001", "type": "alipay", "out_trade_no": "1", "name": "VIP", "money": "1.00",
		"timestamp": "1767225600", "sign_type": "RSA", "param": " ",
	}
}

func TestSignRSAKnownAnswers(t *testing.T) {
	t.Parallel()
	p := kaParams()
	require.Equal(t, kaString, EpayString(p))
	for _, tc := range []struct{ key, want string }{
		{"rsa_merchant_private.pem", kaMerchantSig},
		{"rsa_merchant_private_pkcs1.pem", kaMerchantSig},
		{"rsa_platform_private.pem", kaPlatformSig},
	} {
		k, err := ParseRSAPrivateKey(readKey(t, tc.key))
		require.NoError(t, err, tc.key)
		got, err := SignRSA(p, k)
		require.NoError(t, err)
		assert.Equal(t, tc.want, got, tc.key)
	}
	assert.Equal(t, kaParams(), p, "SignRSA must not modify params")
}

func TestVerifyRSA(t *testing.T) {
	t.Parallel()
	mpub, err := ParseRSAPublicKey(readKey(t, "rsa_merchant_public.pem"))
	require.NoError(t, err)
	ppub, err := ParseRSAPublicKey(readKey(t, "rsa_platform_public.pem"))
	require.NoError(t, err)

	p := kaParams()
	p["sign"] = kaMerchantSig
	assert.True(t, VerifyRSA(p, mpub))
	assert.False(t, VerifyRSA(p, ppub), "wrong key")
	assert.False(t, VerifyRSA(p, nil))

	// sign_type and blank values are not signed.
	p["sign_type"] = "MD5"
	p["extra"] = "\t"
	assert.True(t, VerifyRSA(p, mpub))

	// A '+' turned into a space, and missing padding, are tolerated.
	p["sign"] = strings.ReplaceAll(strings.TrimRight(kaMerchantSig, "="), "+", " ")
	assert.True(t, VerifyRSA(p, mpub))

	for name, mut := range map[string]func(m map[string]string){
		"tampered money": func(m map[string]string) { m["money"] = "100.00" },
		"added field":    func(m map[string]string) { m["trade_status"] = "TRADE_SUCCESS" },
		"removed field":  func(m map[string]string) { delete(m, "timestamp") },
		"missing sign":   func(m map[string]string) { delete(m, "sign") },
		"empty sign":     func(m map[string]string) { m["sign"] = "" },
		"not base64":     func(m map[string]string) { m["sign"] = "!!!!" },
		"md5 sign":       func(m map[string]string) { m["sign"] = Epay(m, "k") },
		"flipped byte": func(m map[string]string) {
			b, _ := base64.StdEncoding.DecodeString(kaMerchantSig)
			b[10] ^= 1
			m["sign"] = base64.StdEncoding.EncodeToString(b)
		},
		"huge sign": func(m map[string]string) { m["sign"] = strings.Repeat("A", 8192) },
	} {
		m := kaParams()
		m["sign"] = kaMerchantSig
		mut(m)
		assert.False(t, VerifyRSA(m, mpub), name)
	}
}

func TestParseRSAPrivateKeyForms(t *testing.T) {
	t.Parallel()
	pkcs8 := readKey(t, "rsa_merchant_private.pem")
	pkcs1 := readKey(t, "rsa_merchant_private_pkcs1.pem")
	want, err := ParseRSAPrivateKey(pkcs8)
	require.NoError(t, err)
	body := bareBody(t, pkcs8)
	for name, text := range map[string]string{
		"pkcs1 PEM":          pkcs1,
		"bare pkcs8":         body,
		"bare pkcs1":         bareBody(t, pkcs1),
		"bare with newlines": "\n" + strings.Join(chunk(body, 64), "\r\n") + "\n",
		"bare with spaces":   "  " + strings.Join(chunk(body, 76), " ") + "  ",
		"bare unpadded":      strings.TrimRight(body, "="),
		"PEM with spaces":    "\n  " + pkcs8 + "\n\n",
	} {
		got, err := ParseRSAPrivateKey(text)
		if assert.NoError(t, err, name) {
			assert.True(t, want.Equal(got), name)
		}
	}
}

func TestParseRSAPublicKeyForms(t *testing.T) {
	t.Parallel()
	spki := readKey(t, "rsa_merchant_public.pem")
	pkcs1 := readKey(t, "rsa_merchant_public_pkcs1.pem")
	want, err := ParseRSAPublicKey(spki)
	require.NoError(t, err)
	priv, err := ParseRSAPrivateKey(readKey(t, "rsa_merchant_private.pem"))
	require.NoError(t, err)
	assert.True(t, want.Equal(&priv.PublicKey))
	for name, text := range map[string]string{
		"pkcs1 PEM":          pkcs1,
		"bare spki":          bareBody(t, spki),
		"bare pkcs1":         bareBody(t, pkcs1),
		"bare with newlines": strings.Join(chunk(bareBody(t, spki), 64), "\n"),
	} {
		got, err := ParseRSAPublicKey(text)
		if assert.NoError(t, err, name) {
			assert.True(t, want.Equal(got), name)
		}
	}
}

// keyMaterial drops PEM armour lines, which name the kind of key only.
func keyMaterial(s string) string {
	var b strings.Builder
	for _, line := range strings.Split(s, "\n") {
		if !strings.HasPrefix(line, "-----") {
			b.WriteString(line)
			b.WriteByte('\n')
		}
	}
	return strings.TrimSpace(b.String())
}

func chunk(s string, n int) []string {
	var out []string
	for len(s) > n {
		out = append(out, s[:n])
		s = s[n:]
	}
	return append(out, s)
}

// longestShared returns the length of the longest substring of a
// that is also in b.
func longestShared(a, b string) int {
	best := 0
	for i := 0; i < len(a); i++ {
		for j := i + best + 1; j <= len(a); j++ {
			if !strings.Contains(b, a[i:j]) {
				break
			}
			best = j - i
		}
	}
	return best
}

func TestParseRSAKeyErrors(t *testing.T) {
	t.Parallel()
	priv := readKey(t, "rsa_merchant_private.pem")
	pub := readKey(t, "rsa_merchant_public.pem")
	body := bareBody(t, priv)
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	ecDER, err := x509.MarshalPKCS8PrivateKey(ecKey)
	require.NoError(t, err)
	ecPubDER, err := x509.MarshalPKIXPublicKey(&ecKey.PublicKey)
	require.NoError(t, err)
	small, err := rsa.GenerateKey(rand.Reader, 512)
	require.NoError(t, err)
	smallDER, err := x509.MarshalPKCS8PrivateKey(small)
	require.NoError(t, err)

	corrupt := body[:200] + "AAAA" + body[204:]
	privCases := map[string]struct{ text, msg string }{
		"empty":           {"  ", "sign: RSA private key: empty"},
		"garbage":         {"not a key at all!", "sign: RSA private key: neither PEM nor base64"},
		"corrupted body":  {corrupt, "sign: RSA private key: not a valid PKCS#8 or PKCS#1 key"},
		"truncated body":  {body[:len(body)/2], "sign: RSA private key: not a valid PKCS#8 or PKCS#1 key"},
		"broken PEM":      {strings.Replace(priv, "-----END PRIVATE KEY-----", "", 1), "sign: RSA private key: malformed PEM block"},
		"public given":    {pub, "sign: RSA private key: got a public key; the private key is needed to sign"},
		"certificate":     {"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", `sign: RSA private key: unsupported PEM type "CERTIFICATE", want PRIVATE KEY or RSA PRIVATE KEY`},
		"EC key":          {base64.StdEncoding.EncodeToString(ecDER), "sign: RSA private key: not an RSA key"},
		"too small":       {base64.StdEncoding.EncodeToString(smallDER), "sign: RSA private key: 512 bits, want at least 1024"},
		"two PEM blocks":  {priv + priv, "sign: RSA private key: text after the PEM block"},
		"encrypted block": {"-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\nAAAA\n-----END RSA PRIVATE KEY-----\n", "sign: RSA private key: encrypted or annotated PEM blocks are not supported"},
	}
	for name, tc := range privCases {
		k, err := ParseRSAPrivateKey(tc.text)
		assert.Nil(t, k, name)
		if assert.Error(t, err, name) {
			assert.ErrorIs(t, err, ErrInvalidRSAKey, name)
			assert.Equal(t, tc.msg, err.Error(), name)
			assert.LessOrEqual(t, longestShared(err.Error(), keyMaterial(tc.text)), 8, name)
		}
	}
	pubBody := bareBody(t, pub)
	pubCases := map[string]struct{ text, msg string }{
		"empty":          {"", "sign: RSA public key: empty"},
		"corrupted body": {pubBody[:12] + "////" + pubBody[16:], "sign: RSA public key: not a valid SPKI or PKCS#1 key"},
		"private given":  {priv, "sign: RSA public key: got a private key where the public key belongs"},
		"EC key":         {base64.StdEncoding.EncodeToString(ecPubDER), "sign: RSA public key: not an RSA key"},
		"small":          {base64.StdEncoding.EncodeToString(x509.MarshalPKCS1PublicKey(&small.PublicKey)), "sign: RSA public key: 512 bits, want at least 1024"},
	}
	for name, tc := range pubCases {
		k, err := ParseRSAPublicKey(tc.text)
		assert.Nil(t, k, name)
		if assert.Error(t, err, name) {
			assert.ErrorIs(t, err, ErrInvalidRSAKey, name)
			assert.Equal(t, tc.msg, err.Error(), name)
			assert.LessOrEqual(t, longestShared(err.Error(), keyMaterial(tc.text)), 8, name)
		}
	}
}

func TestSignRSANilKey(t *testing.T) {
	t.Parallel()
	s, err := SignRSA(kaParams(), nil)
	assert.Empty(t, s)
	assert.EqualError(t, err, "sign: nil RSA private key")
}

func ExampleSignRSA() {
	key, err := ParseRSAPrivateKey(mustRead("testdata/rsa_merchant_private.pem"))
	if err != nil {
		panic(err)
	}
	params := map[string]string{
		"pid": "1001", "type": "alipay", "out_trade_no": "1", "name": "VIP", "money": "1.00",
		"timestamp": "1767225600", "sign_type": "RSA",
	}
	s, _ := SignRSA(params, key)
	params["sign"] = s
	pub, _ := ParseRSAPublicKey(mustRead("testdata/rsa_merchant_public.pem"))
	fmt.Println(s[:24] + "...")
	fmt.Println("verified:", VerifyRSA(params, pub))
	// Output:
	// TKWY2fQm9cMraZh1yUz4mRvd...
	// verified: true
}

func mustRead(name string) string {
	b, err := os.ReadFile(name)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func FuzzParseRSAKeys(f *testing.F) {
	f.Add(mustRead("testdata/rsa_merchant_private.pem"))
	f.Add(mustRead("testdata/rsa_merchant_public_pkcs1.pem"))
	f.Add(bareBody(f, mustRead("testdata/rsa_merchant_public.pem")))
	f.Add("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----")
	f.Fuzz(func(t *testing.T, s string) {
		if k, err := ParseRSAPrivateKey(s); err == nil && k == nil {
			t.Fatal("nil key without error")
		} else if err != nil && len(s) > 16 && strings.Contains(err.Error(), s) {
			t.Fatal("error echoes the input")
		}
		if k, err := ParseRSAPublicKey(s); err == nil && k == nil {
			t.Fatal("nil key without error")
		}
	})
}

func FuzzVerifyRSA(f *testing.F) {
	pub, err := ParseRSAPublicKey(mustRead("testdata/rsa_merchant_public.pem"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add("1.00", "VIP", kaMerchantSig)
	f.Add("1.00", "VIP", "")
	f.Add("2.00", "VIP", kaMerchantSig)
	f.Fuzz(func(t *testing.T, money, name, sig string) {
		p := kaParams()
		p["money"], p["name"], p["sign"] = money, name, sig
		got := VerifyRSA(p, pub)
		if got && (EpayString(p) != kaString) {
			t.Fatalf("verified a different string %q", EpayString(p))
		}
	})
}
