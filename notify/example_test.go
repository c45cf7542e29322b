package notify_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"

	"github.com/epaykit/epaykit/epay"
	"github.com/epaykit/epaykit/epay/epaytest"
	"github.com/epaykit/epaykit/iepay"
	"github.com/epaykit/epaykit/iepay/iepaytest"
	"github.com/epaykit/epaykit/notify"
)

// The merchant's function runs once per paid order, after the notification
// was verified and confirmed with the gateway; the gateway reads "success"
// only when it returned nil.
func ExampleEpay() {
	gw := epaytest.NewServer() // stands in for the real gateway
	defer gw.Close()
	client, err := epay.New(gw.URL, gw.PID, gw.Key)
	if err != nil {
		log.Fatal(err)
	}

	handler := notify.Epay(client, func(ctx context.Context, n *epay.Notification) error {
		cents, err := n.Cents()
		if err != nil {
			return err
		}
		// Look the order up by n.OutTradeNo, compare cents with its amount,
		// mark it paid — in one transaction.
		fmt.Printf("credit %s: %s yuan\n", n.OutTradeNo, epay.FormatCents(cents))
		return nil
	}, notify.WithConfirm())
	shop := httptest.NewServer(handler) // in production: http.Handle("/notify/epay", handler)
	defer shop.Close()

	if _, err := client.Create(context.Background(), &epay.CreateRequest{
		Type: epay.TypeAlipay, OutTradeNo: "ORDER-1", Name: "Pro plan", Money: "10.50",
		NotifyURL: shop.URL + "/notify/epay", ClientIP: "203.0.113.10",
	}); err != nil {
		log.Fatal(err)
	}
	_ = gw.Pay("ORDER-1")       // the gateway notifies the shop
	_, _ = gw.Notify("ORDER-1") // and repeats itself: not credited twice
	for _, d := range gw.Deliveries() {
		fmt.Printf("delivery %d: %d %s\n", d.Attempt, d.StatusCode, d.Reply)
	}
	// Output:
	// credit ORDER-1: 10.50 yuan
	// delivery 1: 200 success
	// delivery 2: 200 success
}

// IEPay notifications carry no amount: confirm with Check (WithConfirm) and
// compare with the stored order inside fn.
func ExampleIEPay() {
	gw := iepaytest.NewServer()
	defer gw.Close()
	client, err := iepay.New(gw.MID, gw.Key, iepay.WithBaseURL(gw.URL))
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/notify/iepay", notify.IEPay(client, func(ctx context.Context, n *iepay.Notification) error {
		fmt.Printf("credit %s (%s)\n", n.OutTradeNo, n.PayType)
		return nil
	}, notify.WithConfirm()))
	shop := httptest.NewServer(mux)
	defer shop.Close()

	if _, err := client.Create(context.Background(), &iepay.CreateRequest{
		PayType: iepay.PayTypeAlipayQR, OutTradeNo: "ORDER-2", TotalFee: 990,
		Goods: "Tea", GoodsDetail: "Green tea", NotifyURL: shop.URL + "/notify/iepay",
	}); err != nil {
		log.Fatal(err)
	}
	_ = gw.Pay("ORDER-2")
	fmt.Println(gw.Deliveries()[0].Reply)
	// Output:
	// credit ORDER-2 (IE0011)
	// SUCCESS
}

// ServeEpay is for merchants who route requests themselves: it verifies one
// notification, runs fn and answers the gateway, without de-duplication.
func ExampleServeEpay() {
	client, err := epay.New("https://pay.example.com/", "1001", "merchant-key")
	if err != nil {
		log.Fatal(err)
	}
	http.HandleFunc("/notify/epay", func(w http.ResponseWriter, r *http.Request) {
		err := notify.ServeEpay(w, r, client, func(ctx context.Context, n *epay.Notification) error {
			return nil // credit n.OutTradeNo idempotently
		})
		if err != nil {
			log.Printf("notification not acknowledged: %v", err)
		}
	})
}
