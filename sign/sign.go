// Package sign computes and verifies the MD5 signatures of the Epay (易支付)
// and IEPay merchant protocols.
//
// The functions are pure: they do no I/O, never modify their arguments, and
// compare signatures in constant time. The merchant key is only ever hashed;
// it is never part of a returned string other than the signature itself.
//
// Epay (V1) signs every parameter except sign and sign_type whose value is not
// empty or white space (PHP trim's set), sorted by key in byte order, joined as
// k=v with '&', values raw, with the key appended:
//
//	md5("money=1.00&name=VIP&out_trade_no=1&pid=1001&type=alipay" + key)
//
// IEPay signs every request field except sign the same way; its notifications
// carry md5(trade_no + out_trade_no + "SUCCESS" + key).
//
// Epay's V2 API signs the same string (without a key) with SHA256withRSA,
// PKCS#1 v1.5, base64: SignRSA and VerifyRSA, with ParseRSAPrivateKey and
// ParseRSAPublicKey for keys in PEM or as the bare base64 merchant panels
// show.
package sign

import (
	"crypto/md5"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"net/url"
	"slices"
	"strings"
)

// ErrDuplicateParam reports a parameter that occurs more than once in one
// request. PHP keeps the last value and Go's url.Values.Get the first, so a
// duplicated parameter would let the verified value differ from the used one.
var ErrDuplicateParam = errors.New("sign: duplicate parameter")

// DuplicateParamError names the parameter that occurred more than once.
// It matches ErrDuplicateParam with errors.Is.
type DuplicateParamError struct {
	Key string
}

func (e *DuplicateParamError) Error() string {
	return "sign: parameter " + quoteKey(e.Key) + " occurs more than once"
}

// Is reports whether target is ErrDuplicateParam.
func (e *DuplicateParamError) Is(target error) bool { return target == ErrDuplicateParam }

// quoteKey quotes a parameter name for an error message, shortened so that an
// attacker-chosen name cannot flood a log line.
func quoteKey(k string) string {
	const max = 64
	if len(k) > max {
		k = k[:max] + "..."
	}
	return `"` + strings.ToValidUTF8(k, "?") + `"`
}

// Flatten turns decoded query or form values into a map with one value per
// key. A key that occurs more than once (even with equal values) is rejected
// with a *DuplicateParamError.
func Flatten(v url.Values) (map[string]string, error) {
	m := make(map[string]string, len(v))
	for k, vs := range v {
		if len(vs) != 1 {
			if len(vs) == 0 {
				continue
			}
			return nil, &DuplicateParamError{Key: k}
		}
		m[k] = vs[0]
	}
	return m, nil
}

// phpBlank reports whether s is empty or made only of the bytes PHP's trim()
// removes: space, \t, \n, \r, \0 and \x0B.
func phpBlank(s string) bool {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ' ', '\t', '\n', '\r', 0, '\x0b':
		default:
			return false
		}
	}
	return true
}

// pairsOnStack is how many parameters appendCanonical handles without a heap
// allocation.
const pairsOnStack = 16

type pair struct{ k, v string }

// keyLess orders parameter names in byte order, deciding on the first byte
// without a call where it can (request fields rarely share one).
func keyLess(a, b string) bool {
	if len(a) > 0 && len(b) > 0 && a[0] != b[0] {
		return a[0] < b[0]
	}
	return a < b
}

// appendCanonical appends the sorted k=v&k=v string of the parameters that
// the Epay rule (epay true) or the IEPay rule signs.
func appendCanonical(dst []byte, params map[string]string, epay bool) []byte {
	var stack [pairsOnStack]pair
	ps := stack[:0]
	for k, v := range params {
		if k == "sign" || epay && (k == "sign_type" || phpBlank(v)) {
			continue
		}
		ps = append(ps, pair{k, v})
	}
	if len(ps) <= 16 {
		// Insertion sort beats a general sort for a request's few fields.
		for i := 1; i < len(ps); i++ {
			p := ps[i]
			j := i
			for ; j > 0 && keyLess(p.k, ps[j-1].k); j-- {
				ps[j] = ps[j-1]
			}
			ps[j] = p
		}
	} else {
		slices.SortFunc(ps, func(a, b pair) int { return strings.Compare(a.k, b.k) })
	}
	for i, p := range ps {
		if i > 0 {
			dst = append(dst, '&')
		}
		dst = append(dst, p.k...)
		dst = append(dst, '=')
		dst = append(dst, p.v...)
	}
	return dst
}

