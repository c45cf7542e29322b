package epaytest

import (
	"context"
	"fmt"
	"net/url"
	"time"

	"github.com/epaykit/epaykit/internal/fakegw"
	"github.com/epaykit/epaykit/sign"
)

// notificationLocked builds the signed notification of o. s.mu must be held.
func (s *Server) notificationLocked(o *order) url.Values {
	p := map[string]string{
		"pid":          o.PID,
		"trade_no":     o.TradeNo,
		"out_trade_no": o.OutTradeNo,
		"type":         o.Type,
		"name":         o.Name,
		"money":        notifyMoney(o.Cents),
		"trade_status": "TRADE_SUCCESS",
		"sign_type":    "MD5",
	}
	if o.Param != "" {
		p["param"] = o.Param
	}
	p["sign"] = sign.Epay(p, s.merchants[o.PID].key)
	v := make(url.Values, len(p))
	for k, val := range p {
		v.Set(k, val)
	}
	return v
}

// NotificationValues returns the signed parameters the gateway sends to the
// order's notify_url (and appends to its return_url), without sending
// anything. It works for an order in any status, so a handler test can also
// receive a correctly signed notification for an unpaid order.
func (s *Server) NotificationValues(outTradeNo string) (url.Values, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, err := s.findLocked(outTradeNo)
	if err != nil {
		return nil, err
	}
	return s.notificationLocked(o), nil
}

// Pay marks the order paid and delivers its notification. The first attempt
// is made before Pay returns; if it is not acknowledged with the success word,
// later attempts follow in the background at +1, +3, +19 and +55 minutes
// after the payment (divided by WithTimeScale) until one is acknowledged, the schedule ends or the Server
// is closed. Paying an unknown order or one that is not unpaid is an error;
// a failed delivery is not (see Deliveries).
func (s *Server) Pay(outTradeNo string) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return errClosed
	}
	o, err := s.findLocked(outTradeNo)
	if err != nil {
		s.mu.Unlock()
		return err
	}
	err = s.payLocked(o)
	s.mu.Unlock()
	if err != nil {
		return err
	}
	s.deliverAll(o)
	return nil
}

// payLocked marks o paid; the caller then calls deliverAll. s.mu must be
// held.
func (s *Server) payLocked(o *order) error {
	if o.Status != StatusUnpaid {
		return fmt.Errorf("epaytest: pay: order %q is already %v", o.OutTradeNo, o.Status)
	}
	if s.v2.closed[o] {
		return fmt.Errorf("epaytest: pay: order %q is closed", o.OutTradeNo)
	}
	s.markPaidLocked(o)
	s.logf("epaytest: order %s (%s) paid, %s", o.OutTradeNo, o.TradeNo, o.Money)
	return nil
}

// notifyWaits are Rainbow Epay's retry schedule as waits between attempts:
// the attempts fall at about +1, +3, +19 and +55 minutes after the payment.
var notifyWaits = []time.Duration{time.Minute, 2 * time.Minute, 16 * time.Minute, 36 * time.Minute}

// deliverAll makes the first delivery now and the rest in the background.
func (s *Server) deliverAll(o *order) {
	s.mu.Lock()
	job, ok := s.jobLocked(o)
	s.mu.Unlock()
	if ok {
		_ = s.notifier.Deliver(job, notifyWaits) // closed: nothing to deliver
	}
}

// jobLocked describes o's notification for the notifier, false when o has
// no notify_url. s.mu must be held.
func (s *Server) jobLocked(o *order) (fakegw.Job, bool) {
	if o.NotifyURL == "" {
		return fakegw.Job{}, false
	}
	return fakegw.Job{
		OutTradeNo: o.OutTradeNo,
		TradeNo:    o.TradeNo,
		Target:     o.NotifyURL,
		Query: func() string {
			s.mu.Lock()
			defer s.mu.Unlock()
			if s.v2.orders[o] {
				return s.v2NotificationLocked(o).Encode()
			}
			return s.notificationLocked(o).Encode()
		},
		Done: func() bool {
			s.mu.Lock()
			defer s.mu.Unlock()
			return o.Notified
		},
		Result: func(d Delivery) {
			if d.Acknowledged() {
				s.mu.Lock()
				o.Notified = true
				s.mu.Unlock()
			}
		},
	}, true
}

// Notify sends one more notification for a paid (or refunded) order now, as
// an operator's "re-notify" button does, and returns the attempt. It is for
// testing duplicate deliveries; an unacknowledged attempt is not an error.
func (s *Server) Notify(outTradeNo string) (Delivery, error) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return Delivery{}, errClosed
	}
	o, err := s.findLocked(outTradeNo)
	if err == nil {
		switch {
		case o.Status == StatusUnpaid:
			err = fmt.Errorf("epaytest: notify: order %q is not paid", outTradeNo)
		case o.NotifyURL == "":
			err = fmt.Errorf("epaytest: notify: order %q has no notify_url", outTradeNo)
		}
	}
	var job fakegw.Job
	if err == nil {
		job, _ = s.jobLocked(o)
	}
	s.mu.Unlock()
	if err != nil {
		return Delivery{}, err
	}
	d, err := s.notifier.Once(job)
	if err != nil {
		return Delivery{}, errClosed
	}
	return d, nil
}

// Delivery is one attempt to deliver a notification: the order, the method
// (GET, or POST with WithNotifyPOST), the URL requested (query included for
// GET), the attempt number (1 for the order's first), the HTTP status (0
// when no answer arrived), the answer body (at most 64 KiB), a transport
// error and the time. Acknowledged reports whether the answer was the
// success word.
type Delivery = fakegw.Delivery

// Deliveries returns every notification attempt so far, in the order they
// ended.
func (s *Server) Deliveries() []Delivery { return s.notifier.Deliveries() }

// WaitDeliveries waits until at least n notification attempts for the order
// have ended and returns all of them. It returns an error when ctx ends or
// the Server is closed first.
func (s *Server) WaitDeliveries(ctx context.Context, outTradeNo string, n int) ([]Delivery, error) {
	return s.notifier.Wait(ctx, outTradeNo, n)
}
