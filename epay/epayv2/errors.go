package epayv2

import (
	"errors"
	"fmt"
	"strings"

	"github.com/epaykit/epaykit/sign"
)

// Errors for errors.Is.
var (
	// ErrBadResponseSignature: a success answer is unsigned, has a
	// sign_type other than RSA, or its signature does not verify with the
	// platform key. Its fields must not be trusted.
	ErrBadResponseSignature = errors.New("epayv2: answer signature missing or invalid")

	// ErrMissingSign: a notification has no sign.
	ErrMissingSign = errors.New("epayv2: missing sign")
	// ErrSignType: a notification's sign_type is not RSA.
	ErrSignType = errors.New("epayv2: sign_type is not RSA")
	// ErrBadSignature: a notification's signature does not verify with the
	// platform key.
	ErrBadSignature = errors.New("epayv2: bad signature")
	// ErrPIDMismatch: a notification is for another merchant.
	ErrPIDMismatch = errors.New("epayv2: pid mismatch")
	// ErrTimestamp: the timestamp of a notification or answer is missing,
	// malformed or outside the allowed clock skew.
	ErrTimestamp = errors.New("epayv2: timestamp missing or outside the allowed skew")
	// ErrMissingField: a verified notification lacks a required field.
	ErrMissingField = errors.New("epayv2: missing field")
	// ErrDuplicateParam: a parameter occurs more than once in one request.
	// It is sign.ErrDuplicateParam, so either matches with errors.Is.
	ErrDuplicateParam = sign.ErrDuplicateParam
	// ErrInvalidRequest is matched by every validation error of a request
	// (a *FieldError), returned before anything is sent.
	ErrInvalidRequest = errors.New("epayv2: invalid request")
)

// APIError is a gateway's refusal: a JSON answer whose code is not 0.
type APIError struct {
	Code       int    // the gateway's code
	Msg        string // the gateway's message, bounded in length
	HTTPStatus int    // HTTP status of the answer
	Endpoint   string // "api/pay/create", ...
}

func (e *APIError) Error() string {
	var b strings.Builder
	b.WriteString("epayv2: ")
	if e.Endpoint != "" {
		b.WriteString(e.Endpoint)
		b.WriteString(": ")
	}
	fmt.Fprintf(&b, "code %d", e.Code)
	if e.HTTPStatus != 0 && e.HTTPStatus != 200 {
		fmt.Fprintf(&b, " (HTTP %d)", e.HTTPStatus)
	}
	if e.Msg != "" {
		b.WriteString(": ")
		b.WriteString(e.Msg)
	}
	return b.String()
}

// FieldError is a request field that failed validation before sending. It
// matches ErrInvalidRequest with errors.Is.
type FieldError struct {
	Field  string // wire name, such as "out_trade_no"
	Reason string
	Err    error // underlying cause, such as an epay.ErrInvalidMoney error; may be nil
}

func (e *FieldError) Error() string { return "epayv2: " + e.Field + ": " + e.Reason }

// Is reports whether target is ErrInvalidRequest.
func (e *FieldError) Is(target error) bool { return target == ErrInvalidRequest }

// Unwrap returns the cause.
func (e *FieldError) Unwrap() error { return e.Err }

func fieldErr(field, reason string) error { return &FieldError{Field: field, Reason: reason} }
