// Package epaytest provides an in-process Epay (易支付) gateway for tests and
// examples, in the spirit of net/http/httptest.
//
// The gateway speaks the Rainbow Epay merchant protocol (submit.php, mapi.php
// and api.php with the query, settle, order, orders and refund acts) on
// loopback, under the path prefix /epay/. It checks signatures and fields the
// way the reference server does and answers with its codes and messages,
// delivers signed payment notifications with the real retry schedule (which
// can be sped up), serves a checkout page with Pay and Cancel buttons, and can
// inject faults (gateway errors, HTML pages, resets, delays) into the next API
// requests. Options switch to the Kyren dialect, older PHP number encoding or
// the pre-3065 refund answer.
//
// Usage:
//
//	s := epaytest.NewServer(epaytest.WithTest(t), epaytest.WithTimeScale(1e6))
//	// configure the client under test with s.URL, s.PID and s.Key, create an
//	// order through it, then:
//	if err := s.Pay("ORDER-1"); err != nil { ... }
//	ds := s.Deliveries() // what the merchant's notify_url received and answered
//
// Without WithTest, call Close when done. All methods are safe for concurrent
// use. The gateway is a test double: it keeps everything in memory, records
// requests with their secrets, and must never be exposed to a network.
//
// # Endpoints and choices
//
//   - submit.php (GET query, or POST form when the query has no pid) checks the
//     signature and fields like mapi.php except clientip, creates the order (or
//     reuses an identical one) and answers the checkout page itself (200), not
//     a redirect. A refused request gets an HTML page with the message (200),
//     as the reference server shows it.
//   - mapi.php reads the POST form only (as PHP's $_POST: a body without a form
//     Content-Type is empty). A GET answers {"code":-1,"msg":...} with status 200.
//     Re-creating an out_trade_no with the same type, money, name, notify_url,
//     return_url and param returns the same trade_no; other fields (clientip,
//     device, extras) may differ. Repeated parameters: the last one wins, as
//     in PHP.
//   - api.php reads act from the query; query, settle, order and orders read
//     pid and key from the query, refund (POST only) from the body.
//   - Trade numbers are 19 digits from a per-server counter
//     ("2026010112000000001", ...), not the clock, so examples are
//     deterministic; refund numbers likewise ("2026010113000000001", ...).
//   - Order rows report unset columns (endtime, api_trade_no, buyer,
//     bill_trade_no, an empty param) as null, as the reference server does.
//     The query act's balance is paid minus refunded minus settled amounts.
//   - Only mapi.php and api.php requests are recorded by Requests and subject
//     to FailNext; submit.php and the checkout page are not.
//   - JSON is encoded as PHP's json_encode does by default: members in order,
//     "/" as "\/" and non-ASCII characters as \uXXXX escapes.
//
// # V2 (RSA) API
//
// The gateway also serves the V2 API under api/ (api/pay/create, query,
// refund, refundquery, close; api/merchant/info, orders) for package epayv2,
// with fixed, public test key pairs: configure a client with
// MerchantPrivateKeyPEM and PlatformPublicKeyPEM, or register a merchant's
// own public key with WithV2Merchant. Requests are checked for the RSA
// signature and a timestamp within 300 s; answers and notifications are
// signed with the platform key; Pay delivers V2 notifications for orders
// created through V2; refunds with out_refund_no are idempotent. See v2.go
// for the details.
package epaytest

import (
	"crypto/rsa"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"github.com/epaykit/epaykit/internal/fakegw"
)

// DefaultPID is the merchant id of the merchant a Server has when no
// WithMerchant option is given.
const DefaultPID = "1001"

// DefaultKey is the merchant key of the default merchant. It is the key of
// the Rainbow Epay documentation example, so published signatures match.
const DefaultKey = "89unJUB8HZ54Hj7x4nUj56HN4nUzUJ8i"

// Prefix is the path under which the gateway is mounted; Server.URL ends with it.
const Prefix = "/epay/"

// SuccessReply is the body a merchant's notify_url answers to acknowledge a
// notification (compared after trimming white space).
const SuccessReply = "success"

// Answer kinds of a mapi.php create, for WithCreateAnswer.
const (
	AnswerPayURL    = "payurl"    // a checkout page URL (the default)
	AnswerQRCode    = "qrcode"    // QR code content: weixin:// for wxpay, else https
	AnswerURLScheme = "urlscheme" // an app URL scheme
	AnswerHTML      = "html"      // an auto-submitting HTML form
)

// notifySchedule is when the gateway attempts a notification, measured from
// the payment: at once, then at +1, +3, +19 and +55 minutes (Rainbow Epay's
// schedule). WithTimeScale divides these offsets.
var notifySchedule = [...]time.Duration{0, time.Minute, 3 * time.Minute, 19 * time.Minute, 55 * time.Minute}

// TB is the part of testing.TB that WithTest uses; *testing.T and *testing.B
// implement it.
type TB interface {
	Helper()
	Cleanup(func())
	Logf(format string, args ...any)
}

