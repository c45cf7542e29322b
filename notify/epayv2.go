package notify

import (
	"context"
	"fmt"
	"net/http"

	"github.com/epaykit/epaykit/epay"
	"github.com/epaykit/epaykit/epay/epayv2"
)

// EpayV2 returns a handler for the notify_url of orders created through the
// Epay V2 (RSA) API. It works like Epay: it accepts the gateway's GET and a
// form POST, verifies the notification with c (platform signature,
// sign_type RSA, timestamp within c's clock skew, pid, duplicate
// parameters), de-duplicates it, optionally confirms it with c.Query
// (WithConfirm: paid, same out_trade_no and amount), calls fn for a paid
// notification and answers epayv2.SuccessReply only after fn returned nil.
// A verified notification that is not a payment is acknowledged without
// calling fn.
//
// De-duplication keys are shared with Epay ("epay:<pid>:<trade_no>"): a
// payment is one payment whichever API delivers it. The replies are Epay's.
func EpayV2(c *epayv2.Client, fn func(ctx context.Context, n *epayv2.Notification) error, opts ...Option) http.Handler {
	return newEpayV2Core(c, fn, newConfig(opts))
}

// ServeEpayV2 is ServeEpay for the V2 API: it verifies one notification,
// calls fn for a payment and answers the gateway, keeping no state.
func ServeEpayV2(w http.ResponseWriter, r *http.Request, c *epayv2.Client, fn func(ctx context.Context, n *epayv2.Notification) error, opts ...Option) error {
	cfg := newConfig(opts)
	cfg.deduper = noDedupe{}
	return newEpayV2Core(c, fn, cfg).serve(w, r)
}

func newEpayV2Core(c *epayv2.Client, fn func(ctx context.Context, n *epayv2.Notification) error, cfg config) *core {
	if c == nil || fn == nil {
		panic("notify: EpayV2 needs a client and a function")
	}
	h := &core{cfg: cfg, gateway: "epayv2", success: epayv2.SuccessReply}
	h.parse = func(r *http.Request) (*delivery, error) {
		n, err := c.ParseNotificationRequest(r)
		if err != nil {
			return nil, err
		}
		d := &delivery{
			gateway:    "epayv2",
			key:        "epay:" + n.PID + ":" + n.TradeNo,
			tradeNo:    n.TradeNo,
			outTradeNo: n.OutTradeNo,
			paid:       n.Paid(),
			run:        func(ctx context.Context) error { return fn(ctx, n) },
		}
		if cfg.confirm {
			d.confirm = func(ctx context.Context) error { return confirmEpayV2(ctx, c, n) }
		}
		return d, nil
	}
	return h
}

// confirmEpayV2 requires the gateway to report the order paid with the
// notified amount.
func confirmEpayV2(ctx context.Context, c *epayv2.Client, n *epayv2.Notification) error {
	want, err := n.Cents()
	if err != nil {
		return &statusError{http.StatusBadRequest, err}
	}
	o, err := c.Query(ctx, &epayv2.QueryRequest{TradeNo: n.TradeNo})
	if err != nil {
		return &statusError{http.StatusServiceUnavailable, fmt.Errorf("notify: confirming order %s: %w", n.TradeNo, err)}
	}
	if o.OutTradeNo != n.OutTradeNo {
		return &statusError{http.StatusConflict, fmt.Errorf("%w: order %s belongs to out_trade_no %q, not %q", ErrNotConfirmed, n.TradeNo, o.OutTradeNo, n.OutTradeNo)}
	}
	if !o.Paid() {
		return &statusError{http.StatusConflict, fmt.Errorf("%w: order %s is %v", ErrNotConfirmed, n.TradeNo, o.Status)}
	}
	got, err := o.Cents()
	if err != nil {
		return &statusError{http.StatusConflict, fmt.Errorf("%w: order %s: %w", ErrNotConfirmed, n.TradeNo, err)}
	}
	if got != want {
		return &statusError{http.StatusConflict, fmt.Errorf("%w: order %s amount %s, notification %s", ErrNotConfirmed, n.TradeNo, epay.FormatCents(got), epay.FormatCents(want))}
	}
	return nil
}
