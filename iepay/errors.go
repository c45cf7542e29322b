package iepay

import (
	"errors"
	"fmt"
	"strings"

	"github.com/epaykit/epaykit/sign"
)

// Gateway messages, for errors.Is on an *APIError.
var (
	// ErrSign is SIGN_ERROR: the gateway computed another signature (wrong
	// key or mid).
	ErrSign = errors.New("iepay: SIGN_ERROR: signature rejected")
	// ErrCombine is COMBINE_ERROR: mid, out_trade_no and pay_type do not
	// name one order.
	ErrCombine = errors.New("iepay: COMBINE_ERROR: mid, out_trade_no and pay_type do not match an order")
	// ErrBalance is BALANCE_ERROR: the refund exceeds the available balance.
	ErrBalance = errors.New("iepay: BALANCE_ERROR: refund larger than the available balance")
	// ErrPaymentStatus is ERROR_PAYMENT_STATUS: the order cannot be refunded
	// in its current state.
	ErrPaymentStatus = errors.New("iepay: ERROR_PAYMENT_STATUS: order cannot be refunded in its state")
	// ErrPayRow is PAY_ROW_ERROR: the refund names another pay_type than the
	// order's.
	ErrPayRow = errors.New("iepay: PAY_ROW_ERROR: pay_type differs from the order's")
	// ErrOrderCreated is ORDER_CREATED without a pay_url: the order exists
	// but the gateway did not return its payment URL. (ORDER_CREATED with a
	// pay_url is a success with CreateResult.AlreadyCreated set.)
	ErrOrderCreated = errors.New("iepay: ORDER_CREATED: order exists")
)

// Notification checks, for errors.Is on an error from ParseNotification,
// ParseNotificationRequest or ConfirmReturn.
var (
	// ErrBadSignature: the sign parameter does not match.
	ErrBadSignature = errors.New("iepay: bad signature")
	// ErrMissingSign: no sign parameter, or an empty one.
	ErrMissingSign = errors.New("iepay: missing sign")
	// ErrMissingField: a required parameter is absent or empty; the error
	// names it.
	ErrMissingField = errors.New("iepay: missing field")
	// ErrNotSuccess: trade_status is not SUCCESS. IEPay notifies only
	// successful payments and its signature covers the word SUCCESS.
	ErrNotSuccess = errors.New("iepay: trade_status is not SUCCESS")
	// ErrDuplicateParam: a parameter occurs more than once. An error that
	// matches it also matches sign.ErrDuplicateParam.
	ErrDuplicateParam = errors.New("iepay: duplicate parameter")
	// ErrBadRequest: the notification request could not be read (method,
	// content type, size or encoding).
	ErrBadRequest = errors.New("iepay: unreadable notification request")
)

// APIError is a request IEPay refused: its envelope had is_success FALSE, or
// the mini program envelope a code other than 200. Message is the gateway's
// message (SIGN_ERROR, COMBINE_ERROR, ...); use errors.Is with ErrSign etc.
// for the documented ones.
type APIError struct {
	// Endpoint is the API path called, e.g. "api/online".
	Endpoint string
	// Message is the gateway's message or msg, as sent.
	Message string
	// Code is the mini program envelope's code; 0 for the other calls.
	Code int
	// HTTPStatus is the HTTP status of the response.
	HTTPStatus int
}

// Error returns e.g. "iepay: api/online: SIGN_ERROR".
func (e *APIError) Error() string {
	var b strings.Builder
	b.WriteString("iepay: ")
	if e.Endpoint != "" {
		b.WriteString(e.Endpoint)
		b.WriteString(": ")
	}
	if e.Code != 0 {
		fmt.Fprintf(&b, "code %d: ", e.Code)
	}
	if e.Message == "" {
		b.WriteString("request refused without a message")
	} else {
		b.WriteString(e.Message)
	}
	if e.HTTPStatus != 0 && (e.HTTPStatus < 200 || e.HTTPStatus > 299) {
		fmt.Fprintf(&b, " (HTTP %d)", e.HTTPStatus)
	}
	return b.String()
}

// apiMessages maps the gateway's documented messages to their error values.
var apiMessages = map[string]error{
	"SIGN_ERROR":           ErrSign,
	"COMBINE_ERROR":        ErrCombine,
	"BALANCE_ERROR":        ErrBalance,
	"ERROR_PAYMENT_STATUS": ErrPaymentStatus,
	"PAY_ROW_ERROR":        ErrPayRow,
	"ORDER_CREATED":        ErrOrderCreated,
}

// Is reports whether target is the error value of e's message.
func (e *APIError) Is(target error) bool {
	want, ok := apiMessages[strings.ToUpper(strings.TrimSpace(e.Message))]
	return ok && want == target
}

// checkError is an error from a notification or return check. It matches
// its kinds with errors.Is and unwraps to its cause.
type checkError struct {
	msg   string
	kinds []error
	cause error
}

func (e *checkError) Error() string { return e.msg }
func (e *checkError) Unwrap() error { return e.cause }
func (e *checkError) Is(target error) bool {
	for _, k := range e.kinds {
		if k == target {
			return true
		}
	}
	return false
}

func newCheckError(kind error, format string, args ...any) error {
	return &checkError{msg: fmt.Sprintf(format, args...), kinds: []error{kind}}
}

// duplicateError wraps a *sign.DuplicateParamError so that it matches both
// ErrDuplicateParam and sign.ErrDuplicateParam.
func duplicateError(what string, err error) error {
	var de *sign.DuplicateParamError
	msg := "iepay: " + what + ": duplicate parameter"
	if errors.As(err, &de) {
		msg = fmt.Sprintf("iepay: %s: parameter %q occurs more than once", what, truncate(de.Key))
	}
	return &checkError{msg: msg, kinds: []error{ErrDuplicateParam}, cause: err}
}

// truncate shortens a caller- or gateway-supplied string for an error message.
func truncate(s string) string {
	const max = 64
	if len(s) > max {
		s = s[:max] + "..."
	}
	return strings.ToValidUTF8(s, "?")
}
