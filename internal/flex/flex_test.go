package flex

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestString(t *testing.T) {
	t.Parallel()
	var v struct {
		A, B, C, D, E String
	}
	require.NoError(t, json.Unmarshal([]byte(`{"A":"1.00","B":12,"C":null,"D":true,"E":1.5e3}`), &v))
	assert.Equal(t, String("1.00"), v.A)
	assert.Equal(t, String("12"), v.B)
	assert.Equal(t, String(""), v.C)
	assert.Equal(t, String("true"), v.D)
	assert.Equal(t, String("1.5e3"), v.E)
	assert.Error(t, json.Unmarshal([]byte(`{"A":{}}`), &v))
	assert.Error(t, json.Unmarshal([]byte(`{"A":[1]}`), &v))
}

func TestInt(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]Int{`1`: 1, `"1"`: 1, `" -3 "`: -3, `""`: 0, `null`: 0, `0`: 0, `"9223372036854775807"`: 9223372036854775807} {
		var n Int
		require.NoError(t, json.Unmarshal([]byte(in), &n), in)
		assert.Equal(t, want, n, in)
	}
	for _, in := range []string{`"x"`, `1.5`, `"1.0"`, `{}`, `"99999999999999999999"`, `true`} {
		var n Int
		assert.Error(t, json.Unmarshal([]byte(in), &n), in)
	}
}

func TestObject(t *testing.T) {
	t.Parallel()
	type inner struct {
		PayURL string `json:"pay_url"`
	}
	for in, want := range map[string]string{
		`{"extra":{"pay_url":"u"}}`: "u",
		`{"extra":[]}`:              "",
		`{"extra":null}`:            "",
		`{}`:                        "",
	} {
		var env struct {
			Extra Object `json:"extra"`
		}
		require.NoError(t, json.Unmarshal([]byte(in), &env), in)
		var got inner
		require.NoError(t, env.Extra.Decode(&got), in)
		assert.Equal(t, want, got.PayURL, in)
	}
	var env struct {
		Extra Object `json:"extra"`
	}
	assert.Error(t, json.Unmarshal([]byte(`{"extra":[1]}`), &env))
	assert.Error(t, json.Unmarshal([]byte(`{"extra":"x"}`), &env))
}

// sameAsString checks String against encoding/json's own string decoding for
// a JSON string literal lit.
func sameAsString(t *testing.T, lit []byte) {
	t.Helper()
	var want string
	if json.Unmarshal(lit, &want) != nil {
		return // not a string literal
	}
	var got String
	require.NoError(t, json.Unmarshal(lit, &got), "%q", lit)
	assert.Equal(t, want, string(got), "%q", lit)
}

func TestStringLiterals(t *testing.T) {
	t.Parallel()
	for _, lit := range []string{`""`, `"abc"`, `"商品"`, `"a\"b"`, `"a\\b"`, `"\u4e2d"`, `"\ud83d\ude00"`, `"a\nb"`,
		"\"\xff\"", "\"\xe4\xb8\"", `"https://pay.example.com/x?a=1&b=2"`, `"<b>&amp;</b>"`} {
		sameAsString(t, []byte(lit))
	}
}

func FuzzString(f *testing.F) {
	f.Add("商品 \"x\" \\ \u0001 \xff")
	f.Fuzz(func(t *testing.T, s string) {
		lit, err := json.Marshal(s)
		require.NoError(t, err)
		sameAsString(t, lit)
		// Raw bytes between quotes, escaped or not, as a sloppy server
		// might send them.
		sameAsString(t, []byte(`"`+s+`"`))
	})
}
