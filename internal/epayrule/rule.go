// Package epayrule holds the request field rules of the Epay reference
// server, shared by the V1 (epay) and V2 (epayv2) clients. Each rule returns
// the reason a value is refused, or "" when it is accepted; the clients turn
// reasons into their own field errors.
package epayrule

import (
	"net"
	"net/url"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Limits of the reference server.
const (
	MaxOutTradeNo = 64  // bytes
	MaxName       = 127 // bytes; the server truncates longer names
	MaxRef        = 256 // bytes of a gateway-issued reference
)

// HasControl reports whether s contains a control character.
func HasControl(s string) bool {
	for _, r := range s {
		if unicode.IsControl(r) {
			return true
		}
	}
	return false
}

// OutTradeNo is the reference server's rule for merchant-chosen numbers
// (out_trade_no, out_refund_no).
func OutTradeNo(s string) string {
	if s == "" {
		return "required"
	}
	if len(s) > MaxOutTradeNo {
		return "longer than 64 bytes"
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-' || c == '|') {
			return "may contain only letters, digits and . _ - |"
		}
	}
	return ""
}

// Ref checks a reference the gateway or another system issued (for a
// query or a refund): any text, bounded, without control characters.
func Ref(s string) string {
	if len(s) > MaxRef {
		return "longer than 256 bytes"
	}
	return Text(s)
}

// Name checks a product name.
func Name(s string) string {
	switch {
	case strings.TrimSpace(s) == "":
		return "required"
	case len(s) > MaxName:
		return "longer than 127 bytes"
	case !utf8.ValidString(s):
		return "not valid UTF-8"
	case HasControl(s):
		return "contains control characters"
	}
	return ""
}

// URL checks an absolute http(s) URL; noQuery forbids a query string.
func URL(s string, noQuery bool) string {
	if s == "" {
		return "required"
	}
	if HasControl(s) || strings.ContainsAny(s, " ") {
		return "contains spaces or control characters"
	}
	u, err := url.Parse(s)
	if err != nil {
		return "not a valid URL"
	}
	if sc := strings.ToLower(u.Scheme); sc != "http" && sc != "https" || u.Host == "" {
		return "want an absolute http or https URL"
	}
	if noQuery && (u.RawQuery != "" || u.ForceQuery) {
		return "must not have a query string: its parameters would arrive unsigned"
	}
	return ""
}

// IP checks the buyer's IP address (clientip).
func IP(s string) string {
	if s == "" {
		return "required: the buyer's IP address"
	}
	if net.ParseIP(s) == nil {
		return "not an IP address"
	}
	return ""
}

// Text checks an optional free-text field.
func Text(s string) string {
	if !utf8.ValidString(s) || HasControl(s) {
		return "must be valid UTF-8 without control characters"
	}
	return ""
}

// Extra checks an Extra map: its keys must not be empty, set by the client
// (reserved), repeat a typed request field or contain characters that would
// make the signed string ambiguous, and its values must be text. It returns
// the field to name ("Extra" or "Extra[key]") with the reason.
func Extra(extra map[string]string, typed, reserved []string) (field, reason string) {
	keys := make([]string, 0, len(extra))
	for k := range extra {
		keys = append(keys, k)
	}
	sort.Strings(keys) // the same error for the same map
	for _, k := range keys {
		switch {
		case k == "":
			return "Extra", "a key is empty"
		case contains(reserved, k):
			return "Extra", "key " + k + " is set by the client"
		case contains(typed, k):
			return "Extra", "key " + k + " repeats a request field; use the field"
		case !utf8.ValidString(k) || HasControl(k) || strings.ContainsAny(k, "&= "):
			return "Extra", "a key contains characters not allowed in a field name"
		}
		if r := Text(extra[k]); r != "" {
			return "Extra[" + k + "]", r
		}
	}
	return "", ""
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
