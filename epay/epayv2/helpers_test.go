package epayv2

import (
	"crypto/rsa"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/require"

	"github.com/epaykit/epaykit/sign"
)

const (
	testBase = "https://pay.example.com/epay/"
	testPID  = "1001"
	testTS   = 1767225600 // 2026-01-01 00:00:00 UTC
)

var testNow = time.Unix(testTS, 0)

func fixedClock() time.Time { return testNow }

type testKeySet struct {
	merchant, platform       *rsa.PrivateKey
	merchantPEM, platformPEM string // private merchant, public platform
}

var (
	keysOnce sync.Once
	keySet   testKeySet
)

func mustReadFile(name string) string {
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func testKeys() testKeySet {
	keysOnce.Do(func() {
		var err error
		keySet.merchantPEM = mustReadFile("rsa_merchant_private.pem")
		keySet.platformPEM = mustReadFile("rsa_platform_public.pem")
		if keySet.merchant, err = sign.ParseRSAPrivateKey(keySet.merchantPEM); err != nil {
			panic(err)
		}
		if keySet.platform, err = sign.ParseRSAPrivateKey(mustReadFile("rsa_platform_private.pem")); err != nil {
			panic(err)
		}
	})
	return keySet
}

// newMock returns a client for testBase with a fixed clock whose HTTP goes
// to a fresh mock transport, with tiny retry waits.
func newMock(t *testing.T, opts ...Option) (*Client, *httpmock.MockTransport) {
	t.Helper()
	k := testKeys()
	mt := httpmock.NewMockTransport()
	all := append([]Option{
		WithHTTPClient(&http.Client{Transport: mt}),
		WithRetryWait(time.Millisecond, 2*time.Millisecond),
		WithClock(fixedClock),
	}, opts...)
	c, err := New(testBase, testPID, k.merchant, &k.platform.PublicKey, all...)
	require.NoError(t, err)
	return c, mt
}

// captured is one request a mock saw.
type captured struct {
	Method, Path, ContentType string
	Form                      url.Values
}

type recorder struct {
	mu   sync.Mutex
	reqs []captured
}

func (rec *recorder) responder(rs ...httpmock.Responder) httpmock.Responder {
	return func(r *http.Request) (*http.Response, error) {
		body, _ := io.ReadAll(r.Body)
		form, _ := url.ParseQuery(string(body))
		rec.mu.Lock()
		n := len(rec.reqs)
		rec.reqs = append(rec.reqs, captured{Method: r.Method, Path: r.URL.Path, ContentType: r.Header.Get("Content-Type"), Form: form})
		rec.mu.Unlock()
		if n >= len(rs) {
			n = len(rs) - 1
		}
		return rs[n](r)
	}
}

func (rec *recorder) all() []captured {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return append([]captured(nil), rec.reqs...)
}

func (rec *recorder) only(t *testing.T) captured {
	t.Helper()
	all := rec.all()
	require.Len(t, all, 1)
	return all[0]
}

func rawResp(status int, body string) httpmock.Responder {
	return func(req *http.Request) (*http.Response, error) {
		r := httpmock.NewStringResponse(status, body)
		r.Header.Set("Content-Type", "application/json")
		r.Request = req
		return r, nil
	}
}

// member is one top-level member of a fake answer, in order.
type member struct {
	k string
	v any // string, int, json.RawMessage (written as is), nil
}

// signedBody encodes members plus timestamp and sign_type, signed with key
// over the fields the way the package documents (computed independently).
func signedBody(t testing.TB, key *rsa.PrivateKey, ts int64, members ...member) string {
	t.Helper()
	all := append(append([]member(nil), members...), member{"timestamp", int(ts)}, member{"sign_type", "RSA"})
	fields := map[string]string{}
	for _, m := range all {
		switch v := m.v.(type) {
		case string:
			fields[m.k] = v
		case int:
			fields[m.k] = strconv.Itoa(v)
		case json.RawMessage:
			fields[m.k] = string(v)
		}
	}
	s, err := sign.SignRSA(fields, key)
	require.NoError(t, err)
	return encodeMembers(append(all, member{"sign", s}))
}

func encodeMembers(ms []member) string {
	b := []byte{'{'}
	for i, m := range ms {
		if i > 0 {
			b = append(b, ',')
		}
		k, _ := json.Marshal(m.k)
		b = append(b, k...)
		b = append(b, ':')
		switch v := m.v.(type) {
		case json.RawMessage:
			b = append(b, v...)
		default:
			enc, _ := json.Marshal(v)
			b = append(b, enc...)
		}
	}
	return string(append(b, '}'))
}

// okBody is a success answer signed by the test platform key at testTS.
func okBody(t testing.TB, members ...member) string {
	t.Helper()
	return signedBody(t, testKeys().platform, testTS, append([]member{{"code", 0}, {"msg", "succ"}}, members...)...)
}

// checkSigned asserts the common V2 fields of a request and that its
// signature verifies with the merchant public key.
func checkSigned(t *testing.T, c captured) {
	t.Helper()
	require.Equal(t, "POST", c.Method)
	require.Equal(t, "application/x-www-form-urlencoded; charset=utf-8", c.ContentType)
	m, err := sign.Flatten(c.Form)
	require.NoError(t, err)
	require.Equal(t, testPID, m["pid"])
	require.Equal(t, strconv.Itoa(testTS), m["timestamp"])
	require.Equal(t, "RSA", m["sign_type"])
	require.True(t, sign.VerifyRSA(m, &testKeys().merchant.PublicKey), "request signature must verify with the merchant public key")
}

// formKeys returns the sorted names of a form.
func formKeys(v url.Values) []string {
	ks := make([]string, 0, len(v))
	for k := range v {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// notification returns a V2 notification signed with key at ts.
func notification(t testing.TB, key *rsa.PrivateKey, ts int64, edit func(map[string]string)) url.Values {
	t.Helper()
	p := map[string]string{
		"pid": testPID, "trade_no": "2026010112000000001", "out_trade_no": "V2-0001", "type": "alipay",
		"name": "VIP", "money": "9.99", "trade_status": "TRADE_SUCCESS", "param": "cart=7",
		"timestamp": strconv.FormatInt(ts, 10), "sign_type": "RSA",
	}
	if edit != nil {
		edit(p)
	}
	s, err := sign.SignRSA(p, key)
	require.NoError(t, err)
	p["sign"] = s
	v := url.Values{}
	for k, val := range p {
		v.Set(k, val)
	}
	return v
}
