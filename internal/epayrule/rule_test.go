package epayrule

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestRules(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "", OutTradeNo("A.B|C_D-E9"))
	assert.Equal(t, "required", OutTradeNo(""))
	assert.Contains(t, OutTradeNo("A B"), "only letters")
	assert.Contains(t, OutTradeNo(strings.Repeat("1", 65)), "64 bytes")
	assert.Equal(t, "", Ref("2026 任何"))
	assert.NotEmpty(t, Ref("a\nb"))
	assert.NotEmpty(t, Ref(strings.Repeat("x", 257)))
	assert.Equal(t, "", Name("VIP会员"))
	assert.Equal(t, "required", Name("  "))
	assert.NotEmpty(t, Name(strings.Repeat("名", 43)), "129 bytes")
	assert.Equal(t, "not valid UTF-8", Name("a\xff"))
	assert.Equal(t, "contains control characters", Name("a\x00"))
	assert.Equal(t, "", URL("https://shop.example/n", true))
	assert.Contains(t, URL("https://shop.example/n?x=1", true), "query string")
	assert.Equal(t, "", URL("https://shop.example/r?x=1", false))
	assert.NotEmpty(t, URL("/relative", false))
	assert.NotEmpty(t, URL("ftp://x/y", false))
	assert.NotEmpty(t, URL("https://x/a b", false))
	assert.Equal(t, "", IP("2001:db8::1"))
	assert.NotEmpty(t, IP("localhost"))
	f, r := Extra(map[string]string{"channel_id": "7"}, []string{"name"}, []string{"pid"})
	assert.Equal(t, "", f+r)
	for extra, want := range map[string]string{"": "Extra", "pid": "Extra", "name": "Extra", "a=b": "Extra"} {
		f, r = Extra(map[string]string{extra: "v"}, []string{"name"}, []string{"pid"})
		assert.Equal(t, want, f, extra)
		assert.NotEmpty(t, r, extra)
	}
	f, _ = Extra(map[string]string{"memo": "a\x01"}, nil, nil)
	assert.Equal(t, "Extra[memo]", f)
}
