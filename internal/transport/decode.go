package transport

import (
	"bytes"
	"encoding/json"
	"errors"
)

var utf8BOM = []byte("\xef\xbb\xbf")

// DecodeJSON decodes the response body into v. A body that is empty, not
// JSON (an HTML error page, a PHP warning before the JSON) or truncated is a
// *StatusError carrying the HTTP status and the start of the body, never a
// zero-value success. A UTF-8 byte order mark, which PHP sites often emit, is
// skipped. The HTTP status is left to the caller when the body is JSON.
func (c *Client) DecodeJSON(resp *Response, v any) error {
	body := bytes.TrimSpace(bytes.TrimPrefix(bytes.TrimSpace(resp.Body), utf8BOM))
	if len(body) == 0 {
		return c.StatusError(resp, "expected JSON")
	}
	if body[0] != '{' {
		return c.StatusError(resp, "expected a JSON object")
	}
	if err := json.Unmarshal(body, v); err != nil {
		reason := "malformed JSON"
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			reason = "unexpected JSON type for field " + te.Field
		}
		return c.StatusError(resp, reason)
	}
	return nil
}

// StatusError builds a *StatusError for resp with the given reason.
func (c *Client) StatusError(resp *Response, reason string) *StatusError {
	return &StatusError{
		Prefix:     c.prefix,
		Method:     resp.Method,
		URL:        resp.URL,
		StatusCode: resp.Status,
		Excerpt:    Excerpt([]byte(c.ScrubText(resp, string(resp.Body)))),
		Reason:     reason,
		Attempts:   resp.Attempts,
	}
}
