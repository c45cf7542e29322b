package iepaytest

import (
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/epaykit/epaykit/sign"
)

// newServer starts a gateway closed by t.Cleanup with a fast clock.
func newServer(t *testing.T, opts ...Option) *Server {
	t.Helper()
	s := NewServer(append([]Option{WithTest(t), WithTimeScale(1e6)}, opts...)...)
	require.Equal(t, "/iepay/", s.URL[len(s.URL)-len("/iepay/"):])
	return s
}

// httpClient is a cookie-less client that does not follow redirects.
func httpClient(t *testing.T) *http.Client {
	t.Helper()
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{
		Transport: tr,
		Timeout:   10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// signed returns p with mid and sign for the server's first merchant.
func signed(s *Server, p map[string]string) url.Values {
	return signedWith(s.MID, s.Key, p)
}

func signedWith(mid, key string, p map[string]string) url.Values {
	m := map[string]string{"mid": mid}
	for k, v := range p {
		m[k] = v
	}
	v := url.Values{}
	for k, x := range m {
		v.Set(k, x)
	}
	v.Set("sign", sign.IEPay(m, key))
	return v
}

type result struct {
	status int
	header http.Header
	body   string
}

func do(t *testing.T, c *http.Client, method, u string, form url.Values) result {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, u, body)
	require.NoError(t, err)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded;charset=utf-8")
	}
	resp, err := c.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return result{resp.StatusCode, resp.Header, string(b)}
}

// post sends a form to an endpoint below s.URL.
func post(t *testing.T, s *Server, endpoint string, form url.Values) result {
	t.Helper()
	return do(t, httpClient(t), http.MethodPost, s.URL+endpoint, form)
}

// call posts a signed form and decodes the JSON answer.
func call(t *testing.T, s *Server, endpoint string, p map[string]string) map[string]any {
	t.Helper()
	r := post(t, s, endpoint, signed(s, p))
	require.Equal(t, http.StatusOK, r.status, r.body)
	require.Equal(t, "application/json", r.header.Get("Content-Type"))
	return decode(t, r.body)
}

func decode(t *testing.T, body string) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal([]byte(body), &m), body)
	return m
}

func createParams(outTradeNo, payType string) map[string]string {
	return map[string]string{
		"version":      "v1",
		"pay_type":     payType,
		"out_trade_no": outTradeNo,
		"total_fee":    "1250",
		"goods":        "Green tea",
		"goods_detail": "A tin of green tea",
	}
}

// create creates an order and requires success.
func create(t *testing.T, s *Server, p map[string]string) map[string]any {
	t.Helper()
	m := call(t, s, "api/online", p)
	require.Equal(t, "TRUE", m["is_success"], m)
	return m
}

func withField(p map[string]string, k, v string) map[string]string {
	c := make(map[string]string, len(p)+1)
	for a, b := range p {
		c[a] = b
	}
	if v == "\x00delete" {
		delete(c, k)
	} else {
		c[k] = v
	}
	return c
}

// shop is a merchant notify endpoint that fails its first fails requests
// (HTTP 500, body "FAIL") and then answers SUCCESS.
type shop struct {
	srv   *httptest.Server
	mu    sync.Mutex
	fails int
	reqs  []*http.Request
	forms []url.Values
}

func newShop(t *testing.T, fails int) *shop {
	t.Helper()
	m := &shop{fails: fails}
	m.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		m.mu.Lock()
		m.reqs = append(m.reqs, r.Clone(r.Context()))
		m.forms = append(m.forms, r.Form)
		fail := len(m.reqs) <= m.fails
		m.mu.Unlock()
		if fail {
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = io.WriteString(w, "FAIL")
			return
		}
		_, _ = io.WriteString(w, "SUCCESS\n")
	}))
	t.Cleanup(m.srv.Close)
	return m
}

func (m *shop) notifyURL() string { return m.srv.URL + "/shop/notify" }

func (m *shop) count() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.reqs)
}

func (m *shop) form(i int) url.Values {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.forms[i]
}

func (m *shop) request(i int) *http.Request {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.reqs[i]
}

func md5Upper(s string) string {
	d := md5.Sum([]byte(s))
	return strings.ToUpper(hex.EncodeToString(d[:]))
}
