package iepay_test

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

	"github.com/epaykit/epaykit/iepay"
	"github.com/epaykit/epaykit/sign"
)

const (
	exampleMID = "10224"
	exampleKey = "e560fb2e61e4d1fe6a11c278388cb965"
)

// gateway starts a stand-in for IEPay under /iepay/ that answers path with
// body, so that the examples run without a network.
func gateway(path, body string) *httptest.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("/iepay/"+path, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, body)
	})
	return httptest.NewServer(mux)
}

func ExampleClient_Create() {
	srv := gateway("api/online", `{"is_success":"TRUE","message":"SUCCESS","extra":{"mid":"10224","pay_type":"IE0011","out_trade_no":"20261123100000001","pay_url":"https://qr.alipay.com/bax01234"}}`)
	defer srv.Close()

	c, err := iepay.New(exampleMID, exampleKey, iepay.WithBaseURL(srv.URL+"/iepay/"))
	if err != nil {
		log.Fatal(err)
	}
	res, err := c.Create(context.Background(), &iepay.CreateRequest{
		PayType:     iepay.PayTypeAlipayQR,
		OutTradeNo:  "20261123100000001",
		TotalFee:    1250, // NZ$12.50
		Goods:       "Green tea",
		GoodsDetail: "Green tea 100g",
		NotifyURL:   "https://shop.example.nz/iepay/notify",
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.PayURL)
	fmt.Println("present as:", res.PayType.Presentation())
	fmt.Println("already created:", res.AlreadyCreated)
	// Output:
	// https://qr.alipay.com/bax01234
	// present as: qr-code
	// already created: false
}

func ExampleClient_CreateMiniProgram() {
	srv := gateway("wechatApi/mini_pay", `{"code":200,"msg":"ok","data":{"timeStamp":"1603331682","nonceStr":"5K8264ILTKCH16CQ","package":"prepay_id=wx2014102720093955","signType":"MD5","paySign":"C380BEC2BFD727A4B6845133519F3AD6"}}`)
	defer srv.Close()

	c, err := iepay.New(exampleMID, exampleKey, iepay.WithBaseURL(srv.URL+"/iepay/"))
	if err != nil {
		log.Fatal(err)
	}
	p, err := c.CreateMiniProgram(context.Background(), &iepay.MiniProgramRequest{
		AppID:       "wx1234567890abcdef",
		OpenID:      "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o",
		OutTradeNo:  "2020102204514282",
		TotalFee:    1000,
		Goods:       "Iphone",
		GoodsDetail: "An Iphone 12",
	})
	if err != nil {
		log.Fatal(err)
	}
	// Hand these to wx.requestPayment in the mini program, or send p.Raw.
	fmt.Println(p.TimeStamp, p.NonceStr, p.Package, p.SignType, p.PaySign)
	// Output:
	// 1603331682 5K8264ILTKCH16CQ prepay_id=wx2014102720093955 MD5 C380BEC2BFD727A4B6845133519F3AD6
}

func ExampleClient_Check() {
	srv := gateway("api/check_order_status", `{"is_success":"TRUE","message":"SUCCESS","extra":{"pay_type":"IE0012","trade_no":"2026112322001400","out_trade_no":"20261123100000001","order_status":"1","total_fee":1250,"rmb_fee":0,"goods":"Green tea","pay_url":"","return_url":""}}`)
	defer srv.Close()

	c, err := iepay.New(exampleMID, exampleKey, iepay.WithBaseURL(srv.URL+"/iepay/"))
	if err != nil {
		log.Fatal(err)
	}
	o, err := c.Check(context.Background(), &iepay.CheckRequest{PayType: iepay.PayTypeAlipayWeb, OutTradeNo: "20261123100000001"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(o.Status, o.Paid(), o.TotalFee)
	// Output:
	// paid true 1250
}

func ExampleClient_Refund() {
	srv := gateway("api/refund", `{"is_success":"FALSE","message":"BALANCE_ERROR","extra":[]}`)
	defer srv.Close()

	c, err := iepay.New(exampleMID, exampleKey, iepay.WithBaseURL(srv.URL+"/iepay/"))
	if err != nil {
		log.Fatal(err)
	}
	_, err = c.Refund(context.Background(), &iepay.RefundRequest{
		OutTradeNo:   "20261123100000001",
		PayType:      iepay.PayTypeAlipayWeb,
		RefundAmount: 500,
	})
	var te *iepay.TransportError
	switch {
	case err == nil:
		fmt.Println("refunded")
	case errors.Is(err, iepay.ErrBalance):
		fmt.Println("not enough balance:", err)
	case errors.As(err, &te) && te.MaybeSent:
		fmt.Println("outcome unknown: Check the order before trying again")
	default:
		fmt.Println("refund failed:", err)
	}
	// Output:
	// not enough balance: iepay: api/refund: BALANCE_ERROR
}

func ExampleClient_ParseNotificationRequest() {
	c, err := iepay.New(exampleMID, exampleKey)
	if err != nil {
		log.Fatal(err)
	}
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, err := c.ParseNotificationRequest(r)
		if err != nil {
			http.Error(w, "bad notification", http.StatusBadRequest)
			return
		}
		// Record the payment of n.OutTradeNo idempotently, then acknowledge.
		fmt.Println("paid:", n.OutTradeNo, n.TradeNo, n.PayType)
		io.WriteString(w, iepay.SuccessReply)
	})

	// What IEPay sends: a GET to notify_url.
	q := url.Values{
		"out_trade_no": {"2020102204514282"},
		"trade_no":     {"4200000123202010220000000001"},
		"trade_status": {"SUCCESS"},
		"pay_type":     {"IE0026"},
		"sign":         {"68f87ba56e67ee375fb9fb9f53258d0e"},
	}
	rec := httptest.NewRecorder()
	handler.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/iepay/notify?"+q.Encode(), nil))
	fmt.Println(rec.Code, rec.Body.String())

	q.Set("trade_no", "4200000123202010220000000002") // forged
	rec = httptest.NewRecorder()
	handler.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/iepay/notify?"+q.Encode(), nil))
	fmt.Println(rec.Code, strings.TrimSpace(rec.Body.String()))
	// Output:
	// paid: 2020102204514282 4200000123202010220000000001 IE0026
	// 200 SUCCESS
	// 400 bad notification
}

func ExampleClient_ParseNotification() {
	c, err := iepay.New(exampleMID, exampleKey)
	if err != nil {
		log.Fatal(err)
	}
	v := url.Values{
		"out_trade_no": {"2020102204514282"},
		"trade_no":     {"4200000123202010220000000001"},
		"trade_status": {"SUCCESS"},
		"pay_type":     {"IE0026"},
		"sign":         {sign.IEPayNotify("4200000123202010220000000001", "2020102204514282", exampleKey)},
	}
	n, err := c.ParseNotification(v)
	fmt.Println(n.OutTradeNo, err)

	v.Add("trade_no", "4200000123202010220000000001")
	_, err = c.ParseNotification(v)
	fmt.Println(errors.Is(err, iepay.ErrDuplicateParam), err)
	// Output:
	// 2020102204514282 <nil>
	// true iepay: notification: parameter "trade_no" occurs more than once
}

func ExampleClient_ConfirmReturn() {
	srv := gateway("api/check_order_status", `{"is_success":"TRUE","message":"SUCCESS","extra":{"order_status":"0","out_trade_no":"20261123100000001","total_fee":"1250"}}`)
	defer srv.Close()

	c, err := iepay.New(exampleMID, exampleKey, iepay.WithBaseURL(srv.URL+"/iepay/"))
	if err != nil {
		log.Fatal(err)
	}
	// The query the buyer's browser brought back to return_url: unsigned.
	ret := url.Values{"out_trade_no": {"20261123100000001"}, "pay_type": {"IE0012"}, "total_fee": {"1250"}}
	o, err := c.ConfirmReturn(context.Background(), ret)
	if err != nil {
		log.Fatal(err)
	}
	if o.Paid() {
		fmt.Println("thank you for your payment")
	} else {
		fmt.Println("payment", o.Status, "- waiting for confirmation")
	}
	// Output:
	// payment unpaid - waiting for confirmation
}

func ExamplePayType_Presentation() {
	for _, p := range []iepay.PayType{iepay.PayTypeAlipayQR, iepay.PayTypeAlipayMobileWeb, iepay.PayTypeWeChatApp, iepay.PayTypeWeChatMiniProgram, "IE0099"} {
		fmt.Printf("%s %-28q %s\n", p, p.Description(), p.Presentation())
	}
	// Output:
	// IE0011 "Alipay QR code"             qr-code
	// IE0013 "Alipay mobile web"          redirect
	// IE0025 "WeChat in-app"              app-sdk
	// IE0026 "WeChat mini program"        mini-program
	// IE0099 ""                           unknown
}
