package epaytest_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"

	"github.com/epaykit/epaykit/epay/epaytest"
	"github.com/epaykit/epaykit/sign"
)

// Example starts a gateway, creates an order with a signed mapi.php request
// (as any Epay client would), pays it and looks at the notification the
// merchant's notify_url received.
func Example() {
	s := epaytest.NewServer(epaytest.WithTimeScale(1e6))
	defer s.Close()

	// The merchant's notify_url: acknowledge with the success word.
	shop := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		fmt.Println("notified:", q.Get("out_trade_no"), q.Get("money"), q.Get("trade_status"))
		io.WriteString(w, "success")
	}))
	defer shop.Close()

	p := map[string]string{
		"pid":          s.PID,
		"type":         "alipay",
		"out_trade_no": "ORDER-1001",
		"notify_url":   shop.URL + "/notify",
		"name":         "VIP",
		"money":        "9.90",
		"clientip":     "203.0.113.10",
	}
	form := url.Values{"sign": {sign.Epay(p, s.Key)}, "sign_type": {"MD5"}}
	for k, v := range p {
		form.Set(k, v)
	}
	resp, err := http.PostForm(s.URL+"mapi.php", form)
	if err != nil {
		fmt.Println(err)
		return
	}
	var created struct {
		Code    int    `json:"code"`
		TradeNo string `json:"trade_no"`
		PayURL  string `json:"payurl"`
	}
	err = json.NewDecoder(resp.Body).Decode(&created)
	resp.Body.Close()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("code:", created.Code, "trade_no:", created.TradeNo)
	fmt.Println("pay page:", strings.TrimPrefix(created.PayURL, s.URL))

	if err := s.Pay("ORDER-1001"); err != nil {
		fmt.Println(err)
		return
	}
	d := s.Deliveries()[0]
	fmt.Println("attempt", d.Attempt, "reply:", d.Reply)
	o, _ := s.Order("ORDER-1001")
	fmt.Println("status:", o.Status, "notified:", o.Notified)
	// Output:
	// code: 1 trade_no: 2026010112000000001
	// pay page: pay/2026010112000000001
	// notified: ORDER-1001 9.9 TRADE_SUCCESS
	// attempt 1 reply: success
	// status: paid notified: true
}

// ExampleServer_CreateOrder creates an order without signing anything and
// shows the notification a handler under test would receive for it.
func ExampleServer_CreateOrder() {
	s := epaytest.NewServer()
	defer s.Close()

	o, err := s.CreateOrder(epaytest.NewOrder{OutTradeNo: "A-1", Money: "10.50", Name: "Pro plan", NotifyURL: "https://shop.example.com/notify"})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(o.TradeNo, o.Money, o.Status)

	v, _ := s.NotificationValues("A-1")
	fmt.Println(v.Get("money"), v.Get("trade_status"), sign.VerifyEpay(map[string]string{
		"pid": v.Get("pid"), "trade_no": v.Get("trade_no"), "out_trade_no": v.Get("out_trade_no"), "type": v.Get("type"),
		"name": v.Get("name"), "money": v.Get("money"), "trade_status": v.Get("trade_status"),
		"sign_type": v.Get("sign_type"), "sign": v.Get("sign"),
	}, s.Key))
	// Output:
	// 2026010112000000001 10.50 unpaid
	// 10.5 TRADE_SUCCESS true
}

// ExampleServer_FailNext makes the next API request fail with a 502, as a
// reverse proxy in front of a struggling gateway does.
func ExampleServer_FailNext() {
	s := epaytest.NewServer()
	defer s.Close()
	s.FailNext(1, epaytest.Fault502)

	q := url.Values{"act": {"query"}, "pid": {s.PID}, "key": {s.Key}}
	for range 2 {
		resp, err := http.Get(s.URL + "api.php?" + q.Encode())
		if err != nil {
			fmt.Println(err)
			return
		}
		resp.Body.Close()
		fmt.Println(resp.StatusCode)
	}
	fmt.Println(s.Requests()[0].Fault)
	// Output:
	// 502
	// 200
	// Fault502
}
