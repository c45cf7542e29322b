package epay

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/epaykit/epaykit/internal/fields"
	"github.com/epaykit/epaykit/internal/flex"
	"github.com/epaykit/epaykit/internal/transport"
)

// OrderQuery names one order: by the gateway's TradeNo or the merchant's
// OutTradeNo. When both are set the gateway uses TradeNo.
type OrderQuery struct {
	TradeNo, OutTradeNo string
}

// Order is an order as api.php reports it.
type Order struct {
	TradeNo     string // the gateway's order number (a 19-digit string on Rainbow Epay)
	OutTradeNo  string // the merchant's order number
	APITradeNo  string // the payment channel's number
	BillTradeNo string // the channel's bill number
	Type        string // pay type
	PID         string
	Name        string // the gateway's stored copy of the product name
	Money       string // amount in yuan as sent ("1.00"); compare with Cents
	Param       string
	Buyer       string
	PayURL      string
	Status      OrderStatus
	// AddTime and EndTime are as the gateway sent them, "2006-01-02
	// 15:04:05" in its local zone; EndTime is empty until paid. AddedAt and
	// EndedAt parse them.
	AddTime, EndTime string
}

// Paid reports whether the order is paid (status 1). A refunded, frozen or
// pre-authorized order is not.
func (o *Order) Paid() bool { return o != nil && o.Status == OrderPaid }

// Cents returns the order's amount in cents (see ParseMoney).
func (o *Order) Cents() (int64, error) { return ParseMoney(o.Money) }

const timeLayout = "2006-01-02 15:04:05"

// AddedAt parses AddTime in loc, the gateway's zone (Rainbow Epay usually
// runs in UTC+8, Kyren in UTC); nil means UTC. An empty AddTime gives the
// zero time and no error.
func (o *Order) AddedAt(loc *time.Location) (time.Time, error) {
	return parseTime("addtime", o.AddTime, loc)
}

// EndedAt parses EndTime like AddedAt; it is the zero time until the order
// is paid.
func (o *Order) EndedAt(loc *time.Location) (time.Time, error) {
	return parseTime("endtime", o.EndTime, loc)
}

func parseTime(field, s string, loc *time.Location) (time.Time, error) {
	if s == "" || s == "0000-00-00 00:00:00" {
		return time.Time{}, nil
	}
	if loc == nil {
		loc = time.UTC
	}
	t, err := time.ParseInLocation(timeLayout, s, loc)
	if err != nil {
		return time.Time{}, fmt.Errorf("epay: %s %.40q: want YYYY-MM-DD HH:MM:SS", field, s)
	}
	return t, nil
}

// orderJSON is an order row; numbers may arrive as strings and the reverse.
type orderJSON struct {
	TradeNo     flex.String `json:"trade_no"`
	OutTradeNo  flex.String `json:"out_trade_no"`
	APITradeNo  flex.String `json:"api_trade_no"`
	BillTradeNo flex.String `json:"bill_trade_no"`
	Type        flex.String `json:"type"`
	PID         flex.String `json:"pid"`
	AddTime     flex.String `json:"addtime"`
	EndTime     flex.String `json:"endtime"`
	Name        flex.String `json:"name"`
	Money       flex.String `json:"money"`
	Param       flex.String `json:"param"`
	Buyer       flex.String `json:"buyer"`
	Status      flex.Int    `json:"status"`
	PayURL      flex.String `json:"payurl"`
}

func (o *orderJSON) order() Order {
	return Order{
		TradeNo: string(o.TradeNo), OutTradeNo: string(o.OutTradeNo), APITradeNo: string(o.APITradeNo),
		BillTradeNo: string(o.BillTradeNo), Type: string(o.Type), PID: string(o.PID), Name: string(o.Name),
		Money: string(o.Money), Param: string(o.Param), Buyer: string(o.Buyer), PayURL: string(o.PayURL),
		Status: OrderStatus(o.Status), AddTime: string(o.AddTime), EndTime: string(o.EndTime),
	}
}

type orderResponse struct {
	envelope
	orderJSON
}

