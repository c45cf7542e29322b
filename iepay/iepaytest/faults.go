package iepaytest

import (
	"bytes"
	"errors"
	"net/http"
	"net/url"
	"time"

	"github.com/epaykit/epaykit/internal/fakegw"
)

// Fault is a failure FailNext injects into the merchant API endpoints
// (api/online, wechatApi/mini_pay, api/check_order_status, api/refund; not
// the checkout page). "Not processed" means the request has no effect on the
// gateway's state; "processed" means it takes effect as usual. String
// returns the constant's name, such as "Fault502".
type Fault = fakegw.Fault

// Faults. FaultNone is the zero value: no fault.
const (
	FaultNone       = fakegw.FaultNone       // no fault: answered normally
	Fault502        = fakegw.Fault502        // 502 Bad Gateway with an nginx HTML page; not processed
	Fault503        = fakegw.Fault503        // 503 Service Unavailable with an nginx HTML page; not processed
	Fault504        = fakegw.Fault504        // 504 Gateway Timeout with an nginx HTML page; not processed
	Fault429        = fakegw.Fault429        // 429 Too Many Requests with Retry-After: 1; not processed
	FaultHTML       = fakegw.FaultHTML       // 200 with an HTML error page; not processed
	FaultPHPWarning = fakegw.FaultPHPWarning // processed, then a PHP warning line followed by the JSON
	FaultEmpty      = fakegw.FaultEmpty      // 200 with an empty body; not processed
	FaultTruncated  = fakegw.FaultTruncated  // processed, then the first half of the JSON
	FaultReset      = fakegw.FaultReset      // the connection is reset without an answer; not processed
	FaultResetAfter = fakegw.FaultResetAfter // processed, then the connection is reset without an answer
	FaultDelay      = fakegw.FaultDelay      // held WithFaultDelay or until the client leaves, then processed
	FaultHuge       = fakegw.FaultHuge       // 200 with a HugeBodySize body; not processed
)

// HugeBodySize is the size of FaultHuge's body: 10 MiB.
const HugeBodySize = fakegw.HugeBodySize

// Request is an API request as the gateway received it: Method, Path (such
// as "/iepay/api/refund"), Form (query and body fields as received, sign
// included), the Fault injected into it and the time.
type Request = fakegw.Request

// FailNext makes the next n API requests fail with f, after any faults
// queued before. n <= 0 and FaultNone (or a value that is not a Fault
// constant) queue nothing.
func (s *Server) FailNext(n int, f Fault) { s.faults.FailNext(n, f) }

// Requests returns every API request received so far, oldest first.
func (s *Server) Requests() []Request { return s.faults.Requests() }

// maxForm is the largest request body the API endpoints read.
const maxForm = 1 << 20

// api wraps an endpoint: it records the request, applies any queued fault
// and writes the endpoint's reply.
func (s *Server) api(fn func(url.Values) reply) http.HandlerFunc {
	inject := fakegw.Injector{
		Delay:  s.cfg.faultDelay,
		Closed: s.notifier.Closed(),
		HTMLPage: "<!DOCTYPE html>\n<html><head><title>Whoops!</title></head>\n" +
			"<body><h1>Whoops, looks like something went wrong.</h1></body></html>\n",
		Warning: "<br />\n<b>Warning</b>:  Undefined array key \"tid\" in " +
			"<b>/var/www/app/Http/Controllers/ApiController.php</b> on line <b>214</b><br />\n",
		HugePrefix: `{"is_success":"TRUE","message":"`,
	}
	return func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, maxForm)
		parseErr := r.ParseForm()
		f := s.faults.Take(r, r.Form, time.Now())
		if f != FaultNone {
			s.logf("%s %s: injecting fault %v", r.Method, r.URL.Path, f)
		}
		inject.Serve(w, r, f, func() fakegw.Reply {
			if r.Method != http.MethodPost {
				rep := s.fail("METHOD_ERROR: POST required")
				rep.status = http.StatusMethodNotAllowed
				return rep.wire()
			}
			if parseErr != nil {
				var tooBig *http.MaxBytesError
				if errors.As(parseErr, &tooBig) {
					return reply{status: http.StatusRequestEntityTooLarge, body: []byte("iepaytest: request body larger than 1 MiB\n")}.wire()
				}
				return s.fail(msgParam + ": the body is not a valid form").wire()
			}
			return fn(r.PostForm).wire()
		})
	}
}

// wire gives the reply its content type: plain text for the gateway's own
// errors, JSON otherwise.
func (rep reply) wire() fakegw.Reply {
	ct := "application/json"
	if bytes.HasPrefix(rep.body, []byte("iepaytest:")) {
		ct = "text/plain; charset=utf-8"
	}
	return fakegw.Reply{Status: rep.status, ContentType: ct, Body: rep.body}
}
