package epayv2

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/epaykit/epaykit/epay"
	"github.com/epaykit/epaykit/sign"
)

// MaxNotificationBody is the largest POST body ParseNotificationRequest
// reads.
const MaxNotificationBody = 64 << 10

// SuccessReply is the body a merchant answers a notification with once it
// has recorded the payment. Any other answer makes the gateway retry.
const SuccessReply = epay.SuccessReply

// TradeSuccess is the trade_status of a paid order's notification.
const TradeSuccess = epay.TradeSuccess

// ErrMethodNotAllowed is returned by ParseNotificationRequest for a request
// that is neither GET nor POST.
var ErrMethodNotAllowed = errors.New("epayv2: notification method not allowed, want GET or POST")

// Notification is a verified V2 notification (or return) from the gateway.
type Notification struct {
	PID         string
	TradeNo     string // the gateway's order number
	OutTradeNo  string // the merchant's order number
	APITradeNo  string // the payment channel's number, when sent
	Type        string // pay type
	Name        string // the gateway's stored copy of the name: do not match orders by it
	Money       string // amount as the gateway formatted it: compare Cents
	TradeStatus string // TradeSuccess when paid
	Param       string
	Buyer       string
	Timestamp   int64 // unix seconds at which the gateway signed it
	// Raw holds every received field, sign and sign_type included. It is the
	// Notification's own copy.
	Raw map[string]string
}

// Paid reports whether the notification says the order is paid
// (trade_status TRADE_SUCCESS).
func (n *Notification) Paid() bool { return n != nil && n.TradeStatus == TradeSuccess }

// Cents returns the amount in cents (see epay.ParseMoney), to compare with
// the stored order's amount.
func (n *Notification) Cents() (int64, error) { return epay.ParseMoney(n.Money) }

var requiredFields = []string{"trade_no", "out_trade_no", "money", "trade_status"}

// ParseNotification verifies the fields of a V2 notification (the decoded
// query string or form) and returns it. The checks, in order:
//
//   - no parameter occurs twice (ErrDuplicateParam);
//   - sign is present (ErrMissingSign);
//   - sign_type is RSA (ErrSignType);
//   - the signature over every received field verifies with the platform
//     key (ErrBadSignature);
//   - timestamp is unix seconds within the allowed skew of the client's
//     clock (ErrTimestamp);
//   - pid is this client's (ErrPIDMismatch);
//   - trade_no, out_trade_no, money and trade_status are present
//     (ErrMissingField, naming the field).
//
// A verified notification whose trade_status is not TRADE_SUCCESS is
// returned without error; its Paid reports false. v is not modified.
//
// Before crediting the order the merchant must still check that
// OutTradeNo is a known order and Cents equals its amount, and treat
// repeats as one.
func (c *Client) ParseNotification(v url.Values) (*Notification, error) {
	if err := c.ready(); err != nil {
		return nil, err
	}
	m, err := sign.Flatten(v)
	if err != nil {
		return nil, fmt.Errorf("epayv2: notification: %w", err)
	}
	return c.verifyMap(m)
}

func (c *Client) verifyMap(m map[string]string) (*Notification, error) {
	const what = "notification"
	if m["sign"] == "" {
		return nil, fmt.Errorf("%w in %s", ErrMissingSign, what)
	}
	if st := m["sign_type"]; !strings.EqualFold(st, "RSA") {
		return nil, fmt.Errorf("%w in %s: got %.20q", ErrSignType, what, st)
	}
	if !sign.VerifyRSA(m, c.platform) {
		return nil, fmt.Errorf("%w in %s", ErrBadSignature, what)
	}
	if err := c.checkTime(m["timestamp"], what); err != nil {
		return nil, err
	}
	if pid := m["pid"]; pid != c.pid {
		return nil, fmt.Errorf("%w in %s: got %.40q, want %q", ErrPIDMismatch, what, pid, c.pid)
	}
	for _, f := range requiredFields {
		if m[f] == "" {
			return nil, fmt.Errorf("%w %s in %s", ErrMissingField, f, what)
		}
	}
	ts, _ := strconv.ParseInt(m["timestamp"], 10, 64)
	return &Notification{
		PID: m["pid"], TradeNo: m["trade_no"], OutTradeNo: m["out_trade_no"], APITradeNo: m["api_trade_no"],
		Type: m["type"], Name: m["name"], Money: m["money"], TradeStatus: m["trade_status"], Param: m["param"],
		Buyer: m["buyer"], Timestamp: ts, Raw: m,
	}, nil
}

// ParseNotificationRequest reads and verifies a notification request: the
// query string of a GET, or the urlencoded form body of a POST (at most
// MaxNotificationBody bytes). The two are never merged: a POST whose query
// string carries a field of the body, or a signed field, is rejected. Other
// methods fail with ErrMethodNotAllowed. The checks are ParseNotification's.
//
// The request is not modified, but a POST body is consumed. Frameworks that
// read the body themselves should call ParseNotification with the form.
func (c *Client) ParseNotificationRequest(r *http.Request) (*Notification, error) {
	if err := c.ready(); err != nil {
		return nil, err
	}
	if r == nil || r.URL == nil {
		return nil, errors.New("epayv2: nil notification request")
	}
	switch r.Method {
	case http.MethodGet, "":
		m, err := parseForm(r.URL.RawQuery, "query string")
		if err != nil {
			return nil, err
		}
		return c.verifyMap(m)
	case http.MethodPost:
		m, err := readBody(r)
		if err != nil {
			return nil, err
		}
		if r.URL.RawQuery != "" {
			q, err := url.ParseQuery(r.URL.RawQuery)
			if err != nil {
				return nil, errors.New("epayv2: notification: malformed query string")
			}
			for k := range q {
				if _, inBody := m[k]; inBody || isSignedField(k) {
					return nil, fmt.Errorf("epayv2: notification: POST with field %.40q in the query string", k)
				}
			}
		}
		return c.verifyMap(m)
	}
	return nil, fmt.Errorf("%w: got %.10q", ErrMethodNotAllowed, r.Method)
}

func isSignedField(k string) bool {
	switch k {
	case "pid", "trade_no", "out_trade_no", "api_trade_no", "type", "name", "money", "trade_status",
		"param", "buyer", "timestamp", "sign", "sign_type":
		return true
	}
	return false
}

// parseForm decodes a query string or urlencoded body into a map; a
// repeated parameter is a *sign.DuplicateParamError.
func parseForm(raw, what string) (map[string]string, error) {
	v, err := url.ParseQuery(raw)
	if err != nil {
		return nil, errors.New("epayv2: notification: malformed " + what)
	}
	m, err := sign.Flatten(v)
	if err != nil {
		return nil, fmt.Errorf("epayv2: notification: %w", err)
	}
	return m, nil
}

// readBody reads a POST body as an urlencoded form without touching r.Form.
func readBody(r *http.Request) (map[string]string, error) {
	if r.Body == nil || r.Body == http.NoBody {
		return map[string]string{}, nil
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxNotificationBody+1))
	if err != nil {
		return nil, fmt.Errorf("epayv2: notification: reading the body: %w", err)
	}
	if len(body) > MaxNotificationBody {
		return nil, errors.New("epayv2: notification body larger than 64 KiB")
	}
	ct := r.Header.Get("Content-Type")
	mt, _, _ := mime.ParseMediaType(ct)
	switch mt {
	case "", "application/x-www-form-urlencoded", "text/plain":
		return parseForm(string(body), "form body")
	}
	return nil, fmt.Errorf("epayv2: notification: unsupported Content-Type %.60q, want application/x-www-form-urlencoded", ct)
}
