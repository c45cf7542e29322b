package epay

import (
	"bytes"
	"errors"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/epaykit/epaykit/sign"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func notifyClient(t *testing.T, v vector) *Client {
	t.Helper()
	c, err := New(testBase, v.Params["pid"], v.Key)
	require.NoError(t, err)
	return c
}

func TestNotifyVectorsVerify(t *testing.T) {
	t.Parallel()
	for _, v := range loadVectors(t).EpayNotify {
		c := notifyClient(t, v)
		in := values(v.Params)
		before := in.Encode()
		n, err := c.ParseNotification(in)
		require.NoError(t, err, v.Name)
		assert.Equal(t, before, in.Encode(), "input not modified")
		assert.True(t, n.Paid(), v.Name)
		assert.Equal(t, v.Params["trade_no"], n.TradeNo)
		assert.Equal(t, v.Params["out_trade_no"], n.OutTradeNo)
		assert.Equal(t, v.Params["money"], n.Money)
		assert.Equal(t, v.Params["param"], n.Param)
		assert.Equal(t, v.Params["pid"], n.PID)
		assert.Equal(t, v.Params, n.Raw)
		n.Raw["money"] = "999"
		assert.Equal(t, before, in.Encode(), "Raw is a copy")

		r, err := c.VerifyReturn(in)
		require.NoError(t, err, v.Name)
		assert.Equal(t, n.TradeNo, r.TradeNo)

		// Upper-case sign is accepted too.
		up := values(v.Params)
		up.Set("sign", strings.ToUpper(v.Sign))
		_, err = c.ParseNotification(up)
		assert.NoError(t, err)
	}
}

func TestNotifyCents(t *testing.T) {
	t.Parallel()
	want := map[string]int64{"1": 100, "10.5": 1050, "10.0000": 1000, "7.77": 777, "3.00": 300}
	for _, v := range loadVectors(t).EpayNotify {
		n, err := notifyClient(t, v).ParseNotification(values(v.Params))
		require.NoError(t, err)
		cents, err := n.Cents()
		require.NoError(t, err)
		assert.Equal(t, want[n.Money], cents, n.Money)
	}
}

func TestNotifyTampered(t *testing.T) {
	t.Parallel()
	for _, v := range loadVectors(t).EpayNotify {
		c := notifyClient(t, v)
		for k := range v.Params {
			if k == "sign" || k == "sign_type" {
				continue
			}
			in := values(v.Params)
			in.Set(k, v.Params[k]+"0")
			_, err := c.ParseNotification(in)
			assert.ErrorIs(t, err, ErrBadSignature, "%s: %s changed", v.Name, k)
			in.Del(k)
			_, err = c.ParseNotification(in)
			assert.ErrorIs(t, err, ErrBadSignature, "%s: %s removed", v.Name, k)
		}
		in := values(v.Params)
		in.Set("extra", "1")
		_, err := c.ParseNotification(in)
		assert.ErrorIs(t, err, ErrBadSignature, "an added field is signed too")

		in = values(v.Params)
		in.Del("sign")
		_, err = c.ParseNotification(in)
		assert.ErrorIs(t, err, ErrMissingSign)
		assert.EqualError(t, err, "epay: missing sign in notification")

		in = values(v.Params)
		in.Set("sign", "")
		_, err = c.ParseNotification(in)
		assert.ErrorIs(t, err, ErrMissingSign)

		in = values(v.Params)
		in.Set("sign", "zz"+v.Sign[2:])
		_, err = c.ParseNotification(in)
		assert.ErrorIs(t, err, ErrBadSignature)

		in = values(v.Params)
		in.Set("sign_type", "RSA")
		_, err = c.ParseNotification(in)
		assert.ErrorIs(t, err, ErrSignType)
		assert.EqualError(t, err, `epay: unsupported sign_type "RSA" in notification`)

		in = values(v.Params)
		in.Set("sign_type", "md5")
		_, err = c.ParseNotification(in)
		assert.NoError(t, err, "sign_type is case-insensitive")

		for k := range v.Params {
			in = values(v.Params)
			in.Add(k, v.Params[k])
			_, err = c.ParseNotification(in)
			assert.ErrorIs(t, err, ErrDuplicateParam, k)
			assert.ErrorIs(t, err, sign.ErrDuplicateParam, k)
			var de *sign.DuplicateParamError
			require.ErrorAs(t, err, &de)
			assert.Equal(t, k, de.Key)
			assert.True(t, strings.HasPrefix(err.Error(), "epay: notification: "), err.Error())
		}

		// Wrong key: another merchant's notification.
		other, err := New(testBase, v.Params["pid"], v.Key+"x")
		require.NoError(t, err)
		_, err = other.ParseNotification(values(v.Params))
		assert.ErrorIs(t, err, ErrBadSignature)
		assert.NotContains(t, err.Error(), v.Key)
	}
}

