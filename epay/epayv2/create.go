package epayv2

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/epaykit/epaykit/internal/flex"
)

// PayType says what the pay_info of a created payment holds.
type PayType string

// Pay types of api/pay/create.
const (
	PayTypeJump      PayType = "jump"      // pay_info is a URL to send the buyer to
	PayTypeHTML      PayType = "html"      // pay_info is HTML to write into the buyer's page
	PayTypeQRCode    PayType = "qrcode"    // pay_info is a payment link to show as a QR code
	PayTypeURLScheme PayType = "urlscheme" // pay_info is an app link to open on the buyer's device
	PayTypeJSAPI     PayType = "jsapi"     // pay_info is JSON parameters for the in-app JS bridge
	PayTypeApp       PayType = "app"       // pay_info is the parameters or order string for an app SDK
	PayTypeScan      PayType = "scan"      // the buyer's code was charged: pay_info describes the result
	PayTypeWxPlugin  PayType = "wxplugin"  // pay_info is JSON for the WeChat mini program plugin
	PayTypeWxApp     PayType = "wxapp"     // pay_info is JSON (or a URL) to open a WeChat mini program
)

// Methods of api/pay/create (the method field): how the merchant will
// present the payment.
const (
	MethodWeb    = "web"    // the gateway picks from device: jump, qrcode or urlscheme
	MethodJump   = "jump"   // always a URL to send the buyer to
	MethodJSAPI  = "jsapi"  // inside WeChat or Alipay: needs SubOpenID
	MethodApp    = "app"    // an app SDK payment
	MethodScan   = "scan"   // charge a code shown by the buyer: needs AuthCode
	MethodApplet = "applet" // a WeChat mini program
)

// CreateRequest creates a payment through api/pay/create.
type CreateRequest struct {
	Type       string // pay type, such as epay.TypeAlipay
	OutTradeNo string // required: the merchant's order number, at most 64 bytes of [A-Za-z0-9._-|]
	NotifyURL  string // required: absolute http(s) URL without a query string
	ReturnURL  string // optional: absolute http(s) URL the buyer returns to
	Name       string // required: product name, at most 127 bytes
	Money      string // required: amount in yuan, such as "9.99" (see epay.ValidateMoney)
	ClientIP   string // required: the buyer's IP address
	Device     string // optional: epay.DevicePC (the default), epay.DeviceMobile, ...
	Param      string // optional: passed back in the notification
	Method     string // optional: MethodWeb (the default), MethodJump, MethodJSAPI, ...
	AuthCode   string // MethodScan: the code the buyer shows
	SubOpenID  string // MethodJSAPI and MethodApplet: the buyer's openid or user id
	SubAppID   string // MethodJSAPI and MethodApplet: the app id of SubOpenID

	// Extra holds any further field the gateway supports (channel_id, ...).
	// It is signed like the others; it must not repeat a field above or
	// set pid, timestamp, sign or sign_type.
	Extra map[string]string
}

var createFields = []string{"type", "out_trade_no", "notify_url", "return_url", "name", "money", "clientip",
	"device", "param", "method", "auth_code", "sub_openid", "sub_appid"}

func (r *CreateRequest) validate() error {
	if err := validNo("out_trade_no", r.OutTradeNo); err != nil {
		return err
	}
	if err := validMoney("money", r.Money); err != nil {
		return err
	}
	if err := validName(r.Name); err != nil {
		return err
	}
	if err := validURL("notify_url", r.NotifyURL, true); err != nil {
		return err
	}
	if r.ReturnURL != "" {
		if err := validURL("return_url", r.ReturnURL, false); err != nil {
			return err
		}
	}
	if err := validIP(r.ClientIP); err != nil {
		return err
	}
	for _, f := range []struct{ name, v string }{
		{"type", r.Type}, {"device", r.Device}, {"param", r.Param}, {"method", r.Method},
		{"auth_code", r.AuthCode}, {"sub_openid", r.SubOpenID}, {"sub_appid", r.SubAppID},
	} {
		if err := validText(f.name, f.v); err != nil {
			return err
		}
	}
	switch {
	case r.Method == MethodScan && r.AuthCode == "":
		return fieldErr("auth_code", "required with method scan")
	case r.Method == MethodJSAPI && r.SubOpenID == "":
		return fieldErr("sub_openid", "required with method jsapi")
	}
	return validExtra(r.Extra, createFields)
}

func (r *CreateRequest) params() map[string]string {
	p := make(map[string]string, len(createFields)+len(r.Extra)+4)
	for k, v := range r.Extra {
		p[k] = v
	}
	for k, v := range map[string]string{
		"type": r.Type, "out_trade_no": r.OutTradeNo, "notify_url": r.NotifyURL, "return_url": r.ReturnURL,
		"name": r.Name, "money": r.Money, "clientip": r.ClientIP, "device": r.Device, "param": r.Param,
		"method": r.Method, "auth_code": r.AuthCode, "sub_openid": r.SubOpenID, "sub_appid": r.SubAppID,
	} {
		if v != "" {
			p[k] = v
		}
	}
	return p
}

