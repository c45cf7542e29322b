package iepay

import (
	"context"
	"net/url"
	"strconv"

	fieldlist "github.com/epaykit/epaykit/internal/fields"
)

// RefundRequest refunds part or all of a paid order (POST api/refund).
type RefundRequest struct {
	// OutTradeNo is the order's number; required.
	OutTradeNo string
	// PayType is the pay type the order was paid with; another one is
	// refused with ErrPayRow.
	PayType PayType
	// RefundAmount is the amount to refund in cents; required, > 0.
	RefundAmount int64
	// RefundChargeFee, when true, sends refund_charge_fee=TRUE: the
	// gateway's fee is refunded as well.
	RefundChargeFee bool
}

// RefundResult is an accepted refund.
type RefundResult struct {
	// Message is the gateway's message, normally "SUCCESS".
	Message string
}

// Refund refunds RefundAmount cents of an order. IEPay allows one refund per
// order (partial allowed); a refusal is an *APIError matching ErrBalance,
// ErrPaymentStatus, ErrPayRow, ErrCombine or ErrSign.
//
// A refund is not idempotent, so it is never repeated once the request may
// have reached IEPay: only a failure to connect is retried. When Refund
// returns a *TransportError (errors.As) whose MaybeSent is true (a timeout,
// a reset connection, an unreadable answer), the refund may have happened:
// call Check and look for OrderRefunded or OrderSettledRefunded before
// sending it again. MaybeSent false means IEPay never received it. An
// *HTTPError (an HTML error page, a 5xx without the JSON answer) also means
// the outcome is unknown: Check before retrying.
func (c *Client) Refund(ctx context.Context, r *RefundRequest) (*RefundResult, error) {
	if err := checkCall(ctx, r == nil, "*RefundRequest"); err != nil {
		return nil, err
	}
	if err := checkPayType(r.PayType); err != nil {
		return nil, err
	}
	if err := checkOrderRef(r.OutTradeNo); err != nil {
		return nil, err
	}
	if r.RefundAmount <= 0 {
		return nil, fieldErr("refund_amount", "%d cents, must be positive", r.RefundAmount)
	}
	fields := url.Values{
		"out_trade_no":  {r.OutTradeNo},
		"pay_type":      {string(r.PayType)},
		"refund_amount": {strconv.FormatInt(r.RefundAmount, 10)},
		"version":       {version},
	}
	if r.RefundChargeFee {
		fields.Set("refund_charge_fee", "TRUE")
	}
	resp, err := c.send(ctx, pathRefund, fieldlist.FromValues(nil, fields), true)
	if err != nil {
		return nil, err
	}
	rep, err := c.decodeEnvelope(resp, pathRefund)
	if err != nil {
		return nil, err
	}
	if !rep.success {
		return nil, refusal(rep, pathRefund, resp.Status)
	}
	return &RefundResult{Message: rep.message}, nil
}
