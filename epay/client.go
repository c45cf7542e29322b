// Package epay is a client for Epay (易支付) payment gateways: Rainbow Epay and
// every gateway that speaks its submit.php / mapi.php / api.php protocol, such
// as Kyren, Zpay and the USDT gateways.
//
// A Client builds signed checkout URLs and forms for submit.php, creates
// payments through mapi.php, queries and refunds orders and reads the merchant
// account through api.php, and verifies the gateway's asynchronous
// notifications and the buyer's return.
//
// Amounts are decimal strings in yuan ("9.99"); FormatCents, ParseMoney and
// ValidateMoney convert and check them exactly, without floating point.
//
// Errors from a gateway are *APIError values that match ErrBadSignature,
// ErrIPNotAllowed, ErrOrderNotFound, ErrMissingParams or ErrOrderExists with
// errors.Is. A failure to get a response is a *TransportError; a response
// that is not the expected JSON is an *HTTPError. No error, log record or
// hook event contains the merchant key.
package epay

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/epaykit/epaykit/internal/transport"
)

// TransportError is a failure to get a usable HTTP response: the connection
// failed, the context ended, or the body could not be read. Its MaybeSent
// field tells whether the request may have reached the gateway.
type TransportError = transport.Error

// HTTPError is an HTTP response that could not be used: an error status
// without a gateway answer, or a body that is not the expected JSON (an HTML
// error page, a PHP warning, an empty body). It carries the status and the
// start of the body.
type HTTPError = transport.StatusError

// RequestEvent describes one HTTP attempt, for WithRequestHook. Its URL is
// redacted: the key and sign values are replaced.
type RequestEvent = transport.Event

// ErrNotInitialized is returned by the methods of a Client that was not
// created with New.
var ErrNotInitialized = errors.New("epay: Client not created with epay.New")

// Client talks to one Epay gateway as one merchant. Create it with New. A
// Client is immutable and safe for concurrent use.
type Client struct {
	base string // ends in "/"
	pid  string
	key  string
	tc   *transport.Client
}

type config struct {
	transport transport.Config // what the options set of the HTTP layer
}

// Option configures a Client in New.
type Option func(*config)

// WithHTTPClient sets the HTTP client used for every request (for a proxy,
// custom TLS or a test transport). The client is copied, never modified.
// Without it a client with a 30 s timeout and a clone of
// http.DefaultTransport is used.
func WithHTTPClient(c *http.Client) Option {
	return func(cfg *config) { cfg.transport.HTTPClient = c }
}

// WithRetries sets how many times a failed call is retried after the first
// attempt (connection failures and HTTP 429/502/503/504); 0 switches retries
// off and a negative n restores the default of 2. Refunds are retried only
// when the request cannot have reached the gateway.
func WithRetries(n int) Option {
	return func(cfg *config) { cfg.transport.Retries = n }
}

// WithRetryWait bounds the exponential backoff between retries: the first
// wait is about min, no wait is longer than max (a Retry-After header from
// the gateway takes precedence). Zero values keep the defaults.
func WithRetryWait(min, max time.Duration) Option {
	return func(cfg *config) { cfg.transport.MinWait, cfg.transport.MaxWait = min, max }
}

// WithLogger sets a logger that receives one debug record per HTTP attempt,
// with the key and sign redacted. Without it nothing is logged.
func WithLogger(l *slog.Logger) Option {
	return func(cfg *config) { cfg.transport.Logger = l }
}

// WithUserAgent sets the User-Agent header of every request.
func WithUserAgent(ua string) Option {
	return func(cfg *config) { cfg.transport.UserAgent = ua }
}

// WithRequestHook sets a function called after every HTTP attempt, for
// metrics or tracing. It must be safe for concurrent use.
func WithRequestHook(h func(RequestEvent)) Option {
	return func(cfg *config) { cfg.transport.OnEvent = h }
}

