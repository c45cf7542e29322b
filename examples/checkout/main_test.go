package main

import (
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/epaykit/epaykit/epay"
	"github.com/epaykit/epaykit/epay/epaytest"
)

// browser does what a browser does, one step at a time (no automatic
// redirects, so every hop is checked).
type browser struct {
	t *testing.T
	c *http.Client
}

func (b browser) do(method, u string, form url.Values) (int, string, string) {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, u, body)
	require.NoError(b.t, err)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := b.c.Do(req)
	require.NoError(b.t, err)
	defer resp.Body.Close()
	page, err := io.ReadAll(resp.Body)
	require.NoError(b.t, err)
	return resp.StatusCode, resp.Header.Get("Location"), string(page)
}

func TestCheckoutFlow(t *testing.T) {
	gw := epaytest.NewServer(epaytest.WithTest(t))
	client, err := epay.New(gw.URL, gw.PID, gw.Key)
	require.NoError(t, err)
	var handler http.Handler
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)
	handler = newShop(client, srv.URL, slog.New(slog.NewTextHandler(io.Discard, nil)))

	b := browser{t, &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	code, _, page := b.do("GET", srv.URL+"/", nil)
	require.Equal(t, 200, code)
	assert.Contains(t, page, "epaykit sticker pack: ¥12.90")

	code, loc, _ := b.do("POST", srv.URL+"/buy", url.Values{})
	require.Equal(t, http.StatusSeeOther, code)
	require.True(t, strings.HasPrefix(loc, gw.URL+"submit.php?"), loc)

	code, _, page = b.do("GET", loc, nil)
	require.Equal(t, 200, code)
	assert.Contains(t, page, "12.90")
	m := regexp.MustCompile(`<form method="post" action="([^"]+)"><input type="hidden" name="action" value="pay">`).FindStringSubmatch(page)
	require.NotNil(t, m, page)
	payURL, err := url.Parse(gw.URL)
	require.NoError(t, err)
	payURL, err = payURL.Parse(html.UnescapeString(m[1]))
	require.NoError(t, err)

	code, loc, _ = b.do("POST", payURL.String(), url.Values{"action": {"pay"}})
	require.Equal(t, http.StatusSeeOther, code)
	require.True(t, strings.HasPrefix(loc, srv.URL+"/return?"), loc)

	code, _, page = b.do("GET", loc, nil)
	require.Equal(t, 200, code)
	assert.Regexp(t, `Order SHOP-\d{14}-0001 is paid\.`, page)

	// The gateway delivered one notification and the shop acknowledged it.
	ds := gw.Deliveries()
	require.Len(t, ds, 1)
	assert.Equal(t, "success", ds[0].Reply)

	// A forged return is refused.
	code, _, _ = b.do("GET", strings.Replace(loc, "money=12.9", "money=0.01", 1), nil)
	assert.Equal(t, http.StatusBadRequest, code)
}
