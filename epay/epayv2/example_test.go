package epayv2_test

import (
	"context"
	"fmt"
	"time"

	"github.com/epaykit/epaykit/epay"
	"github.com/epaykit/epaykit/epay/epaytest"
	"github.com/epaykit/epaykit/epay/epayv2"
)

func Example() {
	gw := epaytest.NewServer()
	defer gw.Close()

	// The keys as the merchant panel shows them: PEM or bare base64.
	c, err := epayv2.NewFromPEM(gw.URL, gw.PID, gw.MerchantPrivateKeyPEM(), gw.PlatformPublicKeyPEM())
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	res, err := c.Create(ctx, &epayv2.CreateRequest{
		Type: epay.TypeAlipay, OutTradeNo: "EX-V2-1", NotifyURL: "https://shop.example.com/notify",
		Name: "VIP", Money: "9.99", ClientIP: "203.0.113.7",
	})
	if err != nil {
		panic(err)
	}
	fmt.Println("trade_no:", res.TradeNo, "pay_type:", res.PayType)

	refund, err := c.Refund(ctx, &epayv2.RefundRequest{OutTradeNo: "EX-V2-1", Money: "1.00", OutRefundNo: "RF-1"})
	fmt.Println("refund before payment:", refund, err)
	// Output:
	// trade_no: 2026010112000000001 pay_type: jump
	// refund before payment: <nil> epayv2: api/pay/refund: code -1: 只有已支付的订单才可以退款
}

func ExampleClient_ParseNotification() {
	gw := epaytest.NewServer()
	defer gw.Close()
	c, err := epayv2.NewFromPEM(gw.URL, gw.PID, gw.MerchantPrivateKeyPEM(), gw.PlatformPublicKeyPEM(),
		epayv2.WithMaxSkew(time.Minute))
	if err != nil {
		panic(err)
	}
	if _, err := c.Create(context.Background(), &epayv2.CreateRequest{
		Type: epay.TypeWxPay, OutTradeNo: "EX-V2-2", NotifyURL: "https://shop.example.com/notify",
		Name: "VIP", Money: "10.50", ClientIP: "203.0.113.7",
	}); err != nil {
		panic(err)
	}
	v, _ := gw.V2NotificationValues("EX-V2-2") // what the gateway sends to notify_url
	n, err := c.ParseNotification(v)
	if err != nil {
		panic(err)
	}
	cents, _ := n.Cents()
	fmt.Println(n.OutTradeNo, n.Money, cents, n.Paid())

	v.Set("money", "0.01")
	_, err = c.ParseNotification(v)
	fmt.Println(err)
	// Output:
	// EX-V2-2 10.5 1050 true
	// epayv2: bad signature in notification
}
