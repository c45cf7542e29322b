package fields

import (
	"crypto/md5"
	"encoding/hex"
	"net/url"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// sameAsNetURL checks ParseQuery against url.ParseQuery on raw: both accept
// it or both reject it, and when accepted they hold the same values in the
// same order per name.
func sameAsNetURL(t *testing.T, raw string) {
	t.Helper()
	if strings.Count(raw, "&") >= MaxParams {
		return // see TestParseQueryParamLimit
	}
	want, wantErr := url.ParseQuery(raw)
	fs, err := ParseQuery(nil, raw)
	if wantErr != nil {
		assert.ErrorIs(t, err, ErrMalformed, "%q", raw)
		return
	}
	require.NoError(t, err, "%q", raw)
	assert.Equal(t, want, Values(fs), "%q", raw)
}

func TestParseQueryMatchesNetURL(t *testing.T) {
	t.Parallel()
	for _, raw := range []string{
		"", "&", "&&a=1&&", "a", "a=", "=1", "=", "a=1&b=2", "a=1&a=2",
		"name=Pro+plan&param=user%3D42", "a=%E4%BD%A0%e5%a5%bd", "a=b=c", "a%3Db=c",
		"a=%", "a=%4", "a=%zz", "a=%4g", "%=1", "a=1;b=2", "a;=1", "a=1&b=%2",
		"+=+", "a=%2B%20%25", "money=10.5&name=" + strings.Repeat("%E5%95%86", 40),
	} {
		sameAsNetURL(t, raw)
	}
}

func TestParseQueryKeepsOrderAndAppends(t *testing.T) {
	t.Parallel()
	dst := []Field{{"x", "0"}}
	fs, err := ParseQuery(dst, "b=2&a=%31&b=3")
	require.NoError(t, err)
	assert.Equal(t, []Field{{"x", "0"}, {"b", "2"}, {"a", "1"}, {"b", "3"}}, fs)
}

func FuzzParseQuery(f *testing.F) {
	for _, s := range []string{"a=1&b=2", "name=Pro+plan&param=user%3D42", "a=%", "a;b", "%E4%BD%A0=%"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		sameAsNetURL(t, raw)
	})
}

func TestInsert(t *testing.T) {
	t.Parallel()
	var fs []Field
	for _, f := range []Field{{"sign_type", "MD5"}, {"money", "1"}, {"sign", "x"}, {"a", "0"}, {"money", "2"}, {"z", "9"}} {
		fs = Insert(fs, f)
	}
	assert.Equal(t, []Field{{"a", "0"}, {"money", "1"}, {"money", "2"}, {"sign", "x"}, {"sign_type", "MD5"}, {"z", "9"}}, fs)
}

func TestSortAndDuplicate(t *testing.T) {
	t.Parallel()
	fs := []Field{{"type", "1"}, {"money", "2"}, {"trade_no", "3"}, {"m", ""}, {"", "e"}, {"money_type", "4"}}
	Sort(fs)
	names := make([]string, len(fs))
	for i, f := range fs {
		names[i] = f.Name
	}
	assert.True(t, sort.StringsAreSorted(names), names)
	_, dup := Duplicate(fs)
	assert.False(t, dup)

	fs = append(fs, Field{"money", "9"})
	Sort(fs)
	name, dup := Duplicate(fs)
	assert.True(t, dup)
	assert.Equal(t, "money", name)

	// Beyond the insertion-sort size the general sort takes over.
	var many []Field
	for i := 60; i > 0; i-- {
		many = append(many, Field{Name: strings.Repeat("k", i%7) + string(rune('a'+i%26)), Value: "v"})
	}
	Sort(many)
	assert.True(t, sort.SliceIsSorted(many, func(i, j int) bool { return many[i].Name < many[j].Name }))
}

func TestAppendEncodeMatchesValuesEncode(t *testing.T) {
	t.Parallel()
	fs := []Field{{"name", "商品 A&B=C+D%/?#~._-"}, {"a b", "1"}, {"money", "9.99"}, {"empty", ""}}
	Sort(fs)
	assert.Equal(t, Values(fs).Encode(), string(Encode(fs)))
	assert.Equal(t, len(Encode(fs)), EncodedLen(fs))
	assert.Empty(t, Encode(nil))
}

func FuzzEncode(f *testing.F) {
	f.Add("name", "商品 A&B", "money", "9.99")
	f.Fuzz(func(t *testing.T, k1, v1, k2, v2 string) {
		if k1 == k2 {
			return
		}
		fs := []Field{{k1, v1}, {k2, v2}}
		Sort(fs)
		assert.Equal(t, Values(fs).Encode(), string(Encode(fs)))
		assert.Equal(t, len(Encode(fs)), EncodedLen(fs))
	})
}

