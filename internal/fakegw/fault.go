// Package fakegw is the machinery the in-process test gateways (epaytest and
// iepaytest) share: injected faults and the record of API requests, and the
// delivery of notifications with retries.
package fakegw

import (
	"bytes"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"
)

// Fault is a failure injected into the next API requests of a test gateway.
// "Not processed" means the request has no effect on the gateway's state;
// "processed" means it takes effect before the fault spoils the answer.
type Fault int

// Faults.
const (
	FaultNone       Fault = iota // no fault: answered normally
	Fault502                     // 502 Bad Gateway with an nginx page; not processed
	Fault503                     // 503 Service Unavailable with an nginx page; not processed
	Fault504                     // 504 Gateway Timeout with an nginx page; not processed
	Fault429                     // 429 Too Many Requests with Retry-After: 1; not processed
	FaultHTML                    // 200 with an HTML error page; not processed
	FaultPHPWarning              // processed, then a PHP warning line before the JSON
	FaultEmpty                   // 200 with an empty body; not processed
	FaultTruncated               // processed, then the first half of the JSON
	FaultReset                   // the connection is reset; not processed
	FaultResetAfter              // processed, then the connection is reset without an answer
	FaultDelay                   // held for the fault delay or until the client leaves, then processed
	FaultHuge                    // 200 with a HugeBodySize body; not processed
	numFaults
)

// HugeBodySize is the size of a FaultHuge answer: 10 MiB.
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

// Valid reports whether f is a Fault constant other than FaultNone.
func (f Fault) Valid() bool { return f > FaultNone && f < numFaults }

// Request is an API request as a gateway received it.
type Request struct {
	Method string
	Path   string // such as "/epay/api.php"
	// Form holds the query and body parameters as received, secrets
	// included (the gateway is a fake).
	Form  url.Values
	Fault Fault // the fault injected into this request, or FaultNone
	At    time.Time
}

// Faults queues injected faults and records the API requests they apply to.
// The zero value is ready; it is safe for concurrent use.
type Faults struct {
	mu       sync.Mutex
	queue    []pending
	requests []Request
}

type pending struct {
	f    Fault
	left int
}

// FailNext makes the next n requests fail with f, after those queued before.
// n ≤ 0 or an f that is not Valid queues nothing.
func (q *Faults) FailNext(n int, f Fault) {
	if n <= 0 || !f.Valid() {
		return
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	q.queue = append(q.queue, pending{f, n})
}

// Take records a request with its form and returns the fault it gets.
func (q *Faults) Take(r *http.Request, form url.Values, at time.Time) Fault {
	q.mu.Lock()
	defer q.mu.Unlock()
	f := FaultNone
	if len(q.queue) > 0 {
		f = q.queue[0].f
		if q.queue[0].left--; q.queue[0].left == 0 {
			q.queue = q.queue[1:]
		}
	}
	q.requests = append(q.requests, Request{Method: r.Method, Path: r.URL.Path, Form: CloneValues(form), Fault: f, At: at})
	return f
}

// Requests returns a copy of every recorded request, oldest first.
func (q *Faults) Requests() []Request {
	q.mu.Lock()
	defer q.mu.Unlock()
	out := make([]Request, len(q.requests))
	for i, r := range q.requests {
		r.Form = CloneValues(r.Form)
		out[i] = r
	}
	return out
}

// CloneValues returns a deep copy of v.
func CloneValues(v url.Values) url.Values {
	c := make(url.Values, len(v))
	for k, vs := range v {
		c[k] = append([]string(nil), vs...)
	}
	return c
}

// Reply is an answer to write.
type Reply struct {
	Status      int
	ContentType string
	Body        []byte
}

// Write writes rep with its Content-Length.
func (rep Reply) Write(w http.ResponseWriter) {
	if rep.ContentType != "" {
		w.Header().Set("Content-Type", rep.ContentType)
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(rep.Body)))
	w.WriteHeader(rep.Status)
	_, _ = w.Write(rep.Body)
}

// Injector applies a fault to one request in a gateway's own words.
type Injector struct {
	// Delay is how long FaultDelay holds a request.
	Delay time.Duration
	// Closed ends a FaultDelay or FaultHuge early when the gateway closes.
	Closed <-chan struct{}
	// HTMLPage is FaultHTML's body; Warning the PHP warning line that
	// FaultPHPWarning puts before the JSON.
	HTMLPage, Warning string
	// HugePrefix starts FaultHuge's body, which is padded with spaces.
	HugePrefix string
}

// Serve answers r under fault f. process runs the endpoint (the request
// takes effect) and returns its answer; it is called at most once, and only
// for FaultNone and the faults that process.
func (in Injector) Serve(w http.ResponseWriter, r *http.Request, f Fault, process func() Reply) {
	switch f {
	case Fault502, Fault503, Fault504:
		NginxPage(map[Fault]int{Fault502: 502, Fault503: 503, Fault504: 504}[f]).Write(w)
	case Fault429:
		w.Header().Set("Retry-After", "1")
		NginxPage(http.StatusTooManyRequests).Write(w)
	case FaultHTML:
		Reply{http.StatusOK, "text/html; charset=utf-8", []byte(in.HTMLPage)}.Write(w)
	case FaultPHPWarning:
		rep := process()
		// PHP printed the warning before the script could set its JSON
		// header, so the page goes out as PHP's default text/html.
		rep.Body = append([]byte(in.Warning), rep.Body...)
		rep.ContentType = "text/html; charset=UTF-8"
		rep.Write(w)
	case FaultEmpty:
		Reply{http.StatusOK, "text/html; charset=UTF-8", nil}.Write(w)
	case FaultTruncated:
		rep := process()
		rep.Body = rep.Body[:len(rep.Body)/2]
		rep.Write(w)
	case FaultReset:
		ResetConn(w)
	case FaultResetAfter:
		process()
		ResetConn(w)
	case FaultDelay:
		t := time.NewTimer(in.Delay)
		select {
		case <-t.C:
		case <-r.Context().Done():
		case <-in.Closed:
		}
		t.Stop()
		process().Write(w)
	case FaultHuge:
		in.writeHuge(w, r)
	default:
		process().Write(w)
	}
}

// NginxPage is the error page a reverse proxy in front of PHP answers.
func NginxPage(code int) Reply {
	text := strconv.Itoa(code) + " " + http.StatusText(code)
	return Reply{code, "text/html", []byte("<html>\r\n<head><title>" + text + "</title></head>\r\n<body>\r\n<center><h1>" +
		text + "</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n")}
}

// ResetConn drops the connection without an answer, with a TCP reset.
func ResetConn(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler) // the server closes the connection
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = conn.Close()
}

// writeHuge answers 200 with HugeBodySize bytes, stopping early when the
// client leaves or the gateway closes.
func (in Injector) writeHuge(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(HugeBodySize))
	w.WriteHeader(http.StatusOK)
	chunk := bytes.Repeat([]byte(" "), 64<<10)
	copy(chunk, in.HugePrefix)
	for sent := 0; sent < HugeBodySize; sent += len(chunk) {
		select {
		case <-r.Context().Done():
			return
		case <-in.Closed:
			return
		default:
		}
		if _, err := w.Write(chunk[:min(len(chunk), HugeBodySize-sent)]); err != nil {
			return
		}
	}
}
