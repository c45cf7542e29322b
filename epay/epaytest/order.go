package epaytest

import (
	"errors"
	"fmt"
	"maps"
	"net"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// OrderStatus is an order's status as api.php reports it.
type OrderStatus int

// Order statuses.
const (
	StatusUnpaid        OrderStatus = 0
	StatusPaid          OrderStatus = 1
	StatusRefunded      OrderStatus = 2
	StatusFrozen        OrderStatus = 3
	StatusPreAuthorized OrderStatus = 4
)

const (
	maxStatus             = StatusPreAuthorized
	tradeNoPrefix         = "202601011200" // + 7-digit counter = 19 digits
	refundNoPrefix        = "202601011300"
	nameMaxBytes          = 127
	defaultType           = "alipay"
	defaultName           = "product"
	defaultClientIP       = "127.0.0.1"
	timeLayout            = "2006-01-02 15:04:05"
	maxMoneyIntegerDigits = 10
)

// String returns "unpaid", "paid", "refunded", "frozen" or "pre-authorized".
func (st OrderStatus) String() string {
	switch st {
	case StatusUnpaid:
		return "unpaid"
	case StatusPaid:
		return "paid"
	case StatusRefunded:
		return "refunded"
	case StatusFrozen:
		return "frozen"
	case StatusPreAuthorized:
		return "pre-authorized"
	}
	return "OrderStatus(" + strconv.Itoa(int(st)) + ")"
}

// Order is a snapshot of an order held by the gateway.
type Order struct {
	PID        string
	TradeNo    string // 19 digits, assigned by the gateway
	OutTradeNo string
	Type       string
	Name       string // as stored: truncated to 127 bytes
	Money      string // as stored, "1.00" form
	Cents      int64
	Param      string
	NotifyURL  string
	ReturnURL  string
	ClientIP   string
	Device     string
	// Extra holds every other received field (channel_id, money_type, ...).
	Extra map[string]string
	// PayURL is the order's checkout page.
	PayURL string
	Status OrderStatus
	// RefundedCents is the total refunded; Refunds counts the refund
	// requests that took effect.
	RefundedCents int64
	Refunds       int
	APITradeNo    string // set when paid
	Buyer         string // set when paid
	AddTime       time.Time
	EndTime       time.Time // zero until paid
	// Notified reports whether a notification delivery was acknowledged.
	Notified bool
}

// NewOrder describes an order for CreateOrder. OutTradeNo and Money are
// required; PID defaults to Server.PID, Type to "alipay", Name to "product"
// and ClientIP to 127.0.0.1. Without NotifyURL, Pay delivers nothing.
type NewOrder struct {
	PID        string
	Type       string
	OutTradeNo string
	NotifyURL  string
	ReturnURL  string
	Name       string
	Money      string // yuan, e.g. "9.99"
	Param      string
	ClientIP   string
	Device     string
	Extra      map[string]string
}

// Settlement is a settlement row reported by api.php?act=settle. Create rows
// with AddSettlement.
type Settlement struct {
	ID        int
	PID       string
	Type      int // settle method, 1..4; default 1
	Account   string
	Username  string
	Cents     int64 // amount settled
	RealCents int64 // amount paid out; default Cents
	AddTime   time.Time
	Status    int // default 1 (done)
}

// order is the gateway's record; guarded by Server.mu.
type order struct {
	Order
}

// apiError is an answer {"code":code,"msg":msg} of the gateway.
type apiError struct {
	code int
	msg  string
}

func (e *apiError) Error() string { return "epaytest: code " + strconv.Itoa(e.code) + ": " + e.msg }

var (
	outTradeNoRE = regexp.MustCompile(`^[A-Za-z0-9._\-|]+$`)
	moneyRE      = regexp.MustCompile(`^[0-9]+(\.[0-9]{1,2})?$`)
)

// parseMoney parses a request's money field in yuan into cents.
func parseMoney(s string) (int64, *apiError) {
	if !moneyRE.MatchString(s) {
		return 0, &apiError{-1, "金额(money)格式错误，应为最多两位小数的正数，如 9.99"}
	}
	whole, frac, _ := strings.Cut(s, ".")
	whole = strings.TrimLeft(whole, "0")
	if len(whole) > maxMoneyIntegerDigits {
		return 0, &apiError{-1, "金额(money)过大"}
	}
	for len(frac) < 2 {
		frac += "0"
	}
	w, _ := strconv.ParseInt("0"+whole, 10, 64)
	f, _ := strconv.ParseInt(frac, 10, 64)
	c := w*100 + f
	if c <= 0 {
		return 0, &apiError{-1, "金额(money)必须大于0"}
	}
	return c, nil
}

// formatCents formats cents as the gateway stores money: "1.00".
func formatCents(c int64) string {
	return fmt.Sprintf("%d.%02d", c/100, c%100)
}

// notifyMoney formats cents the way Rainbow Epay puts money into a
// notification: "1" for 1.00, "10.5" for 10.50, "0.01" for 0.01.
func notifyMoney(c int64) string {
	s := formatCents(c)
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}

// truncateName cuts s to at most nameMaxBytes bytes on a rune boundary.
func truncateName(s string) string {
	if len(s) <= nameMaxBytes {
		return s
	}
	i := nameMaxBytes
	for i > 0 && !utf8RuneStart(s[i]) {
		i--
	}
	return s[:i]
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }

// knownFields are the create fields that have an Order field of their own.
var knownFields = map[string]bool{
	"pid": true, "type": true, "out_trade_no": true, "notify_url": true, "return_url": true,
	"name": true, "money": true, "param": true, "clientip": true, "device": true,
	"sign": true, "sign_type": true,
}

// createSpec tells validateCreate which fields a create endpoint requires.
type createSpec struct {
	needType, needNotify, needReturn, needClientIP bool
}

var (
	mapiSpec   = createSpec{needType: true, needNotify: true, needClientIP: true}
	submitSpec = createSpec{needNotify: true, needReturn: true}
)

// validateCreate checks the order fields of a create (the merchant and the
// signature are already checked) and returns the amount in cents.
func validateCreate(p map[string]string, spec createSpec) (int64, *apiError) {
	required := []string{"out_trade_no"}
	if spec.needType {
		required = append(required, "type")
	}
	if spec.needNotify {
		required = append(required, "notify_url")
	}
	if spec.needReturn {
		required = append(required, "return_url")
	}
	required = append(required, "name", "money")
	if spec.needClientIP {
		required = append(required, "clientip")
	}
	for _, f := range required {
		if strings.TrimSpace(p[f]) == "" {
			return 0, &apiError{-4, "缺少参数" + f}
		}
	}
	cents, aerr := parseMoney(p["money"])
	if aerr != nil {
		return 0, aerr
	}
	if !outTradeNoRE.MatchString(p["out_trade_no"]) {
		return 0, &apiError{-1, "订单号(out_trade_no)格式错误，只能包含字母、数字和._-|"}
	}
	if ip := p["clientip"]; ip != "" && net.ParseIP(ip) == nil {
		return 0, &apiError{-1, "用户IP地址(clientip)格式错误"}
	}
	return cents, nil
}

// createLocked creates the order described by p or returns the existing one
// with the same out_trade_no and identical order fields. s.mu must be held.
func (s *Server) createLocked(p map[string]string, cents int64) (*order, *apiError) {
	k := p["pid"] + "\x00" + p["out_trade_no"]
	typ := p["type"]
	name := truncateName(p["name"])
	if o, ok := s.byKey[k]; ok {
		if o.Type != typ || o.Cents != cents || o.Name != name || o.NotifyURL != p["notify_url"] ||
			o.ReturnURL != p["return_url"] || o.Param != p["param"] {
			return nil, &apiError{-1, "该订单号(" + o.OutTradeNo + ")已存在，请勿使用不同的参数重复提交"}
		}
		if o.Status != StatusUnpaid {
			return nil, &apiError{-1, "该订单(" + o.OutTradeNo + ")已完成支付，请勿重复提交"}
		}
		return o, nil
	}
	s.tradeSeq++
	tn := fmt.Sprintf("%s%07d", tradeNoPrefix, s.tradeSeq)
	o := &order{Order: Order{
		PID:        p["pid"],
		TradeNo:    tn,
		OutTradeNo: p["out_trade_no"],
		Type:       typ,
		Name:       name,
		Money:      formatCents(cents),
		Cents:      cents,
		Param:      p["param"],
		NotifyURL:  p["notify_url"],
		ReturnURL:  p["return_url"],
		ClientIP:   p["clientip"],
		Device:     p["device"],
		PayURL:     s.URL + "pay/" + tn,
		AddTime:    s.now(),
	}}
	for f, v := range p {
		if !knownFields[f] {
			if o.Extra == nil {
				o.Extra = make(map[string]string)
			}
			o.Extra[f] = v
		}
	}
	s.orders = append(s.orders, o)
	s.byKey[k] = o
	s.byTrade[tn] = o
	return o, nil
}

// snapshot copies an order for a caller.
func (o *order) snapshot() Order {
	c := o.Order
	c.Extra = maps.Clone(o.Extra)
	return c
}

// CreateOrder creates an order as a signed mapi.php request would, without
// signing anything, and returns it. Creating the same out_trade_no again with
// identical fields returns the same order; different fields are an error.
func (s *Server) CreateOrder(n NewOrder) (Order, error) {
	p := map[string]string{}
	for k, v := range n.Extra {
		if v != "" {
			p[k] = v
		}
	}
	set := func(k, v, def string) {
		if v == "" {
			v = def
		}
		if v != "" {
			p[k] = v
		}
	}
	set("pid", n.PID, s.PID)
	set("type", n.Type, defaultType)
	set("out_trade_no", n.OutTradeNo, "")
	set("notify_url", n.NotifyURL, "")
	set("return_url", n.ReturnURL, "")
	set("name", n.Name, defaultName)
	set("money", n.Money, "")
	set("param", n.Param, "")
	set("clientip", n.ClientIP, defaultClientIP)
	set("device", n.Device, "")
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return Order{}, errClosed
	}
	if _, ok := s.merchants[p["pid"]]; !ok {
		return Order{}, fmt.Errorf("epaytest: create order: unknown merchant pid %q", p["pid"])
	}
	cents, aerr := validateCreate(p, createSpec{needType: true, needClientIP: true})
	if aerr != nil {
		return Order{}, fmt.Errorf("epaytest: create order %q: %s", n.OutTradeNo, aerr.msg)
	}
	o, aerr := s.createLocked(p, cents)
	if aerr != nil {
		return Order{}, fmt.Errorf("epaytest: create order %q: %s", n.OutTradeNo, aerr.msg)
	}
	return o.snapshot(), nil
}

