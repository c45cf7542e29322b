package transport

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/epaykit/epaykit/internal/fields"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const secretKey = "s3cr3t-merchant-key-0123456789ab"

// fastConfig returns a Config with tiny backoff waits for tests.
func fastConfig() Config {
	return Config{Prefix: "test", Retries: -1, MinWait: time.Millisecond, MaxWait: 5 * time.Millisecond, Secrets: []string{secretKey}}
}

// scripted serves the given statuses in order, then 200 {"ok":1}.
func scripted(t *testing.T, statuses ...int) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := int(n.Add(1)) - 1
		if i < len(statuses) {
			w.WriteHeader(statuses[i])
			io.WriteString(w, "<html>busy</html>")
			return
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"ok":1}`)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func TestRetriesSafeCallsThenSucceeds(t *testing.T) {
	t.Parallel()
	for _, st := range []int{429, 502, 503, 504} {
		srv, n := scripted(t, st, st)
		c := New(fastConfig())
		resp, err := c.Do(context.Background(), &Request{Method: "GET", URL: srv.URL + "/api.php?act=order"})
		require.NoError(t, err)
		assert.Equal(t, 200, resp.Status)
		assert.Equal(t, 3, resp.Attempts)
		assert.EqualValues(t, 3, n.Load(), "status %d", st)
	}
}

func TestRetryBudgetExhaustedReturnsLastResponse(t *testing.T) {
	t.Parallel()
	srv, n := scripted(t, 503, 503, 503, 503)
	c := New(fastConfig())
	resp, err := c.Do(context.Background(), &Request{Method: "GET", URL: srv.URL + "/x?key=" + secretKey})
	require.NoError(t, err)
	assert.Equal(t, 503, resp.Status)
	assert.EqualValues(t, 3, n.Load())
	var v map[string]any
	err = c.DecodeJSON(resp, &v)
	var se *StatusError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, 503, se.StatusCode)
	assert.Equal(t, 3, se.Attempts)
	assert.Contains(t, err.Error(), "HTTP 503")
	assert.Contains(t, err.Error(), "<html>busy</html>")
	assert.NotContains(t, err.Error(), secretKey)
}

func TestNoRetryOnOtherStatuses(t *testing.T) {
	t.Parallel()
	for _, st := range []int{400, 404, 500} {
		srv, n := scripted(t, st)
		c := New(fastConfig())
		resp, err := c.Do(context.Background(), &Request{Method: "GET", URL: srv.URL})
		require.NoError(t, err)
		assert.Equal(t, st, resp.Status)
		assert.EqualValues(t, 1, n.Load())
	}
}

func TestRetriesOff(t *testing.T) {
	t.Parallel()
	srv, n := scripted(t, 503)
	cfg := fastConfig()
	cfg.Retries = 0
	resp, err := New(cfg).Do(context.Background(), &Request{Method: "GET", URL: srv.URL})
	require.NoError(t, err)
	assert.Equal(t, 503, resp.Status)
	assert.EqualValues(t, 1, n.Load())
}

func TestUnsafeCallNotRetriedOnStatus(t *testing.T) {
	t.Parallel()
	srv, n := scripted(t, 503, 503)
	c := New(fastConfig())
	resp, err := c.Do(context.Background(), &Request{Method: "POST", URL: srv.URL, Form: []fields.Field{{Name: "a", Value: "1"}}, Unsafe: true})
	require.NoError(t, err)
	assert.Equal(t, 503, resp.Status)
	assert.EqualValues(t, 1, n.Load())
}

// resetServer reads each request, counts it, then drops the connection
// without an answer for the first `resets` requests.
func resetServer(t *testing.T, resets int32) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		if n.Add(1) <= resets {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
			return
		}
		io.WriteString(w, `{"ok":1}`)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func TestConnectionResetRetriedForSafeCalls(t *testing.T) {
	t.Parallel()
	srv, n := resetServer(t, 2)
	resp, err := New(fastConfig()).Do(context.Background(), &Request{Method: "POST", URL: srv.URL, Form: []fields.Field{{Name: "a", Value: "1"}}})
	require.NoError(t, err)
	assert.Equal(t, 200, resp.Status)
	assert.EqualValues(t, 3, n.Load())
}

func TestUnsafeCallNotRetriedAfterReset(t *testing.T) {
	t.Parallel()
	srv, n := resetServer(t, 5)
	_, err := New(fastConfig()).Do(context.Background(), &Request{Method: "POST", URL: srv.URL + "/api.php?act=refund", Form: []fields.Field{{Name: "key", Value: secretKey}}, Unsafe: true})
	require.Error(t, err)
	var te *Error
	require.ErrorAs(t, err, &te)
	assert.True(t, te.MaybeSent, "the server read the request: the refund may have happened")
	assert.EqualValues(t, 1, n.Load(), "the server must see the refund once")
	assert.NotContains(t, err.Error(), secretKey)
}

// flakyDialer fails the first n dials, then dials for real.
func flakyDialer(n int32) (func(ctx context.Context, network, addr string) (net.Conn, error), *atomic.Int32) {
	var calls atomic.Int32
	var d net.Dialer
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		if calls.Add(1) <= n {
			return nil, &net.OpError{Op: "dial", Net: network, Err: errors.New("connection refused")}
		}
		return d.DialContext(ctx, network, addr)
	}, &calls
}

func TestUnsafeCallRetriedAfterDialFailure(t *testing.T) {
	t.Parallel()
	srv, n := scripted(t)
	dial, dials := flakyDialer(2)
	cfg := fastConfig()
	cfg.HTTPClient = &http.Client{Transport: &http.Transport{DialContext: dial}}
	resp, err := New(cfg).Do(context.Background(), &Request{Method: "POST", URL: srv.URL, Form: []fields.Field{{Name: "a", Value: "1"}}, Unsafe: true})
	require.NoError(t, err)
	assert.Equal(t, 200, resp.Status)
	assert.EqualValues(t, 3, dials.Load())
	assert.EqualValues(t, 1, n.Load())
}

func TestDialFailureErrorSaysNotSent(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now

	var logs bytes.Buffer
	var events []Event
	var mu sync.Mutex
	cfg := fastConfig()
	cfg.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	cfg.OnEvent = func(e Event) { mu.Lock(); events = append(events, e); mu.Unlock() }
	_, err = New(cfg).Do(context.Background(), &Request{Method: "GET", URL: "http://" + addr + "/api.php?act=order&pid=1&key=" + secretKey + "&sign=abcdef", Unsafe: true})
	require.Error(t, err)
	var te *Error
	require.ErrorAs(t, err, &te)
	assert.False(t, te.MaybeSent)
	assert.Equal(t, 3, te.Attempts)
	assert.NotContains(t, err.Error(), secretKey)
	assert.NotContains(t, err.Error(), "abcdef")
	assert.Contains(t, err.Error(), "key=REDACTED")
	assert.NotContains(t, logs.String(), secretKey)
	assert.NotContains(t, logs.String(), "abcdef")
	assert.Equal(t, 3, strings.Count(logs.String(), "http attempt"))
	mu.Lock()
	defer mu.Unlock()
	require.Len(t, events, 3)
	for i, e := range events {
		assert.Equal(t, i+1, e.Attempt)
		assert.NotContains(t, e.URL, secretKey)
		require.Error(t, e.Err)
		assert.NotContains(t, e.Err.Error(), secretKey)
	}
}

func TestContextDeadlineStopsHangingServer(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(func() { close(release); srv.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := New(fastConfig()).Do(ctx, &Request{Method: "GET", URL: srv.URL})
	require.Error(t, err)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	var te *Error
	require.ErrorAs(t, err, &te)
	assert.True(t, te.MaybeSent)
}

func TestContextCancelledDuringBackoff(t *testing.T) {
	t.Parallel()
	srv, n := scripted(t, 503, 503, 503)
	cfg := fastConfig()
	cfg.MinWait, cfg.MaxWait = time.Hour, time.Hour
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for n.Load() == 0 {
			time.Sleep(time.Millisecond)
		}
		cancel()
	}()
	_, err := New(cfg).Do(ctx, &Request{Method: "GET", URL: srv.URL})
	assert.ErrorIs(t, err, context.Canceled)
	assert.EqualValues(t, 1, n.Load())
}

func TestBackoff(t *testing.T) {
	t.Parallel()
	min, max := 100*time.Millisecond, time.Second
	for attempt := 0; attempt < 40; attempt++ {
		for i := 0; i < 50; i++ {
			d := backoff(min, max, attempt, nil)
			assert.GreaterOrEqual(t, d, min/2)
			assert.LessOrEqual(t, d, max)
			if attempt == 0 {
				assert.LessOrEqual(t, d, min)
			}
		}
	}
	resp := &http.Response{Header: http.Header{"Retry-After": {"3"}}}
	assert.Equal(t, 3*time.Second, backoff(min, max, 0, resp), "Retry-After beats the backoff cap")
	resp.Header.Set("Retry-After", "100000")
	assert.Equal(t, MaxRetryAfter, backoff(min, max, 0, resp))
	resp.Header.Set("Retry-After", "soon")
	assert.LessOrEqual(t, backoff(min, max, 0, resp), min)
}

func TestRetryAfterParsing(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	d, ok := retryAfter("2", now)
	assert.True(t, ok)
	assert.Equal(t, 2*time.Second, d)
	d, ok = retryAfter(now.Add(5*time.Second).Format(http.TimeFormat), now)
	assert.True(t, ok)
	assert.Equal(t, 5*time.Second, d)
	d, ok = retryAfter(now.Add(-5*time.Second).Format(http.TimeFormat), now)
	assert.True(t, ok)
	assert.Equal(t, time.Duration(0), d)
	_, ok = retryAfter("-1", now)
	assert.False(t, ok)
	_, ok = retryAfter("", now)
	assert.False(t, ok)
}

func TestRetryAfterHonouredOverHTTP(t *testing.T) {
	t.Parallel()
	var n atomic.Int32
	var first, second time.Time
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			first = time.Now()
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		second = time.Now()
		io.WriteString(w, `{}`)
	}))
	t.Cleanup(srv.Close)
	resp, err := New(fastConfig()).Do(context.Background(), &Request{Method: "GET", URL: srv.URL})
	require.NoError(t, err)
	assert.Equal(t, 200, resp.Status)
	// The configured backoff is at most 5 ms; only Retry-After explains a
	// second's wait. (A lower bound, so a slow machine cannot fail it.)
	assert.GreaterOrEqual(t, second.Sub(first), 900*time.Millisecond)
}

func TestRequestShape(t *testing.T) {
	t.Parallel()
	var got *http.Request
	var body string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got, body = r, string(b)
		io.WriteString(w, `{}`)
	}))
	t.Cleanup(srv.Close)
	_, err := New(fastConfig()).Do(context.Background(), &Request{Method: "POST", URL: srv.URL + "/epay/mapi.php", Form: []fields.Field{{Name: "a", Value: "&"}, {Name: "b", Value: "2 3"}}})
	require.NoError(t, err)
	assert.Equal(t, "POST", got.Method)
	assert.Equal(t, "/epay/mapi.php", got.URL.Path)
	assert.Equal(t, "application/x-www-form-urlencoded; charset=utf-8", got.Header.Get("Content-Type"))
	assert.Equal(t, DefaultUserAgent, got.Header.Get("User-Agent"))
	assert.Equal(t, "a=%26&b=2+3", body)

	cfg := fastConfig()
	cfg.UserAgent = "shop/1.0"
	_, err = New(cfg).Do(context.Background(), &Request{Method: "GET", URL: srv.URL})
	require.NoError(t, err)
	assert.Equal(t, "shop/1.0", got.Header.Get("User-Agent"))
}

func TestCallerClientNotMutated(t *testing.T) {
	t.Parallel()
	hc := &http.Client{Timeout: 7 * time.Second}
	before := *hc
	cfg := fastConfig()
	cfg.HTTPClient = hc
	srv, _ := scripted(t)
	_, err := New(cfg).Do(context.Background(), &Request{Method: "GET", URL: srv.URL})
	require.NoError(t, err)
	assert.Equal(t, before.Timeout, hc.Timeout)
	assert.Nil(t, hc.Transport)
	assert.Nil(t, hc.CheckRedirect)
}

func TestDefaultClient(t *testing.T) {
	t.Parallel()
	c := New(Config{Retries: -1})
	assert.Equal(t, DefaultTimeout, c.rc.HTTPClient.Timeout)
	tr, ok := c.rc.HTTPClient.Transport.(*http.Transport)
	require.True(t, ok)
	assert.NotSame(t, http.DefaultTransport, tr)
	assert.NotNil(t, tr.Proxy, "proxy variables must work")
	assert.Equal(t, DefaultRetries, c.rc.RetryMax)
	assert.Equal(t, 0, New(Config{}).rc.RetryMax, "zero Retries switches retries off")
}

func TestBodyTooLarge(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		chunk := bytes.Repeat([]byte("x"), 64<<10)
		for i := 0; i < 160; i++ { // 10 MiB
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}))
	t.Cleanup(srv.Close)
	_, err := New(fastConfig()).Do(context.Background(), &Request{Method: "GET", URL: srv.URL})
	assert.ErrorIs(t, err, ErrBodyTooLarge)
}

func TestDecodeJSON(t *testing.T) {
	t.Parallel()
	c := New(fastConfig())
	type out struct {
		Code int    `json:"code"`
		Msg  string `json:"msg"`
	}
	ok := func(body string) out {
		var v out
		require.NoError(t, c.DecodeJSON(&Response{Status: 200, Body: []byte(body)}, &v), body)
		return v
	}
	assert.Equal(t, out{1, "succ"}, ok(`{"code":1,"msg":"succ"}`))
	assert.Equal(t, out{1, "succ"}, ok("\xef\xbb\xbf {\"code\":1,\"msg\":\"succ\"}\n"))

	for name, body := range map[string]string{
		"empty":       "",
		"spaces":      " \n",
		"html":        "<!DOCTYPE html><html><body>502 Bad Gateway</body></html>",
		"php warning": "<br />\n<b>Warning</b>: Undefined index key in /www/api.php on line 3<br />\n{\"code\":1}",
		"truncated":   `{"code":1,"msg":"su`,
		"array":       `[1,2]`,
		"wrong type":  `{"code":"x"}`,
	} {
		var v out
		err := c.DecodeJSON(&Response{Method: "GET", URL: "https://x/api.php?key=REDACTED", Status: 200, Body: []byte(body)}, &v)
		var se *StatusError
		require.ErrorAs(t, err, &se, name)
		assert.Equal(t, 200, se.StatusCode, name)
		assert.LessOrEqual(t, len(se.Excerpt), ExcerptLen+3, name)
		assert.True(t, strings.HasPrefix(err.Error(), "test: GET https://x/api.php"), err.Error())
	}
}

