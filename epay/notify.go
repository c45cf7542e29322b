package epay

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"

	"github.com/epaykit/epaykit/internal/fields"
	"github.com/epaykit/epaykit/sign"
)

// MaxNotificationBody is the largest POST body ParseNotificationRequest
// reads.
const MaxNotificationBody = 64 << 10

// ErrMethodNotAllowed is returned by ParseNotificationRequest for a request
// that is neither GET nor POST.
var ErrMethodNotAllowed = errors.New("epay: notification method not allowed, want GET or POST")

// ErrBodyTooLarge is returned by ParseNotificationRequest for a POST body
// larger than MaxNotificationBody.
var ErrBodyTooLarge = errors.New("epay: notification body larger than 64 KiB")

// Notification is a verified notification (or return) from the gateway.
type Notification struct {
	PID         string
	TradeNo     string // the gateway's order number
	OutTradeNo  string // the merchant's order number
	Type        string // pay type
	Name        string // the gateway's stored copy of the name: do not match orders by it
	Money       string // amount as the gateway re-formatted it ("1", "10.5", "10.0000"): compare Cents
	TradeStatus string // TradeSuccess when paid
	Param       string
	// Raw holds every received field, sign and sign_type included. It is the
	// Notification's own copy.
	Raw map[string]string
}

// Paid reports whether the notification says the order is paid
// (trade_status TRADE_SUCCESS).
func (n *Notification) Paid() bool { return n != nil && n.TradeStatus == TradeSuccess }

// Cents returns the amount in cents (see ParseMoney), to compare with the
// stored order's amount.
func (n *Notification) Cents() (int64, error) { return ParseMoney(n.Money) }

// ParseNotification verifies the fields of a notification (the decoded
// query string or form) and returns it. The checks, in order:
//
//   - no parameter occurs twice (ErrDuplicateParam);
//   - sign is present (ErrMissingSign);
//   - sign_type is absent or MD5 in any case (ErrSignType);
//   - the signature over every received field verifies (ErrBadSignature);
//   - pid is this client's (ErrPIDMismatch);
//   - trade_no, out_trade_no, money and trade_status are present
//     (ErrMissingField, naming the field).
//
// A verified notification whose trade_status is not TRADE_SUCCESS is
// returned without error; its Paid reports false. v is not modified.
//
// Before crediting the order the merchant must still check that
// OutTradeNo is a known order and Cents equals its amount, and treat
// repeats (the gateway re-sends until it reads SuccessReply) as one.
func (c *Client) ParseNotification(v url.Values) (*Notification, error) {
	return c.verify(v, "notification")
}

// VerifyReturn verifies the query of the buyer's return to return_url with
// the checks of ParseNotification. Show the result to the buyer, but credit
// orders only from the notification or QueryOrder.
func (c *Client) VerifyReturn(v url.Values) (*Notification, error) {
	return c.verify(v, "return")
}

func (c *Client) verify(v url.Values, what string) (*Notification, error) {
	if err := c.ready(); err != nil {
		return nil, err
	}
	// A name with several values gives neighbouring fields, which
	// verifyFields rejects as duplicates.
	var stack [fields.OnStack]fields.Field
	return c.verifyFields(fields.FromValues(stack[:0], v), what)
}

// verifyFields runs the checks of ParseNotification on the received fields,
// sorting fs in place.
func (c *Client) verifyFields(fs []fields.Field, what string) (*Notification, error) {
	fields.Sort(fs)
	if k, dup := fields.Duplicate(fs); dup {
		return nil, fmt.Errorf("epay: %s: %w", what, &sign.DuplicateParamError{Key: k})
	}
	n := &Notification{}
	var sig, signType string
	for _, f := range fs {
		switch f.Name {
		case "sign":
			sig = f.Value
		case "sign_type":
			signType = f.Value
		case "pid":
			n.PID = f.Value
		case "trade_no":
			n.TradeNo = f.Value
		case "out_trade_no":
			n.OutTradeNo = f.Value
		case "type":
			n.Type = f.Value
		case "name":
			n.Name = f.Value
		case "money":
			n.Money = f.Value
		case "trade_status":
			n.TradeStatus = f.Value
		case "param":
			n.Param = f.Value
		}
	}
	if sig == "" {
		return nil, fmt.Errorf("%w in %s", ErrMissingSign, what)
	}
	if signType != "" && !strings.EqualFold(signType, "MD5") {
		return nil, fmt.Errorf("%w %.20q in %s", ErrSignType, signType, what)
	}
	if !fields.VerifyEpay(fs, c.key, sig) {
		return nil, fmt.Errorf("%w in %s", ErrBadSignature, what)
	}
	if n.PID != c.pid {
		return nil, fmt.Errorf("%w in %s: got %.40q, want %q", ErrPIDMismatch, what, n.PID, c.pid)
	}
	for _, f := range [...]struct{ name, value string }{
		{"trade_no", n.TradeNo}, {"out_trade_no", n.OutTradeNo}, {"money", n.Money}, {"trade_status", n.TradeStatus},
	} {
		if f.value == "" {
			return nil, fmt.Errorf("%w %s in %s", ErrMissingField, f.name, what)
		}
	}
	n.Raw = fields.Map(fs)
	return n, nil
}

