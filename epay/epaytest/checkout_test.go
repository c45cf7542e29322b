package epaytest

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/epaykit/epaykit/sign"
)

func checkoutParams(outTradeNo, notifyURL string) map[string]string {
	return map[string]string{
		"pid":          DefaultPID,
		"type":         "wxpay",
		"out_trade_no": outTradeNo,
		"notify_url":   notifyURL,
		"return_url":   "https://shop.example.com/return?from=epay",
		"name":         `<script>alert("x")</script>`,
		"money":        "0.01",
	}
}

func TestCheckoutPay(t *testing.T) {
	t.Parallel()
	m := newNotifySink(t, 0)
	s := newServer(t)
	c := httpClient(t)

	page := do(t, c, http.MethodGet, s.URL+"submit.php?"+signedValues(checkoutParams("CO-1", m.notifyURL()), s.Key).Encode(), nil)
	require.Equal(t, http.StatusOK, page.status)
	assert.Equal(t, "text/html; charset=utf-8", page.header.Get("Content-Type"))
	body := string(page.body)
	assert.NotContains(t, body, "<script>alert")
	assert.Contains(t, body, "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;")
	assert.Contains(t, body, "¥0.01")
	o, ok := s.Order("CO-1")
	require.True(t, ok)
	assert.Contains(t, body, `action="`+o.PayURL+`"`)
	assert.Contains(t, body, `value="pay"`)
	assert.Contains(t, body, `value="cancel"`)
	assert.Empty(t, s.Requests(), "submit.php is not an API request")

	// The same checkout again (the buyer reloads): same order.
	do(t, c, http.MethodGet, s.URL+"submit.php?"+signedValues(checkoutParams("CO-1", m.notifyURL()), s.Key).Encode(), nil)
	assert.Len(t, s.Orders(), 1)

	get := do(t, c, http.MethodGet, o.PayURL, nil)
	assert.Equal(t, http.StatusOK, get.status)
	assert.Contains(t, string(get.body), `value="pay"`)

	paid := do(t, c, http.MethodPost, o.PayURL, url.Values{"action": {"pay"}})
	require.Equal(t, http.StatusSeeOther, paid.status)
	loc, err := url.Parse(paid.header.Get("Location"))
	require.NoError(t, err)
	assert.Equal(t, "shop.example.com", loc.Host)
	assert.Equal(t, "/return", loc.Path)
	q := loc.Query()
	assert.Equal(t, "epay", q.Get("from"))
	q.Del("from")
	assert.True(t, sign.VerifyEpay(flat(q), s.Key))
	assert.Equal(t, "0.01", q.Get("money"))
	assert.Equal(t, "TRADE_SUCCESS", q.Get("trade_status"))
	assert.Equal(t, o.TradeNo, q.Get("trade_no"))

	// The notification was delivered before the redirect.
	assert.Equal(t, 1, m.count())
	assert.Equal(t, q, m.form(0))
	o, _ = s.Order("CO-1")
	assert.Equal(t, StatusPaid, o.Status)

	// Pressing Pay again pays nothing twice.
	again := do(t, c, http.MethodPost, o.PayURL, url.Values{"action": {"pay"}})
	assert.Equal(t, http.StatusSeeOther, again.status)
	assert.Len(t, s.Deliveries(), 1)
	shown := do(t, c, http.MethodGet, o.PayURL, nil)
	assert.NotContains(t, string(shown.body), `value="pay"`)
	assert.Contains(t, string(shown.body), "paid")
}

func TestCheckoutCancelAndErrors(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	c := httpClient(t)
	// POST form to submit.php.
	page := do(t, c, http.MethodPost, s.URL+"submit.php", signedValues(checkoutParams("CO-2", "https://shop.example.com/n"), s.Key))
	require.Equal(t, http.StatusOK, page.status)
	o, ok := s.Order("CO-2")
	require.True(t, ok)

	cancel := do(t, c, http.MethodPost, o.PayURL, url.Values{"action": {"cancel"}})
	assert.Equal(t, http.StatusOK, cancel.status)
	assert.Contains(t, string(cancel.body), "支付已取消")
	o, _ = s.Order("CO-2")
	assert.Equal(t, StatusUnpaid, o.Status)
	assert.Empty(t, s.Deliveries())

	assert.Equal(t, http.StatusBadRequest, do(t, c, http.MethodPost, o.PayURL, url.Values{"action": {"x"}}).status)
	assert.Equal(t, http.StatusMethodNotAllowed, do(t, c, http.MethodDelete, o.PayURL, nil).status)
	assert.Equal(t, http.StatusNotFound, do(t, c, http.MethodGet, s.URL+"pay/123", nil).status)

	// Errors are an HTML page with the reference server's message.
	p := checkoutParams("CO-3", "https://shop.example.com/n")
	v := signedValues(p, s.Key)
	v.Set("money", "0.02")
	bad := do(t, c, http.MethodGet, s.URL+"submit.php?"+v.Encode(), nil)
	assert.Equal(t, http.StatusOK, bad.status)
	assert.Contains(t, string(bad.body), "签名校验失败，请返回重试！")
	delete(p, "return_url")
	bad = do(t, c, http.MethodGet, s.URL+"submit.php?"+signedValues(p, s.Key).Encode(), nil)
	assert.Contains(t, string(bad.body), "缺少参数return_url")
	_, ok = s.Order("CO-3")
	assert.False(t, ok)

	// Outside the prefix nothing is served: a client with a wrong base URL fails.
	root := strings.TrimSuffix(s.URL, "epay/")
	assert.Equal(t, http.StatusNotFound, do(t, c, http.MethodPost, root+"mapi.php", url.Values{}).status)
	assert.Equal(t, http.StatusNotFound, do(t, c, http.MethodGet, s.URL+"other.php", nil).status)
}

func TestCheckoutPayWithoutReturnURL(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	o := mustCreate(t, s, NewOrder{OutTradeNo: "CO-4", Money: "2", Name: "Book"})
	r := do(t, httpClient(t), http.MethodPost, o.PayURL, url.Values{"action": {"pay"}})
	assert.Equal(t, http.StatusOK, r.status)
	assert.Contains(t, string(r.body), "支付成功")
	got, _ := s.Order("CO-4")
	assert.Equal(t, StatusPaid, got.Status)

	require.NoError(t, s.SetStatus("CO-4", StatusRefunded))
	r = do(t, httpClient(t), http.MethodPost, o.PayURL, url.Values{"action": {"pay"}})
	assert.Contains(t, string(r.body), "refunded")
}