// QueryOrder returns one order (GET api.php?act=order). An unknown order is
// an *APIError matching ErrOrderNotFound. The call is retried like Create.
//
// Careful merchants confirm a notification with QueryOrder before shipping:
// Paid() and the same Cents() as the stored order.
func (c *Client) QueryOrder(ctx context.Context, q *OrderQuery) (*Order, error) {
	if err := c.ready(); err != nil {
		return nil, err
	}
	if q == nil {
		return nil, errors.New("epay: nil *OrderQuery")
	}
	v, err := orderRef(q.TradeNo, q.OutTradeNo)
	if err != nil {
		return nil, err
	}
	var out orderResponse
	resp, err := c.apiGet(ctx, "order", v, &out)
	if err != nil {
		return nil, err
	}
	if err := c.check(resp, &out.envelope, "api.php?act=order"); err != nil {
		return nil, err
	}
	o := out.order()
	return &o, nil
}

func orderRef(tradeNo, outTradeNo string) (url.Values, error) {
	if tradeNo == "" && outTradeNo == "" {
		return nil, fieldErr("trade_no", "trade_no or out_trade_no is required")
	}
	if err := validRef("trade_no", tradeNo); err != nil {
		return nil, err
	}
	if err := validRef("out_trade_no", outTradeNo); err != nil {
		return nil, err
	}
	v := url.Values{}
	if tradeNo != "" {
		v.Set("trade_no", tradeNo)
	}
	if outTradeNo != "" {
		v.Set("out_trade_no", outTradeNo)
	}
	return v, nil
}

// maxPage is the largest limit the reference server accepts.
const maxPage = 50

// ListOrdersRequest pages through the merchant's orders. Limit 0 lets the
// gateway choose; at most 50. Status, when set, selects one status.
type ListOrdersRequest struct {
	Limit, Offset int
	Status        *OrderStatus
}

// OrderList is a page of orders.
type OrderList struct {
	Count  int // as the gateway reports it
	Orders []Order
}

type ordersResponse struct {
	envelope
	Count flex.Int        `json:"count"`
	Data  json.RawMessage `json:"data"`
}

// emptyListWords are phrases of the message some servers answer for an
// empty order list, with an error code.
var emptyListWords = []string{"没有", "暂无", "不存在", "no order", "not found", "empty"}

// ListOrders returns a page of orders (GET api.php?act=orders). No orders
// is an empty list, not an error, even from servers that answer zero rows
// with an error code. Gateways without this act (Kyren) answer an *APIError.
func (c *Client) ListOrders(ctx context.Context, r *ListOrdersRequest) (*OrderList, error) {
	if err := c.ready(); err != nil {
		return nil, err
	}
	if r == nil {
		r = &ListOrdersRequest{}
	}
	v, err := page(r.Limit, r.Offset)
	if err != nil {
		return nil, err
	}
	if r.Status != nil {
		if *r.Status < OrderUnpaid || *r.Status > OrderPreAuthorized {
			return nil, fieldErr("status", "want 0 to 4, got "+strconv.Itoa(int(*r.Status)))
		}
		v.Set("status", strconv.Itoa(int(*r.Status)))
	}
	var out ordersResponse
	resp, err := c.apiGet(ctx, "orders", v, &out)
	if err != nil {
		return nil, err
	}
	if *out.Code != 1 && ok2xx(resp.Status) {
		msg := strings.ToLower(string(out.Msg))
		for _, w := range emptyListWords {
			if strings.Contains(msg, w) {
				return &OrderList{Orders: []Order{}}, nil
			}
		}
	}
	if err := c.check(resp, &out.envelope, "api.php?act=orders"); err != nil {
		return nil, err
	}
	var rows []orderJSON
	if err := decodeRows(out.Data, &rows); err != nil {
		return nil, c.tc.StatusError(resp, "orders data: "+err.Error())
	}
	list := &OrderList{Count: int(out.Count), Orders: make([]Order, len(rows))}
	for i := range rows {
		list.Orders[i] = rows[i].order()
	}
	if list.Count == 0 {
		list.Count = len(rows)
	}
	return list, nil
}

func page(limit, offset int) (url.Values, error) {
	if limit < 0 || limit > maxPage {
		return nil, fieldErr("limit", "want 0 (the gateway's default) to 50, got "+strconv.Itoa(limit))
	}
	if offset < 0 {
		return nil, fieldErr("offset", "must not be negative")
	}
	v := url.Values{}
	if limit > 0 {
		v.Set("limit", strconv.Itoa(limit))
	}
	if offset > 0 {
		v.Set("offset", strconv.Itoa(offset))
	}
	return v, nil
}

