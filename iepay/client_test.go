package iepay

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNewBaseURL(t *testing.T) {
	t.Parallel()
	good := map[string]string{
		"":                              "https://a.mypaynz.com/",
		"https://a.mypaynz.com":         "https://a.mypaynz.com/",
		"https://a.mypaynz.com/":        "https://a.mypaynz.com/",
		"https://mypay.iemoney.co.nz":   "https://mypay.iemoney.co.nz/",
		"http://127.0.0.1:1234/iepay/":  "http://127.0.0.1:1234/iepay/",
		"http://127.0.0.1:1234/iepay":   "http://127.0.0.1:1234/iepay/",
		"HTTPS://pay.example.com/a/b/c": "https://pay.example.com/a/b/c/",
	}
	for in, want := range good {
		var opts []Option
		if in != "" {
			opts = append(opts, WithBaseURL(in))
		}
		c, err := New(testMID, testKey, opts...)
		require.NoError(t, err, in)
		assert.Equal(t, want, c.BaseURL(), in)
	}
	bad := map[string]string{
		" ":                            "iepay: base URL is empty",
		"a.mypaynz.com":                `iepay: base URL "a.mypaynz.com" has no scheme, want http:// or https://`,
		"ftp://a.mypaynz.com":          `iepay: base URL "ftp://a.mypaynz.com" has scheme "ftp", want http or https`,
		"https://":                     `iepay: base URL "https://" has no host`,
		"https:///iepay":               `iepay: base URL "https:///iepay" has no host`,
		"https://a.mypaynz.com/?x=1":   `iepay: base URL "https://a.mypaynz.com/?x=1" must not have a query or fragment`,
		"https://a.mypaynz.com/#top":   `iepay: base URL "https://a.mypaynz.com/#top" must not have a query or fragment`,
		"https://u:p@a.mypaynz.com/":   "iepay: base URL must not contain user information",
		"https://a.mypaynz.com:99999x": `iepay: base URL "https://a.mypaynz.com:99999x" does not parse: invalid port ":99999x" after host`,
	}
	for in, want := range bad {
		c, err := New(testMID, testKey, WithBaseURL(in))
		assert.Nil(t, c)
		assert.EqualError(t, err, want, in)
	}
}

func TestNewArguments(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		mid, key string
		opts     []Option
		want     string
	}{
		{"", testKey, nil, "iepay: mid is required"},
		{"10 224", testKey, nil, `iepay: mid must be a decimal number, got "10 224"`},
		{testMID, "", nil, "iepay: key is required"},
		{testMID, " " + testKey, nil, "iepay: key has leading or trailing white space"},
		{testMID, testKey, []Option{WithRetries(-1)}, "iepay: WithRetries: -1 retries, want 0 to 10"},
		{testMID, testKey, []Option{WithRetries(11)}, "iepay: WithRetries: 11 retries, want 0 to 10"},
		{testMID, testKey, []Option{WithRetryWait(0, time.Second)}, "iepay: WithRetryWait: min 0s and max 1s, want 0 < min <= max"},
		{testMID, testKey, []Option{WithRetryWait(2*time.Second, time.Second)}, "iepay: WithRetryWait: min 2s and max 1s, want 0 < min <= max"},
	} {
		c, err := New(tt.mid, tt.key, tt.opts...)
		assert.Nil(t, c)
		assert.EqualError(t, err, tt.want)
	}
	c, err := New(testMID, testKey, nil, WithUserAgent("shop/1.0"), WithLogger(nil), WithHTTPClient(nil))
	require.NoError(t, err)
	assert.Equal(t, testMID, c.MID())
}

func TestRequestHeadersAndUserAgent(t *testing.T) {
	t.Parallel()
	c, mt := mockClient(t, testKey, WithUserAgent("shop/1.0"))
	var ua, ct string
	mt.RegisterResponder("POST", testBase+"api/refund", func(r *http.Request) (*http.Response, error) {
		ua, ct = r.Header.Get("User-Agent"), r.Header.Get("Content-Type")
		return nil, errors.New("stop")
	})
	_, _ = c.Refund(context.Background(), &RefundRequest{OutTradeNo: "A", PayType: PayTypeAlipayQR, RefundAmount: 1})
	assert.Equal(t, "shop/1.0", ua)
	assert.Equal(t, "application/x-www-form-urlencoded; charset=utf-8", ct)
}

