package notify

import (
	"context"
	"fmt"
	"net/http"

	"github.com/epaykit/epaykit/epay"
	"github.com/epaykit/epaykit/iepay"
)

// Epay returns a handler for Epay's notify_url. It accepts the gateway's GET
// and a form POST, verifies the notification with c (signature, pid,
// duplicate parameters, sign_type), de-duplicates it, optionally confirms it
// (WithConfirm), calls fn for a paid notification and answers
// epay.SuccessReply only after fn returned nil. A notification that verifies
// but is not a payment (trade_status other than TRADE_SUCCESS) is
// acknowledged without calling fn, or handed to WithEpayUnpaid's hook.
//
// Replies: 200 "success"; 400 "fail" when verification fails; 405 for other
// methods; 413 for an oversized body; 500 "fail" when fn failed or panicked;
// 503 "fail" when the de-duplication store failed or a duplicate delivery
// waited too long; 409 "fail" when the confirmation did not match. Every
// reply but the success word makes the gateway retry later.
func Epay(c *epay.Client, fn func(ctx context.Context, n *epay.Notification) error, opts ...Option) http.Handler {
	return newEpayCore(c, fn, newConfig(opts))
}

// WithEpayUnpaid hands verified Epay notifications that are not payments
// (trade_status other than TRADE_SUCCESS) to fn; its error makes the gateway
// retry. Without it they are acknowledged and dropped.
func WithEpayUnpaid(fn func(ctx context.Context, n *epay.Notification) error) Option {
	return func(c *config) { c.epayUnpaid = fn }
}

func newEpayCore(c *epay.Client, fn func(ctx context.Context, n *epay.Notification) error, cfg config) *core {
	if c == nil || fn == nil {
		panic("notify: Epay needs a client and a function")
	}
	hooks := handlers[*epay.Notification]{
		describe: func(n *epay.Notification) delivery {
			return delivery{key: "epay:" + n.PID + ":" + n.TradeNo, tradeNo: n.TradeNo, outTradeNo: n.OutTradeNo, paid: n.Paid()}
		},
		fn:     fn,
		unpaid: cfg.epayUnpaid,
	}
	if cfg.confirm {
		hooks.confirm = func(ctx context.Context, n *epay.Notification) error {
			o, err := c.QueryOrder(ctx, &epay.OrderQuery{TradeNo: n.TradeNo})
			if err != nil {
				return queryFailed(n.TradeNo, err)
			}
			return sameEpayOrder(n.TradeNo, n.OutTradeNo, n.Cents, o.OutTradeNo, o.Paid(), o.Status, o.Cents)
		}
	}
	return newCore(cfg, "epay", epay.SuccessReply, c.ParseNotificationRequest, hooks)
}

// handlers are what a gateway's handler does with its notification type N.
type handlers[N any] struct {
	describe func(N) delivery // key, numbers and paid; the rest is filled in
	fn       func(context.Context, N) error
	unpaid   func(context.Context, N) error // may be nil
	confirm  func(context.Context, N) error // nil when not confirming
}

// newCore builds the gateway-independent handler around a gateway's parse
// function and handlers.
func newCore[N any](cfg config, gateway, success string, parse func(*http.Request) (N, error), h handlers[N]) *core {
	return &core{cfg: cfg, gateway: gateway, success: success, parse: func(r *http.Request) (*delivery, error) {
		n, err := parse(r)
		if err != nil {
			return nil, err
		}
		d := h.describe(n)
		d.gateway = gateway
		d.run = func(ctx context.Context) error { return h.fn(ctx, n) }
		if h.unpaid != nil {
			d.unpaid = func(ctx context.Context) error { return h.unpaid(ctx, n) }
		}
		if h.confirm != nil {
			d.confirm = func(ctx context.Context) error { return h.confirm(ctx, n) }
		}
		return &d, nil
	}}
}

// queryFailed is the error of a confirmation query that got no answer: the
// gateway is asked to retry.
func queryFailed(order string, err error) error {
	return &statusError{http.StatusServiceUnavailable, fmt.Errorf("notify: confirming order %s: %w", order, err)}
}

