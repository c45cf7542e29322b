// Package transport is the HTTP layer shared by the epay and iepay clients:
// a go-retryablehttp client with a payment-safe retry policy, redaction of
// secrets from every URL that reaches an error, a log line or a hook, bounded
// response reading, and clear errors for bodies that are not what was asked.
package transport

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/epaykit/epaykit/internal/fields"
	"github.com/hashicorp/go-retryablehttp"
)

// Defaults of a Client.
const (
	DefaultRetries = 2                      // retries after the first attempt: 3 attempts in all
	DefaultTimeout = 30 * time.Second       // of the default *http.Client, per attempt
	DefaultMinWait = 200 * time.Millisecond // first backoff step
	DefaultMaxWait = 5 * time.Second        // longest backoff step
	MaxRetryAfter  = 60 * time.Second       // longest Retry-After honoured
	MaxBody        = 1 << 20                // largest response body read
	ExcerptLen     = 200                    // bytes of a bad body kept in an error
)

// DefaultUserAgent is sent when the caller sets none.
const DefaultUserAgent = "epaykit-go/0.1"

// Event describes one attempt of a request, for logging and hooks. URL is
// already redacted.
type Event struct {
	Method   string
	URL      string
	Attempt  int // 1-based
	Status   int // 0 when no response arrived
	Duration time.Duration
	Err      error // transport error of this attempt, redacted
}

// Config configures a Client. The zero value is usable.
type Config struct {
	// Prefix starts every error message, e.g. "epay".
	Prefix string
	// HTTPClient is copied, never modified. nil means a client with
	// DefaultTimeout and a clone of http.DefaultTransport.
	HTTPClient *http.Client
	// Retries after the first attempt; negative means DefaultRetries, 0 none.
	Retries int
	// MinWait and MaxWait bound the exponential backoff; zero means default.
	MinWait, MaxWait time.Duration
	// Logger receives one debug record per attempt; nil logs nothing.
	Logger *slog.Logger
	// OnEvent, when set, is called after every attempt.
	OnEvent func(Event)
	// UserAgent is sent with every request when not empty.
	UserAgent string
	// Secrets are the values to scrub from any error text (the merchant key).
	Secrets []string
}

// CheckWaits reports retry wait bounds that make no sense (negative, or a
// minimum above the maximum).
func (cfg Config) CheckWaits() error {
	if cfg.MinWait < 0 || cfg.MaxWait < 0 || cfg.MaxWait != 0 && cfg.MinWait > cfg.MaxWait {
		return fmt.Errorf("%s: retry wait min %v and max %v: want 0 <= min <= max", cfg.Prefix, cfg.MinWait, cfg.MaxWait)
	}
	return nil
}

// Client sends requests with retries. It is safe for concurrent use.
type Client struct {
	rc        *retryablehttp.Client
	prefix    string
	logger    *slog.Logger
	onEvent   func(Event)
	userAgent string
	secrets   []string
}

// New builds a Client from cfg.
func New(cfg Config) (c *Client) {
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{
			Timeout:   DefaultTimeout,
			Transport: http.DefaultTransport.(*http.Transport).Clone(),
		}
	} else {
		cp := *hc
		hc = &cp
	}
	retries := cfg.Retries
	if retries < 0 {
		retries = DefaultRetries
	}
	c = &Client{
		prefix:    cfg.Prefix,
		logger:    cfg.Logger,
		onEvent:   cfg.OnEvent,
		userAgent: cfg.UserAgent,
	}
	if c.userAgent == "" {
		c.userAgent = DefaultUserAgent
	}
	for _, s := range cfg.Secrets {
		if s != "" {
			c.secrets = append(c.secrets, s)
		}
	}
	if c.prefix == "" {
		c.prefix = "transport"
	}
	rc := &retryablehttp.Client{
		HTTPClient:     hc,
		Logger:         nil, // its logger prints full URLs; we log ourselves
		RetryWaitMin:   orDefault(cfg.MinWait, DefaultMinWait),
		RetryWaitMax:   orDefault(cfg.MaxWait, DefaultMaxWait),
		RetryMax:       retries,
		CheckRetry:     c.checkRetry,
		Backoff:        backoff,
		ErrorHandler:   keepLastResponse,
		RequestLogHook: c.beforeAttempt,
	}
	c.rc = rc
	return c
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// Request is one call to a gateway.
type Request struct {
	Method string         // GET or POST
	URL    string         // absolute URL, query included
	Form   []fields.Field // POST body (application/x-www-form-urlencoded), in this order; nil for GET
	// Unsafe marks a call that must not be repeated once the request may
	// have reached the server (a refund): only dial failures are retried.
	Unsafe bool
}

