package transport

import (
	"errors"
	"fmt"
	"strings"
)

// ErrBodyTooLarge reports a response larger than MaxBody.
var ErrBodyTooLarge = errors.New("response body exceeds 1 MiB")

// Error is a failure to get a usable HTTP response: the connection failed,
// the context ended, or the body could not be read. Its text never contains
// the merchant key or a signature.
type Error struct {
	Prefix     string // package name, e.g. "epay"
	Method     string
	URL        string // redacted
	StatusCode int    // 0 when no response arrived
	Attempts   int
	// MaybeSent is true when the request may have reached the server: a
	// refund may then have happened, so query before sending it again.
	MaybeSent bool
	Err       error
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s %s", e.Prefix, e.Method, e.URL)
	if e.StatusCode != 0 {
		fmt.Fprintf(&b, ": HTTP %d", e.StatusCode)
	}
	if e.Attempts > 1 {
		fmt.Fprintf(&b, " (after %d attempts)", e.Attempts)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the cause (context.DeadlineExceeded, a *net.OpError, ...).
func (e *Error) Unwrap() error { return e.Err }

// StatusError is an HTTP response that could not be used: an error status
// without a usable body, or a body that is not the expected JSON (an HTML
// error page, a PHP warning, an empty body).
type StatusError struct {
	Prefix     string
	Method     string
	URL        string // redacted
	StatusCode int
	Excerpt    string // start of the body, redacted
	Reason     string // what was wrong with the body
	Attempts   int
}

func (e *StatusError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s %s: HTTP %d", e.Prefix, e.Method, e.URL, e.StatusCode)
	if e.Attempts > 1 {
		fmt.Fprintf(&b, " (after %d attempts)", e.Attempts)
	}
	if e.Reason != "" {
		b.WriteString(": ")
		b.WriteString(e.Reason)
	}
	if e.Excerpt != "" {
		fmt.Fprintf(&b, ": %q", e.Excerpt)
	} else {
		b.WriteString(": empty body")
	}
	return b.String()
}