// Option configures a Server.
type Option func(*config)

type merchant struct {
	pid, key          string
	account, username string
}

type config struct {
	t             TB
	merchants     []merchant
	scale         float64
	faultDelay    time.Duration
	createAnswer  string
	oldRefund     bool
	stringNumbers bool
	kyren         bool
	notifyPOST    bool
	allow         []net.IP
	allowOn       bool
	notifyClient  *http.Client
	clock         func() time.Time
	invalid       []string
	v2Keys        map[string]*rsa.PublicKey // WithV2Merchant
}

// WithTest ties the Server to a test: Close is registered with t.Cleanup and
// deliveries and injected faults are logged with t.Logf.
func WithTest(t TB) Option {
	return func(c *config) { c.t = t }
}

// WithMerchant registers a merchant. It may be given several times; the first
// one given becomes Server.PID and Server.Key, and the default merchant
// (DefaultPID, DefaultKey) is then not registered. An empty pid or key, or a
// pid given twice, is ignored (and reported through WithTest's Logf).
func WithMerchant(pid, key string) Option {
	return func(c *config) {
		if pid == "" || key == "" {
			c.invalid = append(c.invalid, "WithMerchant: empty pid or key ignored")
			return
		}
		for _, m := range c.merchants {
			if m.pid == pid {
				c.invalid = append(c.invalid, "WithMerchant: pid "+pid+" given twice; the first is kept")
				return
			}
		}
		c.merchants = append(c.merchants, merchant{pid: pid, key: key, account: "merchant" + pid + "@example.com", username: "Test Merchant " + pid})
	}
}

// WithTimeScale speeds up the notification retry schedule (attempts at the
// payment and at +1, +3, +19 and +55 minutes after it): every offset is
// divided by f. The default is 1 (real time); tests use e.g.
// 1e6, which turns +55 minutes into 3.3 ms. A value that is not positive is
// ignored.
func WithTimeScale(f float64) Option {
	return func(c *config) {
		if !(f > 0) || f > 1e15 {
			c.invalid = append(c.invalid, "WithTimeScale: not a positive factor; ignored")
			return
		}
		c.scale = f
	}
}

// WithFaultDelay sets how long FaultDelay holds a request (default 3 s).
func WithFaultDelay(d time.Duration) Option {
	return func(c *config) {
		if d < 0 {
			c.invalid = append(c.invalid, "WithFaultDelay: negative duration ignored")
			return
		}
		c.faultDelay = d
	}
}

// WithCreateAnswer makes a successful mapi.php create answer with the given
// kind of payment data instead of payurl: AnswerQRCode, AnswerURLScheme or
// AnswerHTML (AnswerPayURL is the default). Rainbow Epay answers one of these
// depending on the payment channel and the device; by default this gateway
// answers payurl, as for device "jump". An unknown kind is ignored.
func WithCreateAnswer(kind string) Option {
	return func(c *config) {
		switch kind {
		case AnswerPayURL, AnswerQRCode, AnswerURLScheme, AnswerHTML:
			c.createAnswer = kind
		default:
			c.invalid = append(c.invalid, "WithCreateAnswer: unknown kind "+kind+" ignored")
		}
	}
}

// WithOldRefundDialect makes a successful refund answer {"code":1,"msg":"退款成功"}
// as Rainbow Epay builds before 3065 do, instead of code 0 with refund details.
func WithOldRefundDialect() Option {
	return func(c *config) { c.oldRefund = true }
}

// WithStringNumbers encodes the integer fields of JSON answers (code, pid,
// status, counts) as strings, as PHP before 8.1 does with database values.
func WithStringNumbers() Option {
	return func(c *config) { c.stringNumbers = true }
}

// WithKyren switches to the Kyren dialect: every failure answers code 0, a
// successful create answers code, trade_no, out_trade_no, payurl and img (a
// QR image URL, served as a PNG), the orders act does not exist ("unsupported
// act"), refund and order lookups fail in English ("order not found"), and
// times are in UTC instead of UTC+8.
func WithKyren() Option {
	return func(c *config) { c.kyren = true }
}

// WithIPAllowlist refuses mapi.php and api.php requests from any other
// address with {"code":0,"msg":"IP not allowed"}, in either dialect. Loopback
// clients come from 127.0.0.1 (or ::1). Strings that are not IP addresses are
// ignored; with no valid address every API request is refused.
func WithIPAllowlist(ips ...string) Option {
	return func(c *config) {
		c.allowOn = true
		for _, s := range ips {
			ip := net.ParseIP(strings.TrimSpace(s))
			if ip == nil {
				c.invalid = append(c.invalid, "WithIPAllowlist: "+s+" is not an IP address; ignored")
				continue
			}
			c.allow = append(c.allow, ip)
		}
	}
}

// WithNotifyPOST delivers notifications as a POST form instead of a GET query,
// as some compatible gateways do.
func WithNotifyPOST() Option {
	return func(c *config) { c.notifyPOST = true }
}

