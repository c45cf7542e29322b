package epay_test

// Secrets: for every way a call or a notification can fail, neither the
// merchant key nor any sign value that was sent or received appears in the
// error text (the whole chain of wrapped errors), the debug log or the
// request hook's events.

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

	"github.com/epaykit/epaykit/epay"
	"github.com/epaykit/epaykit/epay/epaytest"
	"github.com/epaykit/epaykit/notify"
	"github.com/epaykit/epaykit/sign"
)

// syncBuffer is a bytes.Buffer safe for the logger's concurrent writes.
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

// probe watches one failing call: it taps the wire for the sign and key
// values sent, and collects the log, the hook events and the errors.
type probe struct {
	key    string
	log    syncBuffer
	events eventLog

	mu      sync.Mutex
	secrets []string // sign and key values seen on the wire, and the key
	texts   []string // error texts to check
}

func newProbe(key string) *probe {
	return &probe{key: key, secrets: []string{key}}
}

func (p *probe) noteSecret(s string) {
	if len(s) < 8 { // shorter values could match innocent text
		return
	}
	p.mu.Lock()
	p.secrets = append(p.secrets, s, url.QueryEscape(s))
	p.mu.Unlock()
}

// noteWire records the secret fields of a query string or form body.
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

// RoundTrip taps the request, then sends it.
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

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// options configures a client to be watched by p.
func (p *probe) options() []epay.Option {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	return []epay.Option{
		epay.WithHTTPClient(&http.Client{Transport: p.tap(tr), Timeout: 10 * time.Second}),
		epay.WithLogger(slog.New(slog.NewJSONHandler(&p.log, &slog.HandlerOptions{Level: slog.LevelDebug}))),
		epay.WithRequestHook(p.events.hook),
		epay.WithRetryWait(testMinWait, testMaxWait),
	}
}

func (p *probe) client(t *testing.T, base string) *epay.Client {
	t.Helper()
	c, err := epay.New(base, "1001", p.key, p.options()...)
	require.NoError(t, err)
	return c
}

// noteErr records the text of err and of every error it wraps, in the
// forms a user may print.
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

// check asserts that no secret appears anywhere the user can see.
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

// leaked returns a piece of secret (8 bytes or more) found in text, or "":
// a key cut in half by a length limit is still a leak.
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

// echoServer answers every request with status and a body that repeats the
// whole request, the key and the sign, in the given format.
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
	return srv.URL + "/epay/"
}

// TestSecretsNeverLeak runs every failing path of the Epay client and the
// notify handler and checks the error text, the log and the hook events.
func TestSecretsNeverLeak(t *testing.T) {
	t.Parallel()
	const key = "Kx9QmZ4tVb7RwY2nHs5Lc8PdJf3Ga6Ue"
	create := func(ctx context.Context, c *epay.Client) error {
		_, err := c.Create(ctx, createReq("S-1"))
		return err
	}
	query := func(ctx context.Context, c *epay.Client) error {
		_, err := c.QueryOrder(ctx, &epay.OrderQuery{OutTradeNo: "S-1"})
		return err
	}
	refund := func(ctx context.Context, c *epay.Client) error {
		_, err := c.Refund(ctx, &epay.RefundRequest{OutTradeNo: "S-1", Money: "1.00"})
		return err
	}
	merchant := func(ctx context.Context, c *epay.Client) error {
		_, err := c.Merchant(ctx)
		return err
	}
	calls := map[string]func(context.Context, *epay.Client) error{
		"create": create, "query": query, "refund": refund, "merchant": merchant,
	}
	// Each server kind gives a base URL for the call.
	servers := map[string]func(t *testing.T) string{
		"wrong key at the gateway": func(t *testing.T) string {
			gw := epaytest.NewServer(epaytest.WithTest(t)) // its key is not ours
			_, err := gw.CreateOrder(epaytest.NewOrder{OutTradeNo: "S-1", Money: "9.99"})
			require.NoError(t, err)
			return gw.URL
		},
		"HTML 200 echoing the request": func(t *testing.T) string {
			return echoServer(t, key, 200, "<html><body>Request: %s<br>key %s, sign=%s</body></html>")
		},
		"HTML 502 echoing the request": func(t *testing.T) string {
			return echoServer(t, key, 502, "<html><body>bad gateway for %s (key %s sign %s)</body></html>")
		},
		"JSON refusal echoing the request": func(t *testing.T) string {
			return echoServer(t, key, 200, `{"code":-1,"msg":"wrong: %s; the key is %s; sign %s"}`)
		},
		"JSON refusal with the key at the 500-byte cut": func(t *testing.T) string {
			return echoServer(t, key, 200, `{"code":-3,"msg":"`+strings.Repeat("m", 490)+`%.0s%s %s"}`)
		},
		"HTML with the key at the 200-byte excerpt cut": func(t *testing.T) string {
			return echoServer(t, key, 200, "<p>"+strings.Repeat("e", 187)+"%.0s%s %s</p>")
		},
		"truncated JSON echoing the key": func(t *testing.T) string {
			return echoServer(t, key, 200, `{"code":-1,"msg":"%s %s %s`)
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
				assert.True(t, strings.HasPrefix(err.Error(), "epay: "), err.Error())
				p.noteErr(err)
				p.check(t)
			})
		}
	}
}

