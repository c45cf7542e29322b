package epay_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"

	"github.com/epaykit/epaykit/epay"
)

func ExampleClient_CheckoutURL() {
	c, err := epay.New("https://pay.example.com/epay/", "1001", "89unJUB8HZ54Hj7x4nUj56HN4nUzUJ8i")
	if err != nil {
		log.Fatal(err)
	}
	u, err := c.CheckoutURL(&epay.CheckoutRequest{
		Type:       epay.TypeAlipay,
		OutTradeNo: "20160806151343349",
		NotifyURL:  "http://www.pay.com/notify_url.php",
		ReturnURL:  "http://www.pay.com/return_url.php",
		Name:       "VIP",
		Money:      epay.FormatCents(100),
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(u)
	// Output:
	// https://pay.example.com/epay/submit.php?money=1.00&name=VIP&notify_url=http%3A%2F%2Fwww.pay.com%2Fnotify_url.php&out_trade_no=20160806151343349&pid=1001&return_url=http%3A%2F%2Fwww.pay.com%2Freturn_url.php&sign=a411ab6698cbb8c1103b2096f1b19463&sign_type=MD5&type=alipay
}

func ExampleClient_Create() {
	// A stand-in for the gateway.
	gw := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"code":1,"trade_no":"2026112212000012345","qrcode":"weixin://wxpay/bizpayurl?pr=abc"}`)
	}))
	defer gw.Close()

	c, err := epay.New(gw.URL+"/epay/", "1001", "merchant-key")
	if err != nil {
		log.Fatal(err)
	}
	res, err := c.Create(context.Background(), &epay.CreateRequest{
		Type:       epay.TypeWxPay,
		OutTradeNo: "ORDER-77",
		NotifyURL:  "https://shop.example.com/pay/notify",
		Name:       "Pro plan",
		Money:      "10.50",
		ClientIP:   "203.0.113.10",
	})
	var apiErr *epay.APIError
	switch {
	case errors.Is(err, epay.ErrIPNotAllowed):
		log.Fatal("add this server's IP to the gateway's API allowlist")
	case errors.As(err, &apiErr):
		log.Fatalf("gateway refused: %d %s", apiErr.Code, apiErr.Msg)
	case err != nil:
		log.Fatal(err)
	}
	action, value := res.Action()
	fmt.Println(res.TradeNo, action, value)
	// Output:
	// 2026112212000012345 qrcode weixin://wxpay/bizpayurl?pr=abc
}

func ExampleClient_QueryOrder() {
	gw := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"code":1,"msg":"succ","trade_no":"2026112212000012345","out_trade_no":"ORDER-77","pid":1001,"money":"10.50","status":1,"addtime":"2026-11-22 12:00:00","endtime":"2026-11-22 12:01:30"}`)
	}))
	defer gw.Close()

	c, err := epay.New(gw.URL, "1001", "merchant-key")
	if err != nil {
		log.Fatal(err)
	}
	o, err := c.QueryOrder(context.Background(), &epay.OrderQuery{OutTradeNo: "ORDER-77"})
	if err != nil {
		log.Fatal(err)
	}
	cents, err := o.Cents()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(o.Status, o.Paid(), cents)
	// Output:
	// paid true 1050
}

func ExampleClient_Refund() {
	gw := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"code":0,"msg":"退款成功！","refund_no":"R2026112200001","trade_no":"2026112212000012345","out_trade_no":"ORDER-77","money":"10.50"}`)
	}))
	defer gw.Close()

	c, err := epay.New(gw.URL, "1001", "merchant-key")
	if err != nil {
		log.Fatal(err)
	}
	res, err := c.Refund(context.Background(), &epay.RefundRequest{OutTradeNo: "ORDER-77", Money: "10.50"})
	var te *epay.TransportError
	if errors.As(err, &te) && te.MaybeSent {
		// The refund may have happened: query the order before retrying.
		log.Fatal("refund outcome unknown: ", err)
	}
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.RefundNo, res.Money)
	// Output:
	// R2026112200001 10.50
}

// orders is the merchant's order store in this example.
var orders = map[string]int64{"ORDER-77": 1050} // out_trade_no -> cents

func ExampleClient_ParseNotificationRequest() {
	c, err := epay.New("https://pay.example.com/", "1001", "89unJUB8HZ54Hj7x4nUj56HN4nUzUJ8i")
	if err != nil {
		log.Fatal(err)
	}
	credit := func(outTradeNo string) error { fmt.Println("credited", outTradeNo); return nil }

	notify := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, err := c.ParseNotificationRequest(r)
		if err != nil {
			http.Error(w, "invalid notification", http.StatusBadRequest)
			return
		}
		want, known := orders[n.OutTradeNo]
		got, err := n.Cents()
		if !known || err != nil || got != want {
			http.Error(w, "unknown order or amount", http.StatusBadRequest)
			return
		}
		if n.Paid() {
			// Idempotent: the gateway repeats notifications.
			if err := credit(n.OutTradeNo); err != nil {
				http.Error(w, "try again", http.StatusInternalServerError)
				return
			}
		}
		io.WriteString(w, epay.SuccessReply) // only after the order was credited
	})

	// The gateway's GET, as Rainbow Epay sends it (money re-formatted).
	q := url.Values{
		"pid": {"1001"}, "trade_no": {"2026112212000012345"}, "out_trade_no": {"ORDER-77"}, "type": {"wxpay"},
		"name": {"Pro plan"}, "money": {"10.5"}, "trade_status": {"TRADE_SUCCESS"}, "param": {"user=42"},
		"sign": {"dc95ff5d08296ea6d16474ea56675bc1"}, "sign_type": {"MD5"},
	}
	rec := httptest.NewRecorder()
	notify.ServeHTTP(rec, httptest.NewRequest("GET", "/pay/notify?"+q.Encode(), nil))
	fmt.Println(strings.TrimSpace(rec.Body.String()))
	// Output:
	// credited ORDER-77
	// success
}
