package iepaytest

import (
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/epaykit/epaykit/sign"
)

// Messages the gateway answers with.
const (
	msgSuccess        = "SUCCESS"
	msgSign           = "SIGN_ERROR"
	msgVersion        = "VERSION_ERROR"
	msgParam          = "PARAM_ERROR"
	msgPayType        = "PAY_TYPE_ERROR"
	msgOrderCreated   = "ORDER_CREATED"
	msgOutTradeNoUsed = "OUT_TRADE_NO_USED"
	msgCombine        = "COMBINE_ERROR"
	msgPayRow         = "PAY_ROW_ERROR"
	msgBalance        = "BALANCE_ERROR"
	msgPaymentStatus  = "ERROR_PAYMENT_STATUS"
)

// createTypes are the pay types api/online creates orders for.
var createTypes = map[string]bool{
	"IE0011": true, "IE0012": true, "IE0013": true, "IE0015": true,
	"IE0021": true, "IE0022": true, "IE0023": true, "IE0025": true,
	"IE0031": true, "IE0041": true,
}

// reply is an answer before any fault reshapes it.
type reply struct {
	status int
	body   []byte
}

type envelope struct {
	IsSuccess string `json:"is_success"`
	Message   string `json:"message"`
	Extra     any    `json:"extra,omitempty"`
}

func jsonReply(v any) reply {
	b, err := json.Marshal(v)
	if err != nil { // cannot happen: replies hold only strings and numbers
		return reply{status: 500, body: []byte("iepaytest: encoding a reply: " + err.Error())}
	}
	return reply{status: 200, body: b}
}

// emptyExtra is the extra member of an answer without data.
func (s *Server) emptyExtra() any {
	switch s.cfg.extra {
	case extraEmptyObject:
		return json.RawMessage("{}")
	case extraOmitted:
		return nil
	}
	return json.RawMessage("[]")
}

func (s *Server) fail(msg string) reply {
	return jsonReply(envelope{"FALSE", msg, s.emptyExtra()})
}

func paramErr(field, problem string) string {
	return msgParam + ": " + field + " " + problem
}

// num renders a number as check sends it.
func (s *Server) num(n int64) any {
	if s.cfg.numbers {
		return n
	}
	return strconv.FormatInt(n, 10)
}

// authenticate flattens the form and checks mid and sign. It returns the
// merchant id and the fields, or a gateway message.
func (s *Server) authenticate(form url.Values) (string, map[string]string, string) {
	p, err := sign.Flatten(form)
	if err != nil {
		var name string
		if de, ok := err.(*sign.DuplicateParamError); ok {
			name = de.Key
		}
		return "", nil, paramErr(name, "sent more than once")
	}
	mid := p["mid"]
	key, ok := s.merchants[mid] // written only by NewServer
	if !ok || !sign.VerifyIEPay(p, key) {
		return "", nil, msgSign
	}
	return mid, p, ""
}

func checkVersion(p map[string]string, required bool) string {
	v, ok := p["version"]
	if !ok && !required {
		return ""
	}
	if v != "v1" {
		if !ok {
			return msgVersion + ": version is required and must be v1"
		}
		return msgVersion + ": version must be v1"
	}
	return ""
}

// cents parses a positive amount of cents: 1 to 10 digits, no sign.
func cents(field, v string) (int64, string) {
	if v == "" {
		return 0, paramErr(field, "is required")
	}
	if len(v) > 10 || !allDigits(v) {
		return 0, paramErr(field, "must be a positive integer of cents (at most 10 digits)")
	}
	n, _ := strconv.ParseInt(v, 10, 64)
	if n <= 0 {
		return 0, paramErr(field, "must be greater than 0")
	}
	return n, ""
}

func allDigits(v string) bool {
	if v == "" {
		return false
	}
	for i := 0; i < len(v); i++ {
		if v[i] < '0' || v[i] > '9' {
			return false
		}
	}
	return true
}

