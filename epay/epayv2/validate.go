package epayv2

import (
	"net"
	"net/url"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/epaykit/epaykit/epay"
)

// Limits of the reference server.
const (
	maxOutTradeNo = 64  // bytes
	maxName       = 127 // bytes
	maxRef        = 256 // bytes of a gateway-issued reference
)

func validMoney(field, s string) error {
	if s == "" {
		return fieldErr(field, "required: an amount in yuan such as 9.99")
	}
	if err := epay.ValidateMoney(s); err != nil {
		return &FieldError{Field: field, Reason: "want a positive amount in yuan with at most 2 decimals, such as 9.99", Err: err}
	}
	return nil
}

// validNo applies the reference server's rule for merchant-chosen numbers
// (out_trade_no, out_refund_no).
func validNo(field, s string) error {
	if s == "" {
		return fieldErr(field, "required")
	}
	if len(s) > maxOutTradeNo {
		return fieldErr(field, "longer than 64 bytes")
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-' || c == '|') {
			return fieldErr(field, "may contain only letters, digits and . _ - |")
		}
	}
	return nil
}

// validRef checks an order or refund reference: any text, bounded, without
// control characters.
func validRef(field, s string) error {
	if len(s) > maxRef {
		return fieldErr(field, "longer than 256 bytes")
	}
	if !utf8.ValidString(s) || hasControl(s) {
		return fieldErr(field, "must be valid UTF-8 without control characters")
	}
	return nil
}

// oneOf requires at least one of two references and checks both.
func oneOf(f1, v1, f2, v2 string) error {
	if v1 == "" && v2 == "" {
		return fieldErr(f1, "required: set "+f1+" or "+f2)
	}
	if err := validRef(f1, v1); err != nil {
		return err
	}
	return validRef(f2, v2)
}

func validName(s string) error {
	switch {
	case strings.TrimSpace(s) == "":
		return fieldErr("name", "required")
	case len(s) > maxName:
		return fieldErr("name", "longer than 127 bytes")
	case !utf8.ValidString(s) || hasControl(s):
		return fieldErr("name", "must be valid UTF-8 without control characters")
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

// validExtra checks the keys of an Extra map against the fields the request
// sets itself and those the client sets.
func validExtra(extra map[string]string, typed []string) error {
	keys := make([]string, 0, len(extra))
	for k := range extra {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		switch k {
		case "":
			return fieldErr("Extra", "a key is empty")
		case "pid", "sign", "sign_type", "timestamp", "key":
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
		if err := validText("Extra["+k+"]", extra[k]); err != nil {
			return err
		}
	}
	return nil
}
