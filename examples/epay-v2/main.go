// Command epay-v2 walks through a payment on the Epay V2 (RSA) API: create,
// pay, the signed V2 notification arriving at the merchant, query, a refund
// with an idempotency key (sent twice, refunded once), refund query, and
// closing a second, unpaid order.
//
// With no configuration it starts the embedded test gateway (epaytest) and a
// merchant notify server on loopback:
//
//	go run ./examples/epay-v2
//
// With EPAY_BASE_URL, EPAY_PID, EPAY_V2_PRIVATE_KEY (the merchant private
// key, PEM or the bare base64 the merchant panel shows) and
// EPAY_V2_PLATFORM_KEY (the platform public key) set, it creates a payment
// on the real gateway instead and prints how the buyer pays. NOTIFY_URL sets
// the notify_url sent (it must be reachable by the gateway).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"time"

	"github.com/epaykit/epaykit/epay"
	"github.com/epaykit/epaykit/epay/epaytest"
	"github.com/epaykit/epaykit/epay/epayv2"
	"github.com/epaykit/epaykit/notify"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Stdout, os.Getenv); err != nil {
		fmt.Fprintln(os.Stderr, "epay-v2:", err)
		os.Exit(1)
	}
}

// run writes the transcript to out. getenv reads the configuration.
func run(ctx context.Context, out io.Writer, getenv func(string) string) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if getenv("EPAY_BASE_URL") != "" {
		return runReal(ctx, out, getenv)
	}
	return runEmbedded(ctx, out)
}

// transcript serialises lines written by the notify handler and the main
// flow.
type transcript struct {
	mu  sync.Mutex
	out io.Writer
}

func (t *transcript) printf(format string, args ...any) {
	t.mu.Lock()
	defer t.mu.Unlock()
	fmt.Fprintf(t.out, format+"\n", args...)
}

func runEmbedded(ctx context.Context, out io.Writer) error {
	t := &transcript{out: out}
	gw := epaytest.NewServer(epaytest.WithTimeScale(1e6))
	defer gw.Close()
	t.printf("Started the embedded Epay gateway at %s (pid %s)", gw.URL, gw.PID)

	// The merchant's client, configured exactly as for a real gateway: the
	// merchant's private key and the platform's public key.
	c, err := epayv2.NewFromPEM(gw.URL, gw.PID, gw.MerchantPrivateKeyPEM(), gw.PlatformPublicKeyPEM())
	if err != nil {
		return err
	}

	// The notify endpoint: verified (RSA signature, timestamp, pid),
	// de-duplicated, confirmed with the gateway, acknowledged only after
	// the order was credited.
	var mu sync.Mutex
	credited := map[string]int64{}
	mux := http.NewServeMux()
	mux.Handle("/notify/epay-v2", notify.EpayV2(c, func(ctx context.Context, n *epayv2.Notification) error {
		cents, err := n.Cents()
		if err != nil {
			return err
		}
		mu.Lock()
		credited[n.OutTradeNo] += cents
		mu.Unlock()
		t.printf("  merchant: verified V2 notification: order %s paid %s yuan (trade_no %s, signed at %d); credited",
			n.OutTradeNo, epay.FormatCents(cents), n.TradeNo, n.Timestamp)
		return nil
	}, notify.WithConfirm()))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	defer srv.Close()
	shop := "http://" + ln.Addr().String()
	t.printf("Started the merchant's notify server at %s", shop)

	if err := flow(ctx, t, c, gw, shop); err != nil {
		return err
	}
	mu.Lock()
	defer mu.Unlock()
	if credited["V2-0001"] != 1990 {
		return errors.New("the payment was not credited exactly once")
	}
	t.printf("")
	t.printf("Done: created, paid, notified, confirmed, queried, refunded once, refund queried and closed.")
	return nil
}

