package iepay

import (
	"context"
	"net/url"
	"strconv"

	fieldlist "github.com/epaykit/epaykit/internal/fields"

	"github.com/epaykit/epaykit/internal/flex"
	"github.com/epaykit/epaykit/sign"
)

// OrderStatus is an order's order_status as Check reports it.
type OrderStatus int

// Order statuses. Paid means OrderPaid or OrderSettled.
const (
	OrderUnpaid          OrderStatus = 0 // not paid (yet)
	OrderPaid            OrderStatus = 1 // paid
	OrderRefunded        OrderStatus = 2 // paid, then refunded
	OrderSettled         OrderStatus = 3 // paid and settled to the merchant
	OrderSettledRefunded OrderStatus = 4 // settled, then refunded
)

// String returns "unpaid", "paid", "refunded", "settled",
// "settled-refunded", or "OrderStatus(n)" for a value IEPay does not
// document.
func (s OrderStatus) String() string {
	switch s {
	case OrderUnpaid:
		return "unpaid"
	case OrderPaid:
		return "paid"
	case OrderRefunded:
		return "refunded"
	case OrderSettled:
		return "settled"
	case OrderSettledRefunded:
		return "settled-refunded"
	}
	return "OrderStatus(" + strconv.Itoa(int(s)) + ")"
}

// Paid reports whether s is a paid order that was not refunded: OrderPaid
// or OrderSettled.
func (s OrderStatus) Paid() bool { return s == OrderPaid || s == OrderSettled }

// CheckRequest names an order (POST api/check_order_status).
type CheckRequest struct {
	// PayType is the pay type the order was created with; required.
	PayType PayType `url:"pay_type"`
	// OutTradeNo is your order number; required.
	OutTradeNo string `url:"out_trade_no"`
}

// Order is an order as Check reports it. Amounts are cents.
type Order struct {
	TradeNo    string // IEPay's (or the wallet's) transaction number; empty while unpaid
	OutTradeNo string
	Goods      string
	PayURL     string
	ReturnURL  string
	PayType    PayType
	Status     OrderStatus
	TotalFee   int64 // NZD cents
	RMBFee     int64 // RMB fen, for orders priced in RMB
}

// Paid reports whether the order is paid and not refunded: status 1 (paid)
// or 3 (paid and settled).
func (o *Order) Paid() bool { return o != nil && o.Status.Paid() }

type orderExtra struct {
	PayType     flex.String `json:"pay_type"`
	TradeNo     flex.String `json:"trade_no"`
	OutTradeNo  flex.String `json:"out_trade_no"`
	OrderStatus *flex.Int   `json:"order_status"`
	TotalFee    flex.Int    `json:"total_fee"`
	RMBFee      flex.Int    `json:"rmb_fee"`
	Goods       flex.String `json:"goods"`
	PayURL      flex.String `json:"pay_url"`
	ReturnURL   flex.String `json:"return_url"`
}

// Check returns the order's status and amounts. It is a read and is retried
// on connection failures and HTTP 429/502/503/504. An order that does not
// match (wrong pay_type or out_trade_no) is an *APIError matching ErrCombine.
func (c *Client) Check(ctx context.Context, r *CheckRequest) (*Order, error) {
	if err := checkCall(ctx, r == nil, "*CheckRequest"); err != nil {
		return nil, err
	}
	if err := checkPayType(r.PayType); err != nil {
		return nil, err
	}
	if err := checkOrderRef(r.OutTradeNo); err != nil {
		return nil, err
	}
	fields := url.Values{
		"pay_type":     {string(r.PayType)},
		"out_trade_no": {r.OutTradeNo},
		"version":      {version},
	}
	resp, err := c.send(ctx, pathCheck, fieldlist.FromValues(nil, fields), false)
	if err != nil {
		return nil, err
	}
	rep, err := c.decodeEnvelope(resp, pathCheck)
	if err != nil {
		return nil, err
	}
	if !rep.success {
		return nil, refusal(rep, pathCheck, resp.Status)
	}
	var ex orderExtra
	if err := rep.extra.Decode(&ex); err != nil {
		return nil, c.tc.StatusError(resp, "extra: "+err.Error())
	}
	if ex.OrderStatus == nil {
		return nil, c.tc.StatusError(resp, "success without extra.order_status")
	}
	o := &Order{
		TradeNo:    string(ex.TradeNo),
		OutTradeNo: string(ex.OutTradeNo),
		Goods:      string(ex.Goods),
		PayURL:     string(ex.PayURL),
		ReturnURL:  string(ex.ReturnURL),
		PayType:    PayType(ex.PayType),
		Status:     OrderStatus(*ex.OrderStatus),
		TotalFee:   int64(ex.TotalFee),
		RMBFee:     int64(ex.RMBFee),
	}
	if o.OutTradeNo == "" {
		o.OutTradeNo = r.OutTradeNo
	}
	if o.PayType == "" {
		o.PayType = r.PayType
	}
	return o, nil
}

// ConfirmReturn checks the order a buyer's browser came back with. The
// parameters IEPay appends to return_url are not signed, so they prove
// nothing: never fulfil an order from them. ConfirmReturn reads out_trade_no
// and pay_type from v (a repeated parameter is rejected) and calls Check;
// decide with Order.Paid and compare the amount with your own record. v is
// not modified.
func (c *Client) ConfirmReturn(ctx context.Context, v url.Values) (*Order, error) {
	if ctx == nil {
		return nil, checkCall(ctx, false, "")
	}
	m, err := sign.Flatten(v)
	if err != nil {
		return nil, duplicateError("return", err)
	}
	for _, f := range []string{"out_trade_no", "pay_type"} {
		if m[f] == "" {
			return nil, &checkError{msg: "iepay: return: missing " + f, kinds: []error{ErrMissingField}}
		}
	}
	return c.Check(ctx, &CheckRequest{PayType: PayType(m["pay_type"]), OutTradeNo: m["out_trade_no"]})
}
