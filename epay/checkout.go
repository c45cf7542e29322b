package epay

import (
	"errors"
	"html/template"
	"net/url"
	"strings"

	"github.com/epaykit/epaykit/internal/fields"
	"github.com/epaykit/epaykit/internal/form"
)

// CheckoutRequest is a browser checkout through submit.php: the buyer's
// browser is sent to the gateway with these signed fields.
type CheckoutRequest struct {
	Type       string // pay type, such as TypeAlipay; empty lets the gateway's cashier page ask
	OutTradeNo string // required: the merchant's order number, at most 64 bytes of [A-Za-z0-9._-|]
	NotifyURL  string // required: absolute http(s) URL without a query string
	ReturnURL  string // required: absolute http(s) URL the buyer returns to
	Name       string // required: product name, at most 127 bytes
	Money      string // required: amount in yuan, such as "9.99" (see ValidateMoney)
	Param      string // optional: passed back in the notification
	// Extra holds any further field the gateway supports (channel_id,
	// sitename, money_type, device, ...). It is signed like the others; it
	// must not repeat a field above or set pid, sign or sign_type.
	Extra map[string]string
}

// wire is the form of submit.php and mapi.php, in the gateway's names.
type wire struct {
	PID                 string `url:"pid"`
	Type                string `url:"type,omitempty"`
	OutTradeNo          string `url:"out_trade_no"`
	NotifyURL           string `url:"notify_url"`
	ReturnURL           string `url:"return_url,omitempty"`
	Name                string `url:"name"`
	Money               string `url:"money"`
	ClientIP            string `url:"clientip,omitempty"`
	Device              string `url:"device,omitempty"`
	Param               string `url:"param,omitempty"`
	MoneyType           string `url:"money_type,omitempty"`
	DisplayMerchantName string `url:"display_merchant_name,omitempty"`
	ChannelParam        string `url:"channel_param,omitempty"`
}

var checkoutFields = []string{"type", "out_trade_no", "notify_url", "return_url", "name", "money", "param"}

func (r *CheckoutRequest) validate() error {
	if err := validOrder(r.OutTradeNo, r.Money, r.Name, r.NotifyURL, r.ReturnURL, true); err != nil {
		return err
	}
	if err := validTexts("type", r.Type, "param", r.Param); err != nil {
		return err
	}
	return validExtra(r.Extra, checkoutFields)
}

// validOrder checks the fields a checkout and a create share. return_url is
// required for a browser checkout, optional for a server-to-server create.
func validOrder(outTradeNo, money, name, notifyURL, returnURL string, returnRequired bool) error {
	if err := validOutTradeNo(outTradeNo); err != nil {
		return err
	}
	if err := validMoney("money", money); err != nil {
		return err
	}
	if err := validName(name); err != nil {
		return err
	}
	if err := validURL("notify_url", notifyURL, true); err != nil {
		return err
	}
	if returnURL != "" || returnRequired {
		return validURL("return_url", returnURL, false)
	}
	return nil
}

// validTexts checks free-text fields given as name, value pairs.
func validTexts(pairs ...string) error {
	for i := 0; i+1 < len(pairs); i += 2 {
		if err := validText(pairs[i], pairs[i+1]); err != nil {
			return err
		}
	}
	return nil
}

// signed appends the fields of w and extra to dst with sign and sign_type,
// sorted by name.
func (c *Client) signed(dst []fields.Field, w *wire, extra map[string]string) ([]fields.Field, error) {
	w.PID = c.pid
	fs, err := form.Fields(dst, w, extra)
	if err != nil {
		return nil, errors.New("epay: " + err.Error())
	}
	sum := fields.SumEpay(fs, c.key)
	fs = fields.Insert(fs, fields.Field{Name: "sign", Value: string(sum[:])})
	return fields.Insert(fs, fields.Field{Name: "sign_type", Value: "MD5"}), nil
}

// CheckoutValues validates r and returns the signed fields of a submit.php
// checkout (with pid, sign and sign_type=MD5), for a POST form of the
// merchant's own making.
func (c *Client) CheckoutValues(r *CheckoutRequest) (url.Values, error) {
	var buf [fields.OnStack]fields.Field
	fs, err := c.checkoutFields(buf[:0], r)
	if err != nil {
		return nil, err
	}
	return fields.Values(fs), nil
}

// checkoutFields validates r and appends its signed fields to dst.
func (c *Client) checkoutFields(dst []fields.Field, r *CheckoutRequest) ([]fields.Field, error) {
	if err := c.ready(); err != nil {
		return nil, err
	}
	if r == nil {
		return nil, errors.New("epay: nil *CheckoutRequest")
	}
	if err := r.validate(); err != nil {
		return nil, err
	}
	return c.signed(dst, &wire{
		Type: r.Type, OutTradeNo: r.OutTradeNo, NotifyURL: r.NotifyURL, ReturnURL: r.ReturnURL,
		Name: r.Name, Money: r.Money, Param: r.Param,
	}, r.Extra)
}

// CheckoutURL validates r and returns the submit.php URL with the signed
// fields in its query string, to redirect the buyer's browser to.
func (c *Client) CheckoutURL(r *CheckoutRequest) (string, error) {
	var buf [fields.OnStack]fields.Field
	fs, err := c.checkoutFields(buf[:0], r)
	if err != nil {
		return "", err
	}
	return c.endpoint("submit.php") + "?" + string(fields.Encode(fs)), nil
}

var checkoutPage = template.Must(template.New("checkout").Parse(`<!DOCTYPE html>
<html>
<head><meta charset="utf-8"><meta name="robots" content="noindex"><title>Redirecting to payment</title></head>
<body>
<form id="epay-checkout" method="post" action="{{.Action}}" accept-charset="utf-8">
{{range .Fields}}<input type="hidden" name="{{.Name}}" value="{{.Value}}">
{{end}}<noscript><button type="submit">Continue to payment</button></noscript>
</form>
<script>document.getElementById("epay-checkout").submit();</script>
</body>
</html>
`))

// CheckoutForm validates r and returns a complete HTML document with a form
// that posts the signed fields to submit.php as soon as it loads (with a
// button when scripts are off). Every value is HTML-escaped. A page with a
// Content-Security-Policy that forbids inline scripts needs its own form
// built from CheckoutValues.
func (c *Client) CheckoutForm(r *CheckoutRequest) (string, error) {
	fs, err := c.checkoutFields(nil, r)
	if err != nil {
		return "", err
	}
	data := struct {
		Action string
		Fields []fields.Field
	}{Action: c.endpoint("submit.php"), Fields: fs}
	var b strings.Builder
	if err := checkoutPage.Execute(&b, data); err != nil {
		return "", errors.New("epay: rendering the checkout form: " + err.Error())
	}
	return b.String(), nil
}
