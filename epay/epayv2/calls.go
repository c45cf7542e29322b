package epayv2

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"sort"
	"strconv"

	"github.com/epaykit/epaykit/epay"
	"github.com/epaykit/epaykit/internal/flex"
)

// Endpoint paths, relative to the base URL.
const (
	pathCreate      = "api/pay/create"
	pathQuery       = "api/pay/query"
	pathRefund      = "api/pay/refund"
	pathRefundQuery = "api/pay/refundquery"
	pathClose       = "api/pay/close"
	pathInfo        = "api/merchant/info"
	pathOrders      = "api/merchant/orders"
)

// decode unmarshals a verified answer into v; a type mismatch is an
// *HTTPError.
func (c *Client) decode(a *answer, v any) error {
	if err := json.Unmarshal(a.raw, v); err != nil {
		reason := "malformed JSON"
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			reason = "unexpected JSON type for field " + te.Field
		}
		return c.tc.StatusError(a.resp, reason)
	}
	return nil
}

// Order is an order as api/pay/query and api/merchant/orders report it.
type Order struct {
	TradeNo     string // the gateway's order number
	OutTradeNo  string // the merchant's order number
	APITradeNo  string // the payment channel's number, once paid
	Type        string // pay type, such as epay.TypeAlipay
	PID         string
	Name        string
	Money       string // yuan as the gateway formats it: compare with Cents
	RefundMoney string // yuan refunded so far, when the gateway reports it
	Param       string
	Buyer       string
	ClientIP    string
	Status      epay.OrderStatus
	AddTime     string // as the gateway sent it
	EndTime     string // as the gateway sent it; empty until paid
}

// Paid reports whether the order is paid (status 1).
func (o *Order) Paid() bool { return o != nil && o.Status == epay.OrderPaid }

// Cents returns the order amount in cents (see epay.ParseMoney).
func (o *Order) Cents() (int64, error) { return epay.ParseMoney(o.Money) }

type orderJSON struct {
	TradeNo     flex.String `json:"trade_no"`
	OutTradeNo  flex.String `json:"out_trade_no"`
	APITradeNo  flex.String `json:"api_trade_no"`
	Type        flex.String `json:"type"`
	PID         flex.String `json:"pid"`
	Name        flex.String `json:"name"`
	Money       flex.String `json:"money"`
	RefundMoney flex.String `json:"refundmoney"`
	Param       flex.String `json:"param"`
	Buyer       flex.String `json:"buyer"`
	ClientIP    flex.String `json:"clientip"`
	Status      flex.Int    `json:"status"`
	AddTime     flex.String `json:"addtime"`
	EndTime     flex.String `json:"endtime"`
}

func (o *orderJSON) order() Order {
	return Order{
		TradeNo: string(o.TradeNo), OutTradeNo: string(o.OutTradeNo), APITradeNo: string(o.APITradeNo),
		Type: string(o.Type), PID: string(o.PID), Name: string(o.Name), Money: string(o.Money),
		RefundMoney: string(o.RefundMoney), Param: string(o.Param), Buyer: string(o.Buyer),
		ClientIP: string(o.ClientIP), Status: epay.OrderStatus(o.Status), AddTime: string(o.AddTime),
		EndTime: string(o.EndTime),
	}
}

// QueryRequest names an order by the gateway's or the merchant's number (at
// least one).
type QueryRequest struct {
	TradeNo    string
	OutTradeNo string
}

// Query returns an order, with a POST to api/pay/query. It is retried on
// connection failures and HTTP 429/502/503/504.
func (c *Client) Query(ctx context.Context, r *QueryRequest) (*Order, error) {
	if err := c.ready(); err != nil {
		return nil, err
	}
	if r == nil {
		return nil, errors.New("epayv2: nil *QueryRequest")
	}
	if err := oneOf("trade_no", r.TradeNo, "out_trade_no", r.OutTradeNo); err != nil {
		return nil, err
	}
	a, err := c.post(ctx, pathQuery, map[string]string{"trade_no": r.TradeNo, "out_trade_no": r.OutTradeNo}, false)
	if err != nil {
		return nil, err
	}
	var o orderJSON
	if err := c.decode(a, &o); err != nil {
		return nil, err
	}
	if o.TradeNo == "" {
		return nil, c.tc.StatusError(a.resp, "success answer without trade_no")
	}
	res := o.order()
	return &res, nil
}

