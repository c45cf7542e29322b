package epaytest

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/epaykit/epaykit/sign"
)

// v2Values signs p as a V2 merchant does, stamped with ts.
func v2Values(t *testing.T, p map[string]string, key *rsa.PrivateKey, ts int64) url.Values {
	t.Helper()
	p["timestamp"] = strconv.FormatInt(ts, 10)
	p["sign_type"] = "RSA"
	s, err := sign.SignRSA(p, key)
	require.NoError(t, err)
	v := url.Values{}
	for k, val := range p {
		v.Set(k, val)
	}
	v.Set("sign", s)
	return v
}

// v2Answer decodes an answer and, for code 0, checks its platform signature
// with the documented rule (strings as values, numbers as written, nested
// values as compact JSON).
func v2Answer(t *testing.T, s *Server, r result) map[string]json.RawMessage {
	t.Helper()
	require.Equal(t, http.StatusOK, r.status)
	var m map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(r.body, &m), "%s", r.body)
	if string(m["code"]) != "0" {
		return m
	}
	fields := map[string]string{}
	for k, raw := range m {
		var str string
		switch {
		case json.Unmarshal(raw, &str) == nil:
			fields[k] = str
		case string(raw) == "null":
		default:
			fields[k] = string(raw)
		}
	}
	pub, err := sign.ParseRSAPublicKey(s.PlatformPublicKeyPEM())
	require.NoError(t, err)
	require.True(t, sign.VerifyRSA(fields, pub), "answer signature: %s", r.body)
	return m
}

func str(t *testing.T, raw json.RawMessage) string {
	t.Helper()
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return string(raw)
}

func merchantKey(t *testing.T, s *Server) *rsa.PrivateKey {
	t.Helper()
	k, err := sign.ParseRSAPrivateKey(s.MerchantPrivateKeyPEM())
	require.NoError(t, err)
	return k
}

func TestV2CreateQueryAndAuth(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	key := merchantKey(t, s)
	now := time.Now().Unix()
	p := createParams("V2-1", "https://shop.example.com/notify")
	a := v2Answer(t, s, post(t, s, "api/pay/create", v2Values(t, p, key, now)))
	require.Equal(t, "0", string(a["code"]))
	tradeNo := str(t, a["trade_no"])
	assert.Equal(t, "jump", str(t, a["pay_type"]))
	assert.Equal(t, s.URL+"pay/"+tradeNo, str(t, a["pay_info"]))
	assert.Equal(t, "RSA", str(t, a["sign_type"]))

	q := v2Answer(t, s, post(t, s, "api/pay/query", v2Values(t, map[string]string{"pid": DefaultPID, "out_trade_no": "V2-1"}, key, now)))
	assert.Equal(t, tradeNo, str(t, q["trade_no"]))
	assert.Equal(t, "0", string(q["status"]))
	assert.Equal(t, "9.90", str(t, q["money"]))

	other, err := rsa.GenerateKey(rand.Reader, 1024)
	require.NoError(t, err)
	for name, tc := range map[string]struct {
		form url.Values
		code string
	}{
		"expired":     {v2Values(t, map[string]string{"pid": DefaultPID, "out_trade_no": "V2-1"}, key, now-400), "-1"},
		"future":      {v2Values(t, map[string]string{"pid": DefaultPID, "out_trade_no": "V2-1"}, key, now+400), "-1"},
		"other key":   {v2Values(t, map[string]string{"pid": DefaultPID, "out_trade_no": "V2-1"}, other, now), "-3"},
		"tampered":    {withSet(v2Values(t, map[string]string{"pid": DefaultPID, "out_trade_no": "V2-1"}, key, now), "out_trade_no", "V2-2"), "-3"},
		"no sign":     {withSet(v2Values(t, map[string]string{"pid": DefaultPID, "out_trade_no": "V2-1"}, key, now), "sign", ""), "-4"},
		"unknown pid": {v2Values(t, map[string]string{"pid": "9", "out_trade_no": "V2-1"}, key, now), "-3"},
	} {
		a := v2Answer(t, s, post(t, s, "api/pay/query", tc.form))
		assert.Equal(t, tc.code, string(a["code"]), name)
		assert.NotContains(t, a, "sign", name)
	}
	g := v2Answer(t, s, get(t, s, "api/pay/query", v2Values(t, map[string]string{"pid": DefaultPID, "out_trade_no": "V2-1"}, key, now)))
	assert.Equal(t, "-1", string(g["code"]))
}

func withSet(v url.Values, k, val string) url.Values { v.Set(k, val); return v }

func TestV2MerchantKeyOption(t *testing.T) {
	t.Parallel()
	k, err := rsa.GenerateKey(rand.Reader, 1024)
	require.NoError(t, err)
	s := newServer(t, WithMerchant("m_1", "unused-md5-key"), WithV2Merchant("m_1", &k.PublicKey))
	a := v2Answer(t, s, post(t, s, "api/merchant/info", v2Values(t, map[string]string{"pid": "m_1"}, k, time.Now().Unix())))
	assert.Equal(t, "0", string(a["code"]))
	assert.Equal(t, "m_1", str(t, a["pid"]))
	// The default merchant key no longer works for m_1.
	a = v2Answer(t, s, post(t, s, "api/merchant/info", v2Values(t, map[string]string{"pid": "m_1"}, merchantKey(t, s), time.Now().Unix())))
	assert.Equal(t, "-3", string(a["code"]))
}