// New returns a Client for the gateway at baseURL, as merchant pid with the
// merchant key.
//
// baseURL is where the gateway's endpoints live, such as
// "https://pay.example.com/" or "https://api.kyren.top/epay/". A pasted
// endpoint URL (".../submit.php", ".../mapi.php", ".../api.php?act=order")
// is reduced to its base; a query string is dropped; a sub-path is kept.
// pid is a string because some gateways issue ids like "merch_001".
func New(baseURL, pid, key string, opts ...Option) (*Client, error) {
	if key == "" {
		return nil, errors.New("epay: key is empty")
	}
	if strings.TrimSpace(key) != key {
		return nil, errors.New("epay: key has leading or trailing white space")
	}
	if pid == "" {
		return nil, errors.New("epay: pid is empty")
	}
	if strings.TrimSpace(pid) != pid || hasControl(pid) {
		return nil, fmt.Errorf("epay: pid %q has white space or control characters", scrubKey(pid, key))
	}
	base, err := normalizeBase(baseURL, key)
	if err != nil {
		return nil, err
	}
	cfg := config{transport: transport.Config{Prefix: "epay", Retries: -1}}
	for _, o := range opts {
		if o != nil {
			o(&cfg)
		}
	}
	if err := cfg.transport.CheckWaits(); err != nil {
		return nil, err
	}
	cfg.transport.Secrets = []string{key}
	tc := transport.New(cfg.transport)
	return &Client{base: base, pid: pid, key: key, tc: tc}, nil
}

// endpoints that a pasted base URL may end in.
var endpointNames = []string{"submit.php", "mapi.php", "api.php"}

// normalizeBase checks raw and returns it as a base URL ending in "/".
func normalizeBase(raw, key string) (string, error) {
	s := strings.TrimSpace(raw)
	if s == "" {
		return "", errors.New("epay: base URL is empty")
	}
	shown := scrubKey(transport.RedactURL(s), key)
	u, err := url.Parse(s)
	if err != nil {
		return "", fmt.Errorf("epay: base URL %q is not a valid URL", shown)
	}
	scheme := strings.ToLower(u.Scheme)
	if scheme != "http" && scheme != "https" {
		return "", fmt.Errorf("epay: base URL %q: scheme must be http or https", shown)
	}
	if u.Host == "" || u.Hostname() == "" {
		return "", fmt.Errorf("epay: base URL %q has no host", shown)
	}
	if u.User != nil {
		return "", fmt.Errorf("epay: base URL %q must not contain user credentials", shown)
	}
	u.Scheme = scheme
	u.RawQuery, u.ForceQuery = "", false
	u.Fragment, u.RawFragment = "", ""
	p := u.Path
	i := strings.LastIndexByte(p, '/')
	last := p[i+1:]
	for _, name := range endpointNames {
		if strings.EqualFold(last, name) {
			p = p[:i+1]
			break
		}
	}
	if !strings.HasSuffix(p, "/") {
		p += "/"
	}
	u.Path, u.RawPath = p, ""
	return u.String(), nil
}

// scrubKey removes the key from s, for text shown in errors.
func scrubKey(s, key string) string {
	if key == "" || !strings.Contains(s, key) {
		return s
	}
	return strings.ReplaceAll(s, key, "REDACTED")
}

// PID returns the merchant id.
func (c *Client) PID() string { return c.pid }

// BaseURL returns the normalised base URL, ending in "/".
func (c *Client) BaseURL() string { return c.base }

// String describes the client without its key.
func (c *Client) String() string {
	if c == nil {
		return "epay.Client(nil)"
	}
	return fmt.Sprintf("epay.Client{base: %q, pid: %q}", c.base, c.pid)
}

// GoString describes the client without its key, for %#v.
func (c *Client) GoString() string { return c.String() }

// LogValue describes the client without its key, for log/slog.
func (c *Client) LogValue() slog.Value {
	if c == nil {
		return slog.StringValue("epay.Client(nil)")
	}
	return slog.GroupValue(slog.String("base", c.base), slog.String("pid", c.pid))
}

func (c *Client) ready() error {
	if c == nil || c.tc == nil {
		return ErrNotInitialized
	}
	return nil
}

func (c *Client) endpoint(name string) string { return c.base + name }
