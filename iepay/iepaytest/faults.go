package iepaytest

import (
	"bytes"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// Fault is a failure FailNext injects into the merchant API endpoints
// (api/online, wechatApi/mini_pay, api/check_order_status, api/refund; not
// the checkout page). "Not processed" means the request has no effect on the
// gateway's state; "processes" means it takes effect as usual.
type Fault int

// Faults. FaultNone is the zero value: no fault.
const (
	FaultNone       Fault = iota // no fault: answered normally
	Fault502                     // 502 Bad Gateway with an nginx HTML page; not processed
	Fault503                     // 503 Service Unavailable with an nginx HTML page; not processed
	Fault504                     // 504 Gateway Timeout with an nginx HTML page; not processed
	Fault429                     // 429 Too Many Requests with Retry-After: 1; not processed
	FaultHTML                    // 200 with an HTML error page; not processed
	FaultPHPWarning              // processes, then answers a PHP warning line followed by the JSON
	FaultEmpty                   // 200 with an empty body; not processed
	FaultTruncated               // processes, then answers the first half of the JSON
	FaultReset                   // resets the connection without processing or answering
	FaultResetAfter              // processes, then resets the connection without an answer
	FaultDelay                   // waits WithFaultDelay or until the client leaves, then processes and answers
	FaultHuge                    // 200 with a HugeBodySize body; not processed
)

// HugeBodySize is the size of FaultHuge's body: 10 MiB.
const HugeBodySize = 10 << 20

var faultNames = [...]string{
	FaultNone:       "none",
	Fault502:        "502",
	Fault503:        "503",
	Fault504:        "504",
	Fault429:        "429",
	FaultHTML:       "html",
	FaultPHPWarning: "php-warning",
	FaultEmpty:      "empty",
	FaultTruncated:  "truncated",
	FaultReset:      "reset",
	FaultResetAfter: "reset-after",
	FaultDelay:      "delay",
	FaultHuge:       "huge",
}

// String returns the fault's short name, such as "502", "php-warning" or
// "reset-after", or "Fault(N)" for a value that is not a Fault constant.
func (f Fault) String() string {
	if f >= 0 && int(f) < len(faultNames) {
		return faultNames[f]
	}
	return "Fault(" + strconv.Itoa(int(f)) + ")"
}

type pendingFault struct {
	fault Fault
	left  int
}

// Request is an API request as the gateway received it.
type Request struct {
	Method string
	Path   string     // e.g. "/iepay/api/refund"
	Form   url.Values // query and body fields as received, sign included
	Fault  Fault      // the fault injected into it, FaultNone if none
	At     time.Time
}

// FailNext makes the next n API requests fail with f, after any faults
// queued before. n <= 0 and FaultNone queue nothing; a value that is not a
// Fault constant makes those requests answer 500 with a plain-text error.
func (s *Server) FailNext(n int, f Fault) {
	if n <= 0 || f == FaultNone {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, pendingFault{f, n})
}

// Requests returns every API request received so far, oldest first.
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

func (s *Server) takeFaultLocked() Fault {
	if len(s.faults) == 0 {
		return FaultNone
	}
	f := s.faults[0].fault
	if s.faults[0].left--; s.faults[0].left == 0 {
		s.faults = s.faults[1:]
	}
	return f
}

// maxForm is the largest request body the API endpoints read.
const maxForm = 1 << 20

// api wraps an endpoint: it records the request, applies any queued fault
// and writes the endpoint's reply.
func (s *Server) api(fn func(url.Values) reply) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, maxForm)
		parseErr := r.ParseForm()
		s.mu.Lock()
		f := s.takeFaultLocked()
		s.requests = append(s.requests, Request{
			Method: r.Method, Path: r.URL.Path, Form: cloneValues(r.Form), Fault: f, At: time.Now(),
		})
		s.mu.Unlock()
		if f != FaultNone {
			s.logf("%s %s: injecting fault %v", r.Method, r.URL.Path, f)
		}
		process := func() reply {
			if r.Method != http.MethodPost {
				rep := s.fail("METHOD_ERROR: POST required")
				rep.status = http.StatusMethodNotAllowed
				return rep
			}
			if parseErr != nil {
				var tooBig *http.MaxBytesError
				if errors.As(parseErr, &tooBig) {
					return reply{status: http.StatusRequestEntityTooLarge, body: []byte("iepaytest: request body larger than 1 MiB\n")}
				}
				return s.fail(msgParam + ": the body is not a valid form")
			}
			return fn(r.PostForm)
		}
		switch f {
		case FaultNone:
			writeReply(w, process())
		case Fault502, Fault503, Fault504:
			code := map[Fault]int{Fault502: 502, Fault503: 503, Fault504: 504}[f]
			writeHTML(w, code, nginxPage(code))
		case Fault429:
			w.Header().Set("Retry-After", "1")
			writeHTML(w, http.StatusTooManyRequests, nginxPage(http.StatusTooManyRequests))
		case FaultHTML:
			writeHTML(w, http.StatusOK, []byte("<!DOCTYPE html>\n<html><head><title>Whoops!</title></head>\n"+
				"<body><h1>Whoops, looks like something went wrong.</h1></body></html>\n"))
		case FaultPHPWarning:
			rep := process()
			rep.body = append([]byte("<br />\n<b>Warning</b>:  Undefined array key \"tid\" in "+
				"<b>/var/www/app/Http/Controllers/ApiController.php</b> on line <b>214</b><br />\n"), rep.body...)
			// PHP printed the warning before the framework could set its
			// JSON header, so the page goes out as PHP's default text/html.
			writeHTML(w, rep.status, rep.body)
		case FaultEmpty:
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusOK)
		case FaultTruncated:
			rep := process()
			rep.body = rep.body[:len(rep.body)/2]
			writeReply(w, rep)
		case FaultReset:
			resetConn(w)
		case FaultResetAfter:
			process()
			resetConn(w)
		case FaultDelay:
			t := time.NewTimer(s.cfg.faultDelay)
			select {
			case <-t.C:
			case <-r.Context().Done():
			case <-s.ctx.Done():
			}
			t.Stop()
			writeReply(w, process())
		case FaultHuge:
			s.writeHuge(w, r)
		default:
			http.Error(w, "iepaytest: unknown fault "+f.String(), http.StatusInternalServerError)
		}
	}
}

