// Package fields handles a request's or notification's parameters as a
// sorted list of name, value pairs instead of maps: it decodes query strings,
// builds the Epay and IEPay strings-to-sign and encodes forms without a map
// and, for the common few fields, without a heap allocation.
package fields

import (
	"crypto/md5"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"net/url"
	"slices"
	"strings"
)

// Field is one parameter.
type Field struct {
	Name, Value string
}

// OnStack is how many fields a caller's stack array should hold: a
// notification or request has about a dozen.
const OnStack = 24

// Sort sorts fs by name in byte order.
func Sort(fs []Field) {
	if len(fs) > 24 {
		slices.SortFunc(fs, func(a, b Field) int { return strings.Compare(a.Name, b.Name) })
		return
	}
	// Insertion sort beats a general sort for a request's few fields.
	for i := 1; i < len(fs); i++ {
		f := fs[i]
		j := i
		for ; j > 0 && less(f.Name, fs[j-1].Name); j-- {
			fs[j] = fs[j-1]
		}
		fs[j] = f
	}
}

// less orders names in byte order, deciding on the first byte without a call
// where it can (parameter names rarely share one).
func less(a, b string) bool {
	if len(a) > 0 && len(b) > 0 && a[0] != b[0] {
		return a[0] < b[0]
	}
	return a < b
}

// Insert inserts f into the sorted fs, after any field of the same name,
// and returns the extended slice.
func Insert(fs []Field, f Field) []Field {
	i, _ := slices.BinarySearchFunc(fs, f.Name, func(e Field, name string) int {
		if e.Name <= name {
			return -1
		}
		return 1
	})
	return slices.Insert(fs, i, f)
}

// Duplicate returns the first name that occurs more than once in the sorted
// fs.
func Duplicate(fs []Field) (string, bool) {
	for i := 1; i < len(fs); i++ {
		if fs[i].Name == fs[i-1].Name {
			return fs[i].Name, true
		}
	}
	return "", false
}

// Get returns the value of name in fs.
func Get(fs []Field, name string) (string, bool) {
	for _, f := range fs {
		if f.Name == name {
			return f.Value, true
		}
	}
	return "", false
}

// Map returns fs as a map; of repeated names the last value wins.
func Map(fs []Field) map[string]string {
	m := make(map[string]string, len(fs))
	for _, f := range fs {
		m[f.Name] = f.Value
	}
	return m
}

// Values returns fs as url.Values, one value per field.
func Values(fs []Field) url.Values {
	v := make(url.Values, len(fs))
	for _, f := range fs {
		v[f.Name] = append(v[f.Name], f.Value)
	}
	return v
}

// FromValues appends the values of v to dst, sorted by name; a name with
// several values gives several fields, in their order.
func FromValues(dst []Field, v url.Values) []Field {
	start := len(dst)
	for k, vs := range v {
		for _, x := range vs {
			dst = append(dst, Field{k, x})
		}
	}
	// Sort only by name: values of one name keep their order.
	slices.SortStableFunc(dst[start:], func(a, b Field) int { return strings.Compare(a.Name, b.Name) })
	return dst
}

// PHPBlank reports whether s is empty or made only of the bytes PHP's trim()
// removes: space, \t, \n, \r, \0 and \x0B. The Epay rule leaves such values
// out of the string-to-sign.
func PHPBlank(s string) bool {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ' ', '\t', '\n', '\r', 0, '\x0b':
		default:
			return false
		}
	}
	return true
}

// AppendEpay appends the Epay V1 string-to-sign of the sorted fs: every
// field but sign, sign_type and blank values, as name=value joined by '&',
// values raw.
func AppendEpay(dst []byte, fs []Field) []byte { return appendSigned(dst, fs, true) }

// AppendIEPay appends the IEPay v1 string-to-sign of the sorted fs: every
// field but sign, as name=value joined by '&', values raw.
func AppendIEPay(dst []byte, fs []Field) []byte { return appendSigned(dst, fs, false) }

