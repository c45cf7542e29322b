package epaytest

import (
	"bytes"
	"html/template"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"strconv"
	"strings"
)

var pageTmpl = template.Must(template.New("page").Parse(`<!DOCTYPE html>
<html lang="zh-CN">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}} - Epay test gateway</title></head>
<body>
<h1>{{.Title}}</h1>
{{if .Message}}<p class="message">{{.Message}}</p>{{end}}
{{with .Order}}<table>
<tr><th>商品名称</th><td class="name">{{.Name}}</td></tr>
<tr><th>金额</th><td class="money">¥{{.Money}}</td></tr>
<tr><th>商户订单号</th><td class="out_trade_no">{{.OutTradeNo}}</td></tr>
<tr><th>订单号</th><td class="trade_no">{{.TradeNo}}</td></tr>
<tr><th>支付方式</th><td class="type">{{.Type}}</td></tr>
<tr><th>状态</th><td class="status">{{.Status}}</td></tr>
</table>{{end}}
{{if .Buttons}}<form method="post" action="{{.Action}}"><input type="hidden" name="action" value="pay"><button type="submit" id="pay">Pay</button></form>
<form method="post" action="{{.Action}}"><input type="hidden" name="action" value="cancel"><button type="submit" id="cancel">Cancel</button></form>{{end}}
</body>
</html>
`))

type pageData struct {
	Title   string
	Message string
	Order   *Order
	Buttons bool
	Action  string
}

func renderPage(w http.ResponseWriter, status int, d pageData) {
	var b bytes.Buffer
	if err := pageTmpl.Execute(&b, d); err != nil {
		http.Error(w, "epaytest: page: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(b.Len()))
	w.WriteHeader(status)
	_, _ = w.Write(b.Bytes())
}

// submit serves submit.php: it validates the signed checkout request like
// mapi.php (without clientip), creates the order or reuses an identical one,
// and answers the checkout page directly (200). Errors are an HTML page with
// the message (200), as the reference server shows them.
func (s *Server) submit(w http.ResponseWriter, r *http.Request) {
	req := readReq(r)
	p := req.post
	if req.query["pid"] != "" {
		p = req.query
	}
	s.mu.Lock()
	_, aerr := s.checkSignedLocked(p)
	var o *order
	if aerr == nil {
		var cents int64
		if cents, aerr = validateCreate(p, submitSpec); aerr == nil {
			o, aerr = s.createLocked(p, cents)
		}
	}
	var snap Order
	if o != nil {
		snap = o.snapshot()
	}
	s.mu.Unlock()
	if aerr != nil {
		renderPage(w, http.StatusOK, pageData{Title: "站点提示", Message: aerr.msg})
		return
	}
	renderPage(w, http.StatusOK, pageData{Title: "收银台", Order: &snap, Buttons: true, Action: snap.PayURL})
}

// checkout serves the pay URL: GET shows the order with Pay and Cancel
// buttons; POST action=pay pays it, delivers the notification (first attempt
// before answering) and redirects (303) to return_url with the signed
// parameters, or shows a paid page when there is no return_url; POST
// action=cancel shows a cancelled page and leaves the order unpaid.
func (s *Server) checkout(w http.ResponseWriter, r *http.Request, tradeNo string) {
	s.mu.Lock()
	o, ok := s.byTrade[tradeNo]
	var snap Order
	if ok {
		snap = o.snapshot()
	}
	s.mu.Unlock()
	if !ok {
		renderPage(w, http.StatusNotFound, pageData{Title: "订单不存在", Message: "订单号不存在"})
		return
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		if snap.Status != StatusUnpaid {
			renderPage(w, http.StatusOK, pageData{Title: "订单已支付", Order: &snap})
			return
		}
		renderPage(w, http.StatusOK, pageData{Title: "收银台", Order: &snap, Buttons: true, Action: snap.PayURL})
	case http.MethodPost:
		r.Body = http.MaxBytesReader(w, r.Body, 1<<16)
		switch r.PostFormValue("action") {
		case "pay":
			s.checkoutPay(w, r, o)
		case "cancel":
			renderPage(w, http.StatusOK, pageData{Title: "支付已取消", Message: "您已取消支付，订单未支付。", Order: &snap})
		default:
			renderPage(w, http.StatusBadRequest, pageData{Title: "站点提示", Message: "未知操作", Order: &snap})
		}
	default:
		w.Header().Set("Allow", "GET, HEAD, POST")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	}
}

func (s *Server) checkoutPay(w http.ResponseWriter, r *http.Request, o *order) {
	s.mu.Lock()
	var err error
	switch {
	case s.closed:
		err = errClosed
	case o.Status == StatusUnpaid:
		err = s.payLocked(o)
		if err == nil {
			s.mu.Unlock()
			s.deliverAll(o)
			s.mu.Lock()
		}
	case o.Status != StatusPaid:
		err = errNotPayable
	}
	snap := o.snapshot()
	var ret string
	if err == nil && snap.ReturnURL != "" {
		v := s.notificationLocked(o)
		if s.v2.orders[o] {
			v = s.v2NotificationLocked(o)
		}
		sep := "?"
		if strings.Contains(snap.ReturnURL, "?") {
			sep = "&"
		}
		ret = snap.ReturnURL + sep + v.Encode()
	}
	s.mu.Unlock()
	switch {
	case err != nil:
		renderPage(w, http.StatusOK, pageData{Title: "站点提示", Message: "订单状态为" + snap.Status.String() + "，无法支付", Order: &snap})
	case ret != "":
		http.Redirect(w, r, ret, http.StatusSeeOther)
	default:
		renderPage(w, http.StatusOK, pageData{Title: "支付成功", Order: &snap})
	}
}

var errNotPayable = &apiError{-1, "order cannot be paid"}

// qrImage serves the QR image URL of the Kyren create answer: a small PNG
// placeholder (it encodes nothing).
func (s *Server) qrImage(w http.ResponseWriter, r *http.Request, tradeNo string) {
	s.mu.Lock()
	_, ok := s.byTrade[tradeNo]
	s.mu.Unlock()
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "image/png")
	_, _ = w.Write(qrPNG)
}

var qrPNG = func() []byte {
	const n = 21
	img := image.NewGray(image.Rect(0, 0, n, n))
	for y := 0; y < n; y++ {
		for x := 0; x < n; x++ {
			c := color.Gray{Y: 255}
			if (x*7+y*13)%3 == 0 {
				c.Y = 0
			}
			img.SetGray(x, y, c)
		}
	}
	var b bytes.Buffer
	_ = png.Encode(&b, img)
	return b.Bytes()
}()

// autoSubmitForm is the html answer of a create: a form that sends the
// browser to the pay URL.
func autoSubmitForm(payURL string) string {
	var b bytes.Buffer
	_ = formTmpl.Execute(&b, payURL)
	return b.String()
}

var formTmpl = template.Must(template.New("form").Parse(
	`<form id="epaysubmit" action="{{.}}" method="get"></form><script>document.getElementById("epaysubmit").submit();</script>`))
