package iepaytest

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/epaykit/epaykit/internal/fakegw"
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

// Delivery is one notification attempt: the order, the URL requested
// (query included for GET), the attempt number (1 for the first for the
// order, counting Notify's), the HTTP status (0 when no answer arrived), the
// reply body (at most 64 KiB), a transport error and the time. Acknowledged
// reports whether the reply was SuccessReply.
type Delivery = fakegw.Delivery

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
	job := s.jobLocked(o)
	s.mu.Unlock()
	return s.notifier.Deliver(job, retryIntervals)
}

// jobLocked describes o's notification for the notifier. s.mu must be held.
func (s *Server) jobLocked(o *order) fakegw.Job {
	fields, notifyURL := s.notificationLocked(o)
	query := encodeOrdered(fields)
	return fakegw.Job{OutTradeNo: o.OutTradeNo, TradeNo: o.TradeNo, Target: notifyURL, Query: func() string { return query }}
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
	job := s.jobLocked(o)
	s.mu.Unlock()
	d, err := s.notifier.Once(job)
	if err != nil {
		return Delivery{}, errClosed
	}
	return d, nil
}

// Deliveries returns every notification attempt so far, oldest first.
func (s *Server) Deliveries() []Delivery { return s.notifier.Deliveries() }

// WaitDeliveries waits until at least n notification attempts were made for
// the order and returns that order's attempts. It returns an error when the
// order is unknown, ctx ends first or the server is closed first.
func (s *Server) WaitDeliveries(ctx context.Context, outTradeNo string, n int) ([]Delivery, error) {
	s.mu.Lock()
	_, ok := s.orders[outTradeNo]
	s.mu.Unlock()
	if !ok {
		return nil, unknownOrder(outTradeNo)
	}
	return s.notifier.Wait(ctx, outTradeNo, n)
}
