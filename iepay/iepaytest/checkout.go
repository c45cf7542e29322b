package iepaytest

import (
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

var pageTmpl = template.Must(template.New("page").Parse(`<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>{{.Title}} · IEPay test gateway</title></head>
<body>
<h1>{{.Title}}</h1>
{{- with .Order}}
<dl>
<dt>Merchant</dt><dd>{{.MID}}</dd>
<dt>Order</dt><dd>{{.OutTradeNo}}</dd>
<dt>Goods</dt><dd>{{.Goods}}</dd>
<dt>Details</dt><dd>{{.GoodsDetail}}</dd>
<dt>Amount</dt><dd>{{$.Amount}}</dd>
<dt>Pay type</dt><dd>{{.PayType}}</dd>
</dl>
{{- end}}
{{- if .Message}}
<p>{{.Message}}</p>
{{- end}}
{{- if .Buttons}}
<form method="post" action="{{.Action}}/pay"><button type="submit">Pay</button></form>
<form method="post" action="{{.Action}}/cancel"><button type="submit">Cancel</button></form>
{{- end}}
</body>
</html>
`))

type pageData struct {
	Title   string
	Order   *Order
	Amount  string
	Message string
	Buttons bool
	Action  string
}

func formatAmount(o *Order) string {
	cur, c := "NZD", o.TotalFee
	if o.RMBFee > 0 {
		cur, c = "CNY", o.RMBFee
	}
	frac := strconv.FormatInt(c%100, 10)
	if len(frac) == 1 {
		frac = "0" + frac
	}
	return cur + " " + strconv.FormatInt(c/100, 10) + "." + frac
}

func renderPage(w http.ResponseWriter, status int, d pageData) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = pageTmpl.Execute(w, d)
}

// checkout serves the checkout page at pay/<trade_no> (GET) and its Pay and
// Cancel buttons at pay/<trade_no>/pay and pay/<trade_no>/cancel (POST).
func (s *Server) checkout(w http.ResponseWriter, r *http.Request) {
	rest := strings.TrimPrefix(r.URL.Path, prefix+"pay/")
	tradeNo, action, _ := strings.Cut(rest, "/")
	s.mu.Lock()
	o, ok := s.byTradeNo[tradeNo]
	var snap Order
	if ok {
		snap = o.snapshot()
	}
	s.mu.Unlock()
	if !ok || (action != "" && action != "pay" && action != "cancel") {
		renderPage(w, http.StatusNotFound, pageData{Title: "Order not found"})
		return
	}
	d := pageData{Order: &snap, Amount: formatAmount(&snap), Action: prefix + "pay/" + tradeNo}
	wantMethod := http.MethodPost
	if action == "" {
		wantMethod = http.MethodGet
	}
	if r.Method != wantMethod && !(action == "" && r.Method == http.MethodHead) {
		w.Header().Set("Allow", wantMethod)
		renderPage(w, http.StatusMethodNotAllowed, pageData{Title: "Method not allowed"})
		return
	}
	switch {
	case action == "cancel":
		d.Title = "Payment cancelled"
		d.Message = "The order was not paid."
		renderPage(w, http.StatusOK, d)
	case action == "pay":
		if err := s.pay(o); err != nil {
			d.Title = "Order cannot be paid"
			d.Message = "This order is not awaiting payment."
			renderPage(w, http.StatusConflict, d)
			return
		}
		if snap.ReturnURL == "" {
			d.Title = "Payment successful"
			d.Order.Status = StatusPaid
			renderPage(w, http.StatusOK, d)
			return
		}
		http.Redirect(w, r, s.returnURL(o), http.StatusSeeOther)
	case snap.Status != StatusUnpaid:
		d.Title = "Order already paid"
		renderPage(w, http.StatusOK, d)
	default:
		d.Title = "IEPay checkout"
		d.Buttons = true
		renderPage(w, http.StatusOK, d)
	}
}

// returnURL is the order's return_url with the signed return fields.
func (s *Server) returnURL(o *order) string {
	s.mu.Lock()
	fields, _ := s.notificationLocked(o)
	ret := o.ReturnURL
	s.mu.Unlock()
	// Keep return_url's own query; add the fields after it.
	u, err := url.Parse(ret)
	if err != nil {
		return ret
	}
	sep := "?"
	if u.RawQuery != "" {
		sep = "&"
	}
	if u.Fragment != "" || strings.Contains(ret, "#") {
		base, frag, _ := strings.Cut(ret, "#")
		return base + sep + encodeOrdered(fields) + "#" + frag
	}
	return ret + sep + encodeOrdered(fields)
}
