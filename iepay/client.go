package iepay

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	fieldlist "github.com/epaykit/epaykit/internal/fields"
	"github.com/epaykit/epaykit/internal/transport"
)

// DefaultBaseURL is IEPay's v1 API host. The older host
// https://mypay.iemoney.co.nz can be chosen with WithBaseURL.
const DefaultBaseURL = "https://a.mypaynz.com"

// version is the protocol version every request carries.
const version = "v1"

// Endpoint paths, relative to the base URL.
const (
	pathCreate      = "api/online"
	pathMiniProgram = "wechatApi/mini_pay"
	pathCheck       = "api/check_order_status"
	pathRefund      = "api/refund"
)

// maxRetries bounds WithRetries.
const maxRetries = 10

// TransportError is a failure to get a response from IEPay: the connection
// failed, the context ended, or the body could not be read. Its MaybeSent
// field tells whether the request may have reached the gateway.
type TransportError = transport.Error

// HTTPError is a response from IEPay that could not be used: an error status
// without the JSON envelope, an HTML error page, an empty or truncated body.
// It carries the HTTP status and the start of the body (secrets redacted).
type HTTPError = transport.StatusError

// RequestEvent describes one HTTP attempt, for WithRequestHook. Its URL is
// redacted and it never holds the request body.
type RequestEvent = transport.Event

// Client talks to the IEPay v1 API for one merchant. Build it with New; it is
// immutable and safe for concurrent use.
type Client struct {
	mid  string
	key  string
	base string // absolute, ends in "/"
	tc   *transport.Client
}

// Option configures a Client in New.
type Option func(*options)

type options struct {
	baseURL    string
	httpClient *http.Client
	retries    int
	retriesSet bool
	minWait    time.Duration
	maxWait    time.Duration
	waitSet    bool
	logger     *slog.Logger
	userAgent  string
	hook       func(RequestEvent)
	errs       []error
}

// WithBaseURL sets the gateway's base URL (default DefaultBaseURL): an
// absolute http or https URL, with or without a trailing slash, possibly
// with a path (for a proxy or a test gateway mounted under a prefix). The
// endpoints are resolved below it, e.g. base + "/api/online".
func WithBaseURL(u string) Option {
	return func(o *options) { o.baseURL = u }
}

// WithHTTPClient sets the *http.Client used for requests (proxy, TLS,
// timeouts). It is copied, never modified. nil keeps the default: a 30 s
// timeout and a clone of http.DefaultTransport.
func WithHTTPClient(hc *http.Client) Option {
	return func(o *options) { o.httpClient = hc }
}

// WithRetries sets how many times a request that is safe to repeat is
// retried after the first attempt (default 2); 0 switches retries off. n must
// be between 0 and 10.
func WithRetries(n int) Option {
	return func(o *options) {
		if n < 0 || n > maxRetries {
			o.errs = append(o.errs, fmt.Errorf("iepay: WithRetries: %d retries, want 0 to %d", n, maxRetries))
			return
		}
		o.retries, o.retriesSet = n, true
	}
}

// WithRetryWait bounds the exponential backoff between retries: the first
// wait is about min, no wait exceeds max (unless the gateway's Retry-After
// asks for longer). Defaults: 200 ms and 5 s. min must be positive and max at
// least min.
func WithRetryWait(min, max time.Duration) Option {
	return func(o *options) {
		if min <= 0 || max < min {
			o.errs = append(o.errs, fmt.Errorf("iepay: WithRetryWait: min %v and max %v, want 0 < min <= max", min, max))
			return
		}
		o.minWait, o.maxWait, o.waitSet = min, max, true
	}
}

// WithLogger logs one debug record per HTTP attempt (method, redacted URL,
// attempt, status, duration, error). nil logs nothing, the default.
func WithLogger(l *slog.Logger) Option {
	return func(o *options) { o.logger = l }
}

// WithUserAgent sets the User-Agent header of every request.
func WithUserAgent(ua string) Option {
	return func(o *options) { o.userAgent = ua }
}

// WithRequestHook calls fn after every HTTP attempt, for metrics or tracing.
// fn must be safe for concurrent use and should return quickly.
func WithRequestHook(fn func(RequestEvent)) Option {
	return func(o *options) { o.hook = fn }
}