func TestV2RefundIdempotencyAndOrders(t *testing.T) {
	t.Parallel()
	s := newServer(t, WithClock(func() time.Time { return time.Unix(1767225600, 0) }))
	key := merchantKey(t, s)
	now := int64(1767225600)
	v2Answer(t, s, post(t, s, "api/pay/create", v2Values(t, createParams("V2-R", "https://shop.example.com/n"), key, now)))
	require.NoError(t, s.SetStatus("V2-R", StatusPaid))
	refund := func(out, money string) map[string]json.RawMessage {
		return v2Answer(t, s, post(t, s, "api/pay/refund", v2Values(t, map[string]string{
			"pid": DefaultPID, "out_trade_no": "V2-R", "money": money, "out_refund_no": out}, key, now)))
	}
	a1, a2 := refund("R1", "3.00"), refund("R1", "3.00")
	assert.Equal(t, "0", string(a1["code"]))
	assert.Equal(t, a1["refund_no"], a2["refund_no"])
	o, _ := s.Order("V2-R")
	assert.Equal(t, int64(300), o.RefundedCents)
	assert.Equal(t, 1, o.Refunds)
	assert.Equal(t, "-1", string(refund("R1", "1.00")["code"]), "same out_refund_no, other amount")
	assert.Equal(t, "-1", string(refund("R2", "7.00")["code"]), "more than remains")
	a3 := refund("R3", "6.90")
	assert.Equal(t, "0", string(a3["code"]))
	o, _ = s.Order("V2-R")
	assert.Equal(t, StatusRefunded, o.Status)

	rq := v2Answer(t, s, post(t, s, "api/pay/refundquery", v2Values(t, map[string]string{"pid": DefaultPID, "out_refund_no": "R3"}, key, now)))
	assert.Equal(t, "6.90", str(t, rq["money"]))

	// The orders list is a nested array, signed as its compact JSON text.
	l := v2Answer(t, s, post(t, s, "api/merchant/orders", v2Values(t, map[string]string{"pid": DefaultPID}, key, now)))
	assert.Equal(t, "1", string(l["count"]))
	var rows []map[string]any
	require.NoError(t, json.Unmarshal(l["data"], &rows))
	assert.Equal(t, "V2-R", rows[0]["out_trade_no"])
	assert.Equal(t, "9.90", rows[0]["refundmoney"])
}

func TestV2CloseAndPayTypes(t *testing.T) {
	t.Parallel()
	s := newServer(t, WithCreateAnswer(AnswerQRCode))
	key := merchantKey(t, s)
	now := time.Now().Unix()
	a := v2Answer(t, s, post(t, s, "api/pay/create", v2Values(t, createParams("V2-Q", "https://shop.example.com/n"), key, now)))
	assert.Equal(t, "qrcode", str(t, a["pay_type"]))
	p := createParams("V2-J", "https://shop.example.com/n")
	p["method"], p["sub_openid"] = "jsapi", "o-1"
	a = v2Answer(t, s, post(t, s, "api/pay/create", v2Values(t, p, key, now)))
	assert.Equal(t, "jsapi", str(t, a["pay_type"]))
	var params map[string]string
	require.NoError(t, json.Unmarshal([]byte(str(t, a["pay_info"])), &params))
	assert.Equal(t, "wx0000000000000000", params["appId"])

	c := v2Answer(t, s, post(t, s, "api/pay/close", v2Values(t, map[string]string{"pid": DefaultPID, "out_trade_no": "V2-Q"}, key, now)))
	assert.Equal(t, "0", string(c["code"]))
	again := v2Answer(t, s, post(t, s, "api/pay/create", v2Values(t, createParams("V2-Q", "https://shop.example.com/n"), key, now)))
	assert.Equal(t, "-1", string(again["code"]))
	assert.ErrorContains(t, s.Pay("V2-Q"), "closed", "a closed order cannot be paid")
	o, _ := s.Order("V2-Q")
	assert.Equal(t, StatusUnpaid, o.Status)
}

func TestV2NotificationDelivery(t *testing.T) {
	t.Parallel()
	for _, postMode := range []bool{false, true} {
		opts := []Option{}
		if postMode {
			opts = append(opts, WithNotifyPOST())
		}
		s := newServer(t, opts...)
		sink := newNotifySink(t, 1)
		key := merchantKey(t, s)
		v2Answer(t, s, post(t, s, "api/pay/create", v2Values(t, createParams("V2-N", sink.notifyURL()), key, time.Now().Unix())))
		require.NoError(t, s.Pay("V2-N"))
		ds, err := s.WaitDeliveries(context.Background(), "V2-N", 2)
		require.NoError(t, err)
		assert.False(t, ds[0].Acknowledged())
		assert.Equal(t, http.StatusInternalServerError, ds[0].StatusCode)
		assert.True(t, ds[1].Acknowledged())
		assert.True(t, strings.HasPrefix(ds[1].URL, sink.notifyURL()), "delivered to the merchant's notify_url: %s", ds[1].URL)
		require.Equal(t, 2, sink.count())
		f := sink.form(1)
		if postMode {
			assert.Equal(t, http.MethodPost, sink.request(1).Method)
		}
		assert.Equal(t, "/shop/notify", sink.request(1).URL.Path)
		m, err := sign.Flatten(f)
		require.NoError(t, err)
		assert.Equal(t, "RSA", m["sign_type"])
		assert.Equal(t, "9.9", m["money"])
		assert.NotEmpty(t, m["timestamp"])
		pub, err := sign.ParseRSAPublicKey(s.PlatformPublicKeyPEM())
		require.NoError(t, err)
		assert.True(t, sign.VerifyRSA(m, pub))
	}
}
