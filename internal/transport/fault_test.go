package transport

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/epaykit/epaykit/internal/fields"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestExcerptScrubsBeforeCutting: a secret that straddles the 200-byte cut
// of an excerpt leaves no piece of itself behind.
func TestExcerptScrubsBeforeCutting(t *testing.T) {
	t.Parallel()
	c := New(fastConfig())
	for pad := ExcerptLen - len(secretKey) + 1; pad < ExcerptLen; pad++ {
		body := strings.Repeat("x", pad) + secretKey + " and key=" + secretKey
		got := c.Excerpt([]byte(body))
		assert.NotContains(t, got, secretKey[:8], "pad %d", pad)
		assert.LessOrEqual(t, len(got), ExcerptLen+len("..."))
	}
}

// TestEchoedSignScrubbed: a gateway that echoes the request's sign (or its
// key) in an error page or message does not get it into a *StatusError or
// ScrubText's result.
func TestEchoedSignScrubbed(t *testing.T) {
	t.Parallel()
	const sig = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		v, _ := url.ParseQuery(string(b))
		q := r.URL.Query()
		fmt.Fprintf(w, "<html>expected sign %s, got %s for %s</html>", v.Get("sign"), q.Get("sign"), secretKey)
	}))
	t.Cleanup(srv.Close)
	c := New(fastConfig())
	for _, req := range []*Request{
		{Method: "POST", URL: srv.URL + "/mapi.php", Form: []fields.Field{{Name: "money", Value: "1"}, {Name: "sign", Value: sig}}},
		{Method: "GET", URL: srv.URL + "/submit.php?money=1&sign=" + sig},
	} {
		resp, err := c.Do(context.Background(), req)
		require.NoError(t, err)
		require.Contains(t, string(resp.Body), sig)
		var out map[string]any
		err = c.DecodeJSON(resp, &out)
		var se *StatusError
		require.ErrorAs(t, err, &se)
		assert.NotContains(t, err.Error(), sig)
		assert.NotContains(t, err.Error(), secretKey)
		assert.Contains(t, se.Excerpt, "REDACTED")

		clean := c.ScrubText(resp, string(resp.Body))
		assert.NotContains(t, clean, sig)
		assert.NotContains(t, clean, secretKey)
	}
	assert.Equal(t, "a key=REDACTED", c.ScrubText(nil, "a key="+secretKey))
}
