package epay

import (
	"context"
	"net/url"
	"strings"

	"github.com/epaykit/epaykit/internal/flex"
	"github.com/epaykit/epaykit/internal/transport"
)

// envelope is the code and msg every JSON answer carries.
type envelope struct {
	Code *flex.Int   `json:"code"`
	Msg  flex.String `json:"msg"`
}

func (e *envelope) env() *envelope { return e }

type enveloped interface{ env() *envelope }

// call sends r and decodes the JSON answer into out. It fails with a
// *TransportError when no response arrived and an *HTTPError when the body
// is not a JSON object with a code. The code is left to the caller.
func (c *Client) call(ctx context.Context, r *transport.Request, out enveloped) (*transport.Response, error) {
	resp, err := c.tc.Do(ctx, r)
	if err != nil {
		return nil, err
	}
	if err := c.tc.DecodeJSON(resp, out); err != nil {
		return nil, err
	}
	if out.env().Code == nil {
		reason := "JSON answer without a code"
		if !ok2xx(resp.Status) {
			reason = "HTTP error status"
		}
		return nil, c.tc.StatusError(resp, reason)
	}
	return resp, nil
}

func ok2xx(status int) bool { return status >= 200 && status < 300 }

// check returns nil for a success answer (code 1 with a 2xx status), an
// *APIError for a refusal and an *HTTPError for code 1 with an error status.
func (c *Client) check(resp *transport.Response, e *envelope, endpoint string) error {
	if int64(*e.Code) == 1 {
		if !ok2xx(resp.Status) {
			return c.tc.StatusError(resp, "HTTP error status with a success code")
		}
		return nil
	}
	return c.apiError(resp, e, endpoint)
}

func (c *Client) apiError(resp *transport.Response, e *envelope, endpoint string) *APIError {
	return &APIError{
		Code:       int(*e.Code),
		Msg:        c.cleanMsg(c.tc.ScrubText(resp, string(e.Msg))),
		HTTPStatus: resp.Status,
		Endpoint:   endpoint,
	}
}

// cleanMsg removes the key from a gateway message and bounds its length.
func (c *Client) cleanMsg(s string) string {
	s = scrubKey(transport.RedactText(s), c.key)
	if esc := url.QueryEscape(c.key); esc != c.key {
		s = strings.ReplaceAll(s, esc, "REDACTED")
	}
	const max = 500
	if len(s) > max {
		s = strings.ToValidUTF8(s[:max], "") + "..."
	}
	return s
}

// apiURL returns base/api.php with act first, then q (which may hold the key).
func (c *Client) apiURL(act string, q url.Values) string {
	u := c.endpoint("api.php") + "?act=" + url.QueryEscape(act)
	if len(q) > 0 {
		u += "&" + q.Encode()
	}
	return u
}

// apiGet sends a GET act with pid and key in the query string, as the
// reference server reads them.
func (c *Client) apiGet(ctx context.Context, act string, q url.Values, out enveloped) (*transport.Response, error) {
	if q == nil {
		q = url.Values{}
	}
	q.Set("pid", c.pid)
	q.Set("key", c.key)
	return c.call(ctx, &transport.Request{Method: "GET", URL: c.apiURL(act, q)}, out)
}
