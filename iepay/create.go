package iepay

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"

	fieldlist "github.com/epaykit/epaykit/internal/fields"

	"github.com/epaykit/epaykit/internal/flex"
	"github.com/epaykit/epaykit/internal/form"
)

// CreateRequest is an online payment (POST api/online). The url tags are the
// wire names; empty fields are not sent.
type CreateRequest struct {
	// PayType is required. For PayTypeWeChatMiniProgram use
	// CreateMiniProgram instead.
	PayType PayType `url:"pay_type"`
	// OutTradeNo is your order number: unique per pay type, printable ASCII
	// without spaces, at most 64 bytes (32 for WeChat pay types), and none of
	// & = # % + ? (IEPay echoes it unescaped in the notification URL).
	OutTradeNo string `url:"out_trade_no"`
	// TotalFee is the amount in NZD cents (1 = NZ$0.01). Set exactly one of
	// TotalFee and RMBFee.
	TotalFee int64 `url:"total_fee,omitempty"`
	// RMBFee is the amount in RMB fen (cents), only for PayTypeAlipayWeb and
	// PayTypeAlipayMobileWeb.
	RMBFee int64 `url:"rmb_fee,omitempty"`
	// Goods is the item name: required, at most 64 bytes, without special
	// characters (& = < > " ' % \ or control characters).
	Goods string `url:"goods"`
	// GoodsDetail is the item description: required (IEPay's table marks it
	// not nullable), at most 128 bytes, the same characters as Goods.
	GoodsDetail string `url:"goods_detail"`
	// Expired is the payment's lifetime in seconds; 0 means the gateway
	// default (3600).
	Expired int `url:"expired,omitempty"`
	// ReturnURL is where the buyer's browser goes after paying. What arrives
	// there is not signed: display only (see ConfirmReturn).
	ReturnURL string `url:"return_url,omitempty"`
	// NotifyURL receives the asynchronous notification (see
	// ParseNotificationRequest).
	NotifyURL string `url:"notify_url,omitempty"`
	// PayRate is the merchant rate, 0 to 30; nil means the merchant's default.
	// A pointer to 0 sends pay_rate=0.
	PayRate *int `url:"pay_rate,omitempty"`
	// TID is the terminal id, decimal digits; optional.
	TID string `url:"tid,omitempty"`
}

// CreateResult is a created (or already existing) payment.
type CreateResult struct {
	// PayURL is what the buyer pays with: see PayType.Presentation.
	PayURL     string
	OutTradeNo string
	PayType    PayType
	// AlreadyCreated is true when IEPay answered ORDER_CREATED: an order
	// with this out_trade_no and pay_type already existed, and PayURL is its
	// payment URL again. Usually a retried create; if the amount may differ,
	// Check the order.
	AlreadyCreated bool
}

func (r *CreateRequest) validate() error {
	if err := checkPayType(r.PayType); err != nil {
		return err
	}
	switch r.PayType.Presentation() {
	case PresentMiniProgram:
		return fieldErr("pay_type", "%s is the WeChat mini program: use CreateMiniProgram", r.PayType)
	case PresentInStore:
		return fieldErr("pay_type", "%s is an in-store barcode payment, which Create does not make", r.PayType)
	}
	if err := checkOutTradeNo(r.OutTradeNo, r.PayType); err != nil {
		return err
	}
	switch {
	case r.TotalFee < 0:
		return fieldErr("total_fee", "%d cents, must be positive", r.TotalFee)
	case r.RMBFee < 0:
		return fieldErr("rmb_fee", "%d cents, must be positive", r.RMBFee)
	case r.TotalFee > 0 && r.RMBFee > 0:
		return fieldErr("total_fee", "set either total_fee or rmb_fee, not both")
	case r.TotalFee == 0 && r.RMBFee == 0:
		return fieldErr("total_fee", "required: an amount in cents > 0 (or rmb_fee)")
	case r.RMBFee > 0 && !r.PayType.AllowsRMBFee():
		return fieldErr("rmb_fee", "only for pay types %s and %s, not %s", PayTypeAlipayWeb, PayTypeAlipayMobileWeb, r.PayType)
	}
	if err := checkText("goods", r.Goods, maxGoods, true); err != nil {
		return err
	}
	if err := checkText("goods_detail", r.GoodsDetail, maxGoodsDetail, true); err != nil {
		return err
	}
	if err := checkExpired(r.Expired); err != nil {
		return err
	}
	if err := checkURL("return_url", r.ReturnURL); err != nil {
		return err
	}
	if err := checkURL("notify_url", r.NotifyURL); err != nil {
		return err
	}
	if r.PayRate != nil && (*r.PayRate < 0 || *r.PayRate > maxPayRate) {
		return fieldErr("pay_rate", "%d, want 0 to %d (or nil for the merchant default)", *r.PayRate, maxPayRate)
	}
	if r.TID != "" && (!isDigits(r.TID) || len(r.TID) > 10) {
		return fieldErr("tid", "%q, want decimal digits", truncate(r.TID))
	}
	return nil
}

