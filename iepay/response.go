package iepay

import (
	"encoding/json"
	"strings"

	"github.com/epaykit/epaykit/internal/flex"
	"github.com/epaykit/epaykit/internal/transport"
)

// envelope is the v1 response: {"is_success":"TRUE","message":"SUCCESS","extra":{...}}.
// is_success may be a string or a JSON boolean; extra an object, [], null or
// absent.
type envelope struct {
	IsSuccess *flex.String    `json:"is_success"`
	Message   *flex.String    `json:"message"`
	Extra     json.RawMessage `json:"extra"`
}

// reply is a decoded envelope.
type reply struct {
	success bool
	message string
	extra   flex.Object
}

// maxMessage bounds a gateway message kept in an error.
const maxMessage = 200

// decodeEnvelope reads a v1 response. It returns an *HTTPError for a body
// that is not the envelope. A refusal (is_success FALSE) is returned as a
// reply for the caller to judge (ORDER_CREATED is not a failure on create);
// only a body with a message but no is_success at all is an *APIError here.
func (c *Client) decodeEnvelope(resp *transport.Response, path string) (*reply, error) {
	var env envelope
	if err := c.tc.DecodeJSON(resp, &env); err != nil {
		return nil, err
	}
	r := &reply{}
	if env.Message != nil {
		r.message = c.cleanMessage(c.tc.ScrubText(resp, string(*env.Message)))
	}
	ok2xx := resp.Status >= 200 && resp.Status <= 299
	if env.IsSuccess == nil {
		if r.message != "" && !strings.EqualFold(r.message, "SUCCESS") {
			return nil, &APIError{Endpoint: path, Message: r.message, HTTPStatus: resp.Status}
		}
		return nil, c.tc.StatusError(resp, "response without is_success")
	}
	switch strings.ToUpper(strings.TrimSpace(string(*env.IsSuccess))) {
	case "TRUE", "1":
		r.success = true
	case "FALSE", "0":
		r.success = false
	default:
		return nil, c.tc.StatusError(resp, "is_success is neither TRUE nor FALSE")
	}
	if !ok2xx && r.success {
		return nil, c.tc.StatusError(resp, "HTTP error status with is_success TRUE")
	}
	if len(env.Extra) > 0 {
		if err := json.Unmarshal(env.Extra, &r.extra); err != nil {
			if !r.success {
				// A refusal is still a refusal when extra is odd.
				r.extra = nil
			} else {
				return nil, c.tc.StatusError(resp, "extra is not an object: "+err.Error())
			}
		}
	}
	return r, nil
}

// refusal builds the *APIError for a reply with is_success FALSE.
func refusal(r *reply, path string, status int) *APIError {
	return &APIError{Endpoint: path, Message: r.message, HTTPStatus: status}
}

// cleanMessage keeps a gateway message short, valid UTF-8 and free of the
// key, for error text.
func (c *Client) cleanMessage(s string) string {
	// Scrub before cutting: a key across the cut would leave a piece.
	if c.key != "" {
		s = strings.ReplaceAll(s, c.key, "REDACTED")
	}
	s = strings.TrimSpace(transport.RedactText(s))
	if len(s) > maxMessage {
		s = s[:maxMessage] + "..."
	}
	return strings.ToValidUTF8(s, "?")
}