// TestKeyNeverLeaks drives every failure path with a gateway that echoes the
// request (sign and all) and the key, and checks errors and logs.
func TestKeyNeverLeaks(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c, mt := mockClient(t, testKey, WithLogger(logger), WithRetries(1))
	echo := func(status int, prefix string) func(r *http.Request) (*http.Response, error) {
		return func(r *http.Request) (*http.Response, error) {
			var b bytes.Buffer
			_, _ = b.ReadFrom(r.Body)
			body := prefix + testKey + " " + b.String()
			return &http.Response{StatusCode: status, Body: ioNopCloser(body), Header: http.Header{}, Request: r}, nil
		}
	}
	mt.RegisterResponder("POST", testBase+"api/online", echo(502, "<html>"))
	mt.RegisterResponder("POST", testBase+"api/check_order_status", func(r *http.Request) (*http.Response, error) {
		return nil, errors.New("dial tcp: key=" + testKey + " refused")
	})
	mt.RegisterResponder("POST", testBase+"api/refund", func(r *http.Request) (*http.Response, error) {
		return &http.Response{StatusCode: 200, Header: http.Header{}, Request: r,
			Body: ioNopCloser(`{"is_success":"FALSE","message":"bad key ` + testKey + ` sign=abc"}`)}, nil
	})
	mt.RegisterResponder("POST", testBase+"wechatApi/mini_pay", func(r *http.Request) (*http.Response, error) {
		return &http.Response{StatusCode: 200, Header: http.Header{}, Request: r,
			Body: ioNopCloser(`{"code":500,"msg":"` + testKey + `"}`)}, nil
	})
	var errs []error
	_, err := c.Create(context.Background(), &CreateRequest{PayType: PayTypeAlipayQR, OutTradeNo: "A", TotalFee: 1, Goods: "Tea", GoodsDetail: "Tea"})
	errs = append(errs, err)
	_, err = c.Check(context.Background(), &CheckRequest{PayType: PayTypeAlipayQR, OutTradeNo: "A"})
	errs = append(errs, err)
	_, err = c.Refund(context.Background(), &RefundRequest{PayType: PayTypeAlipayQR, OutTradeNo: "A", RefundAmount: 1})
	errs = append(errs, err)
	_, err = c.CreateMiniProgram(context.Background(), &MiniProgramRequest{AppID: "wx", OpenID: "o", OutTradeNo: "A", Goods: "Tea", GoodsDetail: "Tea", TotalFee: 1})
	errs = append(errs, err)
	_, err = New(testMID, testKey+" ")
	errs = append(errs, err)
	for i, err := range errs {
		require.Error(t, err, i)
		assert.NotContains(t, err.Error(), testKey, i)
	}
	assert.NotEmpty(t, logs.String())
	assert.NotContains(t, logs.String(), testKey)
	var ae *APIError
	require.ErrorAs(t, errs[2], &ae)
	assert.Equal(t, "bad key REDACTED sign=REDACTED", ae.Message)
}

type stringBody struct{ *strings.Reader }

func (stringBody) Close() error { return nil }

func ioNopCloser(s string) stringBody { return stringBody{strings.NewReader(s)} }

func TestPayType(t *testing.T) {
	t.Parallel()
	assert.Equal(t, PresentQRCode, PayTypeAlipayQR.Presentation())
	assert.Equal(t, PresentQRCode, PayTypeWeChatQR.Presentation())
	assert.Equal(t, PresentRedirect, PayTypeAlipayWeb.Presentation())
	assert.Equal(t, PresentRedirect, PayTypePOLi.Presentation())
	assert.Equal(t, PresentAppSDK, PayTypeWeChatApp.Presentation())
	assert.Equal(t, PresentMiniProgram, PayTypeWeChatMiniProgram.Presentation())
	assert.Equal(t, PresentInStore, PayTypeWeChatBarcode.Presentation())
	assert.Equal(t, PresentUnknown, PayType("IE0099").Presentation())
	assert.Equal(t, "redirect", PayTypeUnionPay.Presentation().String())
	assert.Equal(t, "unknown", Presentation(42).String())
	assert.True(t, PayTypeAlipayApp.Known())
	assert.False(t, PayType("IE0099").Known())
	assert.Equal(t, "Alipay QR code", PayTypeAlipayQR.Description())
	assert.Equal(t, "", PayType("X").Description())
	assert.True(t, PayTypeAlipayWeb.AllowsRMBFee())
	assert.True(t, PayTypeAlipayMobileWeb.AllowsRMBFee())
	assert.False(t, PayTypeAlipayQR.AllowsRMBFee())
	assert.True(t, PayTypeWeChatWap.IsWeChat())
	assert.True(t, PayType("IE0029").IsWeChat())
	assert.False(t, PayTypeAlipayQR.IsWeChat())
	assert.Equal(t, "IE0041", PayTypePOLi.String())
	for p := range payTypes {
		assert.NotEmpty(t, p.Description())
	}
}