// resign returns the params signed with key.
func resign(params map[string]string, key string) url.Values {
	m := map[string]string{}
	for k, v := range params {
		m[k] = v
	}
	delete(m, "sign")
	m["sign"] = sign.Epay(m, key)
	return values(m)
}

func TestNotifyPIDAndFields(t *testing.T) {
	t.Parallel()
	v := loadVectors(t).EpayNotify[1]
	c := notifyClient(t, v)

	p := map[string]string{}
	for k, s := range v.Params {
		p[k] = s
	}
	p["pid"] = "1002"
	_, err := c.ParseNotification(resign(p, v.Key))
	assert.ErrorIs(t, err, ErrPIDMismatch)
	assert.EqualError(t, err, `epay: pid mismatch in notification: got "1002", want "1001"`)

	delete(p, "pid")
	_, err = c.ParseNotification(resign(p, v.Key))
	assert.ErrorIs(t, err, ErrPIDMismatch)

	for _, f := range []string{"trade_no", "out_trade_no", "money", "trade_status"} {
		q := map[string]string{}
		for k, s := range v.Params {
			q[k] = s
		}
		delete(q, f)
		_, err := c.ParseNotification(resign(q, v.Key))
		assert.ErrorIs(t, err, ErrMissingField, f)
		assert.EqualError(t, err, "epay: missing field "+f+" in notification")
	}

	q := map[string]string{}
	for k, s := range v.Params {
		q[k] = s
	}
	q["trade_status"] = "WAIT_BUYER_PAY"
	n, err := c.ParseNotification(resign(q, v.Key))
	require.NoError(t, err, "a verified unpaid notification is not an error")
	assert.False(t, n.Paid())
	assert.Equal(t, "WAIT_BUYER_PAY", n.TradeStatus)

	_, err = c.VerifyReturn(url.Values{})
	assert.EqualError(t, err, "epay: missing sign in return")
}

