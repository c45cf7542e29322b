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
	"errors"
	"net/url"
	"strings"

	"github.com/epaykit/epaykit/internal/fields"
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

// collect returns the entries of params that the Epay rule (epay true) or
// the IEPay rule signs, sorted, in the caller's stack array when they fit.
func collect(stack *[fields.OnStack]fields.Field, params map[string]string, epay bool) []fields.Field {
	fs := stack[:0]
	for k, v := range params {
		if k == "sign" || epay && (k == "sign_type" || fields.PHPBlank(v)) {
			continue
		}
		fs = append(fs, fields.Field{Name: k, Value: v})
	}
	fields.Sort(fs)
	return fs
}

func appendCanonical(dst []byte, params map[string]string, epay bool) []byte {
	var stack [fields.OnStack]fields.Field
	fs := collect(&stack, params, epay)
	if epay {
		return fields.AppendEpay(dst, fs)
	}
	return fields.AppendIEPay(dst, fs)
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
	var stack [fields.OnStack]fields.Field
	h := fields.SumEpay(collect(&stack, params, true), key)
	return string(h[:])
}

// VerifyEpay reports whether params["sign"] is the Epay V1 signature of params
// under key. The received sign may be lower- or upper-case hex; the comparison
// takes constant time. params is not modified. A missing sign never verifies.
func VerifyEpay(params map[string]string, key string) bool {
	var stack [fields.OnStack]fields.Field
	return fields.VerifyEpay(collect(&stack, params, true), key, params["sign"])
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
	var stack [fields.OnStack]fields.Field
	h := fields.SumIEPay(collect(&stack, params, false), key)
	return string(h[:])
}

// VerifyIEPay reports whether params["sign"] is the IEPay request signature of
// params under key, in constant time. params is not modified.
func VerifyIEPay(params map[string]string, key string) bool {
	got := params["sign"]
	if got == "" {
		return false
	}
	var stack [fields.OnStack]fields.Field
	want := fields.SumIEPay(collect(&stack, params, false), key)
	return fields.EqualHex(got, &want)
}

// IEPayNotifyString returns the string IEPay hashes (with the key appended)
// to sign a notification: trade_no + out_trade_no + "SUCCESS".
func IEPayNotifyString(tradeNo, outTradeNo string) string {
	return tradeNo + outTradeNo + "SUCCESS"
}

// IEPayNotify returns the IEPay notification signature
// md5(trade_no + out_trade_no + "SUCCESS" + key), lowercase hex.
func IEPayNotify(tradeNo, outTradeNo, key string) string {
	h := iepayNotify(tradeNo, outTradeNo, key)
	return string(h[:])
}

func iepayNotify(tradeNo, outTradeNo, key string) [32]byte {
	var buf [256]byte
	b := append(buf[:0], tradeNo...)
	b = append(b, outTradeNo...)
	b = append(b, "SUCCESS"...)
	b = append(b, key...)
	return fields.SumHex(b)
}

// VerifyIEPayNotify reports whether sign is the IEPay notification signature
// for tradeNo and outTradeNo under key, in either hex case, in constant time.
func VerifyIEPayNotify(tradeNo, outTradeNo, sign, key string) bool {
	if sign == "" {
		return false
	}
	want := iepayNotify(tradeNo, outTradeNo, key)
	return fields.EqualHex(sign, &want)
}
