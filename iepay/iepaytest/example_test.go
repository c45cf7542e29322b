package iepaytest_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"

	"github.com/epaykit/epaykit/iepay/iepaytest"
	"github.com/epaykit/epaykit/sign"
)

func Example() {
	gw := iepaytest.NewServer(iepaytest.WithTimeScale(1e6))
	defer gw.Close()

	// The merchant's notify endpoint.
	shop := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if sign.VerifyIEPayNotify(q.Get("trade_no"), q.Get("out_trade_no"), q.Get("sign"), gw.Key) {
			fmt.Println("notified:", q.Get("out_trade_no"), q.Get("trade_no"), q.Get("trade_status"))
			io.WriteString(w, "SUCCESS")
		}
	}))
	defer shop.Close()

	// Create an order with a raw signed POST to api/online.
	params := map[string]string{
		"mid":          gw.MID,
		"version":      "v1",
		"pay_type":     "IE0012",
		"out_trade_no": "ORDER-1001",
		"total_fee":    "1250",
		"goods":        "Green tea",
		"goods_detail": "A tin of green tea",
		"notify_url":   shop.URL + "/notify",
	}
	form := url.Values{}
	for k, v := range params {
		form.Set(k, v)
	}
	form.Set("sign", sign.IEPay(params, gw.Key))
	resp, err := http.PostForm(gw.URL+"api/online", form)
	if err != nil {
		fmt.Println(err)
		return
	}
	var created struct {
		IsSuccess string `json:"is_success"`
		Message   string `json:"message"`
		Extra     struct {
			PayURL string `json:"pay_url"`
		} `json:"extra"`
	}
	err = json.NewDecoder(resp.Body).Decode(&created)
	resp.Body.Close()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(created.IsSuccess, created.Message, strings.TrimPrefix(created.Extra.PayURL, gw.URL))

	// Pay it: the first notification is delivered before Pay returns.
	if err := gw.Pay("ORDER-1001"); err != nil {
		fmt.Println(err)
		return
	}
	o, _ := gw.Order("ORDER-1001")
	d := gw.Deliveries()[0]
	fmt.Println("status:", o.Status, "paid:", o.Paid(), "acknowledged:", d.Acknowledged())
	// Output:
	// TRUE SUCCESS pay/2026000000000000000000000001
	// notified: ORDER-1001 2026000000000000000000000001 SUCCESS
	// status: 1 paid: true acknowledged: true
}

func ExampleServer_FailNext() {
	gw := iepaytest.NewServer()
	defer gw.Close()
	gw.FailNext(2, iepaytest.Fault503)
	for i := 0; i < 3; i++ {
		resp, err := http.PostForm(gw.URL+"api/check_order_status", url.Values{"mid": {gw.MID}})
		if err != nil {
			fmt.Println(err)
			return
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			fmt.Println(resp.StatusCode, string(body))
		} else {
			fmt.Println(resp.StatusCode)
		}
	}
	for _, r := range gw.Requests() {
		fmt.Println(r.Path, r.Fault)
	}
	// Output:
	// 503
	// 503
	// 200 {"is_success":"FALSE","message":"SIGN_ERROR","extra":[]}
	// /iepay/api/check_order_status Fault503
	// /iepay/api/check_order_status Fault503
	// /iepay/api/check_order_status FaultNone
}

func ExampleServer_NotificationValues() {
	gw := iepaytest.NewServer()
	defer gw.Close()
	params := map[string]string{
		"mid": gw.MID, "version": "v1", "pay_type": "IE0011", "out_trade_no": "T-1",
		"total_fee": "100", "goods": "Tea", "goods_detail": "Green tea",
	}
	form := url.Values{}
	for k, v := range params {
		form.Set(k, v)
	}
	form.Set("sign", sign.IEPay(params, gw.Key))
	resp, err := http.PostForm(gw.URL+"api/online", form)
	if err != nil {
		fmt.Println(err)
		return
	}
	resp.Body.Close()

	v, err := gw.NotificationValues("T-1")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(v.Encode())
	// Output:
	// out_trade_no=T-1&pay_type=IE0011&sign=1bf055606d91b3dc983ab2003c7b0055&trade_no=2026000000000000000000000001&trade_status=SUCCESS
}