// RefundRequest refunds (part of) a paid order.
type RefundRequest struct {
	TradeNo    string // the gateway's order number, or
	OutTradeNo string // the merchant's order number
	Money      string // required: amount to refund in yuan, such as "9.99"
	// OutRefundNo is the merchant's refund number (at most 64 bytes of
	// [A-Za-z0-9._-|]). The gateway refunds each number once, so a refund
	// that carries one is safe to retry and is retried like a query;
	// without it only a connection that was never made is retried. Set it.
	OutRefundNo string
}

// RefundResult is an accepted refund.
type RefundResult struct {
	RefundNo    string // the gateway's refund number
	OutRefundNo string
	TradeNo     string
	OutTradeNo  string
	Money       string // yuan refunded
	ReduceMoney string // yuan taken from the merchant's balance, when reported
}

type refundJSON struct {
	RefundNo    flex.String `json:"refund_no"`
	OutRefundNo flex.String `json:"out_refund_no"`
	TradeNo     flex.String `json:"trade_no"`
	OutTradeNo  flex.String `json:"out_trade_no"`
	Money       flex.String `json:"money"`
	ReduceMoney flex.String `json:"reducemoney"`
	Status      flex.Int    `json:"status"`
	AddTime     flex.String `json:"addtime"`
}

// Refund refunds money of an order with a POST to api/pay/refund.
//
// With OutRefundNo set, the refund is retried on connection failures and
// HTTP 429/502/503/504 (the gateway refunds each out_refund_no once).
// Without it, it is retried only when the request cannot have reached the
// gateway; a *TransportError with MaybeSent means the refund may have
// happened. A refusal is an *APIError.
func (c *Client) Refund(ctx context.Context, r *RefundRequest) (*RefundResult, error) {
	if err := c.ready(); err != nil {
		return nil, err
	}
	if r == nil {
		return nil, errors.New("epayv2: nil *RefundRequest")
	}
	if err := oneOf("trade_no", r.TradeNo, "out_trade_no", r.OutTradeNo); err != nil {
		return nil, err
	}
	if err := validMoney("money", r.Money); err != nil {
		return nil, err
	}
	if r.OutRefundNo != "" {
		if err := validNo("out_refund_no", r.OutRefundNo); err != nil {
			return nil, err
		}
	}
	a, err := c.post(ctx, pathRefund, map[string]string{
		"trade_no": r.TradeNo, "out_trade_no": r.OutTradeNo, "money": r.Money, "out_refund_no": r.OutRefundNo,
	}, r.OutRefundNo == "")
	if err != nil {
		return nil, err
	}
	var out refundJSON
	if err := c.decode(a, &out); err != nil {
		return nil, err
	}
	return &RefundResult{
		RefundNo: string(out.RefundNo), OutRefundNo: string(out.OutRefundNo), TradeNo: string(out.TradeNo),
		OutTradeNo: string(out.OutTradeNo), Money: string(out.Money), ReduceMoney: string(out.ReduceMoney),
	}, nil
}

// RefundQueryRequest names a refund by the merchant's or the gateway's
// refund number (at least one).
type RefundQueryRequest struct {
	OutRefundNo string
	RefundNo    string
}

// RefundStatus is the state of a refund.
type RefundStatus int

// Refund states.
const (
	RefundPending   RefundStatus = 0
	RefundSucceeded RefundStatus = 1
	RefundFailed    RefundStatus = 2
)

// String returns the name of the state, such as "succeeded".
func (s RefundStatus) String() string {
	switch s {
	case RefundPending:
		return "pending"
	case RefundSucceeded:
		return "succeeded"
	case RefundFailed:
		return "failed"
	}
	return "RefundStatus(" + strconv.Itoa(int(s)) + ")"
}

