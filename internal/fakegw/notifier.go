package fakegw

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// MaxReply is how much of a merchant's answer to a notification is kept.
const MaxReply = 64 << 10

// Delivery is one notification attempt.
type Delivery struct {
	OutTradeNo string
	TradeNo    string
	Method     string // GET, or POST when the gateway posts notifications
	URL        string // the URL requested, query included for GET
	Attempt    int    // 1 for the first attempt for the order
	StatusCode int    // 0 when no answer arrived
	Reply      string // the answer body (at most MaxReply bytes)
	Err        string // transport error, if any
	At         time.Time

	success string // the gateway's success word
}

// Acknowledged reports whether the merchant answered the gateway's success
// word (white space around it is allowed).
func (d Delivery) Acknowledged() bool {
	return d.success != "" && strings.TrimSpace(d.Reply) == d.success
}

// ErrClosed is returned for deliveries asked of a closed Notifier.
var ErrClosed = errors.New("server closed")

// Notifier sends a gateway's notifications, retries them on a schedule
// until acknowledged, and records every attempt.
type Notifier struct {
	name      string // the gateway package, for errors and logs
	success   string
	post      bool
	scale     float64
	userAgent string
	logf      func(format string, args ...any)
	now       func() time.Time

	client *http.Client
	ownTr  *http.Transport // the default client's, closed with the Notifier
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu         sync.Mutex
	closed     bool
	deliveries []Delivery
	attempts   map[string]int
	changed    chan struct{} // closed and replaced when deliveries grows
}

// NotifierConfig configures a Notifier.
type NotifierConfig struct {
	Name      string  // "epaytest"
	Success   string  // the success word: "success", "SUCCESS"
	POST      bool    // post a form instead of a GET with a query
	TimeScale float64 // divides the retry waits; ≤ 0 means 1
	UserAgent string
	// Logf, when set, receives a line per attempt (without the signed
	// URL). It may be nil.
	Logf func(format string, args ...any)
	// Client sends the notifications; nil means a client with a 10 s timeout
	// that does not follow redirects.
	Client *http.Client
	// Now stamps the attempts; nil means time.Now.
	Now func() time.Time
}

// NewNotifier returns a Notifier; Close stops it.
func NewNotifier(cfg NotifierConfig) *Notifier {
	n := &Notifier{
		name: cfg.Name, success: cfg.Success, post: cfg.POST, scale: cfg.TimeScale,
		userAgent: cfg.UserAgent, logf: cfg.Logf, client: cfg.Client, now: cfg.Now,
		attempts: map[string]int{}, changed: make(chan struct{}),
	}
	if n.scale <= 0 {
		n.scale = 1
	}
	if n.now == nil {
		n.now = time.Now
	}
	if n.client == nil {
		n.ownTr = &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 4, IdleConnTimeout: 5 * time.Second}
		n.client = &http.Client{
			Timeout:       10 * time.Second,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
			Transport:     n.ownTr,
		}
	}
	n.ctx, n.cancel = context.WithCancel(context.Background())
	return n
}

// Closed is closed when the Notifier is.
func (n *Notifier) Closed() <-chan struct{} { return n.ctx.Done() }

// Job is one order's notification.
type Job struct {
	OutTradeNo, TradeNo string
	// Target is notify_url.
	Target string
	// Query returns the encoded signed fields; it is called for every
	// attempt, so time-stamped notifications are signed afresh.
	Query func() string
	// Done reports whether the order needs no more attempts (another
	// delivery was acknowledged); nil means never.
	Done func() bool
	// Result, when set, is called with every attempt.
	Result func(Delivery)
}

// Deliver makes the job's first attempt now and, unless it is
// acknowledged, the later ones in the background after each of waits
// (divided by the time scale), until one is acknowledged, Done says so, the
// waits end or the Notifier is closed.
func (n *Notifier) Deliver(job Job, waits []time.Duration) error {
	if !n.hold() {
		return ErrClosed
	}
	if n.send(job).Acknowledged() {
		n.wg.Done()
		return nil
	}
	go func() {
		defer n.wg.Done()
		for _, w := range waits {
			t := time.NewTimer(time.Duration(float64(w) / n.scale))
			select {
			case <-t.C:
			case <-n.ctx.Done():
				t.Stop()
				return
			}
			if job.Done != nil && job.Done() {
				return
			}
			if n.send(job).Acknowledged() || n.ctx.Err() != nil {
				return
			}
		}
	}()
	return nil
}

