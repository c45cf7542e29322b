package notify

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/epaykit/epaykit/epay"
)

// Errors a rejected or failed delivery is reported with (to the error hook
// and the logger). Verification failures wrap the client package's own
// values (epay.ErrBadSignature, iepay.ErrBadSignature, ...).
var (
	// ErrMethod: the request was neither GET nor POST.
	ErrMethod = errors.New("notify: method not allowed")
	// ErrBodyTooLarge: the request body exceeded the limit (WithMaxBody).
	ErrBodyTooLarge = errors.New("notify: request body too large")
	// ErrNotConfirmed: WithConfirm's query did not show the order paid with
	// the notified amount; the merchant's function was not called.
	ErrNotConfirmed = errors.New("notify: payment not confirmed by the gateway")
	// ErrBusy: another delivery of the same order was still being processed
	// when the busy wait ended; the gateway is asked to retry.
	ErrBusy = errors.New("notify: another delivery of this order is in progress")
	// ErrPanic: the merchant's function panicked.
	ErrPanic = errors.New("notify: handler panicked")
)

// Defaults of a handler.
const (
	DefaultMaxBody  = 64 << 10
	DefaultBusyWait = 10 * time.Second
	failReply       = "fail"
)

// Option configures a handler.
type Option func(*config)

type config struct {
	deduper   Deduper
	confirm   bool
	maxBody   int64
	logger    *slog.Logger
	errorHook func(*http.Request, error)
	busyWait  time.Duration

	epayUnpaid func(ctx context.Context, n *epay.Notification) error
}

func newConfig(opts []Option) config {
	c := config{maxBody: DefaultMaxBody, busyWait: DefaultBusyWait}
	for _, o := range opts {
		o(&c)
	}
	if c.deduper == nil {
		c.deduper = NewMemoryDeduper(0, 0)
	}
	return c
}

// WithDeduper sets the store that makes handling idempotent. The default is
// a MemoryDeduper for this process; use a shared store when several
// instances receive notifications. A nil d keeps the default.
func WithDeduper(d Deduper) Option { return func(c *config) { c.deduper = d } }

// WithConfirm makes the handler ask the gateway about the order before the
// merchant's function runs (Epay api.php?act=order, IEPay check) and require
// it paid (and, for Epay, the same amount in cents). A notification only
// proves knowledge of the merchant key: with a leaked key anyone can sign
// one, but only the gateway can answer the query with a paid order.
func WithConfirm() Option { return func(c *config) { c.confirm = true } }

// WithMaxBody limits the request body (default 64 KiB).
func WithMaxBody(n int64) Option {
	return func(c *config) {
		if n > 0 {
			c.maxBody = n
		}
	}
}

// WithLogger logs every delivery's outcome (never the key or the sign).
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.logger = l } }

// WithErrorHook calls h with every rejected or failed delivery and its
// reason.
func WithErrorHook(h func(r *http.Request, err error)) Option {
	return func(c *config) { c.errorHook = h }
}

// WithBusyWait bounds how long a duplicate delivery waits for one in
// progress before asking the gateway to retry (default 10 s).
func WithBusyWait(d time.Duration) Option {
	return func(c *config) {
		if d > 0 {
			c.busyWait = d
		}
	}
}

// delivery is one verified notification, gateway-independent.
type delivery struct {
	gateway    string
	key        string // dedupe key
	tradeNo    string
	outTradeNo string
	paid       bool
	// run calls the merchant's function; unpaid the unpaid hook (may be nil).
	run    func(ctx context.Context) error
	unpaid func(ctx context.Context) error
	// confirm queries the gateway; nil when not confirming.
	confirm func(ctx context.Context) error
}

// core is the gateway-independent handler.
type core struct {
	cfg     config
	gateway string
	success string
	parse   func(r *http.Request) (*delivery, error)
}

// status carries an HTTP status with an error.
type statusError struct {
	code int
	err  error
}

func (e *statusError) Error() string { return e.err.Error() }
func (e *statusError) Unwrap() error { return e.err }

func (h *core) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_ = h.serve(w, r)
}