func TestExcerptRedactsAndBounds(t *testing.T) {
	t.Parallel()
	c := New(fastConfig())
	body := []byte("<p>error for pid=1&key=" + secretKey + "</p>" + strings.Repeat("y", 500))
	ex := c.Excerpt(body)
	assert.NotContains(t, ex, secretKey)
	assert.True(t, strings.HasSuffix(ex, "..."))
	assert.LessOrEqual(t, len(ex), ExcerptLen+3)
	assert.Equal(t, "abc", Excerpt([]byte("  abc \n")))
	assert.Equal(t, "ok", Excerpt([]byte("o\xffk")), "invalid UTF-8 is dropped")
}

func TestRedactURL(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"https://x/api.php?act=order&pid=1&key=abc":     "https://x/api.php?act=order&pid=1&key=REDACTED",
		"https://x/api.php?KEY=abc&sign=def&monkey=1":   "https://x/api.php?key=REDACTED&sign=REDACTED&monkey=1",
		"https://user:pw@x/p?a=1":                       "https://x/p?a=1",
		"https://x/submit.php?sign=a%20b&sign_type=MD5": "https://x/submit.php?sign=REDACTED&sign_type=MD5",
		"https://x/p": "https://x/p",
		"%zz key=abc": "%zz key=REDACTED",
		// Without ?, @, % or = nothing needs redacting: returned as given.
		"https://x/epay/mapi.php": "https://x/epay/mapi.php",
		"not a url key abc":       "not a url key abc",
	} {
		assert.Equal(t, want, RedactURL(in), in)
	}
	assert.Equal(t, "a key=REDACTED&sign=REDACTED b", RedactText("a key=k1&sign=s1 b"))
	assert.Equal(t, "monkey=1", RedactText("monkey=1"))
}

