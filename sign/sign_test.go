package sign

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type vector struct {
	Name         string            `json:"name"`
	Key          string            `json:"key"`
	Params       map[string]string `json:"params"`
	StringToSign string            `json:"string_to_sign"`
	Sign         string            `json:"sign"`
}

type vectorFile struct {
	EpaySign    []vector `json:"epay_sign"`
	EpayNotify  []vector `json:"epay_notify"`
	IEPaySign   []vector `json:"iepay_sign"`
	IEPayNotify []vector `json:"iepay_notify"`
}

func loadVectors(t testing.TB) vectorFile {
	t.Helper()
	b, err := os.ReadFile("testdata/vectors.json")
	require.NoError(t, err)
	var f vectorFile
	require.NoError(t, json.Unmarshal(b, &f))
	require.NotEmpty(t, f.EpaySign)
	require.NotEmpty(t, f.EpayNotify)
	require.NotEmpty(t, f.IEPaySign)
	require.NotEmpty(t, f.IEPayNotify)
	return f
}

func TestEpayVectors(t *testing.T) {
	t.Parallel()
	f := loadVectors(t)
	for _, v := range append(append([]vector{}, f.EpaySign...), f.EpayNotify...) {
		t.Run(v.Name, func(t *testing.T) {
			before := maps.Clone(v.Params)
			assert.Equal(t, v.StringToSign, EpayString(v.Params))
			assert.Equal(t, v.Sign, Epay(v.Params, v.Key))
			signed := maps.Clone(v.Params)
			signed["sign"] = v.Sign
			assert.True(t, VerifyEpay(signed, v.Key))
			signed["sign"] = strings.ToUpper(v.Sign)
			assert.True(t, VerifyEpay(signed, v.Key), "upper-case hex must verify")
			assert.False(t, VerifyEpay(signed, v.Key+"x"))
			assert.Equal(t, before, v.Params, "signing must not modify params")
		})
	}
}

func TestEpayNotifyVectorsVerifyAsReceived(t *testing.T) {
	t.Parallel()
	for _, v := range loadVectors(t).EpayNotify {
		t.Run(v.Name, func(t *testing.T) {
			before := maps.Clone(v.Params)
			require.Contains(t, v.Params, "sign")
			assert.True(t, VerifyEpay(v.Params, v.Key))
			assert.Equal(t, before, v.Params)
			// Every signed field changed by one character breaks the signature.
			for k := range v.Params {
				if k == "sign" || k == "sign_type" {
					continue
				}
				tampered := maps.Clone(v.Params)
				tampered[k] += "1"
				assert.False(t, VerifyEpay(tampered, v.Key), "tampered %s", k)
			}
			noSign := maps.Clone(v.Params)
			delete(noSign, "sign")
			assert.False(t, VerifyEpay(noSign, v.Key))
		})
	}
}

func TestIEPayVectors(t *testing.T) {
	t.Parallel()
	f := loadVectors(t)
	for _, v := range f.IEPaySign {
		t.Run(v.Name, func(t *testing.T) {
			assert.Equal(t, v.StringToSign, IEPayString(v.Params))
			assert.Equal(t, v.Sign, IEPay(v.Params, v.Key))
			signed := maps.Clone(v.Params)
			signed["sign"] = v.Sign
			assert.True(t, VerifyIEPay(signed, v.Key))
			assert.False(t, VerifyIEPay(signed, v.Key[1:]))
		})
	}
	for _, v := range f.IEPayNotify {
		t.Run(v.Name, func(t *testing.T) {
			p := v.Params
			assert.Equal(t, v.StringToSign, IEPayNotifyString(p["trade_no"], p["out_trade_no"]))
			assert.Equal(t, v.Sign, IEPayNotify(p["trade_no"], p["out_trade_no"], v.Key))
			assert.True(t, VerifyIEPayNotify(p["trade_no"], p["out_trade_no"], p["sign"], v.Key))
			assert.True(t, VerifyIEPayNotify(p["trade_no"], p["out_trade_no"], strings.ToUpper(p["sign"]), v.Key))
			assert.False(t, VerifyIEPayNotify(p["trade_no"]+"0", p["out_trade_no"], p["sign"], v.Key))
			assert.False(t, VerifyIEPayNotify(p["trade_no"], p["out_trade_no"]+"0", p["sign"], v.Key))
			assert.False(t, VerifyIEPayNotify(p["trade_no"], p["out_trade_no"], "", v.Key))
			assert.False(t, VerifyIEPayNotify(p["trade_no"], p["out_trade_no"], p["sign"], v.Key+"0"))
		})
	}
}