// serve handles one delivery and answers it; it returns nil when the
// success word was sent.
func (h *core) serve(w http.ResponseWriter, r *http.Request) error {
	start := time.Now()
	d, err := h.process(w, r)
	code := http.StatusOK
	if err != nil {
		code = http.StatusInternalServerError
		var se *statusError
		if errors.As(err, &se) {
			code = se.code
		}
		h.reply(w, code, failReply)
		if h.cfg.errorHook != nil {
			h.cfg.errorHook(r, err)
		}
	} else {
		h.reply(w, http.StatusOK, h.success)
	}
	if h.cfg.logger != nil {
		attrs := []slog.Attr{slog.String("gateway", h.gateway), slog.String("method", r.Method), slog.Int("status", code), slog.Duration("duration", time.Since(start))}
		if d != nil {
			attrs = append(attrs, slog.String("trade_no", d.tradeNo), slog.String("out_trade_no", d.outTradeNo), slog.Bool("paid", d.paid))
		}
		level := slog.LevelInfo
		msg := "notify: acknowledged"
		if err != nil {
			level, msg = slog.LevelWarn, "notify: rejected"
			attrs = append(attrs, slog.String("error", err.Error()))
		}
		h.cfg.logger.LogAttrs(r.Context(), level, msg, attrs...)
	}
	return err
}

func (h *core) reply(w http.ResponseWriter, code int, body string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	io.WriteString(w, body)
}

func (h *core) process(w http.ResponseWriter, r *http.Request) (*delivery, error) {
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		w.Header().Set("Allow", "GET, POST")
		return nil, &statusError{http.StatusMethodNotAllowed, ErrMethod}
	}
	if r.Body != nil {
		r.Body = http.MaxBytesReader(w, r.Body, h.cfg.maxBody)
	}
	d, err := h.parse(r)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) || errors.Is(err, epay.ErrBodyTooLarge) {
			return nil, &statusError{http.StatusRequestEntityTooLarge, fmt.Errorf("%w: %w", ErrBodyTooLarge, err)}
		}
		return nil, &statusError{http.StatusBadRequest, err}
	}
	if !d.paid {
		// Verified, but not a payment: acknowledge so the gateway stops.
		if d.unpaid != nil {
			if err := h.call(r.Context(), d.unpaid); err != nil {
				return d, err
			}
		}
		return d, nil
	}
	return d, h.once(r.Context(), d)
}

// once runs the delivery's confirmation and function under the deduper.
func (h *core) once(ctx context.Context, d *delivery) error {
	claimCtx, cancel := context.WithTimeout(ctx, h.cfg.busyWait)
	defer cancel()
	res, err := h.claim(claimCtx, d.key)
	if err != nil {
		return &statusError{http.StatusServiceUnavailable, fmt.Errorf("notify: de-duplication store: %w", err)}
	}
	switch res {
	case AlreadyDone:
		return nil
	case Busy:
		return &statusError{http.StatusServiceUnavailable, ErrBusy}
	}
	if d.confirm != nil {
		if err := d.confirm(ctx); err != nil {
			h.release(d.key)
			return err
		}
	}
	if err := h.call(ctx, d.run); err != nil {
		h.release(d.key)
		return err
	}
	if err := h.cfg.deduper.Complete(context.WithoutCancel(ctx), d.key); err != nil {
		// fn succeeded: acknowledge. The next duplicate may run fn again,
		// which the merchant's own idempotency has to absorb.
		if h.cfg.logger != nil {
			h.cfg.logger.Warn("notify: de-duplication store failed to record completion", "gateway", h.gateway, "trade_no", d.tradeNo, "error", err.Error())
		}
	}
	return nil
}

// claim claims key, polling while a store answers Busy without waiting.
func (h *core) claim(ctx context.Context, key string) (ClaimResult, error) {
	wait := 10 * time.Millisecond
	for {
		res, err := h.cfg.deduper.Claim(ctx, key)
		if err != nil || res != Busy {
			return res, err
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return Busy, nil
		case <-t.C:
		}
		if wait < 500*time.Millisecond {
			wait *= 2
		}
	}
}

func (h *core) release(key string) {
	if err := h.cfg.deduper.Release(context.Background(), key); err != nil && h.cfg.logger != nil {
		h.cfg.logger.Warn("notify: de-duplication store failed to release", "gateway", h.gateway, "error", err.Error())
	}
}

// call runs fn, turning a panic into an error so the server survives and the
// gateway retries.
func (h *core) call(ctx context.Context, fn func(context.Context) error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			if h.cfg.logger != nil {
				h.cfg.logger.Error("notify: handler panicked", "gateway", h.gateway, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			}
			err = fmt.Errorf("%w: %v", ErrPanic, p)
		}
	}()
	if err := fn(ctx); err != nil {
		return fmt.Errorf("notify: handler: %w", err)
	}
	return nil
}
