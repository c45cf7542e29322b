// Command quickstart walks through a whole payment on both gateways:
// create, pay, the verified notification arriving at the merchant and being
// acknowledged, query and refund.
//
// With no configuration it starts the embedded test gateways (epaytest and
// iepaytest) and a merchant notify server on loopback:
//
//	go run ./examples/quickstart
//
// With EPAY_BASE_URL, EPAY_PID and EPAY_KEY (or IEPAY_MID and IEPAY_KEY,
// optionally IEPAY_BASE_URL) set, it creates a payment on the real gateway
// instead and prints the pay URL. NOTIFY_URL sets the notify_url sent (it
// must be reachable by the gateway); RETURN_URL the return_url.
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
	"github.com/epaykit/epaykit/iepay"
	"github.com/epaykit/epaykit/iepay/iepaytest"
	"github.com/epaykit/epaykit/notify"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Stdout, os.Getenv); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

// run writes the transcript to out. getenv reads the configuration.
func run(ctx context.Context, out io.Writer, getenv func(string) string) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if getenv("EPAY_BASE_URL") != "" || getenv("IEPAY_MID") != "" {
		return runReal(ctx, out, getenv)
	}
	return runEmbedded(ctx, out)
}

// transcript serialises lines written by the notify handlers and the main
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

	// The gateways. A time scale of 1e6 makes a minute of the real retry
	// schedule last 60 µs.
	epayGW := epaytest.NewServer(epaytest.WithTimeScale(1e6))
	defer epayGW.Close()
	iepayGW := iepaytest.NewServer(iepaytest.WithTimeScale(1e6))
	defer iepayGW.Close()
	t.printf("Started the embedded Epay gateway at %s (pid %s)", epayGW.URL, epayGW.PID)
	t.printf("Started the embedded IEPay gateway at %s (mid %s)", iepayGW.URL, iepayGW.MID)

	// The merchant's clients, configured exactly as for a real gateway.
	ec, err := epay.New(epayGW.URL, epayGW.PID, epayGW.Key)
	if err != nil {
		return err
	}
	ic, err := iepay.New(iepayGW.MID, iepayGW.Key, iepay.WithBaseURL(iepayGW.URL))
	if err != nil {
		return err
	}

	// The merchant's notify endpoint: verified, de-duplicated, confirmed with
	// the gateway, acknowledged only after the order was credited.
	credited := map[string]bool{}
	var mu sync.Mutex
	mux := http.NewServeMux()
	mux.Handle("/notify/epay", notify.Epay(ec, func(ctx context.Context, n *epay.Notification) error {
		cents, err := n.Cents()
		if err != nil {
			return err
		}
		mu.Lock()
		credited[n.OutTradeNo] = true
		mu.Unlock()
		t.printf("  merchant: verified Epay notification: order %s paid %s yuan (trade_no %s); credited", n.OutTradeNo, epay.FormatCents(cents), n.TradeNo)
		return nil
	}, notify.WithConfirm()))
	mux.Handle("/notify/iepay", notify.IEPay(ic, func(ctx context.Context, n *iepay.Notification) error {
		mu.Lock()
		credited[n.OutTradeNo] = true
		mu.Unlock()
		t.printf("  merchant: verified IEPay notification: order %s paid with %s (trade_no %s); credited", n.OutTradeNo, n.PayType, n.TradeNo)
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

	if err := epayFlow(ctx, t, ec, epayGW, shop); err != nil {
		return fmt.Errorf("the Epay flow: %w", err)
	}
	if err := iepayFlow(ctx, t, ic, iepayGW, shop); err != nil {
		return fmt.Errorf("the IEPay flow: %w", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if !credited["QS-EPAY-0001"] || !credited["QS-IEPAY-0001"] {
		return errors.New("a payment was not credited")
	}
	t.printf("")
	t.printf("Done: both payments created, paid, notified, confirmed, queried and refunded.")
	return nil
}

func epayFlow(ctx context.Context, t *transcript, c *epay.Client, gw *epaytest.Server, shop string) error {
	t.printf("")
	t.printf("== Epay")
	res, err := c.Create(ctx, &epay.CreateRequest{
		Type:       epay.TypeAlipay,
		OutTradeNo: "QS-EPAY-0001",
		NotifyURL:  shop + "/notify/epay",
		ReturnURL:  shop + "/return",
		Name:       "Quickstart T-shirt",
		Money:      "9.90",
		ClientIP:   "203.0.113.10",
	})
	if err != nil {
		return err
	}
	action, target := res.Action()
	t.printf("Created order QS-EPAY-0001 (9.90 yuan): trade_no %s, %s %s", res.TradeNo, action, target)

	t.printf("The buyer pays; the gateway calls notify_url:")
	if err := gw.Pay("QS-EPAY-0001"); err != nil {
		return err
	}
	for _, d := range gw.Deliveries() {
		t.printf("  gateway: delivery %d answered HTTP %d %q", d.Attempt, d.StatusCode, d.Reply)
	}

	o, err := c.QueryOrder(ctx, &epay.OrderQuery{OutTradeNo: "QS-EPAY-0001"})
	if err != nil {
		return err
	}
	t.printf("Queried the order: status %s, money %s", o.Status, o.Money)

	rr, err := c.Refund(ctx, &epay.RefundRequest{OutTradeNo: "QS-EPAY-0001", Money: "9.90"})
	if err != nil {
		return err
	}
	t.printf("Refunded 9.90 yuan: %s (refund_no %s)", rr.Msg, rr.RefundNo)
	o, err = c.QueryOrder(ctx, &epay.OrderQuery{TradeNo: res.TradeNo})
	if err != nil {
		return err
	}
	t.printf("Queried again: status %s", o.Status)
	return nil
}

func iepayFlow(ctx context.Context, t *transcript, c *iepay.Client, gw *iepaytest.Server, shop string) error {
	t.printf("")
	t.printf("== IEPay")
	res, err := c.Create(ctx, &iepay.CreateRequest{
		PayType:     iepay.PayTypeAlipayQR,
		OutTradeNo:  "QS-IEPAY-0001",
		TotalFee:    1250, // cents: 12.50 NZD
		Goods:       "Quickstart mug",
		GoodsDetail: "Quickstart mug, 350 ml",
		NotifyURL:   shop + "/notify/iepay",
		ReturnURL:   shop + "/return",
	})
	if err != nil {
		return err
	}
	t.printf("Created order QS-IEPAY-0001 (12.50 NZD): show %s as a QR code", res.PayURL)

	t.printf("The buyer pays; the gateway calls notify_url:")
	if err := gw.Pay("QS-IEPAY-0001"); err != nil {
		return err
	}
	for _, d := range gw.Deliveries() {
		t.printf("  gateway: delivery %d answered HTTP %d %q", d.Attempt, d.StatusCode, d.Reply)
	}

	o, err := c.Check(ctx, &iepay.CheckRequest{PayType: iepay.PayTypeAlipayQR, OutTradeNo: "QS-IEPAY-0001"})
	if err != nil {
		return err
	}
	t.printf("Checked the order: status %s, paid %v, total_fee %d cents", o.Status, o.Paid(), o.TotalFee)

	rr, err := c.Refund(ctx, &iepay.RefundRequest{OutTradeNo: "QS-IEPAY-0001", PayType: iepay.PayTypeAlipayQR, RefundAmount: 1250})
	if err != nil {
		return err
	}
	t.printf("Refunded 1250 cents: %s", rr.Message)
	o, err = c.Check(ctx, &iepay.CheckRequest{PayType: iepay.PayTypeAlipayQR, OutTradeNo: "QS-IEPAY-0001"})
	if err != nil {
		return err
	}
	t.printf("Checked again: status %s", o.Status)
	return nil
}

// runReal creates one payment on each configured real gateway and prints
// where to send the buyer. It does not pay or refund anything.
func runReal(ctx context.Context, out io.Writer, getenv func(string) string) error {
	t := &transcript{out: out}
	notifyURL := getenv("NOTIFY_URL")
	if notifyURL == "" {
		notifyURL = "https://merchant.example.com/notify"
	}
	returnURL := getenv("RETURN_URL")
	if returnURL == "" {
		returnURL = "https://merchant.example.com/return"
	}
	orderNo := "QS" + time.Now().UTC().Format("20060102150405")
	if base := getenv("EPAY_BASE_URL"); base != "" {
		c, err := epay.New(base, getenv("EPAY_PID"), getenv("EPAY_KEY"))
		if err != nil {
			return err
		}
		res, err := c.Create(ctx, &epay.CreateRequest{
			Type: epay.TypeAlipay, OutTradeNo: orderNo, NotifyURL: notifyURL, ReturnURL: returnURL,
			Name: "epaykit quickstart", Money: "0.01", ClientIP: "127.0.0.1",
		})
		if err != nil {
			return err
		}
		action, target := res.Action()
		t.printf("Epay order %s created: trade_no %s; %s %s", orderNo, res.TradeNo, action, target)
	}
	if mid := getenv("IEPAY_MID"); mid != "" {
		var opts []iepay.Option
		if base := getenv("IEPAY_BASE_URL"); base != "" {
			opts = append(opts, iepay.WithBaseURL(base))
		}
		c, err := iepay.New(mid, getenv("IEPAY_KEY"), opts...)
		if err != nil {
			return err
		}
		res, err := c.Create(ctx, &iepay.CreateRequest{
			PayType: iepay.PayTypeAlipayQR, OutTradeNo: orderNo, TotalFee: 1,
			Goods: "epaykit quickstart", GoodsDetail: "epaykit quickstart", NotifyURL: notifyURL, ReturnURL: returnURL,
		})
		if err != nil {
			return err
		}
		t.printf("IEPay order %s created; show as a QR code: %s", orderNo, res.PayURL)
	}
	return nil
}
