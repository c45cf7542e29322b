package notify_test

// Load: both notify handlers behind one loopback server, hammered by 200
// keep-alive connections at once with a fixed set of orders, each delivered
// many times by GET and POST. Every delivery must be answered with the
// success word, no request may fail, and the merchant's function must run
// exactly once per order.
//
// The run lasts 1 s by default (skipped with -short) and 10 s with
// EPAYKIT_LOAD=1; throughput and latency are logged (go test -v).

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/epaykit/epaykit/epay"
	"github.com/epaykit/epaykit/iepay"
	"github.com/epaykit/epaykit/notify"
	"github.com/epaykit/epaykit/sign"
)

const (
	loadConns  = 200 // concurrent keep-alive connections
	loadOrders = 400 // orders per gateway
	loadPID    = "1001"
	loadMID    = "10224"
	loadKey    = "Kx9QmZ4tVb7RwY2nHs5Lc8PdJf3Ga6Ue"
)

// delivery is one prepared notification.
type delivery struct {
	path    string // /notify/epay or /notify/iepay
	query   string // signed parameters
	success string // the word that acknowledges it
	order   string
}

func loadDeliveries() []delivery {
	var ds []delivery
	for i := 0; i < loadOrders; i++ {
		no := fmt.Sprintf("E-%04d", i)
		v := url.Values{"pid": {loadPID}, "trade_no": {fmt.Sprintf("2026010112%09d", i)}, "out_trade_no": {no},
			"type": {"alipay"}, "name": {"Tea"}, "money": {"9.99"}, "trade_status": {epay.TradeSuccess}}
		m, _ := sign.Flatten(v)
		v.Set("sign", sign.Epay(m, loadKey))
		v.Set("sign_type", "MD5")
		ds = append(ds, delivery{"/notify/epay", v.Encode(), epay.SuccessReply, "epay/" + no})

		no = fmt.Sprintf("I-%04d", i)
		tn := fmt.Sprintf("2026%024d", i)
		w := url.Values{"trade_no": {tn}, "out_trade_no": {no}, "trade_status": {iepay.TradeSuccess},
			"pay_type": {"IE0011"}, "sign": {sign.IEPayNotify(tn, no, loadKey)}}
		ds = append(ds, delivery{"/notify/iepay", w.Encode(), iepay.SuccessReply, "iepay/" + no})
	}
	return ds
}

// ledger counts the merchant function's calls per order.
type ledger struct {
	mu    sync.Mutex
	calls map[string]int
}

func (l *ledger) credit(order string) {
	time.Sleep(200 * time.Microsecond) // a database write: lets duplicates overlap
	l.mu.Lock()
	l.calls[order]++
	l.mu.Unlock()
}

func TestLoadNotifyHandlers(t *testing.T) {
	if testing.Short() {
		t.Skip("load test skipped in -short mode")
	}
	duration := time.Second
	if os.Getenv("EPAYKIT_LOAD") == "1" {
		duration = 10 * time.Second
	}

	ec, err := epay.New("https://pay.example.com/epay/", loadPID, loadKey)
	require.NoError(t, err)
	ic, err := iepay.New(loadMID, loadKey, iepay.WithBaseURL("https://pay.example.com/iepay/"))
	require.NoError(t, err)
	led := &ledger{calls: map[string]int{}}
	var hookErrs atomic.Int64
	hook := notify.WithErrorHook(func(_ *http.Request, err error) {
		if hookErrs.Add(1) <= 5 {
			t.Errorf("handler error: %v", err)
		}
	})
	mux := http.NewServeMux()
	mux.Handle("/notify/epay", notify.Epay(ec, func(_ context.Context, n *epay.Notification) error {
		led.credit("epay/" + n.OutTradeNo)
		return nil
	}, hook))
	mux.Handle("/notify/iepay", notify.IEPay(ic, func(_ context.Context, n *iepay.Notification) error {
		led.credit("iepay/" + n.OutTradeNo)
		return nil
	}, hook))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	ds := loadDeliveries()
	var (
		sent, transportErrs, notAcked atomic.Int64
		wg                            sync.WaitGroup
		latMu                         sync.Mutex
		lats                          []time.Duration
	)
	start := time.Now()
	stop := start.Add(duration)
	for g := 0; g < loadConns; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			tr := &http.Transport{MaxIdleConnsPerHost: 1, MaxConnsPerHost: 1}
			defer tr.CloseIdleConnections()
			hc := &http.Client{Transport: tr, Timeout: 30 * time.Second}
			mine := make([]time.Duration, 0, 256)
			// The first pass covers every delivery once; then each
			// connection walks the set with its own stride.
			for n := 0; ; n++ {
				i := g + n*loadConns
				if i >= len(ds) {
					i = (g*7919 + n*31) % len(ds)
					if time.Now().After(stop) {
						break
					}
				}
				d := ds[i]
				var req *http.Request
				if n%2 == 0 {
					req, _ = http.NewRequest(http.MethodGet, srv.URL+d.path+"?"+d.query, nil)
				} else {
					req, _ = http.NewRequest(http.MethodPost, srv.URL+d.path, strings.NewReader(d.query))
					req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				}
				t0 := time.Now()
				resp, err := hc.Do(req)
				if err != nil {
					if transportErrs.Add(1) <= 5 {
						t.Errorf("request failed: %v", err)
					}
					continue
				}
				body, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				mine = append(mine, time.Since(t0))
				sent.Add(1)
				if err != nil || resp.StatusCode != http.StatusOK || string(body) != d.success {
					if notAcked.Add(1) <= 5 {
						t.Errorf("%s %s: HTTP %d %q %v", req.Method, d.order, resp.StatusCode, body, err)
					}
				}
			}
			latMu.Lock()
			lats = append(lats, mine...)
			latMu.Unlock()
		}(g)
	}
	wg.Wait()
	elapsed := time.Since(start)

	assert.Zero(t, transportErrs.Load(), "transport errors")
	assert.Zero(t, notAcked.Load(), "deliveries not acknowledged")
	assert.Zero(t, hookErrs.Load(), "handler errors")
	led.mu.Lock()
	defer led.mu.Unlock()
	assert.Len(t, led.calls, len(ds), "every order credited")
	for order, n := range led.calls {
		if n != 1 {
			t.Errorf("order %s credited %d times", order, n)
		}
	}
	require.NotEmpty(t, lats)
	sort.Slice(lats, func(i, j int) bool { return lats[i] < lats[j] })
	pct := func(p float64) time.Duration { return lats[int(p*float64(len(lats)-1))] }
	t.Logf("%d connections, %v: %d deliveries of %d orders (%.0f/s), latency p50 %v p99 %v max %v",
		loadConns, elapsed.Round(time.Millisecond), sent.Load(), len(ds), float64(sent.Load())/elapsed.Seconds(),
		pct(0.5), pct(0.99), lats[len(lats)-1])
}
