// Package flex has JSON scalar types that accept what PHP gateways send for
// the same field on different versions: a number or a string.
package flex

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// String accepts a JSON string, number or boolean (kept as its literal text)
// or null (empty).
type String string

// UnmarshalJSON implements json.Unmarshaler.
func (s *String) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0:
		return fmt.Errorf("empty JSON value")
	case b[0] == '"':
		if v, ok := plainString(b); ok {
			*s = String(v)
			return nil
		}
		var v string
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		*s = String(v)
	case string(b) == "null":
		*s = ""
	case b[0] == '{' || b[0] == '[':
		return fmt.Errorf("expected a string or number, got %.20s", b)
	default:
		*s = String(b)
	}
	return nil
}

// plainString returns the text of a JSON string literal that has no escape
// sequence and is valid UTF-8, which is then exactly its value; other
// literals are left to encoding/json.
func plainString(b []byte) (string, bool) {
	if len(b) < 2 || b[len(b)-1] != '"' {
		return "", false
	}
	in := b[1 : len(b)-1]
	for _, c := range in {
		if c == '\\' || c == '"' || c < 0x20 {
			return "", false
		}
	}
	if !utf8.Valid(in) {
		return "", false
	}
	return string(in), true
}

// Int accepts a JSON integer, an integer in a string ("1", " 2 "), null or
// "" (zero).
type Int int64

// UnmarshalJSON implements json.Unmarshaler.
func (n *Int) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && (b[0] == '-' || '0' <= b[0] && b[0] <= '9') {
		if v, err := strconv.ParseInt(string(b), 10, 64); err == nil {
			*n = Int(v)
			return nil
		}
	}
	var s String
	if err := s.UnmarshalJSON(b); err != nil {
		return err
	}
	t := strings.TrimSpace(string(s))
	if t == "" {
		*n = 0
		return nil
	}
	v, err := strconv.ParseInt(t, 10, 64)
	if err != nil {
		return fmt.Errorf("expected an integer, got %.20q", t)
	}
	*n = Int(v)
	return nil
}

// Object accepts a JSON object, or the empty array [] that PHP's
// json_encode produces for an empty associative array, or null.
type Object []byte

// UnmarshalJSON implements json.Unmarshaler.
func (o *Object) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case string(b) == "null":
		*o = nil
	case len(b) > 0 && b[0] == '{':
		*o = append((*o)[:0], b...)
	case len(b) > 0 && b[0] == '[':
		var arr []json.RawMessage
		if err := json.Unmarshal(b, &arr); err != nil {
			return err
		}
		if len(arr) != 0 {
			return fmt.Errorf("expected an object, got a non-empty array")
		}
		*o = nil
	default:
		return fmt.Errorf("expected an object, got %.20s", b)
	}
	return nil
}

// Decode decodes the object into v; an absent or empty object leaves v as
// it is.
func (o Object) Decode(v any) error {
	if len(o) == 0 {
		return nil
	}
	return json.Unmarshal(o, v)
}
