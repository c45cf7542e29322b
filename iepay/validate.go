package iepay

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ErrInvalidRequest matches every *FieldError: a request that was rejected
// before anything was sent.
var ErrInvalidRequest = errors.New("iepay: invalid request")

// FieldError is a request field that breaks IEPay's rules; nothing was sent.
// It matches ErrInvalidRequest with errors.Is.
type FieldError struct {
	Field  string // the wire name, e.g. "out_trade_no"
	Reason string
}

// Error returns e.g. "iepay: out_trade_no: 70 bytes, at most 64".
func (e *FieldError) Error() string { return "iepay: " + e.Field + ": " + e.Reason }

// Is reports whether target is ErrInvalidRequest.
func (e *FieldError) Is(target error) bool { return target == ErrInvalidRequest }

func fieldErr(field, format string, args ...any) error {
	return &FieldError{Field: field, Reason: fmt.Sprintf(format, args...)}
}

// Limits from IEPay's field table.
const (
	maxOutTradeNo       = 64
	maxOutTradeNoWeChat = 32
	maxGoods            = 64
	maxGoodsDetail      = 128
	maxURL              = 512
	maxPayType          = 8
	maxWeChatID         = 64
	maxPayRate          = 30
)

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// checkPayType requires a pay type of letters and digits, at most 8 bytes.
func checkPayType(p PayType) error {
	if p == "" {
		return fieldErr("pay_type", "required (e.g. %s)", PayTypeAlipayQR)
	}
	if len(p) > maxPayType {
		return fieldErr("pay_type", "%d bytes, at most %d", len(p), maxPayType)
	}
	for i := 0; i < len(p); i++ {
		c := p[i]
		if !('0' <= c && c <= '9' || 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z') {
			return fieldErr("pay_type", "%q has a character other than a letter or digit", truncate(string(p)))
		}
	}
	return nil
}

// outTradeNoForbidden are printable bytes that IEPay's notification would
// carry unescaped in notify_url's query, changing its meaning.
const outTradeNoForbidden = "&=#%+?"

// checkOutTradeNo requires printable ASCII without spaces, at most 64 bytes
// (32 for WeChat pay types).
func checkOutTradeNo(s string, p PayType) error {
	if s == "" {
		return fieldErr("out_trade_no", "required")
	}
	max := maxOutTradeNo
	if p.IsWeChat() {
		max = maxOutTradeNoWeChat
	}
	if len(s) > max {
		if max == maxOutTradeNoWeChat {
			return fieldErr("out_trade_no", "%d bytes, at most %d for WeChat pay type %s", len(s), max, p)
		}
		return fieldErr("out_trade_no", "%d bytes, at most %d", len(s), max)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f {
			return fieldErr("out_trade_no", "byte %d is not printable ASCII (spaces are not allowed either)", i)
		}
		if strings.IndexByte(outTradeNoForbidden, c) >= 0 {
			return fieldErr("out_trade_no", "contains %q; IEPay passes out_trade_no unescaped in the notification URL", c)
		}
	}
	return nil
}

// textForbidden are the special characters refused in goods and goods_detail.
const textForbidden = "&=<>\"'%\\"

// checkText checks goods-like text: valid UTF-8, no control characters, none
// of textForbidden, at most max bytes.
func checkText(field, s string, max int, required bool) error {
	if s == "" {
		if required {
			return fieldErr(field, "required")
		}
		return nil
	}
	if len(s) > max {
		return fieldErr(field, "%d bytes, at most %d", len(s), max)
	}
	if !utf8.ValidString(s) {
		return fieldErr(field, "not valid UTF-8")
	}
	if strings.TrimSpace(s) != s {
		return fieldErr(field, "leading or trailing white space")
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return fieldErr(field, "contains control character %U", r)
		}
		if strings.ContainsRune(textForbidden, r) {
			return fieldErr(field, "contains the special character %q (not allowed: %s)", r, textForbidden)
		}
	}
	return nil
}

// checkURL requires an absolute http or https URL when s is set.
func checkURL(field, s string) error {
	if s == "" {
		return nil
	}
	if len(s) > maxURL {
		return fieldErr(field, "%d bytes, at most %d", len(s), maxURL)
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] == 0x7f {
			return fieldErr(field, "contains a space or control character at byte %d", i)
		}
	}
	u, err := url.Parse(s)
	if err != nil {
		return fieldErr(field, "not a URL: %v", errors.Unwrap(err))
	}
	if sch := strings.ToLower(u.Scheme); sch != "http" && sch != "https" {
		return fieldErr(field, "want an absolute http or https URL")
	}
	if u.Host == "" {
		return fieldErr(field, "URL has no host")
	}
	return nil
}

// checkWeChatID checks appid and openid: required, printable ASCII without
// spaces, at most 64 bytes.
func checkWeChatID(field, s string) error {
	if s == "" {
		return fieldErr(field, "required")
	}
	if len(s) > maxWeChatID {
		return fieldErr(field, "%d bytes, at most %d", len(s), maxWeChatID)
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] >= 0x7f || s[i] == '&' || s[i] == '=' {
			return fieldErr(field, "byte %d is not a printable ASCII character allowed here", i)
		}
	}
	return nil
}

func checkExpired(n int) error {
	if n < 0 {
		return fieldErr("expired", "%d seconds, want 0 (gateway default) or more", n)
	}
	return nil
}

// checkOrderRef checks the out_trade_no of an existing order (Check,
// Refund): it may have been created by other software, so only emptiness,
// length and control characters are checked.
func checkOrderRef(s string) error {
	if s == "" {
		return fieldErr("out_trade_no", "required")
	}
	if len(s) > maxOutTradeNo {
		return fieldErr("out_trade_no", "%d bytes, at most %d", len(s), maxOutTradeNo)
	}
	for i := 0; i < len(s); i++ {
		if s[i] < ' ' || s[i] == 0x7f {
			return fieldErr("out_trade_no", "control character at byte %d", i)
		}
	}
	return nil
}
