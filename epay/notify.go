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

var requiredFields = []string{"trade_no", "out_trade_no", "money", "trade_status"}

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
	m, err := sign.Flatten(v)
	if err != nil {
		return nil, fmt.Errorf("epay: %s: %w", what, err)
	}
	return c.verifyMap(m, what)
}

func (c *Client) verifyMap(m map[string]string, what string) (*Notification, error) {
	if m["sign"] == "" {
		return nil, fmt.Errorf("%w in %s", ErrMissingSign, what)
	}
	if st, ok := m["sign_type"]; ok && st != "" && !strings.EqualFold(st, "MD5") {
		return nil, fmt.Errorf("%w %.20q in %s", ErrSignType, st, what)
	}
	if !sign.VerifyEpay(m, c.key) {
		return nil, fmt.Errorf("%w in %s", ErrBadSignature, what)
	}
	if pid := m["pid"]; pid != c.pid {
		return nil, fmt.Errorf("%w in %s: got %.40q, want %q", ErrPIDMismatch, what, pid, c.pid)
	}
	for _, f := range requiredFields {
		if m[f] == "" {
			return nil, fmt.Errorf("%w %s in %s", ErrMissingField, f, what)
		}
	}
	return &Notification{
		PID: m["pid"], TradeNo: m["trade_no"], OutTradeNo: m["out_trade_no"], Type: m["type"],
		Name: m["name"], Money: m["money"], TradeStatus: m["trade_status"], Param: m["param"], Raw: m,
	}, nil
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
	switch r.Method {
	case http.MethodGet, "":
		m, err := parseQuery(r.URL.RawQuery, "query string")
		if err != nil {
			return nil, err
		}
		return c.verifyMap(m, "notification")
	case http.MethodPost:
		m, err := readForm(r)
		if err != nil {
			return nil, err
		}
		q, err := url.ParseQuery(r.URL.RawQuery)
		if err != nil {
			return nil, errors.New("epay: notification: malformed query string")
		}
		for k := range q {
			if _, inBody := m[k]; inBody || isNotificationField(k) {
				return nil, fmt.Errorf("epay: notification: POST with field %.40q in the query string", k)
			}
		}
		return c.verifyMap(m, "notification")
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

// parseQuery decodes a query string or urlencoded body straight into a map,
// as url.ParseQuery followed by sign.Flatten would, in one pass: a repeated
// parameter is a *sign.DuplicateParamError.
func parseQuery(raw, what string) (map[string]string, error) {
	m := make(map[string]string, strings.Count(raw, "&")+1)
	for raw != "" {
		var part string
		part, raw, _ = strings.Cut(raw, "&")
		if part == "" {
			continue
		}
		if strings.Contains(part, ";") {
			return nil, errors.New("epay: notification: malformed " + what)
		}
		k, v, _ := strings.Cut(part, "=")
		k, err1 := url.QueryUnescape(k)
		v, err2 := url.QueryUnescape(v)
		if err1 != nil || err2 != nil {
			return nil, errors.New("epay: notification: malformed " + what)
		}
		if _, dup := m[k]; dup {
			return nil, fmt.Errorf("epay: notification: %w", &sign.DuplicateParamError{Key: k})
		}
		m[k] = v
	}
	return m, nil
}

// readForm reads a POST body as a form without touching r.Form.
func readForm(r *http.Request) (map[string]string, error) {
	if r.Body == nil || r.Body == http.NoBody {
		return map[string]string{}, nil
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
		return parseQuery(string(body), "form body")
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
		m, err := sign.Flatten(url.Values(f.Value))
		if err != nil {
			return nil, fmt.Errorf("epay: notification: %w", err)
		}
		return m, nil
	}
	return nil, fmt.Errorf("epay: notification: unsupported Content-Type %.60q", ct)
}
