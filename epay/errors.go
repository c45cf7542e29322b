package epay

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/epaykit/epaykit/sign"
)

// Errors for errors.Is. The gateway conditions (ErrBadSignature,
// ErrIPNotAllowed, ErrOrderNotFound, ErrMissingParams, ErrOrderExists) are
// matched by an *APIError from its code and message; ErrBadSignature is also
// returned for a notification whose sign is wrong.
var (
	// ErrBadSignature: the gateway rejected the request's signature or key
	// (code -3), or a notification's sign does not verify.
	ErrBadSignature = errors.New("epay: bad signature")
	// ErrIPNotAllowed: the gateway's API IP allowlist rejected the server.
	ErrIPNotAllowed = errors.New("epay: IP not allowed")
	// ErrOrderNotFound: the gateway knows no such order.
	ErrOrderNotFound = errors.New("epay: order not found")
	// ErrMissingParams: the gateway says a parameter is missing (code -4).
	ErrMissingParams = errors.New("epay: missing parameters")
	// ErrOrderExists: the out_trade_no was used before with other parameters.
	ErrOrderExists = errors.New("epay: order exists")

	// ErrMissingSign: a notification has no sign.
	ErrMissingSign = errors.New("epay: missing sign")
	// ErrSignType: a notification's sign_type is not MD5.
	ErrSignType = errors.New("epay: unsupported sign_type")
	// ErrPIDMismatch: a notification is for another merchant.
	ErrPIDMismatch = errors.New("epay: pid mismatch")
	// ErrMissingField: a verified notification lacks a required field.
	ErrMissingField = errors.New("epay: missing field")
	// ErrDuplicateParam: a parameter occurs more than once in one request.
	// It is sign.ErrDuplicateParam, so either matches with errors.Is.
	ErrDuplicateParam = sign.ErrDuplicateParam
	// ErrInvalidRequest is matched by every validation error of a request
	// (a *FieldError), returned before anything is sent.
	ErrInvalidRequest = errors.New("epay: invalid request")
)

// APIError is a gateway's refusal: a JSON answer whose code is not success.
// Match known conditions with errors.Is (ErrBadSignature, ErrIPNotAllowed,
// ErrOrderNotFound, ErrMissingParams, ErrOrderExists).
type APIError struct {
	Code       int    // the gateway's code: -1 generic, -2 channel, -3 signature/key, -4 missing parameter, -5 unknown act; 0 on Kyren and Zpay
	Msg        string // the gateway's message, with the key removed
	HTTPStatus int    // HTTP status of the answer
	Endpoint   string // "mapi.php", "api.php?act=order", ...
}

func (e *APIError) Error() string {
	var b strings.Builder
	b.WriteString("epay: ")
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

// signWord finds "sign" or "signature" as a word, not inside "design".
var signWord = regexp.MustCompile(`(^|[^a-z])sign(ature)?([^a-z]|$)`)

// Is reports whether the code or message means the condition target stands
// for. Gateways word their messages differently (Chinese or English), so the
// match is on key phrases.
func (e *APIError) Is(target error) bool {
	msg := strings.ToLower(e.Msg)
	has := func(words ...string) bool {
		for _, w := range words {
			if strings.Contains(msg, w) {
				return true
			}
		}
		return false
	}
	notFound := has("订单不存在", "不存在", "order not found", "not found", "not exist")
	switch target {
	case ErrBadSignature:
		return e.Code == -3 || has("签名") || signWord.MatchString(msg)
	case ErrIPNotAllowed:
		return has("ip not allowed")
	case ErrOrderNotFound:
		return notFound
	case ErrMissingParams:
		return e.Code == -4 || has("缺少", "missing")
	case ErrOrderExists:
		return !notFound && has("已存在", "exists")
	}
	return false
}

// FieldError is a request field that failed validation before sending. It
// matches ErrInvalidRequest with errors.Is.
type FieldError struct {
	Field  string // wire name, such as "out_trade_no"
	Reason string
	Err    error // underlying cause, such as an ErrInvalidMoney error; may be nil
}

func (e *FieldError) Error() string { return "epay: " + e.Field + ": " + e.Reason }

// Is reports whether target is ErrInvalidRequest.
func (e *FieldError) Is(target error) bool { return target == ErrInvalidRequest }

// Unwrap returns the cause.
func (e *FieldError) Unwrap() error { return e.Err }
