package iepaytest

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/epaykit/epaykit/sign"
)

func payURL(t *testing.T, m map[string]any) string {
	t.Helper()
	return m["extra"].(map[string]any)["pay_url"].(string)
}

func TestCheckoutPayRedirects(t *testing.T) {
	t.Parallel()
	m := newShop(t, 0)
	s := newServer(t)
	p := createParams("ORDER-1001", "IE0012")
	p["notify_url"] = m.notifyURL()
	p["return_url"] = "https://shop.example.nz/return?cart=9"
	page := payURL(t, create(t, s, p))
	require.Equal(t, s.URL+"pay/2026000000000000000000000001", page)

	c := httpClient(t)
	r := do(t, c, http.MethodGet, page, nil)
	assert.Equal(t, http.StatusOK, r.status)
	assert.Equal(t, "text/html; charset=utf-8", r.header.Get("Content-Type"))
	assert.Contains(t, r.body, "<dd>ORDER-1001</dd>")
	assert.Contains(t, r.body, "<dd>Green tea</dd>")
	assert.Contains(t, r.body, "<dd>NZD 12.50</dd>")
	assert.Contains(t, r.body, `<form method="post" action="/iepay/pay/2026000000000000000000000001/pay"><button type="submit">Pay</button></form>`)
	assert.Contains(t, r.body, `<form method="post" action="/iepay/pay/2026000000000000000000000001/cancel"><button type="submit">Cancel</button></form>`)

	r = do(t, c, http.MethodPost, page+"/pay", url.Values{})
	require.Equal(t, http.StatusSeeOther, r.status, r.body)
	assert.Equal(t, "https://shop.example.nz/return?cart=9&out_trade_no=ORDER-1001&trade_no=2026000000000000000000000001"+
		"&trade_status=SUCCESS&pay_type=IE0012&sign=3259f1608265d8cb61e7cbc3f140bb5e", r.header.Get("Location"))
	loc, err := url.Parse(r.header.Get("Location"))
	require.NoError(t, err)
	q := loc.Query()
	assert.True(t, sign.VerifyIEPayNotify(q.Get("trade_no"), q.Get("out_trade_no"), q.Get("sign"), s.Key))

	// The notification was delivered before the browser was redirected.
	assert.Equal(t, 1, m.count())
	o, _ := s.Order("ORDER-1001")
	assert.Equal(t, StatusPaid, o.Status)

	// Paying twice is refused; the page shows the order as paid.
	r = do(t, c, http.MethodPost, page+"/pay", url.Values{})
	assert.Equal(t, http.StatusConflict, r.status)
	assert.Contains(t, r.body, "<h1>Order cannot be paid</h1>")
	r = do(t, c, http.MethodGet, page, nil)
	assert.Contains(t, r.body, "<h1>Order already paid</h1>")
	assert.NotContains(t, r.body, "<button")
	assert.Equal(t, 1, m.count())
}

func TestCheckoutPayWithoutReturnURL(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	p := withField(createParams("R-1", "IE0013"), "total_fee", "\x00delete")
	p["rmb_fee"] = "5"
	page := payURL(t, create(t, s, p))
	r := do(t, httpClient(t), http.MethodPost, page+"/pay", url.Values{})
	assert.Equal(t, http.StatusOK, r.status)
	assert.Contains(t, r.body, "<h1>Payment successful</h1>")
	assert.Contains(t, r.body, "<dd>CNY 0.05</dd>")
	o, _ := s.Order("R-1")
	assert.True(t, o.Paid())
}

func TestCheckoutCancel(t *testing.T) {
	t.Parallel()
	m := newShop(t, 0)
	s := newServer(t)
	p := createParams("C-1", "IE0011")
	p["notify_url"] = m.notifyURL()
	page := payURL(t, create(t, s, p))
	r := do(t, httpClient(t), http.MethodPost, page+"/cancel", url.Values{})
	assert.Equal(t, http.StatusOK, r.status)
	assert.Contains(t, r.body, "<h1>Payment cancelled</h1>")
	o, _ := s.Order("C-1")
	assert.Equal(t, StatusUnpaid, o.Status)
	assert.Equal(t, 0, m.count())
	// Still payable afterwards.
	require.NoError(t, s.Pay("C-1"))
}

func TestCheckoutErrors(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	page := payURL(t, create(t, s, createParams("E-1", "IE0011")))
	c := httpClient(t)
	for _, tc := range []struct {
		method, url string
		status      int
	}{
		{http.MethodGet, s.URL + "pay/2026000000000000000000000999", http.StatusNotFound},
		{http.MethodGet, s.URL + "pay/", http.StatusNotFound},
		{http.MethodGet, page + "/refund", http.StatusNotFound},
		{http.MethodGet, page + "/pay", http.StatusMethodNotAllowed},
		{http.MethodGet, page + "/cancel", http.StatusMethodNotAllowed},
		{http.MethodPost, page, http.StatusMethodNotAllowed},
		{http.MethodHead, page, http.StatusOK},
	} {
		r := do(t, c, tc.method, tc.url, nil)
		assert.Equal(t, tc.status, r.status, "%s %s", tc.method, tc.url)
	}
	o, _ := s.Order("E-1")
	assert.Equal(t, StatusUnpaid, o.Status)
}

func TestCheckoutEscapes(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	page := payURL(t, create(t, s, createParams("X-1", "IE0011")))
	// The API refuses markup; put some in directly to prove the page escapes.
	s.mu.Lock()
	s.orders["X-1"].Goods = `<script>alert("x")</script>`
	s.mu.Unlock()
	r := do(t, httpClient(t), http.MethodGet, page, nil)
	assert.NotContains(t, r.body, "<script>")
	assert.Contains(t, r.body, "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;")
}

func TestCheckoutWeChatQROrder(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	m := create(t, s, createParams("WX-1", "IE0021"))
	assert.True(t, strings.HasPrefix(payURL(t, m), "weixin://"))
	// The checkout page exists for it too, under its trade number.
	o, _ := s.Order("WX-1")
	r := do(t, httpClient(t), http.MethodGet, s.URL+"pay/"+o.TradeNo, nil)
	assert.Equal(t, http.StatusOK, r.status)
	assert.Contains(t, r.body, "<dd>IE0021</dd>")
}

func TestFormatAmount(t *testing.T) {
	t.Parallel()
	for c, want := range map[int64]string{1: "NZD 0.01", 10: "NZD 0.10", 100: "NZD 1.00", 123456: "NZD 1234.56"} {
		assert.Equal(t, want, formatAmount(&Order{TotalFee: c}))
	}
}
