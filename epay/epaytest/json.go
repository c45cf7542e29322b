package epaytest

import (
	"bytes"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// kv is one member of a JSON object; obj keeps members in order, as PHP's
// json_encode does.
type kv struct {
	k string
	v any
}

type obj []kv

// rawNum is a JSON number written as is.
type rawNum string

// phpJSON encodes v the way PHP's json_encode does by default: members in
// insertion order, "/" escaped as "\/", non-ASCII as \uXXXX.
func phpJSON(v any) []byte {
	var b bytes.Buffer
	encodeValue(&b, v)
	return b.Bytes()
}

func encodeValue(b *bytes.Buffer, v any) {
	switch x := v.(type) {
	case nil:
		b.WriteString("null")
	case string:
		encodeString(b, x)
	case int:
		b.WriteString(strconv.Itoa(x))
	case int64:
		b.WriteString(strconv.FormatInt(x, 10))
	case rawNum:
		b.WriteString(string(x))
	case bool:
		b.WriteString(strconv.FormatBool(x))
	case obj:
		b.WriteByte('{')
		for i, m := range x {
			if i > 0 {
				b.WriteByte(',')
			}
			encodeString(b, m.k)
			b.WriteByte(':')
			encodeValue(b, m.v)
		}
		b.WriteByte('}')
	case []obj:
		b.WriteByte('[')
		for i, o := range x {
			if i > 0 {
				b.WriteByte(',')
			}
			encodeValue(b, o)
		}
		b.WriteByte(']')
	default:
		b.WriteString("null")
	}
}

func encodeString(b *bytes.Buffer, s string) {
	const hex = "0123456789abcdef"
	b.WriteByte('"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch c {
			case '"', '\\', '/':
				b.WriteByte('\\')
				b.WriteByte(c)
			case '\n':
				b.WriteString(`\n`)
			case '\r':
				b.WriteString(`\r`)
			case '\t':
				b.WriteString(`\t`)
			case '\b':
				b.WriteString(`\b`)
			case '\f':
				b.WriteString(`\f`)
			default:
				if c < 0x20 {
					b.WriteString(`\u00`)
					b.WriteByte(hex[c>>4])
					b.WriteByte(hex[c&0xF])
				} else {
					b.WriteByte(c)
				}
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		write := func(r rune) {
			b.WriteString(`\u`)
			for shift := 12; shift >= 0; shift -= 4 {
				b.WriteByte(hex[(r>>uint(shift))&0xF])
			}
		}
		if r >= 0x10000 {
			r1, r2 := utf16.EncodeRune(r)
			write(r1)
			write(r2)
		} else {
			write(r) // includes U+FFFD for invalid bytes
		}
	}
	b.WriteByte('"')
}