// decodeRows decodes a list that PHP may send as null, an array, or an
// object keyed by row number.
func decodeRows[T any](raw json.RawMessage, rows *[]T) error {
	s := strings.TrimSpace(string(raw))
	switch {
	case s == "" || s == "null":
		*rows = []T{}
		return nil
	case s[0] == '[':
		if err := json.Unmarshal(raw, rows); err != nil {
			return errors.New("malformed list")
		}
		if *rows == nil {
			*rows = []T{}
		}
		return nil
	case s[0] == '{':
		var m map[string]T
		if err := json.Unmarshal(raw, &m); err != nil {
			return errors.New("malformed list")
		}
		keys := make([]string, 0, len(m))
		for k := range m {
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
		*rows = make([]T, 0, len(m))
		for _, k := range keys {
			*rows = append(*rows, m[k])
		}
		return nil
	}
	return errors.New("want a list")
}

// RefundRequest refunds an order, named by TradeNo or OutTradeNo (the
// gateway uses TradeNo when both are set), by Money in yuan.
type RefundRequest struct {
	TradeNo, OutTradeNo string
	Money               string // required: amount to refund in yuan, such as "9.99"
}

// RefundResult is an accepted refund. Builds of Rainbow Epay from 3065 fill
// every field; older builds only Msg.
type RefundResult struct {
	RefundNo, OutRefundNo, TradeNo, OutTradeNo, Money, ReduceMoney, Msg string
}

type refundResponse struct {
	envelope
	RefundNo    flex.String `json:"refund_no"`
	OutRefundNo flex.String `json:"out_refund_no"`
	TradeNo     flex.String `json:"trade_no"`
	OutTradeNo  flex.String `json:"out_trade_no"`
	Money       flex.String `json:"money"`
	ReduceMoney flex.String `json:"reducemoney"`
}

// Refund refunds an order (POST api.php?act=refund). Success is code 1, or
// code 0 with refund_no or money (builds from 3065); any other answer,
// including Kyren's and Zpay's code 0 with only a message, is an *APIError.
//
// A refund is not idempotent: Refund never repeats a request that may have
// reached the gateway (only a failure to connect is retried). When it
// returns a *TransportError, its MaybeSent field says whether the refund may
// have happened: if true, query the order (QueryOrder: status
// OrderRefunded) before trying again; if false, nothing was sent. An
// *HTTPError (a 5xx page, or a body that is not the JSON answer) means the
// gateway received the request: the refund may have happened as well.
func (c *Client) Refund(ctx context.Context, r *RefundRequest) (*RefundResult, error) {
	if err := c.ready(); err != nil {
		return nil, err
	}
	if r == nil {
		return nil, errors.New("epay: nil *RefundRequest")
	}
	v, err := orderRef(r.TradeNo, r.OutTradeNo)
	if err != nil {
		return nil, err
	}
	if err := validMoney("money", r.Money); err != nil {
		return nil, err
	}
	v.Set("money", r.Money)
	v.Set("pid", c.pid)
	v.Set("key", c.key)
	var out refundResponse
	resp, err := c.call(ctx, &transport.Request{Method: "POST", URL: c.apiURL("refund", nil), Form: fields.FromValues(nil, v), Unsafe: true}, &out)
	if err != nil {
		return nil, err
	}
	code := int64(*out.Code)
	ok := code == 1 || code == 0 && (out.RefundNo != "" || out.Money != "")
	if !ok {
		return nil, c.apiError(resp, &out.envelope, "api.php?act=refund")
	}
	if !ok2xx(resp.Status) {
		return nil, c.tc.StatusError(resp, "HTTP error status with a success answer")
	}
	return &RefundResult{
		RefundNo: string(out.RefundNo), OutRefundNo: string(out.OutRefundNo), TradeNo: string(out.TradeNo),
		OutTradeNo: string(out.OutTradeNo), Money: string(out.Money), ReduceMoney: string(out.ReduceMoney),
		Msg: c.cleanMsg(string(out.Msg)),
	}, nil
}

// MerchantInfo is the merchant account as api.php?act=query reports it. The
// key the gateway echoes is not kept.
type MerchantInfo struct {
	PID           string
	Active        bool   // the account is enabled
	Money         string // balance in yuan
	SettleType    int    // settlement method: 1 Alipay, 2 WeChat, 3 QQ, 4 bank card
	Account       string // settlement account
	Username      string // settlement account holder
	Orders        int    // orders in total
	OrdersToday   int
	OrdersLastDay int // orders yesterday
}

type merchantResponse struct {
	envelope
	PID           flex.String `json:"pid"`
	Active        flex.Int    `json:"active"`
	Money         flex.String `json:"money"`
	Type          flex.Int    `json:"type"`
	Account       flex.String `json:"account"`
	Username      flex.String `json:"username"`
	Orders        flex.Int    `json:"orders"`
	OrdersToday   flex.Int    `json:"orders_today"`
	OrdersLastDay flex.Int    `json:"orders_lastday"`
}

// Merchant returns the merchant's account (GET api.php?act=query).
func (c *Client) Merchant(ctx context.Context) (*MerchantInfo, error) {
	if err := c.ready(); err != nil {
		return nil, err
	}
	var out merchantResponse
	resp, err := c.apiGet(ctx, "query", nil, &out)
	if err != nil {
		return nil, err
	}
	if err := c.check(resp, &out.envelope, "api.php?act=query"); err != nil {
		return nil, err
	}
	return &MerchantInfo{
		PID: string(out.PID), Active: out.Active == 1, Money: string(out.Money), SettleType: int(out.Type),
		Account: string(out.Account), Username: string(out.Username), Orders: int(out.Orders),
		OrdersToday: int(out.OrdersToday), OrdersLastDay: int(out.OrdersLastDay),
	}, nil
}

// SettlementsRequest pages through settlements. Limit 0 lets the gateway
// choose; at most 50.
type SettlementsRequest struct {
	Limit, Offset int
}

// Settlement is one settlement (payout to the merchant).
type Settlement struct {
	ID        string
	Type      int    // settlement method, as MerchantInfo.SettleType
	Account   string // account paid to
	Username  string // account holder
	Money     string // amount settled in yuan
	RealMoney string // amount paid out after fees
	AddTime   string // as sent, "2006-01-02 15:04:05" in the gateway's zone
	EndTime   string
	Status    int             // 0 pending, 1 done, 2 processing, 3 failed on Rainbow Epay
	Raw       json.RawMessage // the whole row, for fields not listed here
}

type settlementJSON struct {
	ID        flex.String `json:"id"`
	Type      flex.Int    `json:"type"`
	Account   flex.String `json:"account"`
	Username  flex.String `json:"username"`
	Money     flex.String `json:"money"`
	RealMoney flex.String `json:"realmoney"`
	AddTime   flex.String `json:"addtime"`
	EndTime   flex.String `json:"endtime"`
	Status    flex.Int    `json:"status"`
}

type settleResponse struct {
	envelope
	Data json.RawMessage `json:"data"`
}

// Settlements returns a page of settlements (GET api.php?act=settle). No
// settlements (data null) is an empty slice.
func (c *Client) Settlements(ctx context.Context, r *SettlementsRequest) ([]Settlement, error) {
	if err := c.ready(); err != nil {
		return nil, err
	}
	if r == nil {
		r = &SettlementsRequest{}
	}
	v, err := page(r.Limit, r.Offset)
	if err != nil {
		return nil, err
	}
	var out settleResponse
	resp, err := c.apiGet(ctx, "settle", v, &out)
	if err != nil {
		return nil, err
	}
	if err := c.check(resp, &out.envelope, "api.php?act=settle"); err != nil {
		return nil, err
	}
	var raws []json.RawMessage
	if err := decodeRows(out.Data, &raws); err != nil {
		return nil, c.tc.StatusError(resp, "settle data: "+err.Error())
	}
	list := make([]Settlement, len(raws))
	for i, raw := range raws {
		var s settlementJSON
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, c.tc.StatusError(resp, "settle data: malformed row")
		}
		list[i] = Settlement{
			ID: string(s.ID), Type: int(s.Type), Account: string(s.Account), Username: string(s.Username),
			Money: string(s.Money), RealMoney: string(s.RealMoney), AddTime: string(s.AddTime),
			EndTime: string(s.EndTime), Status: int(s.Status), Raw: append(json.RawMessage(nil), raw...),
		}
	}
	return list, nil
}