// Once makes one attempt now and returns it.
func (n *Notifier) Once(job Job) (Delivery, error) {
	if !n.hold() {
		return Delivery{}, ErrClosed
	}
	defer n.wg.Done()
	return n.send(job), nil
}

// hold reserves a place in the wait group unless closed.
func (n *Notifier) hold() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		return false
	}
	n.wg.Add(1)
	return true
}

// send makes one attempt and records it.
func (n *Notifier) send(job Job) Delivery {
	d := Delivery{OutTradeNo: job.OutTradeNo, TradeNo: job.TradeNo, Method: http.MethodGet, success: n.success}
	var req *http.Request
	var err error
	if n.post {
		d.Method, d.URL = http.MethodPost, job.Target
		req, err = http.NewRequestWithContext(n.ctx, http.MethodPost, job.Target, strings.NewReader(job.Query()))
		if err == nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
	} else {
		sep := "?"
		if strings.Contains(job.Target, "?") {
			sep = "&"
		}
		d.URL = job.Target + sep + job.Query()
		req, err = http.NewRequestWithContext(n.ctx, http.MethodGet, d.URL, nil)
	}
	if err == nil {
		req.Header.Set("User-Agent", n.userAgent)
		var resp *http.Response
		resp, err = n.client.Do(req)
		if err == nil {
			b, rerr := io.ReadAll(io.LimitReader(resp.Body, MaxReply))
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
			_ = resp.Body.Close()
			d.StatusCode, d.Reply, err = resp.StatusCode, string(b), rerr
		}
	}
	if err != nil {
		// A *url.Error repeats the URL, signature included: keep the cause.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		d.Err = err.Error()
	}

	n.mu.Lock()
	n.attempts[d.OutTradeNo]++
	d.Attempt = n.attempts[d.OutTradeNo]
	d.At = n.now()
	n.deliveries = append(n.deliveries, d)
	close(n.changed)
	n.changed = make(chan struct{})
	n.mu.Unlock()
	if job.Result != nil {
		job.Result(d)
	}
	if n.logf != nil {
		if d.Err != "" {
			n.logf("%s: notification %d for %s (%s): %s", n.name, d.Attempt, d.OutTradeNo, d.Method, d.Err)
		} else {
			n.logf("%s: notification %d for %s (%s): status %d, reply %.40q", n.name, d.Attempt, d.OutTradeNo, d.Method, d.StatusCode, d.Reply)
		}
	}
	return d
}

// Deliveries returns every attempt so far, in the order they ended.
func (n *Notifier) Deliveries() []Delivery {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]Delivery(nil), n.deliveries...)
}

// Wait waits until at least count attempts for the order have ended and
// returns them; it fails when ctx ends or the Notifier closes first.
func (n *Notifier) Wait(ctx context.Context, outTradeNo string, count int) ([]Delivery, error) {
	for {
		n.mu.Lock()
		var got []Delivery
		for _, d := range n.deliveries {
			if d.OutTradeNo == outTradeNo {
				got = append(got, d)
			}
		}
		ch, closed := n.changed, n.closed
		n.mu.Unlock()
		if len(got) >= count {
			return got, nil
		}
		if closed {
			return got, fmt.Errorf("%s: server closed after %d of %d notifications for %q", n.name, len(got), count, outTradeNo)
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return got, fmt.Errorf("%s: %d of %d notifications for %q: %w", n.name, len(got), count, outTradeNo, ctx.Err())
		case <-n.ctx.Done():
		}
	}
}

// Close stops every pending retry and waits for the attempts in flight.
func (n *Notifier) Close() {
	n.mu.Lock()
	n.closed = true
	n.mu.Unlock()
	n.cancel()
	n.wg.Wait()
	if n.ownTr != nil {
		n.ownTr.CloseIdleConnections()
	}
}