// Response is a gateway's answer, read whole (at most MaxBody bytes).
type Response struct {
	Method   string
	URL      string // redacted
	Status   int
	Header   http.Header
	Body     []byte
	Attempts int
	// The request's URL and form sign, whose sign values a gateway may
	// echo: they must not get into an error.
	reqURL, formSign string
}

type callKey struct{}

// call tracks one logical call across its attempts.
type call struct {
	ctx      context.Context // the caller's, for the logger
	unsafe   bool
	url      string // redacted
	method   string
	attempts int
	start    time.Time
	sent     bool // some attempt may have reached the server
}

func callFrom(ctx context.Context) *call {
	c, _ := ctx.Value(callKey{}).(*call)
	return c
}

// Do sends r, retrying as the policy allows, and reads the whole response.
// Any HTTP status is returned as a Response; a failure to get one is an
// *Error. The context bounds every attempt and every wait between them.
func (c *Client) Do(ctx context.Context, r *Request) (*Response, error) {
	redacted := c.RedactURL(r.URL)
	st := &call{ctx: ctx, unsafe: r.Unsafe, url: redacted, method: r.Method}
	ctx = context.WithValue(ctx, callKey{}, st)

	var rawBody interface{}
	if r.Form != nil {
		rawBody = fields.Encode(r.Form)
	}
	req, err := retryablehttp.NewRequestWithContext(ctx, r.Method, r.URL, rawBody)
	if err != nil {
		return nil, &Error{Prefix: c.prefix, Method: r.Method, URL: redacted, Err: c.scrubErr(unwrapURLError(err))}
	}
	if r.Form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	}
	req.Header.Set("Accept", "application/json, text/plain, */*")
	req.Header.Set("User-Agent", c.userAgent)

	resp, err := c.rc.Do(req)
	if err != nil {
		if resp != nil && resp.Body != nil {
			resp.Body.Close()
		}
		e := &Error{Prefix: c.prefix, Method: r.Method, URL: redacted, Attempts: st.attempts, MaybeSent: st.sent}
		switch {
		case ctx.Err() != nil:
			e.Err = ctx.Err()
			if st.attempts > 0 {
				e.MaybeSent = true
			}
		default:
			e.Err = c.scrubErr(unwrapURLError(err))
		}
		return nil, e
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, MaxBody+1))
	if err != nil {
		return nil, &Error{Prefix: c.prefix, Method: r.Method, URL: redacted, Attempts: st.attempts,
			MaybeSent: true, StatusCode: resp.StatusCode, Err: fmt.Errorf("reading the response: %w", c.scrubErr(unwrapURLError(err)))}
	}
	if len(b) > MaxBody {
		return nil, &Error{Prefix: c.prefix, Method: r.Method, URL: redacted, Attempts: st.attempts,
			MaybeSent: true, StatusCode: resp.StatusCode, Err: ErrBodyTooLarge}
	}
	return &Response{Method: r.Method, URL: redacted, Status: resp.StatusCode, Header: resp.Header, Body: b, Attempts: st.attempts,
		reqURL: r.URL, formSign: formSign(r.Form)}, nil
}

// formSign returns the sign field of a form.
func formSign(form []fields.Field) string {
	v, _ := fields.Get(form, "sign")
	return v
}

// requestSigns returns the sign values of a request's URL query and form.
func (resp *Response) requestSigns() []string {
	var out []string
	u := resp.reqURL
	if i := strings.IndexByte(u, '?'); i >= 0 && strings.Contains(u[i:], "sign") {
		if q, err := url.ParseQuery(u[i+1:]); err == nil {
			out = append(out, q["sign"]...)
		}
	}
	if resp.formSign != "" {
		out = append(out, resp.formSign)
	}
	return out
}

// ScrubText removes from s, a text taken from resp (such as a gateway's
// message), the key and sign parameters, the configured secrets and the
// sign values the request carried.
func (c *Client) ScrubText(resp *Response, s string) string {
	s = c.scrub(RedactText(s))
	if resp != nil {
		s = scrubValues(s, resp.requestSigns())
	}
	return s
}

// keepLastResponse stops retryablehttp from replacing a final error with its
// own "giving up" text, which names the unredacted URL.
func keepLastResponse(resp *http.Response, err error, _ int) (*http.Response, error) {
	if err != nil && resp != nil {
		resp.Body.Close()
		return nil, err
	}
	return resp, err
}

func (c *Client) beforeAttempt(_ retryablehttp.Logger, req *http.Request, _ int) {
	st := callFrom(req.Context())
	if st == nil {
		return
	}
	st.attempts++
	st.start = time.Now()
}