var errClosed = errors.New("epaytest: server closed")

// findLocked finds an order by out_trade_no across merchants. s.mu must be held.
func (s *Server) findLocked(outTradeNo string) (*order, error) {
	var found *order
	for _, o := range s.orders {
		if o.OutTradeNo == outTradeNo {
			if found != nil {
				return nil, fmt.Errorf("epaytest: out_trade_no %q exists for merchants %s and %s", outTradeNo, found.PID, o.PID)
			}
			found = o
		}
	}
	if found == nil {
		return nil, fmt.Errorf("epaytest: unknown order out_trade_no %q", outTradeNo)
	}
	return found, nil
}

// Order returns a snapshot of the order with this out_trade_no.
func (s *Server) Order(outTradeNo string) (Order, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, err := s.findLocked(outTradeNo)
	if err != nil {
		return Order{}, false
	}
	return o.snapshot(), true
}

// Orders returns snapshots of every order, oldest first.
func (s *Server) Orders() []Order {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Order, len(s.orders))
	for i, o := range s.orders {
		out[i] = o.snapshot()
	}
	return out
}

// SetStatus sets an order's status without notifying anyone, e.g. to test how
// a client handles a frozen or pre-authorised order. Setting StatusPaid on an
// unpaid order records the payment time; use Pay to pay and notify.
func (s *Server) SetStatus(outTradeNo string, st OrderStatus) error {
	if st < StatusUnpaid || st > maxStatus {
		return fmt.Errorf("epaytest: set status: %d is not a status (0..4)", int(st))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	o, err := s.findLocked(outTradeNo)
	if err != nil {
		return err
	}
	if st != StatusUnpaid && o.EndTime.IsZero() {
		s.markPaidLocked(o)
	}
	o.Status = st
	return nil
}

// markPaidLocked records the payment of o. s.mu must be held.
func (s *Server) markPaidLocked(o *order) {
	o.Status = StatusPaid
	o.EndTime = s.now()
	o.APITradeNo = "4200" + strings.TrimPrefix(o.TradeNo, "2026")
	o.Buyer = "2088****" + o.TradeNo[len(o.TradeNo)-4:]
}

// AddSettlement adds a settlement row for api.php?act=settle and returns it.
// PID defaults to Server.PID, Type and Status to 1, RealCents to Cents,
// Account and Username to the merchant's, AddTime to now; ID is assigned.
// Cents must be positive.
func (s *Server) AddSettlement(st Settlement) (Settlement, error) {
	if st.Cents <= 0 || st.RealCents < 0 {
		return Settlement{}, errors.New("epaytest: add settlement: Cents must be positive and RealCents not negative")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if st.PID == "" {
		st.PID = s.PID
	}
	m, ok := s.merchants[st.PID]
	if !ok {
		return Settlement{}, fmt.Errorf("epaytest: add settlement: unknown merchant pid %q", st.PID)
	}
	if st.Type == 0 {
		st.Type = 1
	}
	if st.Status == 0 {
		st.Status = 1
	}
	if st.RealCents == 0 {
		st.RealCents = st.Cents
	}
	if st.Account == "" {
		st.Account = m.account
	}
	if st.Username == "" {
		st.Username = m.username
	}
	if st.AddTime.IsZero() {
		st.AddTime = s.now()
	}
	st.ID = len(s.settlements) + 1
	c := st
	s.settlements = append(s.settlements, &c)
	return st, nil
}
