package epay

import (
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/epaykit/epaykit/sign"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func validCheckout() *CheckoutRequest {
	return &CheckoutRequest{
		Type:       TypeAlipay,
		OutTradeNo: "20160806151343349",
		NotifyURL:  "http://www.pay.com/notify_url.php",
		ReturnURL:  "http://www.pay.com/return_url.php",
		Name:       "VIP会员",
		Money:      "1.00",
	}
}

// The reference document's example: exact sign, empty param dropped.
func TestCheckoutValuesMatchesVector(t *testing.T) {
	t.Parallel()
	v := loadVectors(t).EpaySign[0]
	c, err := New(testBase, v.Params["pid"], v.Key)
	require.NoError(t, err)
	vals, err := c.CheckoutValues(validCheckout())
	require.NoError(t, err)
	assert.Equal(t, url.Values{
		"pid": {"1001"}, "type": {"alipay"}, "out_trade_no": {"20160806151343349"},
		"notify_url": {"http://www.pay.com/notify_url.php"}, "return_url": {"http://www.pay.com/return_url.php"},
		"name": {"VIP会员"}, "money": {"1.00"}, "sign": {v.Sign}, "sign_type": {"MD5"},
	}, vals)
	assert.Equal(t, "427724b6656aa612cfdbe7a2262036a3", vals.Get("sign"))
}

func TestCheckoutURL(t *testing.T) {
	t.Parallel()
	v := loadVectors(t).EpaySign[1] // Kyren doc example, with param
	c, err := New("https://api.kyren.top/epay/submit.php", v.Params["pid"], v.Key)
	require.NoError(t, err)
	u, err := c.CheckoutURL(&CheckoutRequest{
		Type: "alipay", OutTradeNo: "ORDER_10001", NotifyURL: "https://merchant.example.com/notify",
		ReturnURL: "https://merchant.example.com/return", Name: "AI credits", Money: "9.99", Param: "account_123",
	})
	require.NoError(t, err)
	assert.Equal(t, "https://api.kyren.top/epay/submit.php?money=9.99&name=AI+credits"+
		"&notify_url=https%3A%2F%2Fmerchant.example.com%2Fnotify&out_trade_no=ORDER_10001&param=account_123"+
		"&pid=10001&return_url=https%3A%2F%2Fmerchant.example.com%2Freturn&sign=4b3e2eb60a762dcf012ea0c772d9ac4f"+
		"&sign_type=MD5&type=alipay", u)
	pu, err := url.Parse(u)
	require.NoError(t, err)
	m, err := sign.Flatten(pu.Query())
	require.NoError(t, err)
	assert.True(t, sign.VerifyEpay(m, v.Key))
}

func TestCheckoutExtraIsSigned(t *testing.T) {
	t.Parallel()
	c, err := New(testBase, "1001", testKey)
	require.NoError(t, err)
	r := validCheckout()
	r.Extra = map[string]string{"sitename": "My Shop", "channel_id": "7", "device": "mobile", "blank": ""}
	vals, err := c.CheckoutValues(r)
	require.NoError(t, err)
	assert.Equal(t, "My Shop", vals.Get("sitename"))
	assert.Equal(t, "7", vals.Get("channel_id"))
	assert.Equal(t, "mobile", vals.Get("device"))
	_, sent := vals["blank"]
	assert.False(t, sent, "empty extra values are not sent")
	m, _ := sign.Flatten(vals)
	assert.Equal(t, sign.Epay(m, testKey), vals.Get("sign"))
	assert.Contains(t, sign.EpayString(m), "channel_id=7&device=mobile&money=1.00")
}

func TestCheckoutFormEscapes(t *testing.T) {
	t.Parallel()
	c, err := New("https://pay.example.com/epay", "1001", testKey)
	require.NoError(t, err)
	r := validCheckout()
	r.Name = `VIP"><script>alert(1)</script>`
	r.Param = `a'b&c<d>`
	page, err := c.CheckoutForm(r)
	require.NoError(t, err)
	assert.NotContains(t, page, "<script>alert")
	assert.NotContains(t, page, `value="VIP">`)
	assert.Contains(t, page, `name="name" value="VIP&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"`)
	assert.Contains(t, page, `name="param" value="a&#39;b&amp;c&lt;d&gt;"`)
	assert.Contains(t, page, `action="https://pay.example.com/epay/submit.php"`)
	assert.Contains(t, page, `method="post"`)
	assert.True(t, strings.HasPrefix(page, "<!DOCTYPE html>"))
	assert.Equal(t, 1, strings.Count(page, "<script>"), "only the auto-submit script")
	vals, err := c.CheckoutValues(r)
	require.NoError(t, err)
	assert.Contains(t, page, `name="sign" value="`+vals.Get("sign")+`"`)
	assert.Equal(t, len(vals), strings.Count(page, `<input type="hidden"`))
}

