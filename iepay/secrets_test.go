package iepay_test

// Secrets: for every way a call or a notification can fail, neither the API
// key nor any sign value that was sent or received appears in the error text
// (the whole chain of wrapped errors), the debug log or the hook events.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/epaykit/epaykit/iepay"
	"github.com/epaykit/epaykit/iepay/iepaytest"
	"github.com/epaykit/epaykit/notify"
	"github.com/epaykit/epaykit/sign"
)

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// probe watches failing calls: it taps the wire for the sign values sent
// and collects the log, the hook events and the error texts.
type probe struct {
	key    string
	log    syncBuffer
	events eventLog

	mu      sync.Mutex
	secrets []string
	texts   []string
}

func newProbe(key string) *probe { return &probe{key: key, secrets: []string{key}} }

func (p *probe) noteSecret(s string) {
	if len(s) < 8 {
		return
	}
	p.mu.Lock()
	p.secrets = append(p.secrets, s, url.QueryEscape(s))
	p.mu.Unlock()
}

func (p *probe) noteWire(raw string) {
	v, err := url.ParseQuery(raw)
	if err != nil {
		return
	}
	for _, k := range []string{"sign", "key"} {
		for _, s := range v[k] {
			p.noteSecret(s)
		}
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func (p *probe) tap(inner http.RoundTripper) http.RoundTripper {
	return roundTripFunc(func(r *http.Request) (*http.Response, error) {
		p.noteWire(r.URL.RawQuery)
		if r.Body != nil {
			b, err := io.ReadAll(r.Body)
			_ = r.Body.Close()
			if err != nil {
				return nil, err
			}
			p.noteWire(string(b))
			r = r.Clone(r.Context())
			r.Body = io.NopCloser(bytes.NewReader(b))
		}
		return inner.RoundTrip(r)
	})
}

func (p *probe) client(t *testing.T, base string) *iepay.Client {
	t.Helper()
	tr := http.DefaultTransport.(*http.Transport).Clone()
	c, err := iepay.New(extMID, p.key,
		iepay.WithBaseURL(base),
		iepay.WithHTTPClient(&http.Client{Transport: p.tap(tr), Timeout: 10 * time.Second}),
		iepay.WithLogger(slog.New(slog.NewJSONHandler(&p.log, &slog.HandlerOptions{Level: slog.LevelDebug}))),
		iepay.WithRequestHook(p.events.hook),
		iepay.WithRetryWait(testMinWait, testMaxWait))
	require.NoError(t, err)
	return c
}

// noteErr records the text of err and of every error it wraps.
func (p *probe) noteErr(err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	seen := map[error]bool{}
	var walk func(error)
	walk = func(e error) {
		if e == nil || !reflect.TypeOf(e).Comparable() || seen[e] {
			return
		}
		seen[e] = true
		p.texts = append(p.texts, e.Error(), fmt.Sprintf("%+v", e))
		switch u := e.(type) {
		case interface{ Unwrap() error }:
			walk(u.Unwrap())
		case interface{ Unwrap() []error }:
			for _, x := range u.Unwrap() {
				walk(x)
			}
		}
	}
	walk(err)
}

// leaked returns a piece (8 bytes or more) of secret found in text.
func leaked(text, secret string) string {
	const window = 8
	if len(secret) <= window {
		if strings.Contains(text, secret) {
			return secret
		}
		return ""
	}
	for i := 0; i+window <= len(secret); i++ {
		if strings.Contains(text, secret[i:i+window]) {
			return secret[i : i+window]
		}
	}
	return ""
}

func (p *probe) check(t *testing.T) {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	places := map[string]string{"log": p.log.String()}
	for i, ev := range p.events.all() {
		places[fmt.Sprintf("hook event %d", i+1)] = fmt.Sprintf("%+v", ev)
	}
	for i, s := range p.texts {
		places[fmt.Sprintf("error text %d", i+1)] = s
	}
	require.NotEmpty(t, p.texts)
	for where, text := range places {
		for _, s := range p.secrets {
			if part := leaked(text, s); part != "" {
				t.Errorf("%s contains %q of the secret %q:\n%s", where, part, s, text)
			}
		}
	}
}

func echoServer(t *testing.T, key string, status int, format string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		all := r.URL.RawQuery + "&" + string(b)
		v, _ := url.ParseQuery(all)
		w.WriteHeader(status)
		fmt.Fprintf(w, format, all, key, v.Get("sign"))
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/iepay/"
}

// TestSecretsNeverLeak runs every failing path of the IEPay client and
// checks the error text, the log and the hook events.
func TestSecretsNeverLeak(t *testing.T) {
	t.Parallel()
	const key = extKey
	calls := map[string]func(context.Context, *iepay.Client) error{
		"create": func(ctx context.Context, c *iepay.Client) error {
			_, err := c.Create(ctx, createReq("S-1"))
			return err
		},
		"mini program": func(ctx context.Context, c *iepay.Client) error {
			_, err := c.CreateMiniProgram(ctx, &iepay.MiniProgramRequest{AppID: "wx0123456789", OpenID: "o-123456",
				OutTradeNo: "S-2", Goods: "Tea", GoodsDetail: "Green tea", TotalFee: 100})
			return err
		},
		"check": func(ctx context.Context, c *iepay.Client) error {
			_, err := c.Check(ctx, &iepay.CheckRequest{PayType: iepay.PayTypeAlipayQR, OutTradeNo: "S-1"})
			return err
		},
		"refund": func(ctx context.Context, c *iepay.Client) error {
			_, err := c.Refund(ctx, &iepay.RefundRequest{PayType: iepay.PayTypeAlipayQR, OutTradeNo: "S-1", RefundAmount: 100})
			return err
		},
	}
	servers := map[string]func(t *testing.T) string{
		"wrong key at the gateway": func(t *testing.T) string {
			gw := iepaytest.NewServer(iepaytest.WithTest(t)) // its key is not ours
			return gw.URL
		},
		"HTML 200 echoing the request": func(t *testing.T) string {
			return echoServer(t, key, 200, "<html><body>Request: %s<br>key %s, sign=%s</body></html>")
		},
		"HTML 502 echoing the request": func(t *testing.T) string {
			return echoServer(t, key, 502, "<html><body>bad gateway for %s (key %s sign %s)</body></html>")
		},
		"JSON refusal echoing the request": func(t *testing.T) string {
			return echoServer(t, key, 200, `{"is_success":"FALSE","message":"SIGN_ERROR %s; key %s; expected sign %s"}`)
		},
		"JSON refusal with the key at the 200-byte cut": func(t *testing.T) string {
			return echoServer(t, key, 200, `{"is_success":"FALSE","message":"`+strings.Repeat("m", 190)+`%.0s%s %s"}`)
		},
		"HTML with the key at the 200-byte excerpt cut": func(t *testing.T) string {
			return echoServer(t, key, 200, "<p>"+strings.Repeat("e", 187)+"%.0s%s %s</p>")
		},
		"truncated JSON echoing the key": func(t *testing.T) string {
			return echoServer(t, key, 200, `{"is_success":"FALSE","message":"%s %s %s`)
		},
		"dead host (url.Error)": deadURL,
		"hanging server (deadline)": func(t *testing.T) string {
			u, _ := hangingServer(t)
			return u
		},
	}
	for sname, server := range servers {
		for cname, call := range calls {
			t.Run(sname+"/"+cname, func(t *testing.T) {
				t.Parallel()
				p := newProbe(key)
				c := p.client(t, server(t))
				ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
				defer cancel()
				err := call(ctx, c)
				require.Error(t, err)
				assert.True(t, strings.HasPrefix(err.Error(), "iepay: "), err.Error())
				p.noteErr(err)
				p.check(t)
			})
		}
	}
}

// TestSecretsValidationErrors: errors before sending, including a key put
// by mistake into a field or into the base URL.
func TestSecretsValidationErrors(t *testing.T) {
	t.Parallel()
	const key = extKey
	p := newProbe(key)
	c := p.client(t, "https://pay.example.com/iepay/")
	ctx := context.Background()
	for _, r := range []*iepay.CreateRequest{
		{PayType: iepay.PayTypeAlipayQR, OutTradeNo: key + " ", TotalFee: 1, Goods: "Tea", GoodsDetail: "Tea"},
		{PayType: iepay.PayTypeAlipayQR, OutTradeNo: "V-1", TotalFee: 1, Goods: key + "\x00", GoodsDetail: "Tea"},
		{PayType: iepay.PayTypeAlipayQR, OutTradeNo: "V-1", TotalFee: 1, Goods: "Tea", GoodsDetail: key + "&"},
		{PayType: iepay.PayTypeAlipayQR, OutTradeNo: "V-1", TotalFee: -1, Goods: "Tea", GoodsDetail: "Tea"},
		{PayType: iepay.PayTypeAlipayQR, OutTradeNo: "V-1", TotalFee: 1, Goods: "Tea", GoodsDetail: "Tea", NotifyURL: "ftp://x/?key=" + key},
		{PayType: iepay.PayType(key), OutTradeNo: "V-1", TotalFee: 1, Goods: "Tea", GoodsDetail: "Tea"},
	} {
		_, err := c.Create(ctx, r)
		require.ErrorIs(t, err, iepay.ErrInvalidRequest)
		p.noteErr(err)
	}
	_, err := c.Refund(ctx, &iepay.RefundRequest{PayType: iepay.PayTypeAlipayQR, OutTradeNo: key + "\n", RefundAmount: 1})
	require.Error(t, err)
	p.noteErr(err)
	for _, base := range []string{
		"ftp://pay.example.com/?key=" + key,
		"https://pay.example.com/?sign=" + key,
		"https://pay.example.com/#" + key,
		"https://user:" + key + "@pay.example.com/",
		"https://pay.example.com:" + key + "/",
		"pay.example.com/" + key,
		"https://pay.example.com/%zz?sign=" + key,
	} {
		_, err := iepay.New(extMID, key, iepay.WithBaseURL(base))
		require.Error(t, err, base)
		p.noteErr(err)
	}
	for _, mid := range []string{" " + key, key} {
		_, err = iepay.New(mid, key)
		require.Error(t, err)
		p.noteErr(err)
	}
	p.check(t)
}

// TestSecretsNotifications: a rejected notification's error, the notify
// handler's log and its error hook show neither the key nor the sign that
// arrived.
func TestSecretsNotifications(t *testing.T) {
	t.Parallel()
	const key = extKey
	good := func() url.Values {
		return url.Values{"trade_no": {"T-2026-1"}, "out_trade_no": {"N-1"}, "trade_status": {"SUCCESS"},
			"pay_type": {"IE0011"}, "sign": {sign.IEPayNotify("T-2026-1", "N-1", key)}}
	}
	edit := func(fn func(url.Values)) url.Values {
		v := good()
		fn(v)
		return v
	}
	cases := map[string]url.Values{
		"signed with another key": edit(func(v url.Values) {
			v.Set("sign", sign.IEPayNotify("T-2026-1", "N-1", "Pq2WzN8vTb5XkR3mHd7Ys4Lc9Gf6Ja1E"))
		}),
		"sign with the key in it": edit(func(v url.Values) { v.Set("sign", key) }),
		"out_trade_no changed":    edit(func(v url.Values) { v.Set("out_trade_no", "N-2") }),
		"duplicate sign":          edit(func(v url.Values) { v.Add("sign", sign.IEPayNotify("a", "b", key)) }),
		"missing trade_no":        edit(func(v url.Values) { v.Del("trade_no") }),
		"status not SUCCESS":      edit(func(v url.Values) { v.Set("trade_status", "CLOSED") }),
	}
	for name, v := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			p := newProbe(key)
			for _, s := range v["sign"] {
				p.noteSecret(s)
			}
			p.noteSecret(good().Get("sign"))
			c := p.client(t, "https://pay.example.com/iepay/")
			_, err := c.ParseNotification(v)
			require.Error(t, err)
			p.noteErr(err)

			var hookErrs []error
			var mu sync.Mutex
			logger := slog.New(slog.NewJSONHandler(&p.log, &slog.HandlerOptions{Level: slog.LevelDebug}))
			h := notify.IEPay(c, func(context.Context, *iepay.Notification) error {
				t.Error("the merchant's function ran for a bad notification")
				return nil
			}, notify.WithLogger(logger), notify.WithErrorHook(func(_ *http.Request, err error) {
				mu.Lock()
				hookErrs = append(hookErrs, err)
				mu.Unlock()
			}))
			post := httptest.NewRequest(http.MethodPost, "/notify", strings.NewReader(v.Encode()))
			post.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			for _, req := range []*http.Request{httptest.NewRequest(http.MethodGet, "/notify?"+v.Encode(), nil), post} {
				w := httptest.NewRecorder()
				h.ServeHTTP(w, req)
				assert.NotEqual(t, iepay.SuccessReply, w.Body.String())
				p.noteErr(errors.New(w.Body.String()))
			}
			mu.Lock()
			require.Len(t, hookErrs, 2)
			for _, e := range hookErrs {
				p.noteErr(e)
			}
			mu.Unlock()
			p.check(t)
		})
	}
}

// TestSecretsClientFormatting: printing the client in any way shows no key.
func TestSecretsClientFormatting(t *testing.T) {
	t.Parallel()
	p := newProbe(extKey)
	c := p.client(t, "https://pay.example.com/iepay/")
	var buf syncBuffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("client", "c", c)
	for _, s := range []string{fmt.Sprint(c), fmt.Sprintf("%v %+v %#v %s", c, c, c, c), buf.String()} {
		assert.NotContains(t, s, extKey)
	}
}