// TestSecretsValidationErrors: errors before sending, including a key that
// a merchant put by mistake into a field, or a base URL that carries it.
// (Money errors quote the amount they reject, as ParseMoney does: an amount
// is the caller's data, not a secret, so no key is put there.)
func TestSecretsValidationErrors(t *testing.T) {
	t.Parallel()
	const key = "Kx9QmZ4tVb7RwY2nHs5Lc8PdJf3Ga6Ue"
	p := newProbe(key)
	c := p.client(t, "https://pay.example.com/epay/")
	ctx := context.Background()
	for _, r := range []*epay.CreateRequest{
		{OutTradeNo: "V 1", Name: "Tea", Money: "1", NotifyURL: "https://shop.example.com/n", ClientIP: "203.0.113.7", Param: key},
		{OutTradeNo: key + " ", Name: "Tea", Money: "1", NotifyURL: "https://shop.example.com/n", ClientIP: "203.0.113.7"},
		{OutTradeNo: "V-1", Name: key + "\x00", Money: "1", NotifyURL: "https://shop.example.com/n", ClientIP: "203.0.113.7"},
		{OutTradeNo: "V-1", Name: "Tea", Money: "-1.005", NotifyURL: "https://shop.example.com/n", ClientIP: "203.0.113.7"},
		{OutTradeNo: "V-1", Name: "Tea", Money: "1", NotifyURL: "https://shop.example.com/n?key=" + key, ClientIP: "203.0.113.7"},
		{OutTradeNo: "V-1", Name: "Tea", Money: "1", NotifyURL: "https://shop.example.com/n", ClientIP: key},
		{OutTradeNo: "V-1", Name: "Tea", Money: "1", NotifyURL: "https://shop.example.com/n", ClientIP: "203.0.113.7", Extra: map[string]string{"key": key}},
	} {
		_, err := c.Create(ctx, r)
		require.ErrorIs(t, err, epay.ErrInvalidRequest)
		p.noteErr(err)
		_, err = c.CheckoutURL(&epay.CheckoutRequest{OutTradeNo: r.OutTradeNo, Name: r.Name, Money: r.Money,
			NotifyURL: r.NotifyURL, ReturnURL: "https://shop.example.com/r", Param: r.Param, Extra: r.Extra})
		if err != nil {
			p.noteErr(err)
		}
	}
	_, err := c.Refund(ctx, &epay.RefundRequest{OutTradeNo: key + "\n", Money: "1"})
	require.Error(t, err)
	p.noteErr(err)
	_, err = c.QueryOrder(ctx, &epay.OrderQuery{TradeNo: key + "\x7f"})
	require.Error(t, err)
	p.noteErr(err)
	for _, base := range []string{
		"ftp://pay.example.com/?key=" + key,
		"https://user:" + key + "@pay.example.com/",
		"https://pay.example.com:" + key + "/",
		"pay.example.com/" + key,
		"https://pay.example.com/%zz?sign=" + key,
	} {
		_, err := epay.New(base, "1001", key)
		require.Error(t, err, base)
		p.noteErr(err)
	}
	_, err = epay.New("https://pay.example.com/", " "+key, key)
	require.Error(t, err)
	p.noteErr(err)
	p.check(t)
}

