package iepaytest

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/epaykit/epaykit/sign"
)

// SuccessReply is the reply body (after trimming white space) that stops a
// notification's retries.
const SuccessReply = "SUCCESS"

// retryIntervals are the waits between notification attempts: the first
// attempt is at payment, the last about 11 h 34 min later (13 in all).
var retryIntervals = []time.Duration{
	15 * time.Second, 15 * time.Second, 30 * time.Second,
	3 * time.Minute, 10 * time.Minute, 20 * time.Minute,
	30 * time.Minute, 30 * time.Minute, time.Hour,
	2 * time.Hour, 2 * time.Hour, 5 * time.Hour,
}

// RetryIntervals returns the real-time waits between notification attempts:
// 15 s, 15 s, 30 s, 3 min, 10 min, 20 min, 30 min, 30 min, 1 h, 2 h, 2 h and
// 5 h, so 13 attempts within 12 hours. The server divides them by
// WithTimeScale's factor.
func RetryIntervals() []time.Duration { return append([]time.Duration(nil), retryIntervals...) }

// Delivery is one notification attempt.
type Delivery struct {
	OutTradeNo string
	TradeNo    string
	URL        string // the URL requested, query included for GET
	Attempt    int    // 1 for the first attempt for the order, counting Notify's
	StatusCode int    // 0 when no HTTP answer arrived
	Reply      string // the reply body, at most 64 KiB
	Err        string // transport error text, "" when an answer arrived
	At         time.Time
}

// Acknowledged reports whether the merchant answered the success word.
func (d Delivery) Acknowledged() bool { return strings.TrimSpace(d.Reply) == SuccessReply }

// notification returns the signed fields, in IEPay's order, and notify_url.
func (s *Server) notificationLocked(o *order) ([][2]string, string) {
	return [][2]string{
		{"out_trade_no", o.OutTradeNo},
		{"trade_no", o.TradeNo},
		{"trade_status", "SUCCESS"},
		{"pay_type", o.PayType},
		{"sign", sign.IEPayNotify(o.TradeNo, o.OutTradeNo, s.merchants[o.MID])},
	}, o.NotifyURL
}

func encodeOrdered(fields [][2]string) string {
	var b strings.Builder
	for i, f := range fields {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(url.QueryEscape(f[0]))
		b.WriteByte('=')
		b.WriteString(url.QueryEscape(f[1]))
	}
	return b.String()
}

// NotificationValues returns the signed notification fields of the order
// (out_trade_no, trade_no, trade_status=SUCCESS, pay_type, sign) without
// sending anything. It works whatever the order's status, so a handler can
// also be tested with a notification for an unpaid order.
func (s *Server) NotificationValues(outTradeNo string) (url.Values, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.orders[outTradeNo]
	if !ok {
		return nil, unknownOrder(outTradeNo)
	}
	fields, _ := s.notificationLocked(o)
	v := make(url.Values, len(fields))
	for _, f := range fields {
		v.Set(f[0], f[1])
	}
	return v, nil
}

// Pay marks the unpaid order with outTradeNo as paid and, when it has a
// notify_url, delivers the notification: the first attempt before Pay
// returns, later ones in the background on the retry schedule
// (RetryIntervals divided by WithTimeScale) until the merchant answers
// SuccessReply, the schedule ends or the server is closed. A failed attempt
// is not an error of Pay: see Deliveries.
func (s *Server) Pay(outTradeNo string) error {
	s.mu.Lock()
	o, ok := s.orders[outTradeNo]
	if !ok {
		s.mu.Unlock()
		return unknownOrder(outTradeNo)
	}
	s.mu.Unlock()
	return s.pay(o)
}

// pay marks o paid and starts its notifications.
func (s *Server) pay(o *order) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return errClosed
	}
	if o.Status != StatusUnpaid {
		st := o.Status
		s.mu.Unlock()
		return fmt.Errorf("iepaytest: order out_trade_no %q is not unpaid (status %d)", o.OutTradeNo, st)
	}
	o.Status = StatusPaid
	o.PaidAt = time.Now()
	if o.NotifyURL == "" {
		s.mu.Unlock()
		return nil
	}
	s.wg.Add(1)
	s.mu.Unlock()
	if s.deliver(o).Acknowledged() {
		s.wg.Done()
		return nil
	}
	go func() {
		defer s.wg.Done()
		for _, d := range retryIntervals {
			t := time.NewTimer(time.Duration(float64(d) / s.cfg.timeScale))
			select {
			case <-t.C:
			case <-s.ctx.Done():
				t.Stop()
				return
			}
			if s.deliver(o).Acknowledged() || s.ctx.Err() != nil {
				return
			}
		}
	}()
	return nil
}

