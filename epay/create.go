package epay

import (
	"context"
	"errors"

	"github.com/epaykit/epaykit/internal/fields"
	"github.com/epaykit/epaykit/internal/flex"
	"github.com/epaykit/epaykit/internal/transport"
)

// CreateRequest creates a payment server to server through mapi.php.
type CreateRequest struct {
	Type       string // pay type, such as TypeAlipay
	OutTradeNo string // required: the merchant's order number, at most 64 bytes of [A-Za-z0-9._-|]
	NotifyURL  string // required: absolute http(s) URL without a query string
	ReturnURL  string // optional: absolute http(s) URL the buyer returns to
	Name       string // required: product name, at most 127 bytes
	Money      string // required: amount in yuan, such as "9.99" (see ValidateMoney)
	ClientIP   string // required: the buyer's IP address
	Device     string // optional: DevicePC (the gateway's default), DeviceMobile, ...
	Param      string // optional: passed back in the notification

	MoneyType           string // Kyren: currency
	DisplayMerchantName string // Kyren: merchant name shown on its payment pages
	ChannelParam        string // Kyren: channel data, a JSON string, signed as sent

	// Extra holds any further field the gateway supports. It is signed like
	// the others; it must not repeat a field above or set pid, sign or
	// sign_type.
	Extra map[string]string
}

var createFields = []string{"type", "out_trade_no", "notify_url", "return_url", "name", "money", "clientip",
	"device", "param", "money_type", "display_merchant_name", "channel_param"}

func (r *CreateRequest) validate() error {
	if err := validOrder(r.OutTradeNo, r.Money, r.Name, r.NotifyURL, r.ReturnURL, false); err != nil {
		return err
	}
	if err := validIP(r.ClientIP); err != nil {
		return err
	}
	if err := validTexts("type", r.Type, "device", r.Device, "param", r.Param, "money_type", r.MoneyType,
		"display_merchant_name", r.DisplayMerchantName, "channel_param", r.ChannelParam); err != nil {
		return err
	}
	return validExtra(r.Extra, createFields)
}

// CreateResult is a created payment. Which field to use depends on the pay
// type, the device and the gateway: Action tells.
type CreateResult struct {
	TradeNo    string // the gateway's order number
	OutTradeNo string // the merchant's order number (Kyren echoes it)
	PayURL     string // a page to redirect the buyer to
	QRCode     string // a payment link to show as a QR code
	URLScheme  string // an app link to open on the buyer's device
	HTML       string // HTML to write into the buyer's page
	Img        string // URL of a QR code image (Kyren)
}

// Action returns which field the merchant should use and its value, in the
// order PayURL, QRCode, URLScheme, HTML, Img (Kyren sends several at once;
// PayURL leads to a page that offers the others). It returns ActionNone and
// "" when no field is set.
func (r *CreateResult) Action() (Action, string) {
	switch {
	case r == nil:
		return ActionNone, ""
	case r.PayURL != "":
		return ActionPayURL, r.PayURL
	case r.QRCode != "":
		return ActionQRCode, r.QRCode
	case r.URLScheme != "":
		return ActionURLScheme, r.URLScheme
	case r.HTML != "":
		return ActionHTML, r.HTML
	case r.Img != "":
		return ActionImg, r.Img
	}
	return ActionNone, ""
}

type createResponse struct {
	envelope
	TradeNo    flex.String `json:"trade_no"`
	OutTradeNo flex.String `json:"out_trade_no"`
	PayURL     flex.String `json:"payurl"`
	QRCode     flex.String `json:"qrcode"`
	URLScheme  flex.String `json:"urlscheme"`
	HTML       flex.String `json:"html"`
	Img        flex.String `json:"img"`
}

// Create validates r and creates the payment with a POST to mapi.php.
//
// Create is retried on connection failures and HTTP 429/502/503/504: the
// gateway keys orders by out_trade_no, so the same request returns the same
// order. A refusal is an *APIError (match ErrIPNotAllowed, ErrBadSignature,
// ErrOrderExists, ... with errors.Is); an answer that is not JSON is an
// *HTTPError.
func (c *Client) Create(ctx context.Context, r *CreateRequest) (*CreateResult, error) {
	if err := c.ready(); err != nil {
		return nil, err
	}
	if r == nil {
		return nil, errors.New("epay: nil *CreateRequest")
	}
	if err := r.validate(); err != nil {
		return nil, err
	}
	var buf [fields.OnStack]fields.Field
	fs, err := c.signed(buf[:0], &wire{
		Type: r.Type, OutTradeNo: r.OutTradeNo, NotifyURL: r.NotifyURL, ReturnURL: r.ReturnURL,
		Name: r.Name, Money: r.Money, ClientIP: r.ClientIP, Device: r.Device, Param: r.Param,
		MoneyType: r.MoneyType, DisplayMerchantName: r.DisplayMerchantName, ChannelParam: r.ChannelParam,
	}, r.Extra)
	if err != nil {
		return nil, err
	}
	var out createResponse
	resp, err := c.call(ctx, &transport.Request{Method: "POST", URL: c.endpoint("mapi.php"), Form: fs}, &out)
	if err != nil {
		return nil, err
	}
	if err := c.check(resp, &out.envelope, "mapi.php"); err != nil {
		return nil, err
	}
	res := &CreateResult{
		TradeNo: string(out.TradeNo), OutTradeNo: string(out.OutTradeNo), PayURL: string(out.PayURL),
		QRCode: string(out.QRCode), URLScheme: string(out.URLScheme), HTML: string(out.HTML), Img: string(out.Img),
	}
	if a, _ := res.Action(); a == ActionNone {
		return nil, c.tc.StatusError(resp, "success answer without payurl, qrcode, urlscheme, html or img")
	}
	return res, nil
}