// TestSecretsNotifications: a rejected notification's error, the notify
// handler's log and its error hook show neither the key nor the sign that
// arrived (a forged sign may be a guess at a real one).
func TestSecretsNotifications(t *testing.T) {
	t.Parallel()
	const key = "Kx9QmZ4tVb7RwY2nHs5Lc8PdJf3Ga6Ue"
	good := url.Values{"pid": {"1001"}, "trade_no": {"2026010112000000001"}, "out_trade_no": {"N-1"},
		"type": {"alipay"}, "name": {"Tea"}, "money": {"9.99"}, "trade_status": {"TRADE_SUCCESS"}}
	signed := func(v url.Values, k string) url.Values {
		m, _ := sign.Flatten(v)
		out := url.Values{}
		for f, s := range v {
			out[f] = append([]string(nil), s...)
		}
		out.Set("sign", sign.Epay(m, k))
		out.Set("sign_type", "MD5")
		return out
	}
	edit := func(v url.Values, fn func(url.Values)) url.Values {
		out := url.Values{}
		for f, s := range v {
			out[f] = append([]string(nil), s...)
		}
		fn(out)
		return out
	}
	cases := map[string]url.Values{
		"signed with another key": signed(good, "Pq2WzN8vTb5XkR3mHd7Ys4Lc9Gf6Ja1E"),
		"sign with the key in it": edit(signed(good, key), func(v url.Values) { v.Set("sign", key) }),
		"money changed":           edit(signed(good, key), func(v url.Values) { v.Set("money", "0.01") }),
		"duplicate sign": edit(signed(good, key), func(v url.Values) {
			v.Add("sign", sign.Epay(map[string]string{"a": "b"}, key))
		}),
		"wrong pid":          signed(edit(good, func(v url.Values) { v.Set("pid", "2002") }), key),
		"missing money":      signed(edit(good, func(v url.Values) { v.Del("money") }), key),
		"sign_type RSA":      edit(signed(good, key), func(v url.Values) { v.Set("sign_type", "RSA") }),
		"key echoed in name": edit(signed(good, key), func(v url.Values) { v.Set("name", "key="+key) }),
	}
	for name, v := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			p := newProbe(key)
			for _, s := range v["sign"] {
				p.noteSecret(s)
			}
			c := p.client(t, "https://pay.example.com/epay/")
			_, err := c.ParseNotification(v)
			require.Error(t, err)
			p.noteErr(err)
			_, err = c.VerifyReturn(v)
			require.Error(t, err)
			p.noteErr(err)

			// The same through the notify handler, by GET and by POST.
			var hookErrs []error
			var mu sync.Mutex
			logger := slog.New(slog.NewJSONHandler(&p.log, &slog.HandlerOptions{Level: slog.LevelDebug}))
			h := notify.Epay(c, func(context.Context, *epay.Notification) error {
				t.Error("the merchant's function ran for a bad notification")
				return nil
			}, notify.WithLogger(logger), notify.WithErrorHook(func(_ *http.Request, err error) {
				mu.Lock()
				hookErrs = append(hookErrs, err)
				mu.Unlock()
			}))
			for _, req := range []*http.Request{
				httptest.NewRequest(http.MethodGet, "/notify?"+v.Encode(), nil),
				postForm("/notify", v.Encode()),
			} {
				w := httptest.NewRecorder()
				h.ServeHTTP(w, req)
				assert.NotEqual(t, epay.SuccessReply, w.Body.String())
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

func postForm(target, body string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, target, strings.NewReader(body))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return r
}

// TestSecretsClientFormatting: printing the client in any way shows no key.
func TestSecretsClientFormatting(t *testing.T) {
	t.Parallel()
	const key = "Kx9QmZ4tVb7RwY2nHs5Lc8PdJf3Ga6Ue"
	p := newProbe(key)
	c := p.client(t, "https://pay.example.com/epay/")
	var buf syncBuffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("client", "c", c)
	for _, s := range []string{fmt.Sprint(c), fmt.Sprintf("%v %+v %#v %s", c, c, c, c), buf.String()} {
		assert.NotContains(t, s, key)
	}
}