// ParseNotificationRequest reads and verifies a notification request: the
// query string of a GET, or the form body of a POST (urlencoded or
// multipart, at most MaxNotificationBody bytes). The two are never merged: a
// POST whose query string carries a notification field is rejected. Other
// methods fail with ErrMethodNotAllowed. The checks are ParseNotification's.
//
// The request is not modified, but a POST body is consumed. Frameworks that
// read the body themselves should call ParseNotification with the form.
func (c *Client) ParseNotificationRequest(r *http.Request) (*Notification, error) {
	if err := c.ready(); err != nil {
		return nil, err
	}
	if r == nil || r.URL == nil {
		return nil, errors.New("epay: nil notification request")
	}
	var stack [fields.OnStack]fields.Field
	switch r.Method {
	case http.MethodGet, "":
		fs, err := fields.ParseQuery(stack[:0], r.URL.RawQuery)
		if err != nil {
			return nil, errors.New("epay: notification: malformed query string")
		}
		return c.verifyFields(fs, "notification")
	case http.MethodPost:
		fs, err := readForm(stack[:0], r)
		if err != nil {
			return nil, err
		}
		q, err := url.ParseQuery(r.URL.RawQuery)
		if err != nil {
			return nil, errors.New("epay: notification: malformed query string")
		}
		for k := range q {
			if _, inBody := fields.Get(fs, k); inBody || isNotificationField(k) {
				return nil, fmt.Errorf("epay: notification: POST with field %.40q in the query string", k)
			}
		}
		return c.verifyFields(fs, "notification")
	}
	return nil, fmt.Errorf("%w: got %.10q", ErrMethodNotAllowed, r.Method)
}

func isNotificationField(k string) bool {
	switch k {
	case "pid", "trade_no", "out_trade_no", "type", "name", "money", "trade_status", "param", "sign", "sign_type":
		return true
	}
	return false
}

// readForm appends the fields of a POST body to dst without touching
// r.Form.
func readForm(dst []fields.Field, r *http.Request) ([]fields.Field, error) {
	if r.Body == nil || r.Body == http.NoBody {
		return dst, nil
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxNotificationBody+1))
	if err != nil {
		return nil, fmt.Errorf("epay: notification: reading the body: %w", err)
	}
	if len(body) > MaxNotificationBody {
		return nil, ErrBodyTooLarge
	}
	ct := r.Header.Get("Content-Type")
	mt, params, _ := mime.ParseMediaType(ct)
	switch mt {
	case "", "application/x-www-form-urlencoded", "text/plain":
		fs, err := fields.ParseQuery(dst, string(body))
		if err != nil {
			return nil, errors.New("epay: notification: malformed form body")
		}
		return fs, nil
	case "multipart/form-data":
		if params["boundary"] == "" {
			return nil, errors.New("epay: notification: multipart body without boundary")
		}
		f, err := multipart.NewReader(bytes.NewReader(body), params["boundary"]).ReadForm(MaxNotificationBody)
		if err != nil {
			return nil, errors.New("epay: notification: malformed multipart body")
		}
		defer f.RemoveAll()
		if len(f.File) > 0 {
			return nil, errors.New("epay: notification: multipart body with a file")
		}
		return fields.FromValues(dst, f.Value), nil
	}
	return nil, fmt.Errorf("epay: notification: unsupported Content-Type %.60q", ct)
}
