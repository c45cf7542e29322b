package epaytest

import (
	"bytes"
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

// newServer starts a gateway for one test with a fast retry schedule.
func newServer(t *testing.T, opts ...Option) *Server {
	t.Helper()
	return NewServer(append([]Option{WithTest(t), WithTimeScale(1e6)}, opts...)...)
}

// httpClient is a raw client that follows no redirects and keeps no cookies.
func httpClient(t *testing.T) *http.Client {
	t.Helper()
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{
		Transport:     tr,
		Timeout:       10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// signedValues signs p with key the way a merchant does.
func signedValues(p map[string]string, key string) url.Values {
	v := url.Values{}
	for k, val := range p {
		v.Set(k, val)
	}
	v.Set("sign_type", "MD5")
	v.Set("sign", sign.Epay(p, key))
	return v
}

// createParams are valid mapi.php fields for the default merchant.
func createParams(outTradeNo, notifyURL string) map[string]string {
	return map[string]string{
		"pid":          DefaultPID,
		"type":         "alipay",
		"out_trade_no": outTradeNo,
		"notify_url":   notifyURL,
		"return_url":   "https://shop.example.com/return",
		"name":         "VIP会员",
		"money":        "9.90",
		"clientip":     "203.0.113.10",
		"device":       "jump",
		"param":        "user=42",
	}
}

type result struct {
	status int
	header http.Header
	body   []byte
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
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := c.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return result{resp.StatusCode, resp.Header, b}
}

// post sends a form to an endpoint of s.
func post(t *testing.T, s *Server, endpoint string, form url.Values) result {
	t.Helper()
	return do(t, httpClient(t), http.MethodPost, s.URL+endpoint, form)
}

// get sends a GET with a query to an endpoint of s.
func get(t *testing.T, s *Server, endpoint string, q url.Values) result {
	t.Helper()
	return do(t, httpClient(t), http.MethodGet, s.URL+endpoint+"?"+q.Encode(), nil)
}

// decode decodes a JSON object answer keeping numbers as json.Number.
func decode(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	require.NoError(t, d.Decode(&m), "body: %s", b)
	return m
}

// create makes an order through mapi.php and returns the answer.
func create(t *testing.T, s *Server, p map[string]string) map[string]any {
	t.Helper()
	r := post(t, s, "mapi.php", signedValues(p, s.Key))
	require.Equal(t, http.StatusOK, r.status)
	return decode(t, r.body)
}

// merchant is a notify_url endpoint that answers fail for the first n
// requests and then the success word.
type notifySink struct {
	srv   *httptest.Server
	mu    sync.Mutex
	reqs  []*http.Request
	forms []url.Values
	fails int
}

func newNotifySink(t *testing.T, fails int) *notifySink {
	t.Helper()
	m := &notifySink{fails: fails}
	m.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		m.mu.Lock()
		m.reqs = append(m.reqs, r)
		var f url.Values
		if r.Method == http.MethodPost {
			f = r.PostForm
		} else {
			f = r.URL.Query()
		}
		m.forms = append(m.forms, f)
		fail := len(m.reqs) <= m.fails
		m.mu.Unlock()
		if fail {
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = io.WriteString(w, "fail")
			return
		}
		_, _ = io.WriteString(w, "success\n")
	}))
	t.Cleanup(m.srv.Close)
	return m
}

func (m *notifySink) notifyURL() string { return m.srv.URL + "/shop/notify" }

func (m *notifySink) count() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.reqs)
}

func (m *notifySink) form(i int) url.Values {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.forms[i]
}

func (m *notifySink) request(i int) *http.Request {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.reqs[i]
}