// textSpecial are the characters refused in goods and goods_detail.
const textSpecial = `&=<>"'%\`

func checkText(field, v string, max int) string {
	if v == "" {
		return paramErr(field, "is required")
	}
	if !utf8.ValidString(v) {
		return paramErr(field, "is not valid UTF-8")
	}
	if n := utf8.RuneCountInString(v); n > max {
		return paramErr(field, "has "+strconv.Itoa(n)+" characters, at most "+strconv.Itoa(max))
	}
	for _, r := range v {
		if unicode.IsControl(r) || strings.ContainsRune(textSpecial, r) {
			return paramErr(field, "must not contain special characters ("+strconv.QuoteRune(r)+")")
		}
	}
	return ""
}

// checkID checks out_trade_no, appid and openid: printable ASCII without
// spaces or the bytes that would break the notification URL.
func checkID(field, v string, max int) string {
	if v == "" {
		return paramErr(field, "is required")
	}
	if len(v) > max {
		return paramErr(field, "has "+strconv.Itoa(len(v))+" bytes, at most "+strconv.Itoa(max))
	}
	for i := 0; i < len(v); i++ {
		if c := v[i]; c <= ' ' || c >= 0x7f || strings.IndexByte("&=#%+?", c) >= 0 {
			return paramErr(field, "must be printable ASCII without spaces or any of &=#%+?")
		}
	}
	return ""
}

func checkURL(field, v string) string {
	if v == "" {
		return ""
	}
	if len(v) > 512 {
		return paramErr(field, "has "+strconv.Itoa(len(v))+" bytes, at most 512")
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || strings.ContainsAny(v, " \t\r\n") {
		return paramErr(field, "must be an absolute http or https URL")
	}
	return ""
}

func checkOptionalDigits(field, v string, max int) string {
	if v == "" {
		return ""
	}
	if len(v) > max || !allDigits(v) {
		return paramErr(field, "must be an unsigned integer of at most "+strconv.Itoa(max)+" digits")
	}
	return ""
}

// firstErr returns the first non-empty message.
func firstErr(msgs ...string) string {
	for _, m := range msgs {
		if m != "" {
			return m
		}
	}
	return ""
}

type createExtra struct {
	MID        string `json:"mid"`
	PayType    string `json:"pay_type"`
	OutTradeNo string `json:"out_trade_no"`
	PayURL     string `json:"pay_url"`
}

type createdExtra struct {
	MID        string `json:"mid"`
	PayURL     string `json:"pay_url"`
	PayType    string `json:"pay_type"`
	OutTradeNo string `json:"out_trade_no"`
	Status     any    `json:"status"`
}

// create serves api/online.
func (s *Server) create(form url.Values) reply {
	mid, p, msg := s.authenticate(form)
	if msg != "" {
		return s.fail(msg)
	}
	if msg := checkVersion(p, true); msg != "" {
		return s.fail(msg)
	}
	payType := p["pay_type"]
	switch {
	case payType == "":
		return s.fail(paramErr("pay_type", "is required"))
	case payType == "IE0026":
		return s.fail(msgPayType + ": IE0026 (WeChat mini program) is created with wechatApi/mini_pay")
	case payType == "IE0014" || payType == "IE0024":
		return s.fail(msgPayType + ": " + payType + " is an in-store barcode payment (api/pay)")
	case !createTypes[payType]:
		return s.fail(msgPayType + ": unknown pay_type " + strconv.Quote(payType))
	}
	var total, rmb int64
	tv, hasTotal := p["total_fee"]
	rv, hasRMB := p["rmb_fee"]
	switch {
	case hasTotal && hasRMB:
		return s.fail(msgParam + ": total_fee and rmb_fee are mutually exclusive")
	case hasRMB:
		if payType != "IE0012" && payType != "IE0013" {
			return s.fail(paramErr("rmb_fee", "is only accepted with IE0012 or IE0013"))
		}
		rmb, msg = cents("rmb_fee", rv)
	default:
		total, msg = cents("total_fee", tv)
	}
	if msg != "" {
		return s.fail(msg)
	}
	maxNo := 64
	if isWeChat(payType) {
		maxNo = 32
	}
	if msg := firstErr(
		checkText("goods", p["goods"], 64),
		checkText("goods_detail", p["goods_detail"], 128),
		checkID("out_trade_no", p["out_trade_no"], maxNo),
		checkOptionalDigits("tid", p["tid"], 4),
		checkOptionalDigits("expired", p["expired"], 8),
		checkURL("return_url", p["return_url"]),
		checkURL("notify_url", p["notify_url"]),
		checkPayRate(p),
	); msg != "" {
		return s.fail(msg)
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	outTradeNo := p["out_trade_no"]
	if o, ok := s.orders[outTradeNo]; ok {
		if o.MID != mid || o.PayType != payType {
			return s.fail(msgOutTradeNoUsed + ": out_trade_no is used by another order")
		}
		return jsonReply(envelope{"FALSE", msgOrderCreated, createdExtra{
			MID: mid, PayURL: o.PayURL, PayType: payType, OutTradeNo: outTradeNo, Status: s.num(int64(o.Status)),
		}})
	}
	o := s.addOrderLocked(mid, payType, p)
	o.TotalFee, o.RMBFee = total, rmb
	o.ReturnURL = p["return_url"]
	o.TID = p["tid"]
	o.PayRate = p["pay_rate"]
	if payType == "IE0021" {
		o.PayURL = "weixin://wxpay/bizpayurl?pr=" + token("pr", o.TradeNo)[:7]
	} else {
		o.PayURL = s.URL + "pay/" + o.TradeNo
	}
	return jsonReply(envelope{"TRUE", msgSuccess, createExtra{mid, payType, outTradeNo, o.PayURL}})
}

func checkPayRate(p map[string]string) string {
	v, ok := p["pay_rate"]
	if !ok || v == "" {
		return ""
	}
	n, err := strconv.Atoi(v)
	if err != nil || !allDigits(v) || n > 30 {
		return paramErr("pay_rate", "must be an integer from 0 to 30")
	}
	return ""
}

// addOrderLocked records a new order with the fields both create endpoints
// share.
func (s *Server) addOrderLocked(mid, payType string, p map[string]string) *order {
	o := &order{Order: Order{
		MID:         mid,
		OutTradeNo:  p["out_trade_no"],
		TradeNo:     s.newTradeNoLocked(payType),
		PayType:     payType,
		Goods:       p["goods"],
		GoodsDetail: p["goods_detail"],
		NotifyURL:   p["notify_url"],
		Expired:     p["expired"],
		CreatedAt:   time.Now(),
	}}
	s.orders[o.OutTradeNo] = o
	s.byTradeNo[o.TradeNo] = o
	return o
}

type miniEnvelope struct {
	Code int       `json:"code"`
	Msg  string    `json:"msg"`
	Data *miniData `json:"data,omitempty"`
}

type miniData struct {
	TimeStamp string `json:"timeStamp"`
	NonceStr  string `json:"nonceStr"`
	Package   string `json:"package"`
	SignType  string `json:"signType"`
	PaySign   string `json:"paySign"`
}

func miniFail(msg string) reply { return jsonReply(miniEnvelope{Code: 400, Msg: msg}) }

// miniPay serves wechatApi/mini_pay. Repeating a request for an existing
// mini program order answers the same payment data again.
func (s *Server) miniPay(form url.Values) reply {
	mid, p, msg := s.authenticate(form)
	if msg != "" {
		return miniFail(msg)
	}
	if msg := checkVersion(p, false); msg != "" {
		return miniFail(msg)
	}
	if pt := p["pay_type"]; pt != "IE0026" {
		if pt == "" {
			return miniFail(paramErr("pay_type", "is required (IE0026)"))
		}
		return miniFail(msgPayType + ": wechatApi/mini_pay takes pay_type IE0026, not " + strconv.Quote(pt))
	}
	if _, ok := p["rmb_fee"]; ok {
		return miniFail(paramErr("rmb_fee", "is not accepted by wechatApi/mini_pay"))
	}
	total, msg := cents("total_fee", p["total_fee"])
	if msg := firstErr(
		checkID("appid", p["appid"], 64),
		checkID("openid", p["openid"], 64),
		msg,
		checkText("goods", p["goods"], 64),
		checkText("goods_detail", p["goods_detail"], 128),
		checkID("out_trade_no", p["out_trade_no"], 32),
		checkOptionalDigits("expired", p["expired"], 8),
		checkURL("notify_url", p["notify_url"]),
	); msg != "" {
		return miniFail(msg)
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.orders[p["out_trade_no"]]
	if ok && (o.MID != mid || o.PayType != "IE0026") {
		return miniFail(msgOutTradeNoUsed + ": out_trade_no is used by another order")
	}
	if !ok {
		o = s.addOrderLocked(mid, "IE0026", p)
		o.TotalFee = total
		o.AppID, o.OpenID = p["appid"], p["openid"]
		o.timeStp = strconv.FormatInt(o.CreatedAt.Unix(), 10)
		o.nonce = token("nonce", o.TradeNo)
		o.prepay = "wx" + token("prepay", o.TradeNo)[:30]
	}
	d := &miniData{
		TimeStamp: o.timeStp,
		NonceStr:  o.nonce,
		Package:   "prepay_id=" + o.prepay,
		SignType:  "MD5",
	}
	sum := md5.Sum([]byte("appId=" + o.AppID + "&nonceStr=" + d.NonceStr + "&package=" + d.Package +
		"&signType=MD5&timeStamp=" + d.TimeStamp + "&key=" + s.merchants[mid]))
	d.PaySign = strings.ToUpper(hex.EncodeToString(sum[:]))
	return jsonReply(miniEnvelope{Code: 200, Msg: "success", Data: d})
}

type checkExtra struct {
	PayType     string `json:"pay_type"`
	TradeNo     string `json:"trade_no"`
	OutTradeNo  string `json:"out_trade_no"`
	OrderStatus any    `json:"order_status"`
	TotalFee    any    `json:"total_fee"`
	RMBFee      any    `json:"rmb_fee"`
	Goods       string `json:"goods"`
	PayURL      string `json:"pay_url"`
	ReturnURL   string `json:"return_url"`
}

// check serves api/check_order_status.
func (s *Server) check(form url.Values) reply {
	mid, p, msg := s.authenticate(form)
	if msg != "" {
		return s.fail(msg)
	}
	if msg := firstErr(
		checkVersion(p, true),
		required(p, "pay_type"),
		required(p, "out_trade_no"),
	); msg != "" {
		return s.fail(msg)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.orders[p["out_trade_no"]]
	if !ok || o.MID != mid || o.PayType != p["pay_type"] {
		return s.fail(msgCombine)
	}
	tradeNo := ""
	if o.Status != StatusUnpaid {
		tradeNo = o.TradeNo
	}
	return jsonReply(envelope{"TRUE", msgSuccess, checkExtra{
		PayType:     o.PayType,
		TradeNo:     tradeNo,
		OutTradeNo:  o.OutTradeNo,
		OrderStatus: s.num(int64(o.Status)),
		TotalFee:    s.num(o.TotalFee),
		RMBFee:      s.num(o.RMBFee),
		Goods:       o.Goods,
		PayURL:      o.PayURL,
		ReturnURL:   o.ReturnURL,
	}})
}

func required(p map[string]string, field string) string {
	if p[field] == "" {
		return paramErr(field, "is required")
	}
	return ""
}

// refund serves api/refund.
func (s *Server) refund(form url.Values) reply {
	mid, p, msg := s.authenticate(form)
	if msg != "" {
		return s.fail(msg)
	}
	if msg := firstErr(
		checkVersion(p, true),
		required(p, "out_trade_no"),
		required(p, "pay_type"),
	); msg != "" {
		return s.fail(msg)
	}
	amount, msg := cents("refund_amount", p["refund_amount"])
	if msg != "" {
		return s.fail(msg)
	}
	chargeFee := false
	switch v, ok := p["refund_charge_fee"]; {
	case !ok || v == "FALSE":
	case v == "TRUE":
		chargeFee = true
	default:
		return s.fail(paramErr("refund_charge_fee", "must be TRUE or FALSE"))
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.orders[p["out_trade_no"]]
	switch {
	case !ok || o.MID != mid:
		return s.fail(msgCombine)
	case o.PayType != p["pay_type"]:
		return s.fail(msgPayRow)
	case !o.Paid():
		return s.fail(msgPaymentStatus)
	case amount > o.Amount()-o.Refunded:
		return s.fail(msgBalance)
	}
	o.Refunded += amount
	o.RefundCount++
	o.Refunds = append(o.Refunds, Refund{Amount: amount, ChargeFee: chargeFee, At: time.Now()})
	if o.Refunded == o.Amount() {
		if o.Status == StatusSettled {
			o.Status = StatusSettledRefunded
		} else {
			o.Status = StatusRefunded
		}
	}
	return jsonReply(envelope{"TRUE", msgSuccess, s.emptyExtra()})
}
