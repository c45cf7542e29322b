package epay

import (
	"errors"
	"fmt"
	"math"
	"strings"
)

// ErrInvalidMoney is matched by every error of ParseMoney and ValidateMoney.
var ErrInvalidMoney = errors.New("epay: invalid money")

// moneyError describes a rejected amount.
type moneyError struct {
	value  string
	reason string
}

func (e *moneyError) Error() string {
	v := e.value
	if len(v) > 32 {
		v = v[:32] + "..."
	}
	return fmt.Sprintf("epay: money %q: %s", v, e.reason)
}

func (e *moneyError) Is(target error) bool { return target == ErrInvalidMoney }

// FormatCents formats an amount in cents as a yuan string with two decimals:
// 999 is "9.99", 100 is "1.00", -1 is "-0.01".
func FormatCents(cents int64) string {
	var buf [24]byte
	u := uint64(cents)
	neg := cents < 0
	if neg {
		u = -u // two's complement: correct for math.MinInt64 too
	}
	i := len(buf)
	frac := u % 100
	u /= 100
	i--
	buf[i] = byte('0' + frac%10)
	i--
	buf[i] = byte('0' + frac/10)
	i--
	buf[i] = '.'
	for {
		i--
		buf[i] = byte('0' + u%10)
		u /= 10
		if u == 0 {
			break
		}
	}
	if neg {
		i--
		buf[i] = '-'
	}
	return string(buf[i:])
}

// ParseMoney parses a yuan amount as a gateway sends it and returns it in
// cents. It accepts the gateways' re-formatted amounts: "1", "10.5", "9.99",
// "10.0000" (digits after the second decimal must be zeros) and "0". It
// rejects anything else: "", "-1", "+1", "1e3", "1.005", " 1", "1.", ".5",
// "0x10" and amounts that overflow int64 cents. Errors match
// ErrInvalidMoney.
func ParseMoney(s string) (int64, error) {
	if s == "" {
		return 0, &moneyError{s, "empty"}
	}
	intPart, frac := s, ""
	for i := 0; i < len(s); i++ {
		if s[i] == '.' {
			intPart, frac = s[:i], s[i+1:]
			break
		}
	}
	if intPart == "" {
		return 0, &moneyError{s, "missing digits before the decimal point"}
	}
	if len(intPart) < len(s) && frac == "" {
		return 0, &moneyError{s, "missing digits after the decimal point"}
	}
	var yuan uint64
	for i := 0; i < len(intPart); i++ {
		c := intPart[i]
		if c < '0' || c > '9' {
			return 0, &moneyError{s, "not a plain decimal number"}
		}
		if yuan > (math.MaxInt64/100)/10+1 {
			return 0, &moneyError{s, "too large"}
		}
		yuan = yuan*10 + uint64(c-'0')
	}
	var cents uint64
	for i := 0; i < len(frac); i++ {
		c := frac[i]
		if c < '0' || c > '9' {
			return 0, &moneyError{s, "not a plain decimal number"}
		}
		d := uint64(c - '0')
		switch {
		case i == 0:
			cents = d * 10
		case i == 1:
			cents += d
		case d != 0:
			return 0, &moneyError{s, "more than 2 decimals"}
		}
	}
	if yuan > math.MaxInt64/100 {
		return 0, &moneyError{s, "too large"}
	}
	total := yuan*100 + cents
	if total > math.MaxInt64 {
		return 0, &moneyError{s, "too large"}
	}
	return int64(total), nil
}

// ValidateMoney reports whether s is a valid amount for a request: a
// positive plain decimal in yuan with at most 2 decimals ("9.99", "10",
// "0.5"), without sign, exponent or spaces, that fits int64 cents. Errors
// match ErrInvalidMoney.
func ValidateMoney(s string) error {
	if dot := strings.IndexByte(s, '.'); dot >= 0 && len(s)-dot-1 > 2 {
		return &moneyError{s, "more than 2 decimals"}
	}
	cents, err := ParseMoney(s)
	if err != nil {
		return err
	}
	if cents <= 0 {
		return &moneyError{s, "must be greater than zero"}
	}
	return nil
}