// createExtra is the extra object of a create response.
type createExtra struct {
	PayURL     flex.String `json:"pay_url"`
	OutTradeNo flex.String `json:"out_trade_no"`
	PayType    flex.String `json:"pay_type"`
}

// Create creates an online payment and returns its pay_url. The request is
// validated first; a *FieldError names the field that broke a rule.
//
// Create is retried on connection failures and HTTP 429/502/503/504: IEPay
// keys the order by out_trade_no and pay_type, so a repeat answers
// ORDER_CREATED, which Create reports as success with AlreadyCreated set.
// A refusal is an *APIError (errors.Is ErrSign, ErrCombine, ...).
func (c *Client) Create(ctx context.Context, r *CreateRequest) (*CreateResult, error) {
	if err := checkCall(ctx, r == nil, "*CreateRequest"); err != nil {
		return nil, err
	}
	if err := r.validate(); err != nil {
		return nil, err
	}
	var buf [fieldlist.OnStack]fieldlist.Field
	fields, err := form.Fields(buf[:0], r, map[string]string{"version": version})
	if err != nil {
		return nil, fieldErr("request", "%v", err)
	}
	resp, err := c.send(ctx, pathCreate, fields, false)
	if err != nil {
		return nil, err
	}
	rep, err := c.decodeEnvelope(resp, pathCreate)
	if err != nil {
		return nil, err
	}
	already := false
	if !rep.success {
		if !strings.EqualFold(rep.message, "ORDER_CREATED") {
			return nil, refusal(rep, pathCreate, resp.Status)
		}
		if resp.Status < 200 || resp.Status > 299 {
			return nil, c.tc.StatusError(resp, "HTTP error status with ORDER_CREATED")
		}
		already = true
	}
	var ex createExtra
	if err := rep.extra.Decode(&ex); err != nil {
		return nil, c.tc.StatusError(resp, "extra: "+err.Error())
	}
	if ex.PayURL == "" {
		if already {
			return nil, refusal(rep, pathCreate, resp.Status)
		}
		return nil, c.tc.StatusError(resp, "success without extra.pay_url")
	}
	res := &CreateResult{PayURL: string(ex.PayURL), OutTradeNo: r.OutTradeNo, PayType: r.PayType, AlreadyCreated: already}
	if ex.OutTradeNo != "" {
		res.OutTradeNo = string(ex.OutTradeNo)
	}
	if ex.PayType != "" {
		res.PayType = PayType(ex.PayType)
	}
	return res, nil
}

// MiniProgramRequest is a WeChat mini program payment (POST
// wechatApi/mini_pay, pay_type IE0026). The field rules are Create's.
type MiniProgramRequest struct {
	// AppID is the mini program's appid; required.
	AppID string `url:"appid"`
	// OpenID is the buyer's openid in the mini program; required.
	OpenID string `url:"openid"`
	// OutTradeNo is your order number, at most 32 bytes (a WeChat type).
	OutTradeNo string `url:"out_trade_no"`
	// Goods is the item name, as in CreateRequest; required.
	Goods string `url:"goods"`
	// GoodsDetail is the item description, as in CreateRequest; required.
	GoodsDetail string `url:"goods_detail"`
	// NotifyURL receives the asynchronous notification.
	NotifyURL string `url:"notify_url,omitempty"`
	// TotalFee is the amount in NZD cents; required, > 0.
	TotalFee int64 `url:"total_fee"`
	// Expired is the payment's lifetime in seconds; 0 = gateway default.
	Expired int `url:"expired,omitempty"`
}

// MiniProgramPayment holds the arguments for wx.requestPayment in the mini
// program: pass them as they are (timeStamp, nonceStr, package, signType,
// paySign). Raw is the gateway's data object, for fields not listed here.
type MiniProgramPayment struct {
	TimeStamp string
	NonceStr  string
	Package   string
	SignType  string
	PaySign   string
	Raw       json.RawMessage
}