func TestSignStrings(t *testing.T) {
	t.Parallel()
	fs := []Field{{"b", "2"}, {"a", "1"}, {"sign", "x"}, {"sign_type", "MD5"}, {"blank", " \t"}, {"c", ""}}
	Sort(fs)
	assert.Equal(t, "a=1&b=2", string(AppendEpay(nil, fs)))
	assert.Equal(t, "a=1&b=2&blank= \t&c=&sign_type=MD5", string(AppendIEPay(nil, fs)))

	want := md5.Sum([]byte("a=1&b=2key"))
	got := SumEpay(fs, "key")
	assert.Equal(t, hex.EncodeToString(want[:]), string(got[:]))
	assert.True(t, VerifyEpay(fs, "key", hex.EncodeToString(want[:])))
	assert.True(t, VerifyEpay(fs, "key", strings.ToUpper(hex.EncodeToString(want[:]))))
	assert.False(t, VerifyEpay(fs, "other", hex.EncodeToString(want[:])))
	assert.False(t, VerifyEpay(fs, "key", ""))

	iw := md5.Sum([]byte("a=1&b=2&blank= \t&c=&sign_type=MD5key"))
	ig := SumIEPay(fs, "key")
	assert.Equal(t, hex.EncodeToString(iw[:]), string(ig[:]))
}

func TestEqualHex(t *testing.T) {
	t.Parallel()
	want := SumHex([]byte("x"))
	s := string(want[:])
	assert.True(t, EqualHex(s, &want))
	assert.True(t, EqualHex(strings.ToUpper(s), &want))
	assert.False(t, EqualHex(s[:31], &want))
	assert.False(t, EqualHex(s+"0", &want))
	// Bytes that merely lower to a hex digit under the A-F rule do not pass.
	bad := []byte(s)
	for i, c := range bad {
		if c >= 'a' && c <= 'f' {
			bad[i] = c - 'a' + 'G' // G..L are not hex
			break
		}
	}
	assert.False(t, EqualHex(string(bad), &want))
}

func TestMapGetValues(t *testing.T) {
	t.Parallel()
	fs := []Field{{"a", "1"}, {"b", "2"}}
	assert.Equal(t, map[string]string{"a": "1", "b": "2"}, Map(fs))
	v, ok := Get(fs, "b")
	assert.True(t, ok)
	assert.Equal(t, "2", v)
	_, ok = Get(fs, "c")
	assert.False(t, ok)
	assert.Equal(t, url.Values{"a": {"1"}, "b": {"2"}}, Values(fs))
	assert.Equal(t, []Field{{"x", ""}, {"a", "1"}, {"b", "3"}, {"b", "2"}},
		FromValues([]Field{{"x", ""}}, url.Values{"b": {"3", "2"}, "a": {"1"}}))
}

func TestPHPBlank(t *testing.T) {
	t.Parallel()
	assert.True(t, PHPBlank(""))
	assert.True(t, PHPBlank(" \t\n\r\x00\x0b"))
	assert.False(t, PHPBlank(" a "))
	assert.False(t, PHPBlank("\u00a0"))
}

const benchQuery = "money=10.5&name=Pro+plan&out_trade_no=ORDER-77&param=user%3D42&pid=1001&sign=dc95ff5d08296ea6d16474ea56675bc1&sign_type=MD5&trade_no=2026112212000012345&trade_status=TRADE_SUCCESS&type=wxpay"

// BenchmarkParseQuery decodes a notification's query string into a stack
// buffer.
func BenchmarkParseQuery(b *testing.B) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		var buf [OnStack]Field
		fs, err := ParseQuery(buf[:0], benchQuery)
		if err != nil || len(fs) != 10 {
			b.Fatal(len(fs), err)
		}
	}
}

// BenchmarkURLParseQuery is url.ParseQuery on the same query, for scale.
func BenchmarkURLParseQuery(b *testing.B) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		v, err := url.ParseQuery(benchQuery)
		if err != nil || len(v) != 10 {
			b.Fatal(v, err)
		}
	}
}

func TestParseQueryParamLimit(t *testing.T) {
	t.Parallel()
	at := strings.Repeat("a=1&", MaxParams-1) + "a=1"
	fs, err := ParseQuery(nil, at)
	require.NoError(t, err)
	assert.Len(t, fs, MaxParams)
	// One more separator is one parameter too many, even empty; url.ParseQuery
	// agrees unless the module's go line or GODEBUG lifts its limit.
	for _, raw := range []string{at + "&", at + "&a=2"} {
		_, err := ParseQuery(nil, raw)
		assert.ErrorIs(t, err, ErrMalformed, "%d bytes", len(raw))
	}
}
