package iepay

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/epaykit/epaykit/sign"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func notifyValues(v signVector) url.Values {
	out := url.Values{}
	for k, s := range v.Params {
		out.Set(k, s)
	}
	return out
}

func clientFor(t *testing.T, key string) *Client {
	t.Helper()
	c, err := New(testMID, key, WithBaseURL(testBase))
	require.NoError(t, err)
	return c
}

func TestParseNotificationVectors(t *testing.T) {
	t.Parallel()
	for _, v := range vectors(t).Notify {
		t.Run(v.Name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, v.StringToSign, sign.IEPayNotifyString(v.Params["trade_no"], v.Params["out_trade_no"]))
			c := clientFor(t, v.Key)
			in := notifyValues(v)
			before := in.Encode()
			n, err := c.ParseNotification(in)
			require.NoError(t, err)
			assert.Equal(t, &Notification{
				OutTradeNo: v.Params["out_trade_no"], TradeNo: v.Params["trade_no"], TradeStatus: "SUCCESS",
				PayType: PayType(v.Params["pay_type"]), Raw: v.Params,
			}, n)
			assert.Equal(t, before, in.Encode(), "input modified")
			n.Raw["x"] = "y"
			assert.Empty(t, in.Get("x"), "Raw shares the input")

			// Upper-case hex verifies too.
			up := notifyValues(v)
			up.Set("sign", strings.ToUpper(v.Sign))
			_, err = c.ParseNotification(up)
			assert.NoError(t, err)
		})
	}
}

func TestParseNotificationRejects(t *testing.T) {
	t.Parallel()
	v := vectors(t).Notify[0]
	c := clientFor(t, v.Key)
	tests := []struct {
		name string
		edit func(url.Values)
		is   error
		text string
	}{
		{"tampered trade_no", func(q url.Values) { q.Set("trade_no", q.Get("trade_no")+"1") }, ErrBadSignature, `iepay: notification: bad signature for out_trade_no "2020102204514282"`},
		{"tampered out_trade_no", func(q url.Values) { q.Set("out_trade_no", "2020102204514283") }, ErrBadSignature, ""},
		{"tampered sign", func(q url.Values) { q.Set("sign", strings.Repeat("0", 32)) }, ErrBadSignature, ""},
		{"sign too long", func(q url.Values) { q.Set("sign", q.Get("sign")+"0") }, ErrBadSignature, ""},
		{"wrong key", func(q url.Values) { q.Set("sign", sign.IEPayNotify(q.Get("trade_no"), q.Get("out_trade_no"), "other")) }, ErrBadSignature, ""},
		{"missing sign", func(q url.Values) { q.Del("sign") }, ErrMissingSign, "iepay: notification: missing sign"},
		{"empty sign", func(q url.Values) { q.Set("sign", "") }, ErrMissingSign, ""},
		{"missing trade_no", func(q url.Values) { q.Del("trade_no") }, ErrMissingField, "iepay: notification: missing trade_no"},
		{"missing out_trade_no", func(q url.Values) { q.Set("out_trade_no", "") }, ErrMissingField, "iepay: notification: missing out_trade_no"},
		{"trade_status FAIL", func(q url.Values) { q.Set("trade_status", "FAIL") }, ErrNotSuccess, `iepay: notification: trade_status "FAIL", want SUCCESS`},
		{"trade_status lower case", func(q url.Values) { q.Set("trade_status", "success") }, ErrNotSuccess, ""},
		{"trade_status missing", func(q url.Values) { q.Del("trade_status") }, ErrNotSuccess, "iepay: notification: missing trade_status, want SUCCESS"},
		{"duplicate out_trade_no", func(q url.Values) { q.Add("out_trade_no", "OTHER") }, ErrDuplicateParam, `iepay: notification: parameter "out_trade_no" occurs more than once`},
		{"duplicate equal sign", func(q url.Values) { q.Add("sign", q.Get("sign")) }, ErrDuplicateParam, ""},
	}
	all := []error{ErrBadSignature, ErrMissingSign, ErrMissingField, ErrNotSuccess, ErrDuplicateParam}
	for _, tt := range tests {
		q := notifyValues(v)
		tt.edit(q)
		n, err := c.ParseNotification(q)
		assert.Nil(t, n, tt.name)
		require.Error(t, err, tt.name)
		assert.ErrorIs(t, err, tt.is, tt.name)
		for _, other := range all {
			if other != tt.is && !(tt.name == "trade_status missing" && other == ErrMissingField) {
				assert.NotErrorIs(t, err, other, tt.name)
			}
		}
		if tt.is == ErrDuplicateParam {
			assert.ErrorIs(t, err, sign.ErrDuplicateParam, tt.name)
			var de *sign.DuplicateParamError
			assert.ErrorAs(t, err, &de, tt.name)
		}
		if tt.text != "" {
			assert.EqualError(t, err, tt.text, tt.name)
		}
		assert.NotContains(t, err.Error(), v.Key)
	}
	var ce *checkError
	_, err := c.ParseNotification(url.Values{})
	assert.True(t, errors.As(err, &ce))
}