func appendSigned(dst []byte, fs []Field, epay bool) []byte {
	first := true
	for _, f := range fs {
		if f.Name == "sign" || epay && (f.Name == "sign_type" || PHPBlank(f.Value)) {
			continue
		}
		if !first {
			dst = append(dst, '&')
		}
		first = false
		dst = append(dst, f.Name...)
		dst = append(dst, '=')
		dst = append(dst, f.Value...)
	}
	return dst
}

// AppendEncode appends fs as an application/x-www-form-urlencoded body. For
// sorted fs it is what url.Values.Encode gives for the same fields.
func AppendEncode(dst []byte, fs []Field) []byte {
	for i, f := range fs {
		if i > 0 {
			dst = append(dst, '&')
		}
		dst = appendEscape(dst, f.Name)
		dst = append(dst, '=')
		dst = appendEscape(dst, f.Value)
	}
	return dst
}

// EncodedLen returns the length of AppendEncode's output for fs.
func EncodedLen(fs []Field) int {
	n := 0
	for i, f := range fs {
		if i > 0 {
			n++
		}
		n += escapedLen(f.Name) + 1 + escapedLen(f.Value)
	}
	return n
}

// Encode returns fs as an application/x-www-form-urlencoded body in one
// allocation of the exact size.
func Encode(fs []Field) []byte {
	return AppendEncode(make([]byte, 0, EncodedLen(fs)), fs)
}

func escapedLen(s string) int {
	n := len(s)
	for i := 0; i < len(s); i++ {
		if queryEscape[s[i]] {
			n += 2
		}
	}
	return n
}

// queryEscape marks the bytes url.QueryEscape writes as %XX: all but
// letters, digits, '-', '_', '.', '~' and the space (written as '+').
var queryEscape = func() (t [256]bool) {
	for i := range t {
		c := byte(i)
		t[i] = !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			c == '-' || c == '_' || c == '.' || c == '~' || c == ' ')
	}
	return t
}()

const upperHex = "0123456789ABCDEF"

// appendEscape appends s escaped as url.QueryEscape does.
func appendEscape(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case queryEscape[c]:
			dst = append(dst, '%', upperHex[c>>4], upperHex[c&15])
		case c == ' ':
			dst = append(dst, '+')
		default:
			dst = append(dst, c)
		}
	}
	return dst
}

// ErrMalformed reports a query string that url.ParseQuery would reject: a
// bad %-escape or a ';' separator.
var ErrMalformed = errors.New("malformed query string")

const (
	plain   = 0
	special = 1
)

// queryByte marks the bytes ParseQuery must look at: & = % + ;.
var queryByte = [256]byte{'&': special, '=': special, '%': special, '+': special, ';': special}

// MaxParams is the most parameters ParseQuery accepts: url.ParseQuery's
// default limit, which ParseQuery keeps whatever the module's go line or
// GODEBUG says.
const MaxParams = 10000

// ParseQuery appends the fields of the query string or urlencoded body raw
// to dst in the order received, decoding them as url.ParseQuery does ('+' is
// a space). It rejects what url.ParseQuery rejects: a bad %-escape, a ';'
// and more than MaxParams parameters (counted as url.ParseQuery does: one
// more than the '&' separators). Names and values without escapes
// share raw's memory; the decoded ones share one allocation.
func ParseQuery(dst []Field, raw string) ([]Field, error) {
	if len(raw) >= MaxParams && strings.Count(raw, "&") >= MaxParams {
		return dst, ErrMalformed
	}
	var buf strings.Builder
	for i := 0; i < len(raw); {
		// One pass over a name=value part: where '=' is, whether it holds
		// escapes, and where it ends.
		start, eq, escaped := i, -1, false
	scan:
		for ; i < len(raw); i++ {
			if queryByte[raw[i]] == plain {
				continue
			}
			switch raw[i] {
			case '&':
				break scan
			case '=':
				if eq < 0 {
					eq = i
				}
			case '%', '+':
				escaped = true
			case ';':
				return dst, ErrMalformed
			}
		}
		part := raw[start:i]
		i++ // past '&'
		if part == "" {
			continue
		}
		name, value := part, ""
		if eq >= 0 {
			name, value = raw[start:eq], raw[eq+1:start+len(part)]
		}
		if escaped {
			if buf.Cap() == 0 {
				// Decoding never lengthens: what is left of raw bounds
				// every decoded byte still to come, so buf never moves.
				buf.Grow(len(raw) - start)
			}
			var ok1, ok2 bool
			name, ok1 = unescape(&buf, name)
			value, ok2 = unescape(&buf, value)
			if !ok1 || !ok2 {
				return dst, ErrMalformed
			}
		}
		dst = append(dst, Field{name, value})
	}
	return dst, nil
}

