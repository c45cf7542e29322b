package iepay

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"

	"github.com/epaykit/epaykit/sign"
)

// SuccessReply is the plain-text body that acknowledges a notification.
// Send it only after the order has been recorded: any other answer makes
// IEPay repeat the notification for 12 hours.
const SuccessReply = "SUCCESS"

// TradeSuccess is the only trade_status IEPay notifies.
const TradeSuccess = "SUCCESS"

// MaxNotificationBody is the largest POST body ParseNotificationRequest
// reads.
const MaxNotificationBody = 64 << 10

// Notification is a verified payment notification. IEPay sends one only for
// a successful payment, and may send it several times, concurrently: handle
// it idempotently (keyed by OutTradeNo or TradeNo). It carries no amount:
// Check the order to compare amounts.
type Notification struct {
	OutTradeNo  string
	TradeNo     string
	TradeStatus string // always TradeSuccess once verified
	// PayType is not covered by IEPay's signature; it is reliable only
	// through a Check (which fails for a pay_type the order does not have).
	PayType PayType
	// Raw holds every received parameter; it is the Client's own copy.
	Raw map[string]string
}

// Paid reports whether the notification is a successful payment; every
// notification that verified is.
func (n *Notification) Paid() bool { return n != nil && n.TradeStatus == TradeSuccess }

// ParseNotification verifies a notification from its decoded query or form
// values and returns it. The checks, each with its own error for errors.Is:
// no parameter repeated (ErrDuplicateParam), sign present (ErrMissingSign),
// trade_no and out_trade_no present (ErrMissingField), trade_status SUCCESS
// (ErrNotSuccess), and sign equal to md5(trade_no + out_trade_no + "SUCCESS"
// + key), compared in constant time (ErrBadSignature). v is not modified.
func (c *Client) ParseNotification(v url.Values) (*Notification, error) {
	m, err := sign.Flatten(v)
	if err != nil {
		return nil, duplicateError("notification", err)
	}
	got := m["sign"]
	if got == "" {
		return nil, newCheckError(ErrMissingSign, "iepay: notification: missing sign")
	}
	for _, f := range []string{"trade_no", "out_trade_no"} {
		if m[f] == "" {
			return nil, newCheckError(ErrMissingField, "iepay: notification: missing %s", f)
		}
	}
	status, ok := m["trade_status"]
	switch {
	case !ok || status == "":
		return nil, &checkError{msg: "iepay: notification: missing trade_status, want SUCCESS", kinds: []error{ErrNotSuccess, ErrMissingField}}
	case status != TradeSuccess:
		return nil, newCheckError(ErrNotSuccess, "iepay: notification: trade_status %q, want SUCCESS", truncate(status))
	}
	if !sign.VerifyIEPayNotify(m["trade_no"], m["out_trade_no"], got, c.key) {
		return nil, newCheckError(ErrBadSignature, "iepay: notification: bad signature for out_trade_no %q", truncate(m["out_trade_no"]))
	}
	return &Notification{
		OutTradeNo:  m["out_trade_no"],
		TradeNo:     m["trade_no"],
		TradeStatus: status,
		PayType:     PayType(m["pay_type"]),
		Raw:         m,
	}, nil
}

// ParseNotificationRequest reads a notification from r and verifies it as
// ParseNotification does. A GET is read from the URL's query (IEPay's way);
// a POST from its application/x-www-form-urlencoded body, at most
// MaxNotificationBody bytes, which it consumes. The query and the body are
// never merged, and r.Form is not used: if your framework has already read
// the body, pass the values to ParseNotification instead. Other methods are
// refused (ErrBadRequest).
func (c *Client) ParseNotificationRequest(r *http.Request) (*Notification, error) {
	if r == nil {
		return nil, newCheckError(ErrBadRequest, "iepay: notification: nil *http.Request")
	}
	var raw string
	switch r.Method {
	case http.MethodGet, http.MethodHead, "":
		if r.URL == nil {
			return nil, newCheckError(ErrBadRequest, "iepay: notification: request without URL")
		}
		raw = r.URL.RawQuery
	case http.MethodPost:
		if ct := r.Header.Get("Content-Type"); ct != "" {
			mt, _, err := mime.ParseMediaType(ct)
			if err != nil || mt != "application/x-www-form-urlencoded" {
				return nil, newCheckError(ErrBadRequest, "iepay: notification: content type %q, want application/x-www-form-urlencoded", truncate(ct))
			}
		}
		if r.Body == nil {
			break
		}
		b, err := io.ReadAll(io.LimitReader(r.Body, MaxNotificationBody+1))
		if err != nil {
			return nil, &checkError{msg: "iepay: notification: reading the body: " + err.Error(), kinds: []error{ErrBadRequest}, cause: err}
		}
		if len(b) > MaxNotificationBody {
			return nil, newCheckError(ErrBadRequest, "iepay: notification: body larger than %d bytes", MaxNotificationBody)
		}
		raw = string(b)
	default:
		return nil, newCheckError(ErrBadRequest, "iepay: notification: method %s, want GET or POST", truncate(r.Method))
	}
	v, err := url.ParseQuery(raw)
	if err != nil {
		var ee url.EscapeError
		if errors.As(err, &ee) {
			err = fmt.Errorf("bad escape %q", truncate(string(ee)))
		}
		return nil, &checkError{msg: "iepay: notification: malformed parameters: " + err.Error(), kinds: []error{ErrBadRequest}}
	}
	return c.ParseNotification(v)
}