func writeReply(w http.ResponseWriter, rep reply) {
	if bytes.HasPrefix(rep.body, []byte("iepaytest:")) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	} else {
		w.Header().Set("Content-Type", "application/json")
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(rep.body)))
	w.WriteHeader(rep.status)
	_, _ = w.Write(rep.body)
}

func writeHTML(w http.ResponseWriter, code int, body []byte) {
	w.Header().Set("Content-Type", "text/html")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(code)
	_, _ = w.Write(body)
}

func nginxPage(code int) []byte {
	title := strconv.Itoa(code) + " " + http.StatusText(code)
	return []byte("<html>\r\n<head><title>" + title + "</title></head>\r\n<body>\r\n<center><h1>" + title +
		"</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n")
}

// resetConn closes the connection with a TCP reset and no answer.
func resetConn(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler) // the server closes the connection
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = conn.Close()
}

// writeHuge answers 200 with HugeBodySize bytes of JSON-looking padding,
// stopping early when the client leaves or the server closes.
func (s *Server) writeHuge(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(HugeBodySize))
	w.WriteHeader(http.StatusOK)
	chunk := bytes.Repeat([]byte(" "), 64<<10)
	copy(chunk, `{"is_success":"TRUE","message":"`)
	for sent := 0; sent < HugeBodySize; sent += len(chunk) {
		if r.Context().Err() != nil || s.ctx.Err() != nil {
			return
		}
		if _, err := w.Write(chunk); err != nil {
			return
		}
		if sent == 0 {
			chunk = bytes.Repeat([]byte(" "), 64<<10)
		}
	}
}