func flow(ctx context.Context, t *transcript, c *epayv2.Client, gw *epaytest.Server, shop string) error {
	res, err := c.Create(ctx, &epayv2.CreateRequest{
		Type:       epay.TypeAlipay,
		OutTradeNo: "V2-0001",
		NotifyURL:  shop + "/notify/epay-v2",
		Name:       "V2 hoodie",
		Money:      "19.90",
		ClientIP:   "203.0.113.10",
	})
	if err != nil {
		return err
	}
	u, err := res.URL()
	if err != nil {
		return err
	}
	t.printf("Created order V2-0001 (19.90 yuan): trade_no %s, pay_type %s, send the buyer to %s", res.TradeNo, res.PayType, u)

	t.printf("The buyer pays; the gateway calls notify_url:")
	if err := gw.Pay("V2-0001"); err != nil {
		return err
	}
	for _, d := range gw.Deliveries() {
		t.printf("  gateway: delivery %d answered HTTP %d %q", d.Attempt, d.StatusCode, d.Reply)
	}

	o, err := c.Query(ctx, &epayv2.QueryRequest{OutTradeNo: "V2-0001"})
	if err != nil {
		return err
	}
	t.printf("Queried the order: status %s, money %s", o.Status, o.Money)

	// The same refund sent twice (a retry after a timeout, say): the
	// out_refund_no makes the gateway refund once.
	req := &epayv2.RefundRequest{TradeNo: res.TradeNo, Money: "5.00", OutRefundNo: "V2-0001-R1"}
	r1, err := c.Refund(ctx, req)
	if err != nil {
		return err
	}
	r2, err := c.Refund(ctx, req)
	if err != nil {
		return err
	}
	t.printf("Refunded 5.00 yuan twice with out_refund_no %s: refund_no %s, then %s (the same refund)", req.OutRefundNo, r1.RefundNo, r2.RefundNo)
	rf, err := c.RefundQuery(ctx, &epayv2.RefundQueryRequest{OutRefundNo: req.OutRefundNo})
	if err != nil {
		return err
	}
	o, err = c.Query(ctx, &epayv2.QueryRequest{TradeNo: res.TradeNo})
	if err != nil {
		return err
	}
	t.printf("Queried the refund: %s yuan, %s; the order has %s yuan refunded", rf.Money, rf.Status, o.RefundMoney)

	second, err := c.Create(ctx, &epayv2.CreateRequest{
		Type: epay.TypeWxPay, OutTradeNo: "V2-0002", NotifyURL: shop + "/notify/epay-v2",
		Name: "Abandoned cart", Money: "3.00", ClientIP: "203.0.113.10",
	})
	if err != nil {
		return err
	}
	if err := c.Close(ctx, &epayv2.CloseRequest{TradeNo: second.TradeNo}); err != nil {
		return err
	}
	t.printf("Created order V2-0002 and closed it unpaid")
	_, err = c.Refund(ctx, &epayv2.RefundRequest{TradeNo: second.TradeNo, Money: "3.00", OutRefundNo: "V2-0002-R1"})
	var ae *epayv2.APIError
	if !errors.As(err, &ae) {
		return fmt.Errorf("refunding a closed order: want a gateway refusal, got %v", err)
	}
	t.printf("Refunding the closed order is refused: code %d, %s", ae.Code, ae.Msg)
	return nil
}

func runReal(ctx context.Context, out io.Writer, getenv func(string) string) error {
	c, err := epayv2.NewFromPEM(getenv("EPAY_BASE_URL"), getenv("EPAY_PID"), getenv("EPAY_V2_PRIVATE_KEY"), getenv("EPAY_V2_PLATFORM_KEY"))
	if err != nil {
		return err
	}
	notifyURL := getenv("NOTIFY_URL")
	if notifyURL == "" {
		notifyURL = "https://merchant.example.com/notify/epay-v2"
	}
	orderNo := "V2" + time.Now().UTC().Format("20060102150405")
	res, err := c.Create(ctx, &epayv2.CreateRequest{
		Type: epay.TypeAlipay, OutTradeNo: orderNo, NotifyURL: notifyURL, Name: "epaykit V2 example",
		Money: "0.01", ClientIP: "203.0.113.10",
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "Order %s created: trade_no %s, pay_type %s, pay_info %s\n", orderNo, res.TradeNo, res.PayType, res.PayInfo)
	return nil
}