// Refund is a refund as api/pay/refundquery reports it.
type Refund struct {
	RefundNo    string
	OutRefundNo string
	TradeNo     string
	OutTradeNo  string
	Money       string // yuan refunded
	ReduceMoney string // yuan taken from the merchant's balance, when reported
	Status      RefundStatus
	AddTime     string // as the gateway sent it
}

// Cents returns the refunded amount in cents.
func (r *Refund) Cents() (int64, error) { return epay.ParseMoney(r.Money) }

// RefundQuery returns a refund, with a POST to api/pay/refundquery. Use it
// after a refund failed with a *TransportError whose MaybeSent is true.
func (c *Client) RefundQuery(ctx context.Context, r *RefundQueryRequest) (*Refund, error) {
	if err := c.ready(); err != nil {
		return nil, err
	}
	if r == nil {
		return nil, errors.New("epayv2: nil *RefundQueryRequest")
	}
	if err := oneOf("out_refund_no", r.OutRefundNo, "refund_no", r.RefundNo); err != nil {
		return nil, err
	}
	a, err := c.post(ctx, pathRefundQuery, map[string]string{"out_refund_no": r.OutRefundNo, "refund_no": r.RefundNo}, false)
	if err != nil {
		return nil, err
	}
	var out refundJSON
	if err := c.decode(a, &out); err != nil {
		return nil, err
	}
	if out.RefundNo == "" {
		return nil, c.tc.StatusError(a.resp, "success answer without refund_no")
	}
	return &Refund{
		RefundNo: string(out.RefundNo), OutRefundNo: string(out.OutRefundNo), TradeNo: string(out.TradeNo),
		OutTradeNo: string(out.OutTradeNo), Money: string(out.Money), ReduceMoney: string(out.ReduceMoney),
		Status: RefundStatus(out.Status), AddTime: string(out.AddTime),
	}, nil
}

// CloseRequest names an unpaid order to close (at least one number).
type CloseRequest struct {
	TradeNo    string
	OutTradeNo string
}

// Close closes an unpaid order with a POST to api/pay/close, so that it can
// no longer be paid. It is retried like a query: closing twice is harmless.
func (c *Client) Close(ctx context.Context, r *CloseRequest) error {
	if err := c.ready(); err != nil {
		return err
	}
	if r == nil {
		return errors.New("epayv2: nil *CloseRequest")
	}
	if err := oneOf("trade_no", r.TradeNo, "out_trade_no", r.OutTradeNo); err != nil {
		return err
	}
	_, err := c.post(ctx, pathClose, map[string]string{"trade_no": r.TradeNo, "out_trade_no": r.OutTradeNo}, false)
	return err
}

// MerchantInfo is the merchant account as api/merchant/info reports it.
type MerchantInfo struct {
	PID             string
	Active          bool   // the account is enabled (status 1)
	PayEnabled      bool   // payments are allowed (pay_status 1)
	SettleEnabled   bool   // settlements are allowed (settle_status 1)
	Money           string // balance in yuan
	SettleType      int    // settlement method: 1 Alipay, 2 WeChat, 3 QQ, 4 bank card
	Account         string // settlement account
	Username        string // settlement account holder
	Orders          int    // orders in total
	OrdersToday     int
	OrdersLastDay   int    // orders yesterday
	OrderMoneyToday string // yuan paid today
	OrderMoneyLast  string // yuan paid yesterday
}

type merchantJSON struct {
	PID             flex.String `json:"pid"`
	Status          flex.Int    `json:"status"`
	PayStatus       flex.Int    `json:"pay_status"`
	SettleStatus    flex.Int    `json:"settle_status"`
	Money           flex.String `json:"money"`
	SettleType      flex.Int    `json:"settle_type"`
	Account         flex.String `json:"account"`
	Username        flex.String `json:"username"`
	Orders          flex.Int    `json:"order_num"`
	OrdersToday     flex.Int    `json:"order_num_today"`
	OrdersLastDay   flex.Int    `json:"order_num_lastday"`
	OrderMoneyToday flex.String `json:"order_money_today"`
	OrderMoneyLast  flex.String `json:"order_money_lastday"`
}

