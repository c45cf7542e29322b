package epayv2

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/epaykit/epaykit/sign"
)

func TestParseNotificationValid(t *testing.T) {
	t.Parallel()
	c, _ := newMock(t)
	v := notification(t, testKeys().platform, testTS-120, nil)
	before := cloneValues(v)
	n, err := c.ParseNotification(v)
	require.NoError(t, err)
	assert.Equal(t, before, v, "input not modified")
	assert.True(t, n.Paid())
	cents, err := n.Cents()
	require.NoError(t, err)
	assert.Equal(t, int64(999), cents)
	raw := n.Raw
	n.Raw = nil
	assert.Equal(t, &Notification{PID: "1001", TradeNo: "2026010112000000001", OutTradeNo: "V2-0001", Type: "alipay",
		Name: "VIP", Money: "9.99", TradeStatus: "TRADE_SUCCESS", Param: "cart=7", Timestamp: testTS - 120}, n)
	assert.Equal(t, v.Get("sign"), raw["sign"])

	// Not a payment: verified, not paid.
	n, err = c.ParseNotification(notification(t, testKeys().platform, testTS, func(p map[string]string) { p["trade_status"] = "WAIT_BUYER_PAY" }))
	require.NoError(t, err)
	assert.False(t, n.Paid())
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

func TestParseNotificationRejects(t *testing.T) {
	t.Parallel()
	c, _ := newMock(t)
	k := testKeys()
	plat := k.platform
	cases := map[string]struct {
		v    url.Values
		want error
		msg  string
	}{
		"tampered money": {withSet(notification(t, plat, testTS, nil), "money", "0.01"), ErrBadSignature, "epayv2: bad signature in notification"},
		"added field":    {withSet(notification(t, plat, testTS, nil), "extra", "1"), ErrBadSignature, ""},
		"merchant key":   {notification(t, k.merchant, testTS, nil), ErrBadSignature, ""},
		"old timestamp": {notification(t, plat, testTS-301, nil), ErrTimestamp,
			"epayv2: timestamp missing or outside the allowed skew: notification timestamp is 5m1s from the local clock (allowed 5m0s)"},
		"future timestamp": {notification(t, plat, testTS+301, nil), ErrTimestamp, ""},
		"no timestamp": {notification(t, plat, testTS, func(p map[string]string) { delete(p, "timestamp") }), ErrTimestamp,
			"epayv2: timestamp missing or outside the allowed skew: notification has no timestamp"},
		"bad timestamp": {notification(t, plat, testTS, func(p map[string]string) { p["timestamp"] = "2026-01-01" }), ErrTimestamp, ""},
		"MD5 sign_type": {notification(t, plat, testTS, func(p map[string]string) { p["sign_type"] = "MD5" }), ErrSignType,
			`epayv2: sign_type is not RSA in notification: got "MD5"`},
		"no sign_type": {notification(t, plat, testTS, func(p map[string]string) { delete(p, "sign_type") }), ErrSignType, ""},
		"missing sign": {withSet(notification(t, plat, testTS, nil), "sign", ""), ErrMissingSign, "epayv2: missing sign in notification"},
		"duplicate":    {withAdd(notification(t, plat, testTS, nil), "money", "9.99"), ErrDuplicateParam, `epayv2: notification: sign: parameter "money" occurs more than once`},
		"other pid":    {notification(t, plat, testTS, func(p map[string]string) { p["pid"] = "2002" }), ErrPIDMismatch, `epayv2: pid mismatch in notification: got "2002", want "1001"`},
		"no trade_no":  {notification(t, plat, testTS, func(p map[string]string) { delete(p, "trade_no") }), ErrMissingField, "epayv2: missing field trade_no in notification"},
		"garbage sign": {withSet(notification(t, plat, testTS, nil), "sign", "%%%"), ErrBadSignature, ""},
		"md5 hex sign": {withSet(notification(t, plat, testTS, nil), "sign", strings.Repeat("ab", 16)), ErrBadSignature, ""},
	}
	for name, tc := range cases {
		n, err := c.ParseNotification(tc.v)
		assert.Nil(t, n, name)
		assert.ErrorIs(t, err, tc.want, name)
		if tc.msg != "" {
			assert.EqualError(t, err, tc.msg, name)
		}
	}
}

func withSet(v url.Values, k, val string) url.Values { v.Set(k, val); return v }
func withAdd(v url.Values, k, val string) url.Values { v.Add(k, val); return v }

func TestNotificationSkewOption(t *testing.T) {
	t.Parallel()
	c, _ := newMock(t, WithMaxSkew(10*time.Second))
	_, err := c.ParseNotification(notification(t, testKeys().platform, testTS-11, nil))
	assert.ErrorIs(t, err, ErrTimestamp)
	_, err = c.ParseNotification(notification(t, testKeys().platform, testTS-10, nil))
	assert.NoError(t, err)
	// Another platform key: nothing verifies.
	other, err := New(testBase, testPID, testKeys().platform, &testKeys().merchant.PublicKey, WithClock(fixedClock))
	require.NoError(t, err)
	_, err = other.ParseNotification(notification(t, testKeys().platform, testTS, nil))
	assert.ErrorIs(t, err, ErrBadSignature)
}

func TestParseNotificationRequest(t *testing.T) {
	t.Parallel()
	c, _ := newMock(t)
	v := notification(t, testKeys().platform, testTS, nil)

	get := httptest.NewRequest("GET", "/notify?"+v.Encode(), nil)
	n, err := c.ParseNotificationRequest(get)
	require.NoError(t, err)
	assert.Equal(t, "V2-0001", n.OutTradeNo)

	post := httptest.NewRequest("POST", "/notify", strings.NewReader(v.Encode()))
	post.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	n, err = c.ParseNotificationRequest(post)
	require.NoError(t, err)
	assert.Equal(t, "9.99", n.Money)

	// Not merged: a POST whose query carries a signed field.
	post = httptest.NewRequest("POST", "/notify?money=0.01", strings.NewReader(v.Encode()))
	post.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	_, err = c.ParseNotificationRequest(post)
	assert.EqualError(t, err, `epayv2: notification: POST with field "money" in the query string`)

	// Duplicate in the query string.
	dup := httptest.NewRequest("GET", "/notify?"+v.Encode()+"&trade_status=TRADE_SUCCESS", nil)
	_, err = c.ParseNotificationRequest(dup)
	assert.ErrorIs(t, err, ErrDuplicateParam)

	put := httptest.NewRequest("PUT", "/notify", nil)
	_, err = c.ParseNotificationRequest(put)
	assert.ErrorIs(t, err, ErrMethodNotAllowed)

	js := httptest.NewRequest("POST", "/notify", strings.NewReader("{}"))
	js.Header.Set("Content-Type", "application/json")
	_, err = c.ParseNotificationRequest(js)
	assert.EqualError(t, err, `epayv2: notification: unsupported Content-Type "application/json", want application/x-www-form-urlencoded`)

	big := httptest.NewRequest("POST", "/notify", strings.NewReader(strings.Repeat("a", MaxNotificationBody+1)))
	_, err = c.ParseNotificationRequest(big)
	assert.EqualError(t, err, "epayv2: notification body larger than 64 KiB")

	// A body limited by http.MaxBytesReader keeps its error for callers.
	rec := httptest.NewRecorder()
	lim := httptest.NewRequest("POST", "/notify", strings.NewReader(v.Encode()))
	lim.Body = http.MaxBytesReader(rec, lim.Body, 10)
	_, err = c.ParseNotificationRequest(lim)
	var mbe *http.MaxBytesError
	assert.True(t, errors.As(err, &mbe))

	_, err = c.ParseNotificationRequest(nil)
	assert.EqualError(t, err, "epayv2: nil notification request")
}

func FuzzParseNotification(f *testing.F) {
	k := testKeys()
	seeds := []url.Values{
		notification(f, k.platform, testTS, nil),
		notification(f, k.platform, testTS, func(p map[string]string) { p["param"] = "a&b=c" }),
	}
	signed := map[string]bool{}
	for _, v := range seeds {
		f.Add(v.Encode())
		m, _ := sign.Flatten(v)
		signed[sign.EpayString(m)] = true
	}
	f.Add("sign=abc&sign_type=RSA&timestamp=1767225600")
	c, err := New(testBase, testPID, k.merchant, &k.platform.PublicKey, WithClock(fixedClock))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, query string) {
		v, err := url.ParseQuery(query)
		if err != nil {
			return
		}
		n, err := c.ParseNotification(v)
		if err != nil {
			return
		}
		// Whatever verifies must carry exactly a field set the platform
		// signed.
		if !signed[sign.EpayString(n.Raw)] {
			t.Fatalf("verified a forged notification %q", sign.EpayString(n.Raw))
		}
	})
}

func FuzzAnswerFields(f *testing.F) {
	f.Add(kaCreateAnswer)
	f.Add(kaOrdersAnswer)
	f.Add(`{"a":[],"b":{},"c":null,"d":true,"e":1e3}`)
	pub := &testKeys().platform.PublicKey
	known := map[string]bool{}
	for _, b := range []string{kaCreateAnswer, kaOrdersAnswer} {
		var m map[string]json.RawMessage
		_ = json.Unmarshal([]byte(b), &m)
		fields, _ := AnswerFields(m)
		known[sign.EpayString(fields)] = true
	}
	f.Fuzz(func(t *testing.T, body string) {
		var m map[string]json.RawMessage
		if err := json.Unmarshal([]byte(body), &m); err != nil {
			return
		}
		fields, err := AnswerFields(m)
		if err != nil {
			return
		}
		if sign.VerifyRSA(fields, pub) && !known[sign.EpayString(fields)] {
			t.Fatalf("verified a forged answer %q", sign.EpayString(fields))
		}
	})
}
