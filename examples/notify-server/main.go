// Command notify-server is a minimal, production-shaped notification
// endpoint for both gateways: verified, de-duplicated, confirmed with the
// gateway before crediting, acknowledged only after the credit succeeded,
// with structured logs and a graceful shutdown.
//
//	EPAY_BASE_URL=https://pay.example.com/ EPAY_PID=1001 EPAY_KEY=... \
//	IEPAY_MID=10224 IEPAY_KEY=... ADDR=:8080 go run ./examples/notify-server
//
// It serves /notify/epay and /notify/iepay for whichever gateways are
// configured. With neither configured it runs against the embedded test
// gateways and pays one order on each, so the whole path can be watched.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/epaykit/epaykit/epay"
	"github.com/epaykit/epaykit/epay/epaytest"
	"github.com/epaykit/epaykit/iepay"
	"github.com/epaykit/epaykit/iepay/iepaytest"
	"github.com/epaykit/epaykit/notify"
)

// Ledger stands for the merchant's database: crediting must be idempotent
// by itself too, because a de-duplication store can lose its memory.
type Ledger struct {
	mu       sync.Mutex
	credited map[string]int64 // out_trade_no -> cents
}

// Credit records a payment once; a repeat is a no-op.
func (l *Ledger) Credit(orderNo string, cents int64) (first bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, ok := l.credited[orderNo]; ok {
		return false
	}
	l.credited[orderNo] = cents
	return true
}

// routes builds the notification endpoints for the configured clients.
func routes(ec *epay.Client, ic *iepay.Client, ledger *Ledger, logger *slog.Logger) http.Handler {
	// One de-duplication store for the process; replace it with a shared one
	// (see the notify package documentation) when running several instances.
	store := notify.NewMemoryDeduper(0, 0)
	opts := []notify.Option{
		notify.WithDeduper(store),
		notify.WithConfirm(),
		notify.WithLogger(logger),
		notify.WithErrorHook(func(r *http.Request, err error) {
			logger.Warn("notification refused", "path", r.URL.Path, "remote", r.RemoteAddr, "error", err)
		}),
	}
	mux := http.NewServeMux()
	if ec != nil {
		mux.Handle("/notify/epay", notify.Epay(ec, func(ctx context.Context, n *epay.Notification) error {
			cents, err := n.Cents()
			if err != nil {
				return err
			}
			if ledger.Credit(n.OutTradeNo, cents) {
				logger.Info("credited", "gateway", "epay", "out_trade_no", n.OutTradeNo, "trade_no", n.TradeNo, "amount", epay.FormatCents(cents))
			}
			return nil
		}, opts...))
	}
	if ic != nil {
		mux.Handle("/notify/iepay", notify.IEPay(ic, func(ctx context.Context, n *iepay.Notification) error {
			if ledger.Credit(n.OutTradeNo, 0) {
				logger.Info("credited", "gateway", "iepay", "out_trade_no", n.OutTradeNo, "trade_no", n.TradeNo, "pay_type", string(n.PayType))
			}
			return nil
		}, opts...))
	}
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
	return mux
}

func main() {
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, logger, os.Getenv); err != nil {
		logger.Error("notify-server stopped", "error", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, logger *slog.Logger, getenv func(string) string) error {
	var ec *epay.Client
	var ic *iepay.Client
	var err error
	demo := getenv("EPAY_BASE_URL") == "" && getenv("IEPAY_MID") == ""
	var egw *epaytest.Server
	var igw *iepaytest.Server
	if demo {
		egw = epaytest.NewServer()
		defer egw.Close()
		igw = iepaytest.NewServer()
		defer igw.Close()
		if ec, err = epay.New(egw.URL, egw.PID, egw.Key, epay.WithLogger(logger)); err != nil {
			return err
		}
		if ic, err = iepay.New(igw.MID, igw.Key, iepay.WithBaseURL(igw.URL), iepay.WithLogger(logger)); err != nil {
			return err
		}
	} else {
		if base := getenv("EPAY_BASE_URL"); base != "" {
			if ec, err = epay.New(base, getenv("EPAY_PID"), getenv("EPAY_KEY"), epay.WithLogger(logger)); err != nil {
				return err
			}
		}
		if mid := getenv("IEPAY_MID"); mid != "" {
			opts := []iepay.Option{iepay.WithLogger(logger)}
			if base := getenv("IEPAY_BASE_URL"); base != "" {
				opts = append(opts, iepay.WithBaseURL(base))
			}
			if ic, err = iepay.New(mid, getenv("IEPAY_KEY"), opts...); err != nil {
				return err
			}
		}
	}

	addr := getenv("ADDR")
	if addr == "" {
		addr = "127.0.0.1:8080"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	ledger := &Ledger{credited: map[string]int64{}}
	srv := &http.Server{
		Handler:           routes(ec, ic, ledger, logger),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	base := "http://" + ln.Addr().String()
	logger.Info("listening", "url", base)

	if demo {
		if err := demoPayments(ctx, ec, ic, egw, igw, base); err != nil {
			_ = srv.Close()
			return err
		}
	}
	select {
	case <-ctx.Done():
	case err := <-errc:
		if !errors.Is(err, http.ErrServerClosed) {
			return err
		}
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return srv.Shutdown(shutdown)
}

// demoPayments creates and pays one order on each embedded gateway, and
// delivers each notification once more to show the de-duplication.
func demoPayments(ctx context.Context, ec *epay.Client, ic *iepay.Client, egw *epaytest.Server, igw *iepaytest.Server, base string) error {
	if _, err := ec.Create(ctx, &epay.CreateRequest{
		Type: epay.TypeWxPay, OutTradeNo: "NS-EPAY-1", NotifyURL: base + "/notify/epay",
		Name: "demo", Money: "1.00", ClientIP: "203.0.113.10",
	}); err != nil {
		return err
	}
	if err := egw.Pay("NS-EPAY-1"); err != nil {
		return err
	}
	if _, err := egw.Notify("NS-EPAY-1"); err != nil {
		return err
	}
	if _, err := ic.Create(ctx, &iepay.CreateRequest{
		PayType: iepay.PayTypeWeChatQR, OutTradeNo: "NS-IEPAY-1", TotalFee: 100,
		Goods: "demo", GoodsDetail: "demo order", NotifyURL: base + "/notify/iepay",
	}); err != nil {
		return err
	}
	if err := igw.Pay("NS-IEPAY-1"); err != nil {
		return err
	}
	_, err := igw.Notify("NS-IEPAY-1")
	return err
}