// unescape decodes a query component into buf, whose capacity the caller
// reserved, and returns the result as a view of buf; s without escapes is
// returned as it is.
func unescape(buf *strings.Builder, s string) (string, bool) {
	i := 0
	for i < len(s) && s[i] != '%' && s[i] != '+' {
		i++
	}
	if i == len(s) {
		return s, true
	}
	start := buf.Len()
	buf.WriteString(s[:i])
	for ; i < len(s); i++ {
		switch c := s[i]; c {
		case '+':
			buf.WriteByte(' ')
		case '%':
			if i+2 >= len(s) {
				return "", false
			}
			h, l := unhex(s[i+1]), unhex(s[i+2])
			if h < 0 || l < 0 {
				return "", false
			}
			buf.WriteByte(byte(h<<4 | l))
			i += 2
		default:
			buf.WriteByte(c)
		}
	}
	return buf.String()[start:], true
}

func unhex(c byte) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'a' <= c && c <= 'f':
		return int(c - 'a' + 10)
	case 'A' <= c && c <= 'F':
		return int(c - 'A' + 10)
	}
	return -1
}

// SumHex returns the lowercase hex MD5 of b.
func SumHex(b []byte) [32]byte {
	d := md5.Sum(b)
	var out [32]byte
	hex.Encode(out[:], d[:])
	return out
}

// EqualHex compares a received hex signature, in either case, with the
// expected lowercase one in constant time (the length is not secret).
func EqualHex(received string, want *[32]byte) bool {
	if len(received) != len(want) {
		return false
	}
	var lower [32]byte
	for i := 0; i < len(lower); i++ {
		c := received[i]
		// Branch-free ASCII lowering of A-F; other bytes stay as they are
		// and then fail the comparison.
		isUpper := subtle.ConstantTimeByteEq(c&0xF8, 0x40) & subtle.ConstantTimeLessOrEq(1, int(c&7)) & subtle.ConstantTimeLessOrEq(int(c&7), 6)
		lower[i] = c | byte(isUpper<<5)
	}
	return subtle.ConstantTimeCompare(lower[:], want[:]) == 1
}

// SumEpay returns the Epay V1 signature (lowercase hex) of the sorted fs
// under key.
func SumEpay(fs []Field, key string) [32]byte {
	var buf [512]byte
	b := AppendEpay(buf[:0], fs)
	return SumHex(append(b, key...))
}

// SumIEPay returns the IEPay v1 request signature (lowercase hex) of the
// sorted fs under key.
func SumIEPay(fs []Field, key string) [32]byte {
	var buf [512]byte
	b := AppendIEPay(buf[:0], fs)
	return SumHex(append(b, key...))
}

// VerifyEpay reports whether received is the Epay V1 signature of the sorted
// fs under key, in either hex case, in constant time.
func VerifyEpay(fs []Field, key, received string) bool {
	if received == "" {
		return false
	}
	want := SumEpay(fs, key)
	return EqualHex(received, &want)
}