// sum returns the lowercase hex MD5 of canonical(params) followed by key.
func sum(params map[string]string, key string, epay bool) string {
	var buf [512]byte
	b := appendCanonical(buf[:0], params, epay)
	b = append(b, key...)
	return hexMD5(b)
}

func hexMD5(b []byte) string {
	d := md5.Sum(b)
	var out [32]byte
	hex.Encode(out[:], d[:])
	return string(out[:])
}

// equalHex compares a received hex signature, in either case, with the
// expected lowercase one in constant time (the length is not secret).
func equalHex(received, want string) bool {
	if len(received) != len(want) || len(want) != 32 {
		return false
	}
	var lower [32]byte
	for i := 0; i < 32; i++ {
		c := received[i]
		// Branch-free ASCII lowering of A-F; other bytes stay as they are
		// and then fail the comparison.
		isUpper := subtle.ConstantTimeByteEq(c&0xF8, 0x40) & subtle.ConstantTimeLessOrEq(1, int(c&7)) & subtle.ConstantTimeLessOrEq(int(c&7), 6)
		lower[i] = c | byte(isUpper<<5)
	}
	return subtle.ConstantTimeCompare(lower[:], []byte(want)) == 1
}

// EpayString returns the Epay V1 string-to-sign of params (the key is not
// included): sign, sign_type and blank values are dropped, the rest sorted in
// byte order and joined as k=v pairs with '&', values not URL-encoded.
func EpayString(params map[string]string) string {
	return string(appendCanonical(nil, params, true))
}

// EpayValuesString is EpayString for decoded url.Values; a parameter that
// occurs more than once is an error.
func EpayValuesString(v url.Values) (string, error) {
	m, err := Flatten(v)
	if err != nil {
		return "", err
	}
	return EpayString(m), nil
}

// Epay returns the Epay V1 MD5 signature of params: the lowercase hex MD5 of
// EpayString(params) followed directly by key.
func Epay(params map[string]string, key string) string {
	return sum(params, key, true)
}

// VerifyEpay reports whether params["sign"] is the Epay V1 signature of params
// under key. The received sign may be lower- or upper-case hex; the comparison
// takes constant time. params is not modified. A missing sign never verifies.
func VerifyEpay(params map[string]string, key string) bool {
	got, ok := params["sign"]
	if !ok || got == "" {
		return false
	}
	return equalHex(got, Epay(params, key))
}

// IEPayString returns the IEPay v1 request string-to-sign: every field except
// sign, sorted in byte order, joined as k=v pairs with '&', values raw. Empty
// values are signed like any other; the IEPay client never sends them.
func IEPayString(params map[string]string) string {
	return string(appendCanonical(nil, params, false))
}

// IEPay returns the IEPay v1 request signature: the lowercase hex MD5 of
// IEPayString(params) followed directly by key.
func IEPay(params map[string]string, key string) string {
	return sum(params, key, false)
}

// VerifyIEPay reports whether params["sign"] is the IEPay request signature of
// params under key, in constant time. params is not modified.
func VerifyIEPay(params map[string]string, key string) bool {
	got, ok := params["sign"]
	if !ok || got == "" {
		return false
	}
	return equalHex(got, IEPay(params, key))
}

// IEPayNotifyString returns the string IEPay hashes (with the key appended)
// to sign a notification: trade_no + out_trade_no + "SUCCESS".
func IEPayNotifyString(tradeNo, outTradeNo string) string {
	return tradeNo + outTradeNo + "SUCCESS"
}

// IEPayNotify returns the IEPay notification signature
// md5(trade_no + out_trade_no + "SUCCESS" + key), lowercase hex.
func IEPayNotify(tradeNo, outTradeNo, key string) string {
	var buf [256]byte
	b := append(buf[:0], tradeNo...)
	b = append(b, outTradeNo...)
	b = append(b, "SUCCESS"...)
	b = append(b, key...)
	return hexMD5(b)
}

// VerifyIEPayNotify reports whether sign is the IEPay notification signature
// for tradeNo and outTradeNo under key, in either hex case, in constant time.
func VerifyIEPayNotify(tradeNo, outTradeNo, sign, key string) bool {
	if sign == "" {
		return false
	}
	return equalHex(sign, IEPayNotify(tradeNo, outTradeNo, key))
}