// sameEpayOrder requires the queried Epay order (V1 or V2) to be the
// notified one, paid, with the notified amount.
func sameEpayOrder(tradeNo, outTradeNo string, notified func() (int64, error), gotOut string, paid bool, status fmt.Stringer, queried func() (int64, error)) error {
	want, err := notified()
	if err != nil {
		return &statusError{http.StatusBadRequest, err}
	}
	if gotOut != outTradeNo {
		return &statusError{http.StatusConflict, fmt.Errorf("%w: order %s belongs to out_trade_no %q, not %q", ErrNotConfirmed, tradeNo, gotOut, outTradeNo)}
	}
	if !paid {
		return &statusError{http.StatusConflict, fmt.Errorf("%w: order %s is %v", ErrNotConfirmed, tradeNo, status)}
	}
	got, err := queried()
	if err != nil {
		return &statusError{http.StatusConflict, fmt.Errorf("%w: order %s: %w", ErrNotConfirmed, tradeNo, err)}
	}
	if got != want {
		return &statusError{http.StatusConflict, fmt.Errorf("%w: order %s amount %s, notification %s", ErrNotConfirmed, tradeNo, epay.FormatCents(got), epay.FormatCents(want))}
	}
	return nil
}

// IEPay returns a handler for IEPay's notify_url: like Epay, with IEPay's
// verification (md5(trade_no+out_trade_no+"SUCCESS"+key)) and its success
// word iepay.SuccessReply. WithConfirm calls Check and requires the order
// paid (status 1 or 3) under the same trade_no; IEPay's notification carries
// no amount, so compare it with your stored order inside fn or use the
// Order from Check.
func IEPay(c *iepay.Client, fn func(ctx context.Context, n *iepay.Notification) error, opts ...Option) http.Handler {
	return newIEPayCore(c, fn, newConfig(opts))
}

func newIEPayCore(c *iepay.Client, fn func(ctx context.Context, n *iepay.Notification) error, cfg config) *core {
	if c == nil || fn == nil {
		panic("notify: IEPay needs a client and a function")
	}
	hooks := handlers[*iepay.Notification]{
		describe: func(n *iepay.Notification) delivery {
			// Only SUCCESS notifications verify: every one is a payment.
			return delivery{key: "iepay:" + c.MID() + ":" + n.TradeNo, tradeNo: n.TradeNo, outTradeNo: n.OutTradeNo, paid: true}
		},
		fn: fn,
	}
	if cfg.confirm {
		hooks.confirm = func(ctx context.Context, n *iepay.Notification) error {
			o, err := c.Check(ctx, &iepay.CheckRequest{PayType: n.PayType, OutTradeNo: n.OutTradeNo})
			if err != nil {
				return queryFailed(n.OutTradeNo, err)
			}
			if o.TradeNo != "" && o.TradeNo != n.TradeNo {
				return &statusError{http.StatusConflict, fmt.Errorf("%w: order %s has trade_no %q, not %q", ErrNotConfirmed, n.OutTradeNo, o.TradeNo, n.TradeNo)}
			}
			if !o.Paid() {
				return &statusError{http.StatusConflict, fmt.Errorf("%w: order %s is %v", ErrNotConfirmed, n.OutTradeNo, o.Status)}
			}
			return nil
		}
	}
	return newCore(cfg, "iepay", iepay.SuccessReply, c.ParseNotificationRequest, hooks)
}

// noDedupe claims every key: for the one-shot helpers.
type noDedupe struct{}

func (noDedupe) Claim(context.Context, string) (ClaimResult, error) { return Claimed, nil }
func (noDedupe) Complete(context.Context, string) error             { return nil }
func (noDedupe) Release(context.Context, string) error              { return nil }

// ServeEpay verifies one Epay notification, calls fn for a payment, and
// answers the gateway: the success word only when fn returned nil. It is for
// merchants who route requests themselves; it keeps no state, so fn must be
// idempotent on its own (the gateway repeats notifications). It returns nil
// when it acknowledged the notification, else the reason.
func ServeEpay(w http.ResponseWriter, r *http.Request, c *epay.Client, fn func(ctx context.Context, n *epay.Notification) error, opts ...Option) error {
	cfg := newConfig(opts)
	cfg.deduper = noDedupe{}
	return newEpayCore(c, fn, cfg).serve(w, r)
}

// ServeIEPay is ServeEpay for IEPay.
func ServeIEPay(w http.ResponseWriter, r *http.Request, c *iepay.Client, fn func(ctx context.Context, n *iepay.Notification) error, opts ...Option) error {
	cfg := newConfig(opts)
	cfg.deduper = noDedupe{}
	return newIEPayCore(c, fn, cfg).serve(w, r)
}