// WithNotifyClient sets the HTTP client that delivers notifications. The
// default has a 10 s timeout, follows no redirects and is closed with the
// Server.
func WithNotifyClient(hc *http.Client) Option {
	return func(c *config) {
		if hc != nil {
			c.notifyClient = hc
		}
	}
}

// WithClock sets the gateway's clock, used for order and settlement times and
// for the recorded time of requests and deliveries (default time.Now). It
// does not change when notification retries happen.
func WithClock(now func() time.Time) Option {
	return func(c *config) {
		if now != nil {
			c.clock = now
		}
	}
}

// Server is an Epay gateway running on loopback. Create it with NewServer.
type Server struct {
	// URL is the base URL to configure a client with, such as
	// "http://127.0.0.1:34567/epay/". It ends with "/".
	URL string
	// PID and Key are the first merchant's id and key.
	PID string
	Key string

	cfg      config
	ts       *httptest.Server
	notifier *fakegw.Notifier
	faults   fakegw.Faults
	inject   fakegw.Injector
	zone     *time.Location
	once     sync.Once

	mu          sync.Mutex
	closed      bool
	merchants   map[string]*merchant
	orders      []*order
	byKey       map[string]*order // pid + "\x00" + out_trade_no
	byTrade     map[string]*order
	tradeSeq    int
	refundSeq   int
	settlements []*Settlement
	v2          v2State // the V2 (RSA) API: see v2.go
}

// NewServer starts a gateway on a loopback port. It panics only if it cannot
// listen, as httptest.NewServer does.
func NewServer(opts ...Option) *Server {
	cfg := config{scale: 1, faultDelay: 3 * time.Second, createAnswer: AnswerPayURL, clock: time.Now}
	for _, o := range opts {
		if o != nil {
			o(&cfg)
		}
	}
	if cfg.t != nil {
		cfg.t.Helper()
	}
	if len(cfg.merchants) == 0 {
		cfg.merchants = []merchant{{pid: DefaultPID, key: DefaultKey, account: "merchant@example.com", username: "Test Merchant"}}
	}
	s := &Server{
		PID:       cfg.merchants[0].pid,
		Key:       cfg.merchants[0].key,
		cfg:       cfg,
		merchants: make(map[string]*merchant, len(cfg.merchants)),
		byKey:     make(map[string]*order),
		byTrade:   make(map[string]*order),
		zone:      time.FixedZone("UTC+8", 8*3600),
	}
	if cfg.kyren {
		s.zone = time.UTC
	}
	for i := range cfg.merchants {
		m := cfg.merchants[i]
		s.merchants[m.pid] = &m
	}
	s.notifier = fakegw.NewNotifier(fakegw.NotifierConfig{
		Name: "epaytest", Success: SuccessReply, POST: cfg.notifyPOST, TimeScale: cfg.scale,
		UserAgent: "epaytest notify", Logf: s.logf, Client: cfg.notifyClient, Now: s.now,
	})
	s.inject = s.injector()
	mux := http.NewServeMux()
	mux.HandleFunc(Prefix, s.route)
	s.ts = httptest.NewServer(mux)
	s.URL = s.ts.URL + Prefix
	for _, msg := range cfg.invalid {
		s.logf("epaytest: %s", msg)
	}
	if cfg.t != nil {
		cfg.t.Cleanup(s.Close)
	}
	return s
}

// Close stops the gateway and every background notification delivery and
// waits for them to end. It may be called more than once.
func (s *Server) Close() {
	s.once.Do(func() {
		s.mu.Lock()
		s.closed = true
		s.mu.Unlock()
		s.notifier.Close()
		// Drop connections with a request in flight (a client that does
		// not read a FaultHuge body would otherwise hold Close forever).
		s.ts.CloseClientConnections()
		s.ts.Close()
	})
}

func (s *Server) now() time.Time { return s.cfg.clock() }

// logf logs through the test given with WithTest, if any.
func (s *Server) logf(format string, args ...any) {
	if s.cfg.t == nil {
		return
	}
	s.cfg.t.Logf(format, args...)
}

// route dispatches a request under Prefix.
func (s *Server) route(w http.ResponseWriter, r *http.Request) {
	p := strings.TrimPrefix(r.URL.Path, Prefix)
	switch {
	case p == "mapi.php":
		s.serveAPI(w, r, s.mapi)
	case p == "api.php":
		s.serveAPI(w, r, s.api)
	case strings.HasPrefix(p, "api/"):
		s.serveAPI(w, r, s.v2API)
	case p == "submit.php":
		s.submit(w, r)
	case strings.HasPrefix(p, "pay/"):
		s.checkout(w, r, strings.TrimPrefix(p, "pay/"))
	case strings.HasPrefix(p, "qr/") && strings.HasSuffix(p, ".png"):
		s.qrImage(w, r, strings.TrimSuffix(strings.TrimPrefix(p, "qr/"), ".png"))
	default:
		http.NotFound(w, r)
	}
}
