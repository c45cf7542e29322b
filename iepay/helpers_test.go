package iepay

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/require"
)

const (
	testMID  = "10224"
	testKey  = "e560fb2e61e4d1fe6a11c278388cb965"
	testBase = "https://pay.example.com/iepay/"
)

type signVector struct {
	Name         string            `json:"name"`
	Key          string            `json:"key"`
	Params       map[string]string `json:"params"`
	StringToSign string            `json:"string_to_sign"`
	Sign         string            `json:"sign"`
}

type vectorFile struct {
	Sign   []signVector `json:"iepay_sign"`
	Notify []signVector `json:"iepay_notify"`
}

var (
	vectorsOnce sync.Once
	vectorsData vectorFile
	vectorsErr  error
)

func vectors(t testing.TB) vectorFile {
	t.Helper()
	vectorsOnce.Do(func() {
		b, err := os.ReadFile("testdata/vectors.json")
		if err != nil {
			vectorsErr = err
			return
		}
		vectorsErr = json.Unmarshal(b, &vectorsData)
	})
	require.NoError(t, vectorsErr)
	return vectorsData
}

func signVectorNamed(t testing.TB, name string) signVector {
	t.Helper()
	for _, v := range vectors(t).Sign {
		if v.Name == name {
			return v
		}
	}
	t.Fatalf("no vector %q", name)
	return signVector{}
}

// mockClient returns a Client on a fresh httpmock transport mounted under
// testBase, with tiny retry waits.
func mockClient(t testing.TB, key string, opts ...Option) (*Client, *httpmock.MockTransport) {
	t.Helper()
	mt := httpmock.NewMockTransport()
	all := append([]Option{
		WithBaseURL(testBase),
		WithHTTPClient(&http.Client{Transport: mt}),
		WithRetryWait(time.Millisecond, 2*time.Millisecond),
	}, opts...)
	c, err := New(testMID, key, all...)
	require.NoError(t, err)
	return c, mt
}

// captured is what a fake gateway saw.
type captured struct {
	mu     sync.Mutex
	bodies []string
	ctypes []string
}

func (c *captured) add(r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.bodies = append(c.bodies, string(b))
	c.ctypes = append(c.ctypes, r.Header.Get("Content-Type"))
}

func (c *captured) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.bodies)
}

func (c *captured) last(t testing.TB) string {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	require.NotEmpty(t, c.bodies, "no request reached the gateway")
	return c.bodies[len(c.bodies)-1]
}

// respond answers each call with the next (status, body); the last repeats.
func respond(cap *captured, steps ...step) httpmock.Responder {
	var mu sync.Mutex
	i := 0
	return func(r *http.Request) (*http.Response, error) {
		cap.add(r)
		mu.Lock()
		s := steps[min(i, len(steps)-1)]
		i++
		mu.Unlock()
		resp := httpmock.NewStringResponse(s.status, s.body)
		ct := s.ctype
		if ct == "" {
			ct = "application/json"
		}
		resp.Header.Set("Content-Type", ct)
		resp.Request = r // as net/http's transport does
		return resp, nil
	}
}

type step struct {
	status int
	body   string
	ctype  string
}

func ok(body string) step { return step{status: 200, body: body} }

// formOf builds the expected body: the params plus their sign.
func formOf(params map[string]string, signature string) string {
	v := url.Values{}
	for k, s := range params {
		v.Set(k, s)
	}
	v.Set("sign", signature)
	return v.Encode()
}
