package epayv2

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/epaykit/epaykit/internal/fields"
	"github.com/epaykit/epaykit/internal/flex"
	"github.com/epaykit/epaykit/internal/transport"
	"github.com/epaykit/epaykit/sign"
)

// signedForm adds pid, timestamp and sign_type to params, signs them and
// returns the form to send. params is modified.
func (c *Client) signedForm(params map[string]string) (url.Values, error) {
	params["pid"] = c.pid
	params["timestamp"] = strconv.FormatInt(c.now().Unix(), 10)
	params["sign_type"] = "RSA"
	s, err := sign.SignRSA(params, c.key)
	if err != nil {
		return nil, fmt.Errorf("epayv2: signing the request: %w", err)
	}
	params["sign"] = s
	v := make(url.Values, len(params))
	for k, val := range params {
		if val != "" {
			v.Set(k, val)
		}
	}
	return v, nil
}

// answer is a verified success answer.
type answer struct {
	raw  []byte // the body, for decoding into a typed struct
	resp *transport.Response
}

// post signs params, sends them to endpoint and returns the verified
// success answer. A refusal is an *APIError; a success that is not signed
// by the platform is ErrBadResponseSignature; one whose timestamp is outside
// the skew window is ErrTimestamp.
func (c *Client) post(ctx context.Context, endpoint string, params map[string]string, unsafe bool) (*answer, error) {
	form, err := c.signedForm(params)
	if err != nil {
		return nil, err
	}
	resp, err := c.tc.Do(ctx, &transport.Request{Method: "POST", URL: c.base + endpoint, Form: fields.FromValues(nil, form), Unsafe: unsafe})
	if err != nil {
		return nil, err
	}
	var members map[string]json.RawMessage
	if err := c.tc.DecodeJSON(resp, &members); err != nil {
		return nil, err
	}
	rawCode, ok := members["code"]
	if !ok {
		reason := "JSON answer without a code"
		if !ok2xx(resp.Status) {
			reason = "HTTP error status"
		}
		return nil, c.tc.StatusError(resp, reason)
	}
	var code flex.Int
	if err := json.Unmarshal(rawCode, &code); err != nil {
		return nil, c.tc.StatusError(resp, "code is not a number")
	}
	if code != 0 {
		var msg flex.String
		_ = json.Unmarshal(members["msg"], &msg)
		return nil, &APIError{Code: int(code), Msg: cleanMsg(string(msg)), HTTPStatus: resp.Status, Endpoint: endpoint}
	}
	if !ok2xx(resp.Status) {
		return nil, c.tc.StatusError(resp, "HTTP error status with a success code")
	}
	if err := c.verifyAnswer(members, endpoint); err != nil {
		return nil, err
	}
	return &answer{raw: bytes.TrimPrefix(bytes.TrimSpace(resp.Body), []byte("\xef\xbb\xbf")), resp: resp}, nil
}

func ok2xx(status int) bool { return status >= 200 && status < 300 }

// cleanMsg redacts and bounds a gateway message.
func cleanMsg(s string) string {
	s = transport.RedactText(s)
	const max = 500
	if len(s) > max {
		s = strings.ToValidUTF8(s[:max], "") + "..."
	}
	return s
}

// verifyAnswer checks the platform signature and the timestamp of a success
// answer.
func (c *Client) verifyAnswer(members map[string]json.RawMessage, endpoint string) error {
	fields, err := AnswerFields(members)
	if err != nil {
		return fmt.Errorf("%w: %s: %v", ErrBadResponseSignature, endpoint, err)
	}
	if fields["sign"] == "" {
		return fmt.Errorf("%w: %s: success answer without sign", ErrBadResponseSignature, endpoint)
	}
	if st := fields["sign_type"]; !strings.EqualFold(st, "RSA") {
		return fmt.Errorf("%w: %s: sign_type %.20q, want RSA", ErrBadResponseSignature, endpoint, st)
	}
	if !sign.VerifyRSA(fields, c.platform) {
		return fmt.Errorf("%w: %s: signature does not verify with the platform key", ErrBadResponseSignature, endpoint)
	}
	return c.checkTime(fields["timestamp"], endpoint+" answer")
}

// checkTime requires ts to be unix seconds within the skew window.
func (c *Client) checkTime(ts, what string) error {
	if ts == "" {
		return fmt.Errorf("%w: %s has no timestamp", ErrTimestamp, what)
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || sec < 0 || len(ts) > 12 {
		return fmt.Errorf("%w: %s timestamp %.20q is not unix seconds", ErrTimestamp, what, ts)
	}
	d := c.now().Sub(time.Unix(sec, 0))
	if d > c.skew || d < -c.skew {
		return fmt.Errorf("%w: %s timestamp is %v from the local clock (allowed %v)", ErrTimestamp, what, d.Round(time.Second), c.skew)
	}
	return nil
}

// AnswerFields returns the string-to-sign fields of a V2 JSON answer's
// top-level members: a string's decoded value, a number's literal text, "1"
// for true, "" for false and null, and the compact JSON text of an object or
// array (escapes as received). sign.EpayString of the result is the string
// the platform signed; sign.VerifyRSA checks it. Test gateways use it to
// sign exactly what this package verifies.
func AnswerFields(members map[string]json.RawMessage) (map[string]string, error) {
	out := make(map[string]string, len(members))
	for k, raw := range members {
		v, err := answerValue(raw)
		if err != nil {
			return nil, fmt.Errorf("member %.40q: %w", k, err)
		}
		out[k] = v
	}
	return out, nil
}

func answerValue(raw json.RawMessage) (string, error) {
	b := bytes.TrimSpace(raw)
	if len(b) == 0 {
		return "", fmt.Errorf("empty value")
	}
	switch b[0] {
	case '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return "", err
		}
		return s, nil
	case '{', '[':
		var buf bytes.Buffer
		if err := json.Compact(&buf, b); err != nil {
			return "", err
		}
		return buf.String(), nil
	case 't':
		return "1", nil
	case 'f', 'n':
		return "", nil
	}
	return string(b), nil // a number, as written
}
