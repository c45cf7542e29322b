package epaytest

import (
	"bytes"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// Fault is a failure injected into the next API requests with FailNext.
type Fault int

// Faults. "Not processed" means the request has no effect on the gateway's
// state; "processed" means it takes effect (an order is created, a refund
// made) before the fault hides or spoils the answer.
const (
	// FaultNone marks a request that was answered normally.
	FaultNone Fault = iota
	// Fault502 answers 502 Bad Gateway with an HTML page; not processed.
	Fault502
	// Fault503 answers 503 Service Unavailable with an HTML page; not processed.
	Fault503
	// Fault504 answers 504 Gateway Timeout with an HTML page; not processed.
	Fault504
	// Fault429 answers 429 Too Many Requests with Retry-After: 1; not processed.
	Fault429
	// FaultHTML answers 200 with an HTML error page; not processed.
	FaultHTML
	// FaultPHPWarning is processed, then answers a PHP warning followed by
	// the real JSON (as text/html, as PHP sends it).
	FaultPHPWarning
	// FaultEmpty answers 200 with an empty body; not processed.
	FaultEmpty
	// FaultTruncated is processed, then answers the first half of the JSON.
	FaultTruncated
	// FaultReset closes the connection without an answer; not processed.
	FaultReset
	// FaultResetAfter is processed (it takes effect), then closes the
	// connection without an answer.
	FaultResetAfter
	// FaultDelay waits WithFaultDelay (default 3 s), or until the client goes
	// away, then is processed and answered normally.
	FaultDelay
	// FaultHuge answers 200 with a 10 MiB body; not processed.
	FaultHuge
	numFaults
)

// HugeBodySize is the size of a FaultHuge answer.
const HugeBodySize = 10 << 20

var faultNames = [...]string{
	FaultNone: "FaultNone", Fault502: "Fault502", Fault503: "Fault503", Fault504: "Fault504",
	Fault429: "Fault429", FaultHTML: "FaultHTML", FaultPHPWarning: "FaultPHPWarning",
	FaultEmpty: "FaultEmpty", FaultTruncated: "FaultTruncated", FaultReset: "FaultReset",
	FaultResetAfter: "FaultResetAfter", FaultDelay: "FaultDelay", FaultHuge: "FaultHuge",
}

// String returns the constant's name, such as "Fault502".
func (f Fault) String() string {
	if f >= 0 && f < numFaults {
		return faultNames[f]
	}
	return "Fault(" + strconv.Itoa(int(f)) + ")"
}

type pendingFault struct {
	f Fault
	n int
}

// Request is an API request (mapi.php or api.php) as the gateway received it.
type Request struct {
	Method string
	Path   string // such as "/epay/api.php"
	// Form holds the query and body parameters as received, secrets
	// included (this is a fake).
	Form  url.Values
	Fault Fault // the fault injected into this request, or FaultNone
	At    time.Time
}

// FailNext makes the next n requests to mapi.php and api.php fail with f
// (after faults queued before). The checkout page and submit.php never fail.
// n ≤ 0, or f not a Fault constant, does nothing.
func (s *Server) FailNext(n int, f Fault) {
	if n <= 0 || f <= FaultNone || f >= numFaults {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, pendingFault{f, n})
}

// Requests returns every mapi.php and api.php request received, oldest first.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Request, len(s.requests))
	for i, r := range s.requests {
		r.Form = cloneValues(r.Form)
		out[i] = r
	}
	return out
}

func cloneValues(v url.Values) url.Values {
	c := make(url.Values, len(v))
	for k, vs := range v {
		c[k] = append([]string(nil), vs...)
	}
	return c
}

// takeFault records the request and returns the fault it gets.
func (s *Server) takeFault(req *apiReq) Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := FaultNone
	if len(s.faults) > 0 {
		f = s.faults[0].f
		s.faults[0].n--
		if s.faults[0].n == 0 {
			s.faults = s.faults[1:]
		}
	}
	s.requests = append(s.requests, Request{
		Method: req.r.Method,
		Path:   req.r.URL.Path,
		Form:   cloneValues(req.form),
		Fault:  f,
		At:     s.now(),
	})
	return f
}

// serveAPI answers an API request, applying the next queued fault.
func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request, fn func(*apiReq) reply) {
	req := readReq(r)
	f := s.takeFault(req)
	if f != FaultNone {
		s.logf("epaytest: injecting %v into %s %s", f, r.Method, r.URL.Path)
	}
	switch f {
	case FaultNone:
		writeReply(w, s.process(req, fn))
	case Fault502:
		writeReply(w, nginxPage(http.StatusBadGateway))
	case Fault503:
		writeReply(w, nginxPage(http.StatusServiceUnavailable))
	case Fault504:
		writeReply(w, nginxPage(http.StatusGatewayTimeout))
	case Fault429:
		w.Header().Set("Retry-After", "1")
		writeReply(w, nginxPage(http.StatusTooManyRequests))
	case FaultHTML:
		writeReply(w, reply{status: http.StatusOK, ctype: "text/html; charset=utf-8", body: []byte(
			"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>站点提示</title></head>\n" +
				"<body><h1>系统繁忙，请稍后再试</h1><p>The site is temporarily unavailable.</p></body></html>\n")})
	case FaultPHPWarning:
		rep := s.process(req, fn)
		warning := "<br />\n<b>Warning</b>:  Undefined array key \"device\" in <b>/www/wwwroot/epay/includes/common.php</b> on line <b>42</b><br />\n"
		rep.body = append([]byte(warning), rep.body...)
		rep.ctype = "text/html; charset=UTF-8"
		writeReply(w, rep)
	case FaultEmpty:
		writeReply(w, reply{status: http.StatusOK, ctype: "text/html; charset=UTF-8"})
	case FaultTruncated:
		rep := s.process(req, fn)
		rep.body = rep.body[:len(rep.body)/2]
		writeReply(w, rep)
	case FaultReset:
		resetConn(w)
	case FaultResetAfter:
		s.process(req, fn)
		resetConn(w)
	case FaultDelay:
		t := time.NewTimer(s.cfg.faultDelay)
		select {
		case <-t.C:
		case <-r.Context().Done():
		case <-s.ctx.Done():
		}
		t.Stop()
		writeReply(w, s.process(req, fn))
	case FaultHuge:
		writeHuge(w)
	}
}

func writeReply(w http.ResponseWriter, rep reply) {
	if rep.ctype != "" {
		w.Header().Set("Content-Type", rep.ctype)
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(rep.body)))
	w.WriteHeader(rep.status)
	_, _ = w.Write(rep.body)
}

// nginxPage is the error page a reverse proxy in front of PHP answers.
func nginxPage(code int) reply {
	text := strconv.Itoa(code) + " " + http.StatusText(code)
	return reply{status: code, ctype: "text/html", body: []byte(
		"<html>\r\n<head><title>" + text + "</title></head>\r\n<body>\r\n<center><h1>" + text +
			"</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n")}
}

// resetConn drops the connection without an answer, with a TCP reset where
// the platform allows.
func resetConn(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = conn.Close()
}

func writeHuge(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(HugeBodySize))
	w.WriteHeader(http.StatusOK)
	head, tail := []byte(`{"code":1,"msg":"`), []byte(`"}`)
	chunk := bytes.Repeat([]byte("a"), 64<<10)
	if _, err := w.Write(head); err != nil {
		return
	}
	left := HugeBodySize - len(head) - len(tail)
	for left > 0 {
		n := min(left, len(chunk))
		if _, err := w.Write(chunk[:n]); err != nil {
			return
		}
		left -= n
	}
	_, _ = w.Write(tail)
}
