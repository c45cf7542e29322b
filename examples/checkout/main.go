// Command checkout is a tiny web shop with one product that takes payment
// through Epay's browser checkout (submit.php): the buyer's browser is sent
// to the gateway, the gateway notifies the shop, and the return page shows
// the order as paid.
//
//	go run ./examples/checkout            # embedded test gateway, http://127.0.0.1:8080
//	go run ./examples/checkout -addr :9000
//
// With EPAY_BASE_URL, EPAY_PID and EPAY_KEY set it uses that gateway; then
// SHOP_URL must be the shop's public base URL, reachable by the gateway.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"html/template"
	"log"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/epaykit/epaykit/epay"
	"github.com/epaykit/epaykit/epay/epaytest"
	"github.com/epaykit/epaykit/notify"
)

// The product on sale.
const (
	productName  = "epaykit sticker pack"
	productPrice = 1290 // cents
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "listen address")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	shopURL := os.Getenv("SHOP_URL")
	if shopURL == "" {
		shopURL = "http://" + ln.Addr().String()
	}
	var client *epay.Client
	if base := os.Getenv("EPAY_BASE_URL"); base != "" {
		client, err = epay.New(base, os.Getenv("EPAY_PID"), os.Getenv("EPAY_KEY"))
	} else {
		gw := epaytest.NewServer()
		defer gw.Close()
		fmt.Printf("embedded Epay test gateway at %s\n", gw.URL)
		client, err = epay.New(gw.URL, gw.PID, gw.Key)
	}
	if err != nil {
		log.Fatal(err)
	}
	shop := newShop(client, shopURL, slog.Default())
	srv := &http.Server{Handler: shop, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	}()
	fmt.Printf("shop open at %s/ (Ctrl-C stops it)\n", shopURL)
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Fatal(err)
	}
}

// order is the shop's record of a sale.
type order struct {
	No    string
	Cents int64
	Paid  bool
}

// shop is the merchant's web application.
type shop struct {
	client *epay.Client
	base   string
	mux    *http.ServeMux
	seq    atomic.Int64

	mu     sync.Mutex
	orders map[string]*order
}

func newShop(c *epay.Client, base string, logger *slog.Logger) *shop {
	s := &shop{client: c, base: strings.TrimSuffix(base, "/"), mux: http.NewServeMux(), orders: map[string]*order{}}
	s.mux.HandleFunc("/", s.home)
	s.mux.HandleFunc("/buy", s.buy)
	s.mux.HandleFunc("/return", s.returned)
	s.mux.Handle("/notify", notify.Epay(c, s.credit, notify.WithConfirm(), notify.WithLogger(logger)))
	return s
}

func (s *shop) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

var page = template.Must(template.New("page").Parse(`<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>epaykit shop</title></head><body>
<h1>{{.Title}}</h1>
{{if .Product}}<p>{{.Product}}: ¥{{.Price}}</p>
<form method="post" action="/buy"><button type="submit" id="buy">Buy with Alipay</button></form>{{end}}
{{if .Message}}<p id="message">{{.Message}}</p>{{end}}
</body></html>`))

type pageData struct{ Title, Product, Price, Message string }

func render(w http.ResponseWriter, status int, d pageData) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_ = page.Execute(w, d)
}

func (s *shop) home(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/" {
		http.NotFound(w, r)
		return
	}
	render(w, http.StatusOK, pageData{Title: "epaykit shop", Product: productName, Price: epay.FormatCents(productPrice)})
}

// buy records a new order and sends the browser to the gateway's checkout.
func (s *shop) buy(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "POST only", http.StatusMethodNotAllowed)
		return
	}
	o := &order{No: fmt.Sprintf("SHOP-%s-%04d", time.Now().UTC().Format("20060102150405"), s.seq.Add(1)), Cents: productPrice}
	s.mu.Lock()
	s.orders[o.No] = o
	s.mu.Unlock()
	u, err := s.client.CheckoutURL(&epay.CheckoutRequest{
		Type:       epay.TypeAlipay,
		OutTradeNo: o.No,
		NotifyURL:  s.base + "/notify",
		ReturnURL:  s.base + "/return",
		Name:       productName,
		Money:      epay.FormatCents(o.Cents),
	})
	if err != nil {
		render(w, http.StatusInternalServerError, pageData{Title: "Checkout failed", Message: err.Error()})
		return
	}
	http.Redirect(w, r, u, http.StatusSeeOther)
}

// credit runs for each verified, confirmed payment notification: the only
// place an order becomes paid.
func (s *shop) credit(_ context.Context, n *epay.Notification) error {
	cents, err := n.Cents()
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.orders[n.OutTradeNo]
	if !ok {
		return fmt.Errorf("unknown order %q", n.OutTradeNo)
	}
	if cents != o.Cents {
		return fmt.Errorf("order %s: paid %s, expected %s", o.No, epay.FormatCents(cents), epay.FormatCents(o.Cents))
	}
	o.Paid = true
	return nil
}

// returned is the browser's return_url: verified for display, but the order
// state shown is the one the notification set.
func (s *shop) returned(w http.ResponseWriter, r *http.Request) {
	n, err := s.client.VerifyReturn(r.URL.Query())
	if err != nil {
		render(w, http.StatusBadRequest, pageData{Title: "Invalid return", Message: err.Error()})
		return
	}
	s.mu.Lock()
	o, ok := s.orders[n.OutTradeNo]
	paid := ok && o.Paid
	s.mu.Unlock()
	switch {
	case !ok:
		render(w, http.StatusNotFound, pageData{Title: "Unknown order"})
	case paid:
		render(w, http.StatusOK, pageData{Title: "Thank you", Message: fmt.Sprintf("Order %s is paid.", n.OutTradeNo)})
	default:
		render(w, http.StatusOK, pageData{Title: "Payment pending", Message: fmt.Sprintf("Order %s is waiting for the gateway's confirmation; refresh in a moment.", n.OutTradeNo)})
	}
}