// CreateResult is a created payment. PayType says what PayInfo holds; the
// accessors URL, HTML, JSAPI and App return it in a usable form.
type CreateResult struct {
	TradeNo string  // the gateway's order number
	PayType PayType // what PayInfo holds
	// PayInfo is the payment data as the gateway sent it: a URL, HTML, or
	// JSON text (an object sent as JSON is kept as its compact text).
	PayInfo string
}

// URL returns PayInfo for the pay types whose data is a link: jump (send
// the buyer there), qrcode (show as a QR code) and urlscheme (open on the
// buyer's device). Other pay types are an error.
func (r *CreateResult) URL() (string, error) {
	switch r.PayType {
	case PayTypeJump, PayTypeQRCode, PayTypeURLScheme:
		return r.PayInfo, nil
	}
	return "", fmt.Errorf("epayv2: pay_type %.20q carries no URL", r.PayType)
}

// HTML returns PayInfo for pay type html: markup to write into the buyer's
// page (usually an auto-submitting form).
func (r *CreateResult) HTML() (string, error) {
	if r.PayType != PayTypeHTML {
		return "", fmt.Errorf("epayv2: pay_type %.20q carries no HTML", r.PayType)
	}
	return r.PayInfo, nil
}

// JSAPI decodes PayInfo for pay types jsapi, wxplugin and wxapp: the
// parameters to hand to the in-app JS bridge (WeixinJSBridge's appId,
// timeStamp, nonceStr, package, signType, paySign, or Alipay's tradeNO), as
// strings. Numbers and booleans are kept as their JSON text; nested values
// as compact JSON.
func (r *CreateResult) JSAPI() (map[string]string, error) {
	switch r.PayType {
	case PayTypeJSAPI, PayTypeWxPlugin, PayTypeWxApp:
		m, err := decodeParams(r.PayInfo)
		if err != nil {
			return nil, fmt.Errorf("epayv2: pay_info of pay_type %s: %w", r.PayType, err)
		}
		return m, nil
	}
	return nil, fmt.Errorf("epayv2: pay_type %.20q carries no JSAPI parameters", r.PayType)
}

// AppPayment is the data an app SDK needs to start a payment: WeChat Pay's
// parameters (Params), or Alipay's signed order string (OrderString).
type AppPayment struct {
	Params      map[string]string // set when pay_info is a JSON object
	OrderString string            // set when pay_info is not JSON
}

// App returns PayInfo for pay type app: a JSON object becomes Params, any
// other text is the OrderString.
func (r *CreateResult) App() (*AppPayment, error) {
	if r.PayType != PayTypeApp {
		return nil, fmt.Errorf("epayv2: pay_type %.20q carries no app payment", r.PayType)
	}
	if b := bytes.TrimSpace([]byte(r.PayInfo)); len(b) > 0 && b[0] == '{' {
		m, err := decodeParams(r.PayInfo)
		if err != nil {
			return nil, fmt.Errorf("epayv2: pay_info of pay_type app: %w", err)
		}
		return &AppPayment{Params: m}, nil
	}
	if r.PayInfo == "" {
		return nil, errors.New("epayv2: pay_info of pay_type app is empty")
	}
	return &AppPayment{OrderString: r.PayInfo}, nil
}

// decodeParams decodes a JSON object into strings.
func decodeParams(s string) (map[string]string, error) {
	var members map[string]json.RawMessage
	if err := json.Unmarshal([]byte(s), &members); err != nil || members == nil {
		return nil, errors.New("not a JSON object")
	}
	m, err := AnswerFields(members)
	if err != nil {
		return nil, err
	}
	for k, raw := range members {
		if b := bytes.TrimSpace(raw); len(b) > 0 && (b[0] == 't' || b[0] == 'f') {
			m[k] = string(b) // true/false as written, not PHP's "1"/""
		}
	}
	return m, nil
}

type createJSON struct {
	TradeNo flex.String     `json:"trade_no"`
	PayType flex.String     `json:"pay_type"`
	PayInfo json.RawMessage `json:"pay_info"`
}

// Create validates r and creates the payment with a POST to api/pay/create.
//
// Create is retried on connection failures and HTTP 429/502/503/504: the
// gateway keys orders by out_trade_no, so the same request returns the same
// order. A refusal is an *APIError; an unsigned or badly signed answer is
// ErrBadResponseSignature.
func (c *Client) Create(ctx context.Context, r *CreateRequest) (*CreateResult, error) {
	if err := c.ready(); err != nil {
		return nil, err
	}
	if r == nil {
		return nil, errors.New("epayv2: nil *CreateRequest")
	}
	if err := r.validate(); err != nil {
		return nil, err
	}
	a, err := c.post(ctx, pathCreate, r.params(), false)
	if err != nil {
		return nil, err
	}
	var out createJSON
	if err := c.decode(a, &out); err != nil {
		return nil, err
	}
	info, err := answerValue(out.PayInfo)
	if len(out.PayInfo) == 0 || err != nil {
		info = ""
	}
	if out.TradeNo == "" || out.PayType == "" {
		return nil, c.tc.StatusError(a.resp, "success answer without trade_no or pay_type")
	}
	return &CreateResult{TradeNo: string(out.TradeNo), PayType: PayType(out.PayType), PayInfo: info}, nil
}
