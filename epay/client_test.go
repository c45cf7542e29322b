package epay

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNewNormalisesBaseURL(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"https://pay.example.com/":                         "https://pay.example.com/",
		"https://pay.example.com":                          "https://pay.example.com/",
		"https://pay.example.com/epay":                     "https://pay.example.com/epay/",
		"https://pay.example.com/epay/":                    "https://pay.example.com/epay/",
		"https://pay.example.com/submit.php":               "https://pay.example.com/",
		"https://pay.example.com/epay/mapi.php":            "https://pay.example.com/epay/",
		"https://pay.example.com/api.php?act=order":        "https://pay.example.com/",
		"https://pay.example.com/epay/api.php?act=order&x": "https://pay.example.com/epay/",
		"HTTPS://pay.example.com/Submit.PHP":               "https://pay.example.com/",
		"http://127.0.0.1:8080/pay/?a=1#frag":              "http://127.0.0.1:8080/pay/",
		"  https://pay.example.com/epay/  ":                "https://pay.example.com/epay/",
		"https://api.kyren.top/epay/mapi.php":              "https://api.kyren.top/epay/",
		"https://pay.example.com/a/b/":                     "https://pay.example.com/a/b/",
	} {
		c, err := New(in, "1001", "k")
		require.NoError(t, err, in)
		assert.Equal(t, want, c.BaseURL(), in)
		assert.Equal(t, "1001", c.PID())
	}
}

func TestNewRejectsBadArguments(t *testing.T) {
	t.Parallel()
	const key = "s3cr3tKEYvalue"
	cases := []struct {
		base, pid, key, want string
	}{
		{"", "1", key, "epay: base URL is empty"},
		{"ftp://pay.example.com/", "1", key, "scheme must be http or https"},
		{"pay.example.com/epay/", "1", key, "scheme must be http or https"},
		{"https:///epay/", "1", key, "has no host"},
		{"https://user:pw@pay.example.com/", "1", key, "must not contain user credentials"},
		{"https://pay.example.com/api.php?act=order&key=" + key, "", key, "epay: pid is empty"},
		{"https://pay.example.com/\x7f", "1", key, "not a valid URL"},
		{"ftp://x/api.php?key=" + key, "1", key, "scheme"},
		{"ftp://x/" + key, "1", key, "scheme"},
		{"https://pay.example.com/", "1", "", "epay: key is empty"},
		{"https://pay.example.com/", "1", " " + key, "epay: key has leading or trailing white space"},
		{"https://pay.example.com/", " 1", key, "white space"},
		{"https://pay.example.com/", "1\n", key, "white space"},
	}
	for _, tc := range cases {
		c, err := New(tc.base, tc.pid, tc.key)
		require.Error(t, err, tc.base)
		assert.Nil(t, c)
		assert.Contains(t, err.Error(), tc.want)
		assert.True(t, strings.HasPrefix(err.Error(), "epay: "), err.Error())
		assert.NotContains(t, err.Error(), key)
	}
	_, err := New("https://x/", "1", key, WithRetryWait(time.Second, time.Millisecond))
	assert.ErrorContains(t, err, "retry wait")
}

func TestClientNeverPrintsKey(t *testing.T) {
	t.Parallel()
	c, err := New(testBase, testPID, testKey)
	require.NoError(t, err)
	for _, s := range []string{
		fmt.Sprint(c), fmt.Sprintf("%v %+v %#v %s", c, c, c, c),
	} {
		assert.NotContains(t, s, testKey)
		assert.Contains(t, s, testPID)
	}
	var buf bytes.Buffer
	slog.New(slog.NewTextHandler(&buf, nil)).Info("x", "client", c)
	assert.NotContains(t, buf.String(), testKey)
	assert.Contains(t, buf.String(), "client.pid=1001")
	var nilClient *Client
	assert.Equal(t, "epay.Client(nil)", nilClient.String())
}