func TestEpayBlankRule(t *testing.T) {
	t.Parallel()
	p := map[string]string{
		"a": "0", "b": "", "c": " \t\r\n\x00\x0b", "d": "\u00a0", "e": "\u3000",
		"sign": "x", "sign_type": "MD5", "f": " x ",
	}
	assert.Equal(t, "a=0&d=\u00a0&e=\u3000&f= x ", EpayString(p))
	assert.Equal(t, "", EpayString(nil))
	assert.Equal(t, "", EpayString(map[string]string{"sign": "1"}))
}

func TestEpayManyKeys(t *testing.T) {
	t.Parallel()
	// More keys than fit on the stack and than the insertion sort handles.
	p := map[string]string{}
	var want []string
	for c := 'z'; c >= 'a'; c-- {
		p[string(c)] = "v"
	}
	for c := 'a'; c <= 'z'; c++ {
		want = append(want, string(c)+"=v")
	}
	assert.Equal(t, strings.Join(want, "&"), EpayString(p))
}

func TestVerifyRejectsMalformedSign(t *testing.T) {
	t.Parallel()
	p := map[string]string{"pid": "1", "money": "1.00"}
	good := Epay(p, "k")
	for _, bad := range []string{"", good[:31], good + "0", strings.Repeat("g", 32), " " + good[1:], good[:31] + "G"} {
		q := maps.Clone(p)
		q["sign"] = bad
		assert.False(t, VerifyEpay(q, "k"), "sign %q", bad)
	}
	// Letters just past 'f'/'F' must not be folded onto hex digits.
	for _, shift := range []rune{6, 6 - 32} {
		q := maps.Clone(p)
		q["sign"] = strings.Map(func(r rune) rune {
			if r >= 'a' && r <= 'f' {
				return r + shift // a..f -> g..l or G..L
			}
			return r
		}, good)
		require.NotEqual(t, good, q["sign"])
		assert.False(t, VerifyEpay(q, "k"), q["sign"])
	}
}

func TestFlatten(t *testing.T) {
	t.Parallel()
	m, err := Flatten(url.Values{"a": {"1"}, "b": {""}})
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"a": "1", "b": ""}, m)

	_, err = Flatten(url.Values{"a": {"1"}, "money": {"1", "1"}})
	require.Error(t, err)
	assert.True(t, errors.Is(err, ErrDuplicateParam))
	var de *DuplicateParamError
	require.ErrorAs(t, err, &de)
	assert.Equal(t, "money", de.Key)
	assert.Contains(t, err.Error(), `"money"`)

	_, err = EpayValuesString(url.Values{"x": {"1", "2"}})
	assert.ErrorIs(t, err, ErrDuplicateParam)
	s, err := EpayValuesString(url.Values{"b": {"2"}, "a": {"1"}})
	require.NoError(t, err)
	assert.Equal(t, "a=1&b=2", s)
}

func ExampleEpay() {
	params := map[string]string{
		"pid":          "1001",
		"type":         "alipay",
		"out_trade_no": "20160806151343349",
		"notify_url":   "http://www.pay.com/notify_url.php",
		"return_url":   "http://www.pay.com/return_url.php",
		"name":         "VIP会员",
		"money":        "1.00",
	}
	fmt.Println(EpayString(params))
	fmt.Println(Epay(params, "89unJUB8HZ54Hj7x4nUj56HN4nUzUJ8i"))
	// Output:
	// money=1.00&name=VIP会员&notify_url=http://www.pay.com/notify_url.php&out_trade_no=20160806151343349&pid=1001&return_url=http://www.pay.com/return_url.php&type=alipay
	// 427724b6656aa612cfdbe7a2262036a3
}

func ExampleVerifyIEPayNotify() {
	ok := VerifyIEPayNotify("4200000123202010220000000001", "2020102204514282",
		"68f87ba56e67ee375fb9fb9f53258d0e", "e560fb2e61e4d1fe6a11c278388cb965")
	fmt.Println(ok)
	// Output: true
}
