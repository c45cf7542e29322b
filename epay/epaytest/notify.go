package epaytest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/epaykit/epaykit/sign"
)

// maxReply bounds how much of a merchant's answer is read and recorded.
const maxReply = 64 << 10

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

// payLocked marks o paid and reserves the delivery goroutine's place in the
// wait group; the caller must then call deliverAll. s.mu must be held.
func (s *Server) payLocked(o *order) error {
	if o.Status != StatusUnpaid {
		return fmt.Errorf("epaytest: pay: order %q is already %v", o.OutTradeNo, o.Status)
	}
	s.markPaidLocked(o)
	s.logf("epaytest: order %s (%s) paid, %s", o.OutTradeNo, o.TradeNo, o.Money)
	s.wg.Add(1)
	return nil
}

// deliverAll makes the first delivery now and the rest in the background.
// It balances the wg.Add of payLocked.
func (s *Server) deliverAll(o *order) {
	s.mu.Lock()
	notifyURL, paidAt := o.NotifyURL, o.paidAt
	s.mu.Unlock()
	if notifyURL == "" {
		s.wg.Done()
		return
	}
	if s.deliver(o).Acknowledged() {
		s.wg.Done()
		return
	}
	go func() {
		defer s.wg.Done()
		for _, off := range notifySchedule[1:] {
			wait := time.Until(paidAt.Add(time.Duration(float64(off) / s.cfg.scale)))
			t := time.NewTimer(wait)
			select {
			case <-s.ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
			s.mu.Lock()
			done := o.Notified
			s.mu.Unlock()
			if done || s.deliver(o).Acknowledged() {
				return
			}
		}
	}()
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
	s.mu.Unlock()
	if err != nil {
		return Delivery{}, err
	}
	return s.deliver(o), nil
}

// deliver makes one delivery attempt and records it.
func (s *Server) deliver(o *order) Delivery {
	s.mu.Lock()
	o.attempts++
	d := Delivery{OutTradeNo: o.OutTradeNo, TradeNo: o.TradeNo, Attempt: o.attempts, Method: http.MethodGet}
	v := s.notificationLocked(o)
	target := o.NotifyURL
	s.mu.Unlock()

	var req *http.Request
	var err error
	if s.cfg.notifyPOST {
		d.Method, d.URL = http.MethodPost, target
		req, err = http.NewRequestWithContext(s.ctx, http.MethodPost, target, strings.NewReader(v.Encode()))
		if err == nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
	} else {
		d.URL = appendQuery(target, v)
		req, err = http.NewRequestWithContext(s.ctx, http.MethodGet, d.URL, nil)
	}
	if err == nil {
		req.Header.Set("User-Agent", "epaytest notify")
		var resp *http.Response
		resp, err = s.client.Do(req)
		if err == nil {
			d.StatusCode = resp.StatusCode
			b, rerr := io.ReadAll(io.LimitReader(resp.Body, maxReply))
			_ = resp.Body.Close()
			d.Reply = string(b)
			err = rerr
		}
	}
	if err != nil {
		d.Err = err.Error()
	}

	s.mu.Lock()
	d.At = s.now()
	if d.Acknowledged() {
		o.Notified = true
	}
	s.deliveries = append(s.deliveries, d)
	s.broadcastLocked()
	s.mu.Unlock()
	if err != nil {
		// A *url.Error repeats the URL, signature included: log the cause only.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		s.logf("epaytest: notification %d for %s (%s): %v", d.Attempt, d.OutTradeNo, d.Method, err)
	} else {
		s.logf("epaytest: notification %d for %s (%s): status %d, reply %.40q", d.Attempt, d.OutTradeNo, d.Method, d.StatusCode, d.Reply)
	}
	return d
}

// appendQuery adds v to u's query string.
func appendQuery(u string, v url.Values) string {
	sep := "?"
	if strings.Contains(u, "?") {
		sep = "&"
	}
	return u + sep + v.Encode()
}

// Deliveries returns every notification attempt so far, in the order they
// ended.
func (s *Server) Deliveries() []Delivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Delivery(nil), s.deliveries...)
}

// WaitDeliveries waits until at least n notification attempts for the order
// have ended and returns all of them. It returns an error when ctx ends or
// the Server is closed first.
func (s *Server) WaitDeliveries(ctx context.Context, outTradeNo string, n int) ([]Delivery, error) {
	for {
		s.mu.Lock()
		var got []Delivery
		for _, d := range s.deliveries {
			if d.OutTradeNo == outTradeNo {
				got = append(got, d)
			}
		}
		ch, closed := s.changed, s.closed
		s.mu.Unlock()
		if len(got) >= n {
			return got, nil
		}
		if closed {
			return got, fmt.Errorf("epaytest: wait deliveries: server closed after %d of %d for %q", len(got), n, outTradeNo)
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return got, fmt.Errorf("epaytest: wait deliveries: %d of %d for %q: %w", len(got), n, outTradeNo, ctx.Err())
		}
	}
}