// MerchantInfo returns the merchant account, with a POST to
// api/merchant/info.
func (c *Client) MerchantInfo(ctx context.Context) (*MerchantInfo, error) {
	if err := c.ready(); err != nil {
		return nil, err
	}
	a, err := c.post(ctx, pathInfo, map[string]string{}, false)
	if err != nil {
		return nil, err
	}
	var m merchantJSON
	if err := c.decode(a, &m); err != nil {
		return nil, err
	}
	return &MerchantInfo{
		PID: string(m.PID), Active: m.Status == 1, PayEnabled: m.PayStatus == 1, SettleEnabled: m.SettleStatus == 1,
		Money: string(m.Money), SettleType: int(m.SettleType), Account: string(m.Account), Username: string(m.Username),
		Orders: int(m.Orders), OrdersToday: int(m.OrdersToday), OrdersLastDay: int(m.OrdersLastDay),
		OrderMoneyToday: string(m.OrderMoneyToday), OrderMoneyLast: string(m.OrderMoneyLast),
	}, nil
}

// OrdersRequest pages through the merchant's orders, newest first.
type OrdersRequest struct {
	Limit  int               // orders per page, 1..50; 0 means the gateway's default (10)
	Offset int               // orders to skip
	Status *epay.OrderStatus // only orders in this status; nil for all
}

// OrderList is a page of orders.
type OrderList struct {
	Count  int // orders on this page
	Orders []Order
}

type ordersJSON struct {
	Count flex.Int        `json:"count"`
	Data  json.RawMessage `json:"data"`
}

// Orders returns a page of the merchant's orders, with a POST to
// api/merchant/orders.
func (c *Client) Orders(ctx context.Context, r *OrdersRequest) (*OrderList, error) {
	if err := c.ready(); err != nil {
		return nil, err
	}
	if r == nil {
		r = &OrdersRequest{}
	}
	if r.Limit < 0 || r.Limit > 50 {
		return nil, fieldErr("limit", "want 0 (the default) to 50")
	}
	if r.Offset < 0 {
		return nil, fieldErr("offset", "must not be negative")
	}
	p := map[string]string{}
	if r.Limit > 0 {
		p["limit"] = strconv.Itoa(r.Limit)
	}
	if r.Offset > 0 {
		p["offset"] = strconv.Itoa(r.Offset)
	}
	if r.Status != nil {
		if *r.Status < 0 {
			return nil, fieldErr("status", "must not be negative")
		}
		p["status"] = strconv.Itoa(int(*r.Status))
	}
	a, err := c.post(ctx, pathOrders, p, false)
	if err != nil {
		return nil, err
	}
	var out ordersJSON
	if err := c.decode(a, &out); err != nil {
		return nil, err
	}
	rows, err := decodeRows(out.Data)
	if err != nil {
		return nil, c.tc.StatusError(a.resp, "data is not a list of orders")
	}
	list := &OrderList{Count: int(out.Count), Orders: make([]Order, 0, len(rows))}
	for i := range rows {
		list.Orders = append(list.Orders, rows[i].order())
	}
	if list.Count == 0 {
		list.Count = len(list.Orders)
	}
	return list, nil
}

// decodeRows accepts a list of orders, null, or an object of orders keyed by
// index (PHP's json_encode of an array with gaps), in key order.
func decodeRows(data json.RawMessage) ([]orderJSON, error) {
	data = bytes.TrimSpace(data)
	if len(data) == 0 || string(data) == "null" {
		return nil, nil
	}
	var rows []orderJSON
	if data[0] == '[' {
		err := json.Unmarshal(data, &rows)
		return rows, err
	}
	var byKey map[string]orderJSON
	if err := json.Unmarshal(data, &byKey); err != nil {
		return nil, err
	}
	keys := make([]string, 0, len(byKey))
	for k := range byKey {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		a, errA := strconv.Atoi(keys[i])
		b, errB := strconv.Atoi(keys[j])
		if errA == nil && errB == nil {
			return a < b
		}
		return keys[i] < keys[j]
	})
	for _, k := range keys {
		rows = append(rows, byKey[k])
	}
	return rows, nil
}