func TestZeroClientIsRejected(t *testing.T) {
	t.Parallel()
	var c Client
	ctx := context.Background()
	_, err := c.Create(ctx, &CreateRequest{})
	assert.ErrorIs(t, err, ErrNotInitialized)
	_, err = c.QueryOrder(ctx, &OrderQuery{TradeNo: "1"})
	assert.ErrorIs(t, err, ErrNotInitialized)
	_, err = c.ListOrders(ctx, nil)
	assert.ErrorIs(t, err, ErrNotInitialized)
	_, err = c.Refund(ctx, &RefundRequest{})
	assert.ErrorIs(t, err, ErrNotInitialized)
	_, err = c.Merchant(ctx)
	assert.ErrorIs(t, err, ErrNotInitialized)
	_, err = c.Settlements(ctx, nil)
	assert.ErrorIs(t, err, ErrNotInitialized)
	_, err = c.CheckoutURL(&CheckoutRequest{})
	assert.ErrorIs(t, err, ErrNotInitialized)
	_, err = c.ParseNotification(nil)
	assert.ErrorIs(t, err, ErrNotInitialized)
	_, err = c.ParseNotificationRequest(nil)
	assert.ErrorIs(t, err, ErrNotInitialized)
	var np *Client
	_, err = np.Merchant(ctx)
	assert.ErrorIs(t, err, ErrNotInitialized)
}

func TestNilRequests(t *testing.T) {
	t.Parallel()
	c, _ := newMock(t, testPID, testKey)
	ctx := context.Background()
	_, err := c.Create(ctx, nil)
	assert.EqualError(t, err, "epay: nil *CreateRequest")
	_, err = c.QueryOrder(ctx, nil)
	assert.EqualError(t, err, "epay: nil *OrderQuery")
	_, err = c.Refund(ctx, nil)
	assert.EqualError(t, err, "epay: nil *RefundRequest")
	_, err = c.CheckoutValues(nil)
	assert.EqualError(t, err, "epay: nil *CheckoutRequest")
	_, err = c.ParseNotificationRequest(nil)
	assert.EqualError(t, err, "epay: nil notification request")
}

func TestOptionsReachTransport(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	var mu sync.Mutex
	var events []RequestEvent
	c, mt := newMock(t, testPID, testKey,
		WithUserAgent("shop/2.0"),
		WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))),
		WithRequestHook(func(e RequestEvent) { mu.Lock(); events = append(events, e); mu.Unlock() }),
		WithRetries(1),
	)
	var ua string
	mt.RegisterResponder("GET", testBase+"api.php", func(r *http.Request) (*http.Response, error) {
		ua = r.Header.Get("User-Agent")
		return jsonResp(503, "<html>busy</html>")(r)
	})
	_, err := c.Merchant(context.Background())
	var he *HTTPError
	require.ErrorAs(t, err, &he)
	assert.Equal(t, 503, he.StatusCode)
	assert.Equal(t, 2, he.Attempts, "WithRetries(1): two attempts")
	assert.Equal(t, "shop/2.0", ua)
	assert.NotContains(t, err.Error(), testKey)
	assert.NotContains(t, logs.String(), testKey)
	assert.Contains(t, logs.String(), "key=REDACTED")
	mu.Lock()
	defer mu.Unlock()
	require.Len(t, events, 2)
	for _, e := range events {
		assert.NotContains(t, e.URL, testKey)
		assert.Equal(t, 503, e.Status)
	}
}

func TestRetriesOff(t *testing.T) {
	t.Parallel()
	c, mt := newMock(t, testPID, testKey, WithRetries(0))
	rec := &recorder{}
	mt.RegisterResponder("GET", testBase+"api.php", rec.responder(t, jsonResp(502, "bad gateway")))
	_, err := c.Merchant(context.Background())
	var he *HTTPError
	require.ErrorAs(t, err, &he)
	assert.Len(t, rec.all(), 1)
	assert.False(t, errors.Is(err, ErrBadSignature))
}
