package iepaytest

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"sync"
	"time"

	"github.com/epaykit/epaykit/internal/fakegw"
)

// DefaultMID is the merchant id of the merchant a server has when no
// WithMerchant option is given.
const DefaultMID = "10224"

// DefaultKey is the API key of the default merchant.
const DefaultKey = "7b3f0c9e5d2a41e8b6c4f1a09d8e7c53"

// DefaultFaultDelay is how long FaultDelay holds a request unless
// WithFaultDelay says otherwise.
const DefaultFaultDelay = 3 * time.Second

// prefix is the path the gateway is mounted under.
const prefix = "/iepay/"

// TB is the part of testing.TB the server uses: *testing.T, *testing.B and
// *testing.F satisfy it.
type TB interface {
	Helper()
	Cleanup(func())
	Logf(format string, args ...any)
}

// Option configures a Server.
type Option func(*config)

type merchantCfg struct{ mid, key string }

type extraMode int

const (
	extraEmptyArray  extraMode = iota // "extra":[]
	extraEmptyObject                  // "extra":{}
	extraOmitted                      // no "extra" member
)

type config struct {
	merchants  []merchantCfg
	timeScale  float64
	numbers    bool
	extra      extraMode
	notifyPOST bool
	faultDelay time.Duration
	tb         TB
}

// WithMerchant adds a merchant with id mid and API key key. It may be given
// more than once; the first merchant given becomes Server.MID and Server.Key,
// and the default merchant is then not created. An option with an empty mid
// or key is ignored.
func WithMerchant(mid, key string) Option {
	return func(c *config) {
		if mid == "" || key == "" {
			return
		}
		c.merchants = append(c.merchants, merchantCfg{mid, key})
	}
}

// WithTimeScale divides the notification retry schedule by f: 1 (the
// default) is real time, 1e6 turns IEPay's 12 hours of retries into about
// 40 ms. A value that is not a finite number greater than zero is ignored.
func WithTimeScale(f float64) Option {
	return func(c *config) {
		if f > 0 && !math.IsInf(f, 0) && !math.IsNaN(f) {
			c.timeScale = f
		}
	}
}

// WithNumbers makes check answer order_status, total_fee and rmb_fee (and
// ORDER_CREATED its status) as JSON numbers; by default they are JSON
// strings such as "order_status":"0".
func WithNumbers() Option { return func(c *config) { c.numbers = true } }

// WithEmptyExtraObject makes every answer without extra data (failures and a
// successful refund) carry "extra":{} instead of the default "extra":[].
func WithEmptyExtraObject() Option { return func(c *config) { c.extra = extraEmptyObject } }

// WithExtraOmitted makes every answer without extra data (failures and a
// successful refund) leave out the extra member instead of the default
// "extra":[].
func WithExtraOmitted() Option { return func(c *config) { c.extra = extraOmitted } }

// WithNotifyPOST makes notifications POST an
// application/x-www-form-urlencoded body to notify_url instead of the
// default GET with a query string.
func WithNotifyPOST() Option { return func(c *config) { c.notifyPOST = true } }

// WithFaultDelay sets how long FaultDelay holds a request (default
// DefaultFaultDelay). A negative d is ignored.
func WithFaultDelay(d time.Duration) Option {
	return func(c *config) {
		if d >= 0 {
			c.faultDelay = d
		}
	}
}

// WithTest registers Server.Close with t.Cleanup and logs notification
// attempts and injected faults with t.Logf.
func WithTest(t TB) Option { return func(c *config) { c.tb = t } }

// Server is a running in-process IEPay gateway. Its methods are safe for
// concurrent use. Create one with NewServer. URL, MID and Key are for
// reading: changing them does not change the gateway.
type Server struct {
	// URL is the gateway's base URL, ending in "/iepay/".
	URL string
	// MID is the first merchant's id (DefaultMID unless WithMerchant was given).
	MID string
	// Key is the first merchant's API key (DefaultKey unless WithMerchant was given).
	Key string

	cfg      config
	srv      *httptest.Server
	notifier *fakegw.Notifier
	faults   fakegw.Faults
	once     sync.Once

	mu        sync.Mutex
	closed    bool
	merchants map[string]string // mid -> key
	orders    map[string]*order // by out_trade_no
	byTradeNo map[string]*order
	seq       int64
}

// NewServer starts a gateway on a loopback port and returns it. Close it
// when done (WithTest does that with t.Cleanup).
func NewServer(opts ...Option) *Server {
	cfg := config{timeScale: 1, faultDelay: DefaultFaultDelay}
	for _, o := range opts {
		if o != nil {
			o(&cfg)
		}
	}
	if len(cfg.merchants) == 0 {
		cfg.merchants = []merchantCfg{{DefaultMID, DefaultKey}}
	}
	s := &Server{
		cfg:       cfg,
		MID:       cfg.merchants[0].mid,
		Key:       cfg.merchants[0].key,
		merchants: make(map[string]string, len(cfg.merchants)),
		orders:    make(map[string]*order),
		byTradeNo: make(map[string]*order),
	}
	for _, m := range cfg.merchants {
		if _, ok := s.merchants[m.mid]; !ok {
			s.merchants[m.mid] = m.key
		}
	}
	s.notifier = fakegw.NewNotifier(fakegw.NotifierConfig{
		Name: "iepaytest", Success: SuccessReply, POST: cfg.notifyPOST, TimeScale: cfg.timeScale,
		UserAgent: "iepaytest-notify/1", Logf: s.tbLogf,
	})

	mux := http.NewServeMux()
	mux.HandleFunc(prefix+"api/online", s.api(s.create))
	mux.HandleFunc(prefix+"wechatApi/mini_pay", s.api(s.miniPay))
	mux.HandleFunc(prefix+"api/check_order_status", s.api(s.check))
	mux.HandleFunc(prefix+"api/refund", s.api(s.refund))
	mux.HandleFunc(prefix+"pay/", s.checkout)
	s.srv = httptest.NewServer(mux)
	s.URL = s.srv.URL + prefix
	if cfg.tb != nil {
		cfg.tb.Cleanup(s.Close)
	}
	return s
}

// Close stops the gateway and every notification retry still pending, and
// waits until they have stopped. It may be called more than once.
func (s *Server) Close() {
	s.once.Do(func() {
		s.mu.Lock()
		s.closed = true
		s.mu.Unlock()
		s.notifier.Close()
		s.srv.CloseClientConnections()
		s.srv.Close()
	})
}

// errClosed is returned by methods called after Close.
var errClosed = errors.New("iepaytest: server closed")

func (s *Server) logf(format string, args ...any) {
	s.tbLogf("iepaytest: "+format, args...)
}

// tbLogf logs to the test, if any.
func (s *Server) tbLogf(format string, args ...any) {
	if s.cfg.tb != nil {
		s.cfg.tb.Logf(format, args...)
	}
}

func unknownOrder(outTradeNo string) error {
	return fmt.Errorf("iepaytest: unknown order out_trade_no %q", outTradeNo)
}