func (r *MiniProgramRequest) validate() error {
	if err := checkWeChatID("appid", r.AppID); err != nil {
		return err
	}
	if err := checkWeChatID("openid", r.OpenID); err != nil {
		return err
	}
	if err := checkOutTradeNo(r.OutTradeNo, PayTypeWeChatMiniProgram); err != nil {
		return err
	}
	if r.TotalFee <= 0 {
		return fieldErr("total_fee", "%d cents, must be positive", r.TotalFee)
	}
	if err := checkText("goods", r.Goods, maxGoods, true); err != nil {
		return err
	}
	if err := checkText("goods_detail", r.GoodsDetail, maxGoodsDetail, true); err != nil {
		return err
	}
	if err := checkExpired(r.Expired); err != nil {
		return err
	}
	return checkURL("notify_url", r.NotifyURL)
}

// miniEnvelope is the mini program response {"code":200,"data":{...}}; a
// refusal may also come in the v1 envelope.
type miniEnvelope struct {
	Code      *flex.Int       `json:"code"`
	Msg       flex.String     `json:"msg"`
	Message   flex.String     `json:"message"`
	IsSuccess *flex.String    `json:"is_success"`
	Data      json.RawMessage `json:"data"`
}

type miniData struct {
	TimeStamp flex.String `json:"timeStamp"`
	NonceStr  flex.String `json:"nonceStr"`
	Package   flex.String `json:"package"`
	SignType  flex.String `json:"signType"`
	PaySign   flex.String `json:"paySign"`
}

// CreateMiniProgram creates a WeChat mini program payment and returns the
// arguments for wx.requestPayment. It is retried like Create. Any code other
// than 200 is an *APIError carrying the code and the gateway's msg.
func (c *Client) CreateMiniProgram(ctx context.Context, r *MiniProgramRequest) (*MiniProgramPayment, error) {
	if err := checkCall(ctx, r == nil, "*MiniProgramRequest"); err != nil {
		return nil, err
	}
	if err := r.validate(); err != nil {
		return nil, err
	}
	var buf [fieldlist.OnStack]fieldlist.Field
	fields, err := form.Fields(buf[:0], r, map[string]string{"version": version, "pay_type": string(PayTypeWeChatMiniProgram)})
	if err != nil {
		return nil, fieldErr("request", "%v", err)
	}
	resp, err := c.send(ctx, pathMiniProgram, fields, false)
	if err != nil {
		return nil, err
	}
	var env miniEnvelope
	if err := c.tc.DecodeJSON(resp, &env); err != nil {
		return nil, err
	}
	msg := string(env.Msg)
	if msg == "" {
		msg = string(env.Message)
	}
	msg = c.cleanMessage(c.tc.ScrubText(resp, msg))
	if env.Code == nil {
		success := env.IsSuccess != nil && strings.EqualFold(strings.TrimSpace(string(*env.IsSuccess)), "TRUE")
		if !success && (env.IsSuccess != nil || msg != "") {
			// The v1 envelope: the gateway refused before the mini program
			// logic (SIGN_ERROR and the like).
			return nil, &APIError{Endpoint: pathMiniProgram, Message: msg, HTTPStatus: resp.Status}
		}
		return nil, c.tc.StatusError(resp, "response without code")
	}
	if *env.Code != 200 {
		return nil, &APIError{Endpoint: pathMiniProgram, Message: msg, Code: int(*env.Code), HTTPStatus: resp.Status}
	}
	if resp.Status < 200 || resp.Status > 299 {
		return nil, c.tc.StatusError(resp, "HTTP error status with code 200")
	}
	data := bytes.TrimSpace(env.Data)
	if len(data) > 0 && data[0] == '"' {
		// Some PHP back ends send the object JSON-encoded inside a string.
		var s string
		if err := json.Unmarshal(data, &s); err == nil {
			data = bytes.TrimSpace([]byte(s))
		}
	}
	if len(data) == 0 || data[0] != '{' {
		return nil, c.tc.StatusError(resp, "code 200 without a data object")
	}
	var d miniData
	if err := json.Unmarshal(data, &d); err != nil {
		return nil, c.tc.StatusError(resp, "data: "+err.Error())
	}
	for _, f := range []struct {
		name string
		v    flex.String
	}{{"timeStamp", d.TimeStamp}, {"nonceStr", d.NonceStr}, {"package", d.Package}, {"paySign", d.PaySign}} {
		if f.v == "" {
			return nil, c.tc.StatusError(resp, "data without "+f.name)
		}
	}
	return &MiniProgramPayment{
		TimeStamp: string(d.TimeStamp),
		NonceStr:  string(d.NonceStr),
		Package:   string(d.Package),
		SignType:  string(d.SignType),
		PaySign:   string(d.PaySign),
		Raw:       append(json.RawMessage(nil), data...),
	}, nil
}