// emit reports one finished attempt to the logger and the hook.
func (c *Client) emit(st *call, status int, err error) {
	ev := Event{Method: st.method, URL: st.url, Attempt: st.attempts, Status: status, Duration: time.Since(st.start), Err: err}
	if c.logger != nil {
		attrs := []slog.Attr{
			slog.String("method", ev.Method), slog.String("url", ev.URL), slog.Int("attempt", ev.Attempt),
			slog.Duration("duration", ev.Duration),
		}
		if status != 0 {
			attrs = append(attrs, slog.Int("status", status))
		}
		if err != nil {
			attrs = append(attrs, slog.String("error", err.Error()))
		}
		c.logger.LogAttrs(st.ctx, slog.LevelDebug, c.prefix+": http attempt", attrs...)
	}
	if c.onEvent != nil {
		c.onEvent(ev)
	}
}

// RedactURL returns u with the values of key, sign and any configured secret
// replaced, so it is safe to log.
func (c *Client) RedactURL(u string) string {
	return c.scrub(RedactURL(u))
}

// scrub removes every configured secret from s.
func (c *Client) scrub(s string) string {
	return scrubValues(s, c.secrets)
}

// scrubValues replaces every non-empty value of secrets in s, plain or
// query-escaped.
func scrubValues(s string, secrets []string) string {
	for _, sec := range secrets {
		if sec == "" {
			continue
		}
		if strings.Contains(s, sec) {
			s = strings.ReplaceAll(s, sec, redacted)
		}
		if esc := url.QueryEscape(sec); esc != sec && strings.Contains(s, esc) {
			s = strings.ReplaceAll(s, esc, redacted)
		}
	}
	return s
}

// scrubErr returns err with secrets scrubbed from its text; nil stays nil.
func (c *Client) scrubErr(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	if clean := c.scrub(RedactText(msg)); clean != msg {
		return &scrubbedError{msg: clean, err: err}
	}
	return err
}

// scrubbedError keeps the cause for errors.Is / errors.As but prints only the
// cleaned text.
type scrubbedError struct {
	msg string
	err error
}

func (e *scrubbedError) Error() string { return e.msg }
func (e *scrubbedError) Unwrap() error { return e.err }

const redacted = "REDACTED"

// secretParams are query or form parameters never shown.
var secretParams = []string{"key", "sign"}

// RedactURL replaces the values of the key and sign parameters in u's query.
// A string that does not parse as a URL is redacted as text.
func RedactURL(u string) string {
	if !strings.ContainsAny(u, "?@%=") {
		// No query, user info, escapes or parameters: nothing to redact
		// or to normalise.
		return u
	}
	pu, err := url.Parse(u)
	if err != nil {
		return RedactText(u)
	}
	pu.User = nil
	if pu.RawQuery != "" {
		pu.RawQuery = redactQuery(pu.RawQuery)
	}
	return pu.String()
}

func redactQuery(q string) string {
	parts := strings.Split(q, "&")
	for i, p := range parts {
		k, _, _ := strings.Cut(p, "=")
		if uk, err := url.QueryUnescape(k); err == nil {
			k = uk
		}
		for _, s := range secretParams {
			if strings.EqualFold(k, s) {
				parts[i] = s + "=" + redacted
			}
		}
	}
	return strings.Join(parts, "&")
}

// RedactText replaces key=... and sign=... values anywhere in s (up to the
// next '&', quote or white space).
func RedactText(s string) string {
	for _, p := range secretParams {
		s = redactAfter(s, p+"=")
	}
	return s
}

func redactAfter(s, marker string) string {
	var b strings.Builder
	for {
		i := indexParam(s, marker)
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i+len(marker)])
		b.WriteString(redacted)
		rest := s[i+len(marker):]
		end := strings.IndexAny(rest, "&\"' \t\r\n<>")
		if end < 0 {
			return b.String()
		}
		s = rest[end:]
	}
}

// indexParam finds marker at the start of s or after a separator, so that
// "monkey=1" does not count as "key=".
func indexParam(s, marker string) int {
	off := 0
	for {
		i := strings.Index(s[off:], marker)
		if i < 0 {
			return -1
		}
		i += off
		if i == 0 || strings.ContainsRune("?&;\"' \t\n", rune(s[i-1])) {
			if !strings.HasPrefix(s[i+len(marker):], redacted) {
				return i
			}
		}
		off = i + len(marker)
	}
}

func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// Excerpt returns at most ExcerptLen bytes of b as valid UTF-8 text with
// secrets redacted, for error messages. The whole body is scrubbed before it
// is cut, so that a secret across the cut cannot leave a piece behind.
func (c *Client) Excerpt(b []byte) string {
	return Excerpt([]byte(c.scrub(RedactText(string(b)))))
}

// Excerpt returns at most ExcerptLen bytes of b as trimmed, valid UTF-8 text.
func Excerpt(b []byte) string {
	b = bytes.TrimSpace(b)
	cut := len(b) > ExcerptLen
	if cut {
		b = b[:ExcerptLen]
	}
	s := strings.ToValidUTF8(string(b), "")
	if cut {
		s += "..."
	}
	return s
}
