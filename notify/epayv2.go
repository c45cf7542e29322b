package notify

import (
	"context"
	"net/http"

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
	hooks := handlers[*epayv2.Notification]{
		describe: func(n *epayv2.Notification) delivery {
			return delivery{key: "epay:" + n.PID + ":" + n.TradeNo, tradeNo: n.TradeNo, outTradeNo: n.OutTradeNo, paid: n.Paid()}
		},
		fn: fn,
	}
	if cfg.confirm {
		hooks.confirm = func(ctx context.Context, n *epayv2.Notification) error {
			o, err := c.Query(ctx, &epayv2.QueryRequest{TradeNo: n.TradeNo})
			if err != nil {
				return queryFailed(n.TradeNo, err)
			}
			return sameEpayOrder(n.TradeNo, n.OutTradeNo, n.Cents, o.OutTradeNo, o.Paid(), o.Status, o.Cents)
		}
	}
	return newCore(cfg, "epayv2", epayv2.SuccessReply, c.ParseNotificationRequest, hooks)
}
