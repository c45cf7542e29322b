// Package epayv2 is a client for the Epay (易支付) V2 API: Rainbow Epay's
// RSA-signed merchant interface under api/pay/ and api/merchant/.
//
// Every request is a POST form carrying pid, timestamp (unix seconds),
// sign_type=RSA and a SHA256withRSA signature made with the merchant's
// private key (see sign.SignRSA). Answers and notifications are signed by the
// platform; a Client verifies them with the platform's public key and checks
// that their timestamp is within the allowed clock skew (WithMaxSkew,
// default 300 s) before it trusts any field.
//
// # Signed answers
//
// A success answer (code 0) must carry timestamp, sign_type RSA and sign.
// Its string-to-sign is built like a request's (sign.EpayString) from the
// answer's top-level members: a JSON string contributes its decoded value, a
// number its literal text, true "1", false and null nothing (as PHP converts
// them), and an object or array its compact JSON text exactly as received
// (escapes kept, white space between tokens removed). An unsigned or badly
// signed success is ErrBadResponseSignature; a refusal (code other than 0)
// is accepted unsigned, since it grants nothing, and returned as *APIError.
//
// Amounts are decimal strings in yuan, as in package epay: use
// epay.FormatCents, epay.ParseMoney and epay.ValidateMoney. No error, log
// record or hook event contains key material.
package epayv2

import (
	"crypto/rsa"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/epaykit/epaykit/internal/transport"
	"github.com/epaykit/epaykit/sign"
)

// TransportError is a failure to get a usable HTTP response: the connection
// failed, the context ended, or the body could not be read. Its MaybeSent
// field tells whether the request may have reached the gateway.
type TransportError = transport.Error

// HTTPError is an HTTP response that could not be used: an error status
// without a gateway answer, or a body that is not the expected JSON.
type HTTPError = transport.StatusError

// RequestEvent describes one HTTP attempt, for WithRequestHook. Its URL is
// redacted.
type RequestEvent = transport.Event

// DefaultMaxSkew is the largest difference between the client's clock and
// the timestamp of an answer or notification that is accepted by default.
const DefaultMaxSkew = 300 * time.Second

// ErrNotInitialized is returned by the methods of a Client that was not
// created with New or NewFromPEM.
var ErrNotInitialized = errors.New("epayv2: Client not created with epayv2.New")

// Client talks to one Epay V2 gateway as one merchant. Create it with New or
// NewFromPEM. A Client is immutable and safe for concurrent use.
type Client struct {
	base     string // ends in "/"
	pid      string
	key      *rsa.PrivateKey
	platform *rsa.PublicKey
	tc       *transport.Client
	now      func() time.Time
	skew     time.Duration
}

type config struct {
	transport transport.Config // what the options set of the HTTP layer
	clock     func() time.Time
	skew      time.Duration
}

// Option configures a Client in New.
type Option func(*config)

// WithHTTPClient sets the HTTP client used for every request. The client is
// copied, never modified. Without it a client with a 30 s timeout and a
// clone of http.DefaultTransport is used.
func WithHTTPClient(c *http.Client) Option {
	return func(cfg *config) { cfg.transport.HTTPClient = c }
}

// WithRetries sets how many times a failed call is retried after the first
// attempt (connection failures and HTTP 429/502/503/504); 0 switches retries
// off and a negative n restores the default of 2. A refund without
// OutRefundNo is retried only when the request cannot have reached the
// gateway.
func WithRetries(n int) Option {
	return func(cfg *config) { cfg.transport.Retries = n }
}

// WithRetryWait bounds the exponential backoff between retries. Zero values
// keep the defaults.
func WithRetryWait(min, max time.Duration) Option {
	return func(cfg *config) { cfg.transport.MinWait, cfg.transport.MaxWait = min, max }
}

// WithLogger sets a logger that receives one debug record per HTTP attempt,
// with signatures redacted. Without it nothing is logged.
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

// WithClock sets the clock that stamps requests and judges the timestamps
// of answers and notifications (default time.Now).
func WithClock(now func() time.Time) Option {
	return func(cfg *config) { cfg.clock = now }
}

// WithMaxSkew sets how far the timestamp of an answer or notification may be
// from the client's clock, in either direction (default DefaultMaxSkew). It
// must be positive.
func WithMaxSkew(d time.Duration) Option {
	return func(cfg *config) { cfg.skew = d }
}

