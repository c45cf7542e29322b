package iepaytest

import (
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Order statuses as check reports them in order_status.
const (
	StatusUnpaid          = 0 // created, not paid
	StatusPaid            = 1 // paid
	StatusRefunded        = 2 // paid, then refunded in full
	StatusSettled         = 3 // paid and settled to the merchant
	StatusSettledRefunded = 4 // settled, then refunded in full
)

// Order is a snapshot of an order held by the gateway.
type Order struct {
	MID         string
	OutTradeNo  string
	TradeNo     string // assigned at creation; check reports it once paid
	PayType     string
	Status      int   // StatusUnpaid .. StatusSettledRefunded
	TotalFee    int64 // cents; 0 when the order was created with rmb_fee
	RMBFee      int64 // cents of CNY; 0 unless created with rmb_fee
	Goods       string
	GoodsDetail string
	NotifyURL   string
	ReturnURL   string
	PayURL      string
	TID         string
	Expired     string // seconds, as received ("" = gateway default)
	PayRate     string // as received ("" = merchant default)
	AppID       string // mini program orders
	OpenID      string // mini program orders
	Refunded    int64  // cents refunded so far
	RefundCount int    // refund requests that took effect
	Refunds     []Refund
	CreatedAt   time.Time
	PaidAt      time.Time // zero while unpaid
}

// Refund is one refund that took effect.
type Refund struct {
	Amount    int64 // cents
	ChargeFee bool  // refund_charge_fee=TRUE was sent
	At        time.Time
}

// Amount returns the order's amount in cents: TotalFee, or RMBFee for an
// order priced in CNY.
func (o Order) Amount() int64 {
	if o.RMBFee > 0 {
		return o.RMBFee
	}
	return o.TotalFee
}

// Paid reports whether the order is paid and not refunded in full (status
// 1 or 3), as IEPay's clients read order_status.
func (o Order) Paid() bool { return o.Status == StatusPaid || o.Status == StatusSettled }

// order is the gateway's record; Order is its exported snapshot.
type order struct {
	Order
	nonce   string // mini program payment data, fixed at creation
	prepay  string
	timeStp string
}

func (o *order) snapshot() Order {
	c := o.Order
	c.Refunds = append([]Refund(nil), o.Refunds...)
	return c
}

func isWeChat(payType string) bool { return strings.HasPrefix(payType, "IE002") }

// newTradeNoLocked returns the next deterministic trade number.
func (s *Server) newTradeNoLocked(payType string) string {
	s.seq++
	if isWeChat(payType) {
		return fmt.Sprintf("42000%023d", s.seq)
	}
	return fmt.Sprintf("2026%024d", s.seq)
}

// token derives a deterministic hex string from parts.
func token(parts ...string) string {
	d := md5.Sum([]byte(strings.Join(parts, "\x00")))
	return hex.EncodeToString(d[:])
}

// Order returns a snapshot of the order with outTradeNo.
func (s *Server) Order(outTradeNo string) (Order, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.orders[outTradeNo]
	if !ok {
		return Order{}, false
	}
	return o.snapshot(), true
}

// Orders returns snapshots of every order in the order they were created.
func (s *Server) Orders() []Order {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Order, 0, len(s.orders))
	for _, o := range s.orders {
		out = append(out, o.snapshot())
	}
	// Trade numbers share a counter, so their last 23 digits order creation.
	sortOrders(out)
	return out
}

func sortOrders(os []Order) {
	sort.Slice(os, func(i, j int) bool { return os[i].TradeNo[5:] < os[j].TradeNo[5:] })
}

// SetStatus moves an order to status (StatusUnpaid .. StatusSettledRefunded)
// without any notification, e.g. to StatusSettled to test refunds of settled
// orders. Moving an unpaid order to a paid status records the payment time.
func (s *Server) SetStatus(outTradeNo string, status int) error {
	if status < StatusUnpaid || status > StatusSettledRefunded {
		return fmt.Errorf("iepaytest: status %d: want 0 (unpaid) to 4 (settled and refunded)", status)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.orders[outTradeNo]
	if !ok {
		return unknownOrder(outTradeNo)
	}
	if status != StatusUnpaid && o.PaidAt.IsZero() {
		o.PaidAt = time.Now()
	}
	o.Status = status
	return nil
}