func TestSecretsScrubbedFromText(t *testing.T) {
	t.Parallel()
	c := New(fastConfig())
	assert.Equal(t, "x REDACTED y", c.scrub("x "+secretKey+" y"))
	assert.Equal(t, "https://x/?k=REDACTED", c.RedactURL("https://x/?k="+secretKey))
	err := c.scrubErr(errors.New("oops " + secretKey))
	assert.NotContains(t, err.Error(), secretKey)
	assert.Nil(t, c.scrubErr(nil))
}

func TestBadURL(t *testing.T) {
	t.Parallel()
	_, err := New(fastConfig()).Do(context.Background(), &Request{Method: "GET", URL: "::nope?key=" + secretKey})
	require.Error(t, err)
	assert.NotContains(t, err.Error(), secretKey)
	assert.True(t, strings.HasPrefix(err.Error(), "test: "))
}

// bareTransport answers from a script without setting resp.Request, as
// mocking libraries do.
type bareTransport struct {
	statuses []int
	n        atomic.Int32
}

func (b *bareTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	i := int(b.n.Add(1)) - 1
	st := 200
	if i < len(b.statuses) {
		st = b.statuses[i]
	}
	return &http.Response{StatusCode: st, Header: http.Header{}, Body: io.NopCloser(strings.NewReader(`{}`))}, nil
}

func TestEventsWithoutResponseRequest(t *testing.T) {
	t.Parallel()
	var events []Event
	cfg := fastConfig()
	cfg.HTTPClient = &http.Client{Transport: &bareTransport{statuses: []int{503, 502}}}
	cfg.OnEvent = func(e Event) { events = append(events, e) }
	resp, err := New(cfg).Do(context.Background(), &Request{Method: "GET", URL: "https://pay.example.com/epay/api.php?act=order&key=" + secretKey})
	require.NoError(t, err)
	assert.Equal(t, 200, resp.Status)
	require.Len(t, events, 3)
	for i, want := range []int{503, 502, 200} {
		assert.Equal(t, want, events[i].Status)
		assert.Equal(t, i+1, events[i].Attempt)
		assert.Equal(t, "https://pay.example.com/epay/api.php?act=order&key=REDACTED", events[i].URL)
	}
}