// New returns a Client for the gateway at baseURL, as merchant pid, signing
// with merchantKey and verifying with the platform's public key.
//
// baseURL is where the gateway lives, such as "https://pay.example.com/".
// A pasted endpoint URL (".../api/pay/create", ".../mapi.php") is reduced
// to its base; a query string is dropped; a sub-path is kept.
func New(baseURL, pid string, merchantKey *rsa.PrivateKey, platformKey *rsa.PublicKey, opts ...Option) (*Client, error) {
	if merchantKey == nil {
		return nil, errors.New("epayv2: merchant private key is nil")
	}
	if platformKey == nil {
		return nil, errors.New("epayv2: platform public key is nil")
	}
	if merchantKey.PublicKey.Equal(platformKey) {
		return nil, errors.New("epayv2: the platform public key is the merchant's own key; use the platform key from the merchant panel")
	}
	if pid == "" {
		return nil, errors.New("epayv2: pid is empty")
	}
	if strings.TrimSpace(pid) != pid || hasControl(pid) || len(pid) > 64 {
		return nil, fmt.Errorf("epayv2: pid %.70q has white space or control characters or is longer than 64 bytes", pid)
	}
	base, err := normalizeBase(baseURL)
	if err != nil {
		return nil, err
	}
	cfg := config{transport: transport.Config{Prefix: "epayv2", Retries: -1}, clock: time.Now, skew: DefaultMaxSkew}
	for _, o := range opts {
		if o != nil {
			o(&cfg)
		}
	}
	if cfg.clock == nil {
		cfg.clock = time.Now
	}
	if cfg.skew <= 0 {
		return nil, fmt.Errorf("epayv2: max skew %v: want a positive duration", cfg.skew)
	}
	if err := cfg.transport.CheckWaits(); err != nil {
		return nil, err
	}
	tc := transport.New(cfg.transport)
	return &Client{base: base, pid: pid, key: merchantKey, platform: platformKey, tc: tc, now: cfg.clock, skew: cfg.skew}, nil
}

// NewFromPEM is New with the keys as text: the merchant private key as PEM
// (PKCS#8 or PKCS#1) or the bare base64 body the merchant panel shows, and
// the platform public key as PEM or bare base64 (see sign.ParseRSAPrivateKey
// and sign.ParseRSAPublicKey). Errors never contain the key text.
func NewFromPEM(baseURL, pid, merchantKeyText, platformKeyText string, opts ...Option) (*Client, error) {
	key, err := sign.ParseRSAPrivateKey(merchantKeyText)
	if err != nil {
		return nil, fmt.Errorf("epayv2: merchant key: %w", err)
	}
	pub, err := sign.ParseRSAPublicKey(platformKeyText)
	if err != nil {
		return nil, fmt.Errorf("epayv2: platform key: %w", err)
	}
	return New(baseURL, pid, key, pub, opts...)
}

// endpoint file names a pasted base URL may end in (V1 names included, since
// merchants move from V1 to V2 with the same configuration).
var endpointNames = []string{"submit.php", "mapi.php", "api.php"}

// v2Paths are the V2 endpoint paths a pasted base URL may end in.
var v2Paths = []string{"api/pay/create", "api/pay/query", "api/pay/refund", "api/pay/refundquery",
	"api/pay/close", "api/pay/submit", "api/merchant/info", "api/merchant/orders"}

// normalizeBase checks raw and returns it as a base URL ending in "/".
func normalizeBase(raw string) (string, error) {
	s := strings.TrimSpace(raw)
	if s == "" {
		return "", errors.New("epayv2: base URL is empty")
	}
	shown := transport.RedactURL(s)
	u, err := url.Parse(s)
	if err != nil {
		return "", fmt.Errorf("epayv2: base URL %.200q is not a valid URL", shown)
	}
	scheme := strings.ToLower(u.Scheme)
	if scheme != "http" && scheme != "https" {
		return "", fmt.Errorf("epayv2: base URL %.200q: scheme must be http or https", shown)
	}
	if u.Host == "" || u.Hostname() == "" {
		return "", fmt.Errorf("epayv2: base URL %.200q has no host", shown)
	}
	if u.User != nil {
		return "", fmt.Errorf("epayv2: base URL %.200q must not contain user credentials", shown)
	}
	u.Scheme = scheme
	u.RawQuery, u.ForceQuery = "", false
	u.Fragment, u.RawFragment = "", ""
	p := u.Path
	lower := strings.ToLower(strings.TrimSuffix(p, "/"))
	cut := false
	for _, e := range v2Paths {
		if strings.HasSuffix(lower, "/"+e) {
			p = p[:len(lower)-len(e)]
			cut = true
			break
		}
	}
	if !cut {
		i := strings.LastIndexByte(p, '/')
		last := p[i+1:]
		for _, name := range endpointNames {
			if strings.EqualFold(last, name) {
				p = p[:i+1]
				break
			}
		}
	}
	if !strings.HasSuffix(p, "/") {
		p += "/"
	}
	u.Path, u.RawPath = p, ""
	return u.String(), nil
}

// PID returns the merchant id.
func (c *Client) PID() string { return c.pid }

// BaseURL returns the normalised base URL, ending in "/".
func (c *Client) BaseURL() string { return c.base }

// MaxSkew returns the accepted clock skew of answers and notifications.
func (c *Client) MaxSkew() time.Duration { return c.skew }

// String describes the client without its keys.
func (c *Client) String() string {
	if c == nil {
		return "epayv2.Client(nil)"
	}
	return fmt.Sprintf("epayv2.Client{base: %q, pid: %q}", c.base, c.pid)
}

// GoString describes the client without its keys, for %#v.
func (c *Client) GoString() string { return c.String() }

// LogValue describes the client without its keys, for log/slog.
func (c *Client) LogValue() slog.Value {
	if c == nil {
		return slog.StringValue("epayv2.Client(nil)")
	}
	return slog.GroupValue(slog.String("base", c.base), slog.String("pid", c.pid))
}

func (c *Client) ready() error {
	if c == nil || c.tc == nil {
		return ErrNotInitialized
	}
	return nil
}