func TestParseNotificationRequest(t *testing.T) {
	t.Parallel()
	v := loadVectors(t).EpayNotify[1]
	c := notifyClient(t, v)
	enc := values(v.Params).Encode()

	t.Run("GET", func(t *testing.T) {
		r := httptest.NewRequest("GET", "/pay/notify?"+enc, nil)
		n, err := c.ParseNotificationRequest(r)
		require.NoError(t, err)
		assert.Equal(t, "ORDER-77", n.OutTradeNo)
		assert.Nil(t, r.Form, "r.Form is not touched")
	})
	t.Run("POST urlencoded", func(t *testing.T) {
		r := httptest.NewRequest("POST", "/pay/notify", strings.NewReader(enc))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		n, err := c.ParseNotificationRequest(r)
		require.NoError(t, err)
		assert.Equal(t, "user=42", n.Param)
		assert.Nil(t, r.Form)
		assert.Nil(t, r.PostForm)
	})
	t.Run("POST without content type", func(t *testing.T) {
		r := httptest.NewRequest("POST", "/pay/notify?provider=epay", strings.NewReader(enc))
		_, err := c.ParseNotificationRequest(r)
		require.NoError(t, err, "an unrelated query parameter is fine")
	})
	t.Run("POST multipart", func(t *testing.T) {
		var b bytes.Buffer
		w := multipart.NewWriter(&b)
		for k, s := range v.Params {
			require.NoError(t, w.WriteField(k, s))
		}
		require.NoError(t, w.Close())
		r := httptest.NewRequest("POST", "/pay/notify", &b)
		r.Header.Set("Content-Type", w.FormDataContentType())
		n, err := c.ParseNotificationRequest(r)
		require.NoError(t, err)
		assert.Equal(t, "10.5", n.Money)
	})
	t.Run("POST never merges query", func(t *testing.T) {
		r := httptest.NewRequest("POST", "/pay/notify?money=0.01", strings.NewReader(enc))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		_, err := c.ParseNotificationRequest(r)
		assert.EqualError(t, err, `epay: notification: POST with field "money" in the query string`)
		// A signed field only in the query is rejected too.
		body := values(v.Params)
		body.Del("param")
		r = httptest.NewRequest("POST", "/pay/notify?param=user%3D42", strings.NewReader(body.Encode()))
		_, err = c.ParseNotificationRequest(r)
		assert.Error(t, err)
	})
	t.Run("POST with signature in the query only", func(t *testing.T) {
		r := httptest.NewRequest("POST", "/pay/notify?"+enc, strings.NewReader(""))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		_, err := c.ParseNotificationRequest(r)
		assert.Error(t, err)
	})
	t.Run("POST too large", func(t *testing.T) {
		body := enc + "&pad=" + strings.Repeat("x", MaxNotificationBody)
		r := httptest.NewRequest("POST", "/pay/notify", strings.NewReader(body))
		_, err := c.ParseNotificationRequest(r)
		assert.ErrorIs(t, err, ErrBodyTooLarge)
	})
	t.Run("POST JSON", func(t *testing.T) {
		r := httptest.NewRequest("POST", "/pay/notify", strings.NewReader(`{"pid":"1001"}`))
		r.Header.Set("Content-Type", "application/json")
		_, err := c.ParseNotificationRequest(r)
		assert.EqualError(t, err, `epay: notification: unsupported Content-Type "application/json"`)
	})
	t.Run("POST empty body", func(t *testing.T) {
		r := httptest.NewRequest("POST", "/pay/notify", nil)
		_, err := c.ParseNotificationRequest(r)
		assert.ErrorIs(t, err, ErrMissingSign)
	})
	t.Run("GET duplicate", func(t *testing.T) {
		r := httptest.NewRequest("GET", "/pay/notify?"+enc+"&money=0.01", nil)
		_, err := c.ParseNotificationRequest(r)
		assert.ErrorIs(t, err, ErrDuplicateParam)
	})
	t.Run("GET malformed", func(t *testing.T) {
		r := httptest.NewRequest("GET", "/pay/notify?"+enc, nil)
		r.URL.RawQuery += "&x=%zz"
		_, err := c.ParseNotificationRequest(r)
		assert.EqualError(t, err, "epay: notification: malformed query string")
	})
	t.Run("other methods", func(t *testing.T) {
		for _, m := range []string{"PUT", "HEAD", "DELETE"} {
			r := httptest.NewRequest(m, "/pay/notify?"+enc, nil)
			_, err := c.ParseNotificationRequest(r)
			assert.ErrorIs(t, err, ErrMethodNotAllowed, m)
		}
	})
	t.Run("body read error", func(t *testing.T) {
		r := httptest.NewRequest("POST", "/pay/notify", errReader{})
		_, err := c.ParseNotificationRequest(r)
		assert.ErrorContains(t, err, "epay: notification: reading the body")
	})
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("boom") }

func TestNotifyInHandler(t *testing.T) {
	t.Parallel()
	v := loadVectors(t).EpayNotify[0]
	c := notifyClient(t, v)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, err := c.ParseNotificationRequest(r)
		if err != nil {
			http.Error(w, "bad notification", http.StatusBadRequest)
			return
		}
		if n.Paid() {
			_, _ = w.Write([]byte(SuccessReply))
		}
	})
	srv := httptest.NewServer(h)
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/notify?" + values(v.Params).Encode())
	require.NoError(t, err)
	defer resp.Body.Close()
	var b bytes.Buffer
	_, _ = b.ReadFrom(resp.Body)
	assert.Equal(t, "success", b.String())
}
