package epay

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
	maxOutTradeNo = 64  // bytes
	maxName       = 127 // bytes; the server truncates longer names
)

func fieldErr(field, reason string) error { return &FieldError{Field: field, Reason: reason} }

func hasControl(s string) bool {
	for _, r := range s {
		if unicode.IsControl(r) {
			return true
		}
	}
	return false
}

func validMoney(field, s string) error {
	if err := ValidateMoney(s); err != nil {
		var reason string
		if me, ok := err.(*moneyError); ok {
			reason = me.reason
		}
		if s == "" {
			return &FieldError{Field: field, Reason: "required", Err: err}
		}
		return &FieldError{Field: field, Reason: "want a positive amount in yuan with at most 2 decimals, such as 9.99: " + reason, Err: err}
	}
	return nil
}

// validOutTradeNo applies the reference server's rule for new orders.
func validOutTradeNo(s string) error {
	if s == "" {
		return fieldErr("out_trade_no", "required")
	}
	if len(s) > maxOutTradeNo {
		return fieldErr("out_trade_no", "longer than 64 bytes")
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-' || c == '|') {
			return fieldErr("out_trade_no", "may contain only letters, digits and . _ - |")
		}
	}
	return nil
}

// validRef checks an order reference of a query or refund: any text the
// gateway issued, but no control characters.
func validRef(field, s string) error {
	if len(s) > 256 {
		return fieldErr(field, "longer than 256 bytes")
	}
	if !utf8.ValidString(s) || hasControl(s) {
		return fieldErr(field, "must be valid UTF-8 without control characters")
	}
	return nil
}

func validName(s string) error {
	switch {
	case strings.TrimSpace(s) == "":
		return fieldErr("name", "required")
	case len(s) > maxName:
		return fieldErr("name", "longer than 127 bytes")
	case !utf8.ValidString(s):
		return fieldErr("name", "not valid UTF-8")
	case hasControl(s):
		return fieldErr("name", "contains control characters")
	}
	return nil
}

// validURL checks an absolute http(s) URL; noQuery forbids a query string.
func validURL(field, s string, noQuery bool) error {
	if s == "" {
		return fieldErr(field, "required")
	}
	if hasControl(s) || strings.ContainsAny(s, " ") {
		return fieldErr(field, "contains spaces or control characters")
	}
	u, err := url.Parse(s)
	if err != nil {
		return fieldErr(field, "not a valid URL")
	}
	if sc := strings.ToLower(u.Scheme); sc != "http" && sc != "https" || u.Host == "" {
		return fieldErr(field, "want an absolute http or https URL")
	}
	if noQuery && (u.RawQuery != "" || u.ForceQuery) {
		return fieldErr(field, "must not have a query string: its parameters would arrive unsigned")
	}
	return nil
}

func validIP(s string) error {
	if s == "" {
		return fieldErr("clientip", "required: the buyer's IP address")
	}
	if net.ParseIP(s) == nil {
		return fieldErr("clientip", "not an IP address")
	}
	return nil
}

// validText checks an optional free-text field.
func validText(field, s string) error {
	if !utf8.ValidString(s) || hasControl(s) {
		return fieldErr(field, "must be valid UTF-8 without control characters")
	}
	return nil
}

// validExtra checks the keys of an Extra map against the fields the request
// sets itself and those the client sets.
func validExtra(extra map[string]string, typed []string) error {
	keys := make([]string, 0, len(extra))
	for k := range extra {
		keys = append(keys, k)
	}
	sort.Strings(keys) // the same error for the same map
	for _, k := range keys {
		switch {
		case k == "":
			return fieldErr("Extra", "a key is empty")
		case k == "pid" || k == "sign" || k == "sign_type" || k == "key":
			return fieldErr("Extra", "key "+k+" is set by the client")
		}
		for _, t := range typed {
			if k == t {
				return fieldErr("Extra", "key "+k+" repeats a request field; use the field")
			}
		}
		if !utf8.ValidString(k) || hasControl(k) || strings.ContainsAny(k, "&= ") {
			return fieldErr("Extra", "a key contains characters not allowed in a field name")
		}
	}
	return nil
}