func TestCheckoutValidation(t *testing.T) {
	t.Parallel()
	c, err := New(testBase, "1001", testKey)
	require.NoError(t, err)
	cases := []struct {
		edit  func(*CheckoutRequest)
		field string
		want  string
	}{
		{func(r *CheckoutRequest) { r.Money = "9.999" }, "money", "epay: money: want a positive amount in yuan with at most 2 decimals, such as 9.99: more than 2 decimals"},
		{func(r *CheckoutRequest) { r.Money = "-1" }, "money", "not a plain decimal"},
		{func(r *CheckoutRequest) { r.Money = "1e3" }, "money", "not a plain decimal"},
		{func(r *CheckoutRequest) { r.Money = "0" }, "money", "greater than zero"},
		{func(r *CheckoutRequest) { r.Money = "" }, "money", "epay: money: required"},
		{func(r *CheckoutRequest) { r.OutTradeNo = "" }, "out_trade_no", "epay: out_trade_no: required"},
		{func(r *CheckoutRequest) { r.OutTradeNo = "A B" }, "out_trade_no", "only letters, digits"},
		{func(r *CheckoutRequest) { r.OutTradeNo = "订单1" }, "out_trade_no", "only letters, digits"},
		{func(r *CheckoutRequest) { r.OutTradeNo = strings.Repeat("1", 65) }, "out_trade_no", "longer than 64 bytes"},
		{func(r *CheckoutRequest) { r.NotifyURL = "" }, "notify_url", "epay: notify_url: required"},
		{func(r *CheckoutRequest) { r.NotifyURL = "https://m.example/n?order=1" }, "notify_url", "must not have a query string"},
		{func(r *CheckoutRequest) { r.NotifyURL = "https://m.example/n?" }, "notify_url", "must not have a query string"},
		{func(r *CheckoutRequest) { r.NotifyURL = "/notify" }, "notify_url", "absolute http or https"},
		{func(r *CheckoutRequest) { r.NotifyURL = "javascript:alert(1)" }, "notify_url", "absolute http or https"},
		{func(r *CheckoutRequest) { r.ReturnURL = "" }, "return_url", "epay: return_url: required"},
		{func(r *CheckoutRequest) { r.ReturnURL = "ftp://m.example/r" }, "return_url", "absolute http or https"},
		{func(r *CheckoutRequest) { r.Name = "" }, "name", "epay: name: required"},
		{func(r *CheckoutRequest) { r.Name = "   " }, "name", "required"},
		{func(r *CheckoutRequest) { r.Name = strings.Repeat("好", 43) }, "name", "longer than 127 bytes"},
		{func(r *CheckoutRequest) { r.Name = "a\x00b" }, "name", "control characters"},
		{func(r *CheckoutRequest) { r.Name = "a\xffb" }, "name", "not valid UTF-8"},
		{func(r *CheckoutRequest) { r.Param = "a\nb" }, "param", "control characters"},
		{func(r *CheckoutRequest) { r.Extra = map[string]string{"money": "1"} }, "Extra", "key money repeats a request field"},
		{func(r *CheckoutRequest) { r.Extra = map[string]string{"param": ""} }, "Extra", "key param repeats a request field"},
		{func(r *CheckoutRequest) { r.Extra = map[string]string{"pid": "2"} }, "Extra", "key pid is set by the client"},
		{func(r *CheckoutRequest) { r.Extra = map[string]string{"sign": "x"} }, "Extra", "key sign is set by the client"},
		{func(r *CheckoutRequest) { r.Extra = map[string]string{"sign_type": "RSA"} }, "Extra", "key sign_type is set by the client"},
		{func(r *CheckoutRequest) { r.Extra = map[string]string{"": "x"} }, "Extra", "a key is empty"},
		{func(r *CheckoutRequest) { r.Extra = map[string]string{"a=b": "x"} }, "Extra", "not allowed in a field name"},
	}
	for _, tc := range cases {
		r := validCheckout()
		tc.edit(r)
		_, err := c.CheckoutURL(r)
		require.Error(t, err, tc.want)
		assert.Contains(t, err.Error(), tc.want)
		assert.ErrorIs(t, err, ErrInvalidRequest)
		var fe *FieldError
		require.True(t, errors.As(err, &fe))
		assert.Equal(t, tc.field, fe.Field)
	}
	// 127 bytes is allowed: 42 three-byte runes and one byte.
	r := validCheckout()
	r.Name = strings.Repeat("好", 42) + "a"
	_, err = c.CheckoutURL(r)
	assert.NoError(t, err)
	r = validCheckout()
	r.OutTradeNo = strings.Repeat("a", 64)
	r.Type = ""
	_, err = c.CheckoutURL(r)
	assert.NoError(t, err)
	// A money error unwraps to ErrInvalidMoney.
	r = validCheckout()
	r.Money = "1.005"
	_, err = c.CheckoutURL(r)
	assert.ErrorIs(t, err, ErrInvalidMoney)
}