// New returns a Client for merchant mid (the numeric merchant id IEPay
// issued) signing with key (the API key). The key is never logged and never
// appears in an error.
func New(mid, key string, opts ...Option) (*Client, error) {
	if mid == "" {
		return nil, errors.New("iepay: mid is required")
	}
	if !isDigits(mid) {
		if len(mid) >= 16 {
			// Likely the key passed as mid: never echo it.
			return nil, fmt.Errorf("iepay: mid must be a decimal number, got %d bytes of text (mid comes before key)", len(mid))
		}
		return nil, fmt.Errorf("iepay: mid must be a decimal number, got %q", truncate(mid))
	}
	if key == "" {
		return nil, errors.New("iepay: key is required")
	}
	if strings.TrimSpace(key) != key {
		return nil, errors.New("iepay: key has leading or trailing white space")
	}
	o := options{baseURL: DefaultBaseURL}
	for _, opt := range opts {
		if opt != nil {
			opt(&o)
		}
	}
	if len(o.errs) > 0 {
		return nil, errors.Join(o.errs...)
	}
	base, err := normalizeBaseURL(o.baseURL, key)
	if err != nil {
		return nil, err
	}
	cfg := transport.Config{
		Prefix:     "iepay",
		HTTPClient: o.httpClient,
		Retries:    -1,
		Logger:     o.logger,
		OnEvent:    o.hook,
		UserAgent:  o.userAgent,
		Secrets:    []string{key},
	}
	if o.retriesSet {
		cfg.Retries = o.retries
	}
	if o.waitSet {
		cfg.MinWait, cfg.MaxWait = o.minWait, o.maxWait
	}
	return &Client{mid: mid, key: key, base: base, tc: transport.New(cfg)}, nil
}

// normalizeBaseURL checks u and returns it ending in "/". Errors show u
// with the key and any key or sign parameter removed.
func normalizeBaseURL(u, key string) (string, error) {
	if strings.TrimSpace(u) == "" {
		return "", errors.New("iepay: base URL is empty")
	}
	shown := truncate(strings.ReplaceAll(transport.RedactText(u), key, "REDACTED"))
	pu, err := url.Parse(u)
	if err != nil {
		cause := errors.Unwrap(err)
		if strings.Contains(cause.Error(), key) {
			cause = errors.New(strings.ReplaceAll(cause.Error(), key, "REDACTED"))
		}
		return "", fmt.Errorf("iepay: base URL %q does not parse: %w", shown, cause)
	}
	switch strings.ToLower(pu.Scheme) {
	case "http", "https":
	case "":
		return "", fmt.Errorf("iepay: base URL %q has no scheme, want http:// or https://", shown)
	default:
		return "", fmt.Errorf("iepay: base URL %q has scheme %q, want http or https", shown, pu.Scheme)
	}
	if pu.Host == "" {
		return "", fmt.Errorf("iepay: base URL %q has no host", shown)
	}
	if pu.User != nil {
		return "", errors.New("iepay: base URL must not contain user information")
	}
	if pu.RawQuery != "" || pu.ForceQuery || pu.Fragment != "" {
		return "", fmt.Errorf("iepay: base URL %q must not have a query or fragment", shown)
	}
	s := pu.String()
	if !strings.HasSuffix(s, "/") {
		s += "/"
	}
	return s, nil
}

// String describes the client without its key.
func (c *Client) String() string {
	if c == nil {
		return "iepay.Client(nil)"
	}
	return fmt.Sprintf("iepay.Client{base: %q, mid: %q}", c.base, c.mid)
}

// GoString describes the client without its key, for %#v.
func (c *Client) GoString() string { return c.String() }

// LogValue describes the client without its key, for log/slog.
func (c *Client) LogValue() slog.Value {
	if c == nil {
		return slog.StringValue("iepay.Client(nil)")
	}
	return slog.GroupValue(slog.String("base", c.base), slog.String("mid", c.mid))
}

// MID returns the merchant id the Client signs for.
func (c *Client) MID() string { return c.mid }

// BaseURL returns the base URL the endpoints are resolved against; it always
// ends in "/".
func (c *Client) BaseURL() string { return c.base }

// send signs the sorted fields (adding mid and sign) and POSTs them to path. The form
// body is exactly the signed fields plus sign.
func (c *Client) send(ctx context.Context, path string, fields []fieldlist.Field, unsafe bool) (*transport.Response, error) {
	fields = fieldlist.Insert(fields, fieldlist.Field{Name: "mid", Value: c.mid})
	sum := fieldlist.SumIEPay(fields, c.key)
	fields = fieldlist.Insert(fields, fieldlist.Field{Name: "sign", Value: string(sum[:])})
	return c.tc.Do(ctx, &transport.Request{Method: http.MethodPost, URL: c.base + path, Form: fields, Unsafe: unsafe})
}

// checkCall rejects a nil context or request before any work.
func checkCall(ctx context.Context, reqNil bool, what string) error {
	if ctx == nil {
		return errors.New("iepay: nil context.Context")
	}
	if reqNil {
		return fmt.Errorf("iepay: nil %s", what)
	}
	return nil
}