func TestParseNotificationRequest(t *testing.T) {
	t.Parallel()
	v := vectors(t).Notify[1]
	c := clientFor(t, v.Key)
	query := notifyValues(v).Encode()

	t.Run("GET", func(t *testing.T) {
		t.Parallel()
		r := httptest.NewRequest(http.MethodGet, "https://shop.example.nz/iepay/notify?"+query, nil)
		n, err := c.ParseNotificationRequest(r)
		require.NoError(t, err)
		assert.Equal(t, "T-0001", n.OutTradeNo)
		assert.Equal(t, PayTypeAlipayMobileWeb, n.PayType)
	})
	t.Run("GET notify_url with its own query", func(t *testing.T) {
		t.Parallel()
		r := httptest.NewRequest(http.MethodGet, "https://shop.example.nz/iepay/notify?shop=7&"+query, nil)
		n, err := c.ParseNotificationRequest(r)
		require.NoError(t, err)
		assert.Equal(t, "7", n.Raw["shop"])
	})
	t.Run("POST form", func(t *testing.T) {
		t.Parallel()
		r := httptest.NewRequest(http.MethodPost, "https://shop.example.nz/iepay/notify", strings.NewReader(query))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
		n, err := c.ParseNotificationRequest(r)
		require.NoError(t, err)
		assert.Equal(t, v.Params["trade_no"], n.TradeNo)
		assert.Nil(t, r.Form, "r.Form must not be parsed")
	})
	t.Run("POST without content type", func(t *testing.T) {
		t.Parallel()
		r := httptest.NewRequest(http.MethodPost, "https://shop.example.nz/iepay/notify", strings.NewReader(query))
		_, err := c.ParseNotificationRequest(r)
		require.NoError(t, err)
	})
	t.Run("POST never reads the query", func(t *testing.T) {
		t.Parallel()
		r := httptest.NewRequest(http.MethodPost, "https://shop.example.nz/iepay/notify?"+query, strings.NewReader("x=1"))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		_, err := c.ParseNotificationRequest(r)
		assert.ErrorIs(t, err, ErrMissingSign)
	})
	t.Run("POST body and query split", func(t *testing.T) {
		t.Parallel()
		q := notifyValues(v)
		q.Del("out_trade_no")
		r := httptest.NewRequest(http.MethodPost, "https://shop.example.nz/iepay/notify?out_trade_no=T-0001", strings.NewReader(q.Encode()))
		_, err := c.ParseNotificationRequest(r)
		assert.ErrorIs(t, err, ErrMissingField)
	})
	t.Run("POST JSON", func(t *testing.T) {
		t.Parallel()
		r := httptest.NewRequest(http.MethodPost, "https://shop.example.nz/iepay/notify", strings.NewReader(`{}`))
		r.Header.Set("Content-Type", "application/json")
		_, err := c.ParseNotificationRequest(r)
		assert.ErrorIs(t, err, ErrBadRequest)
		assert.EqualError(t, err, `iepay: notification: content type "application/json", want application/x-www-form-urlencoded`)
	})
	t.Run("POST too large", func(t *testing.T) {
		t.Parallel()
		body := query + "&pad=" + strings.Repeat("a", MaxNotificationBody)
		r := httptest.NewRequest(http.MethodPost, "https://shop.example.nz/iepay/notify", strings.NewReader(body))
		_, err := c.ParseNotificationRequest(r)
		assert.ErrorIs(t, err, ErrBadRequest)
		assert.EqualError(t, err, "iepay: notification: body larger than 65536 bytes")
	})
	t.Run("PUT", func(t *testing.T) {
		t.Parallel()
		r := httptest.NewRequest(http.MethodPut, "https://shop.example.nz/iepay/notify?"+query, nil)
		_, err := c.ParseNotificationRequest(r)
		assert.EqualError(t, err, "iepay: notification: method PUT, want GET or POST")
	})
	t.Run("malformed query", func(t *testing.T) {
		t.Parallel()
		r := httptest.NewRequest(http.MethodGet, "https://shop.example.nz/iepay/notify?"+query+"&x=%zz", nil)
		_, err := c.ParseNotificationRequest(r)
		assert.ErrorIs(t, err, ErrBadRequest)
	})
	t.Run("duplicate in query", func(t *testing.T) {
		t.Parallel()
		r := httptest.NewRequest(http.MethodGet, "https://shop.example.nz/iepay/notify?"+query+"&trade_no=X", nil)
		_, err := c.ParseNotificationRequest(r)
		assert.ErrorIs(t, err, ErrDuplicateParam)
	})
	t.Run("nil", func(t *testing.T) {
		t.Parallel()
		_, err := c.ParseNotificationRequest(nil)
		assert.ErrorIs(t, err, ErrBadRequest)
	})
	t.Run("body read error", func(t *testing.T) {
		t.Parallel()
		r := httptest.NewRequest(http.MethodPost, "https://shop.example.nz/iepay/notify", errReader{})
		_, err := c.ParseNotificationRequest(r)
		assert.ErrorIs(t, err, ErrBadRequest)
		assert.ErrorIs(t, err, context.DeadlineExceeded)
	})
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, context.DeadlineExceeded }
