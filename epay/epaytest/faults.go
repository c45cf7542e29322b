package epaytest

import (
	"net/http"

	"github.com/epaykit/epaykit/internal/fakegw"
)

// Fault is a failure injected into the next API requests with FailNext.
// "Not processed" means the request has no effect on the gateway's state;
// "processed" means it takes effect (an order is created, a refund made)
// before the fault hides or spoils the answer. String returns the
// constant's name, such as "Fault502".
type Fault = fakegw.Fault

// Faults.
const (
	// FaultNone marks a request that was answered normally.
	FaultNone = fakegw.FaultNone
	// Fault502 answers 502 Bad Gateway with an HTML page; not processed.
	Fault502 = fakegw.Fault502
	// Fault503 answers 503 Service Unavailable with an HTML page; not processed.
	Fault503 = fakegw.Fault503
	// Fault504 answers 504 Gateway Timeout with an HTML page; not processed.
	Fault504 = fakegw.Fault504
	// Fault429 answers 429 Too Many Requests with Retry-After: 1; not processed.
	Fault429 = fakegw.Fault429
	// FaultHTML answers 200 with an HTML error page; not processed.
	FaultHTML = fakegw.FaultHTML
	// FaultPHPWarning is processed, then answers a PHP warning followed by
	// the real JSON (as text/html, as PHP sends it).
	FaultPHPWarning = fakegw.FaultPHPWarning
	// FaultEmpty answers 200 with an empty body; not processed.
	FaultEmpty = fakegw.FaultEmpty
	// FaultTruncated is processed, then answers the first half of the JSON.
	FaultTruncated = fakegw.FaultTruncated
	// FaultReset closes the connection without an answer; not processed.
	FaultReset = fakegw.FaultReset
	// FaultResetAfter is processed (it takes effect), then closes the
	// connection without an answer.
	FaultResetAfter = fakegw.FaultResetAfter
	// FaultDelay waits WithFaultDelay (default 3 s), or until the client goes
	// away, then is processed and answered normally.
	FaultDelay = fakegw.FaultDelay
	// FaultHuge answers 200 with a 10 MiB body; not processed.
	FaultHuge = fakegw.FaultHuge
)

// HugeBodySize is the size of a FaultHuge answer.
const HugeBodySize = fakegw.HugeBodySize

// Request is an API request (mapi.php or api.php) as the gateway received
// it: Method, Path (such as "/epay/api.php"), Form (the query and body
// parameters as received, secrets included: this is a fake), the Fault
// injected into it and the time.
type Request = fakegw.Request

// FailNext makes the next n requests to mapi.php and api.php fail with f
// (after faults queued before). The checkout page and submit.php never fail.
// n ≤ 0, or f not a Fault constant, does nothing.
func (s *Server) FailNext(n int, f Fault) { s.faults.FailNext(n, f) }

// Requests returns every mapi.php and api.php request received, oldest first.
func (s *Server) Requests() []Request { return s.faults.Requests() }

// serveAPI answers an API request, applying the next queued fault.
func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request, fn func(*apiReq) reply) {
	req := readReq(r)
	f := s.faults.Take(r, req.form, s.now())
	if f != FaultNone {
		s.logf("epaytest: injecting %v into %s %s", f, r.Method, r.URL.Path)
	}
	s.inject.Serve(w, r, f, func() fakegw.Reply { return s.process(req, fn).wire() })
}

// injector is the gateway's fault injection, in Rainbow Epay's words.
func (s *Server) injector() fakegw.Injector {
	return fakegw.Injector{
		Delay:  s.cfg.faultDelay,
		Closed: s.notifier.Closed(),
		HTMLPage: "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>站点提示</title></head>\n" +
			"<body><h1>系统繁忙，请稍后再试</h1><p>The site is temporarily unavailable.</p></body></html>\n",
		Warning:    "<br />\n<b>Warning</b>:  Undefined array key \"device\" in <b>/www/wwwroot/epay/includes/common.php</b> on line <b>42</b><br />\n",
		HugePrefix: `{"code":1,"msg":"`,
	}
}

func (rep reply) wire() fakegw.Reply {
	return fakegw.Reply{Status: rep.status, ContentType: rep.ctype, Body: rep.body}
}