// Notify sends one more notification for the order now, whatever the retries
// are doing (two deliveries can then arrive at once, as on the real
// gateway), and returns the attempt. The order must be paid (any status
// but StatusUnpaid) and have a notify_url.
func (s *Server) Notify(outTradeNo string) (Delivery, error) {
	s.mu.Lock()
	o, ok := s.orders[outTradeNo]
	switch {
	case s.closed:
		s.mu.Unlock()
		return Delivery{}, errClosed
	case !ok:
		s.mu.Unlock()
		return Delivery{}, unknownOrder(outTradeNo)
	case o.Status == StatusUnpaid:
		s.mu.Unlock()
		return Delivery{}, fmt.Errorf("iepaytest: order out_trade_no %q is unpaid", outTradeNo)
	case o.NotifyURL == "":
		s.mu.Unlock()
		return Delivery{}, fmt.Errorf("iepaytest: order out_trade_no %q has no notify_url", outTradeNo)
	}
	s.wg.Add(1)
	s.mu.Unlock()
	defer s.wg.Done()
	return s.deliver(o), nil
}

// maxReply is how much of a merchant's reply is kept.
const maxReply = 64 << 10

// deliver makes one notification attempt and records it.
func (s *Server) deliver(o *order) Delivery {
	s.mu.Lock()
	fields, notifyURL := s.notificationLocked(o)
	tradeNo := o.TradeNo
	s.mu.Unlock()

	query := encodeOrdered(fields)
	d := Delivery{OutTradeNo: o.OutTradeNo, TradeNo: tradeNo, URL: notifyURL, At: time.Now()}
	var req *http.Request
	var err error
	if s.cfg.notifyPOST {
		req, err = http.NewRequestWithContext(s.ctx, http.MethodPost, notifyURL, strings.NewReader(query))
		if err == nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
	} else {
		sep := "?"
		if strings.Contains(notifyURL, "?") {
			sep = "&"
		}
		d.URL = notifyURL + sep + query
		req, err = http.NewRequestWithContext(s.ctx, http.MethodGet, d.URL, nil)
	}
	if err == nil {
		req.Header.Set("User-Agent", "iepaytest-notify/1")
		var resp *http.Response
		resp, err = s.client.Do(req)
		if err == nil {
			body, rerr := io.ReadAll(io.LimitReader(resp.Body, maxReply))
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
			_ = resp.Body.Close()
			d.StatusCode = resp.StatusCode
			d.Reply = string(body)
			if rerr != nil {
				d.Err = rerr.Error()
			}
		}
	}
	if err != nil {
		d.Err = err.Error()
	}

	s.mu.Lock()
	for _, prev := range s.deliveries {
		if prev.OutTradeNo == d.OutTradeNo {
			d.Attempt++
		}
	}
	d.Attempt++
	s.deliveries = append(s.deliveries, d)
	close(s.changed)
	s.changed = make(chan struct{})
	s.mu.Unlock()
	s.logf("notification %d for %s: status %d reply %.40q err %s", d.Attempt, d.OutTradeNo, d.StatusCode, d.Reply, d.Err)
	return d
}

// Deliveries returns every notification attempt so far, oldest first.
func (s *Server) Deliveries() []Delivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Delivery(nil), s.deliveries...)
}

// WaitDeliveries waits until at least n notification attempts were made for
// the order and returns that order's attempts. It returns an error when the
// order is unknown, ctx ends first or the server is closed first.
func (s *Server) WaitDeliveries(ctx context.Context, outTradeNo string, n int) ([]Delivery, error) {
	for {
		s.mu.Lock()
		if _, ok := s.orders[outTradeNo]; !ok {
			s.mu.Unlock()
			return nil, unknownOrder(outTradeNo)
		}
		var got []Delivery
		for _, d := range s.deliveries {
			if d.OutTradeNo == outTradeNo {
				got = append(got, d)
			}
		}
		ch := s.changed
		closed := s.closed
		s.mu.Unlock()
		if len(got) >= n {
			return got, nil
		}
		if closed {
			return got, fmt.Errorf("iepaytest: server closed after %d of %d notifications for %q", len(got), n, outTradeNo)
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return got, fmt.Errorf("iepaytest: %d of %d notifications for %q: %w", len(got), n, outTradeNo, ctx.Err())
		case <-s.ctx.Done():
		}
	}
}
