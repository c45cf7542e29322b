// Package iepaytest provides an in-process IEPay v1 gateway for tests and
// examples, in the spirit of net/http/httptest.
//
// NewServer starts the gateway on a loopback port and mounts it under the
// path prefix /iepay/, so Server.URL looks like "http://127.0.0.1:PORT/iepay/"
// and a client configured with that base URL calls URL+"api/online",
// URL+"wechatApi/mini_pay", URL+"api/check_order_status" and URL+"api/refund".
// The gateway checks signatures, versions and fields as IEPay does, answers
// with IEPay's envelopes and messages (SIGN_ERROR, ORDER_CREATED,
// COMBINE_ERROR, PAY_ROW_ERROR, BALANCE_ERROR, ERROR_PAYMENT_STATUS, ...),
// serves a checkout page for every order, and delivers signed notifications
// to notify_url with IEPay's retries, on a clock that WithTimeScale speeds up.
//
// Tests drive payments with Server.Pay, inspect orders with Server.Order and
// notification attempts with Server.Deliveries, and make the next API
// requests fail with Server.FailNext.
//
//	s := iepaytest.NewServer(iepaytest.WithTest(t), iepaytest.WithTimeScale(1e6))
//	c, _ := iepay.New(s.MID, s.Key, iepay.WithBaseURL(s.URL))
//	res, err := c.Create(ctx, &iepay.CreateRequest{
//		PayType: iepay.PayTypeAlipayWeb, OutTradeNo: "T-1", TotalFee: 100,
//		Goods: "Tea", GoodsDetail: "Green tea", NotifyURL: shop.URL + "/notify",
//	})
//	// ...
//	if err := s.Pay("T-1"); err != nil { // first notification sent before Pay returns
//		t.Fatal(err)
//	}
//
// # Deliberate choices
//
// The real gateway keys orders by merchant, out_trade_no and pay_type. This
// fake keys them by out_trade_no alone so that Pay, Order and the other
// methods can name an order by it: creating an out_trade_no that exists with
// another pay_type or merchant is refused with "OUT_TRADE_NO_USED".
//
// Trade numbers are 28 digits and deterministic per server: WeChat pay types
// (IE002x) get "42000" followed by a counter padded to 23 digits, every other
// pay type "2026" followed by the counter padded to 24 digits. The counter
// starts at 1 and counts every order the server creates. An order's trade_no
// is fixed at creation (the checkout page is URL+"pay/"+trade_no) but, as on
// the real gateway, check reports it only once the order is no longer unpaid.
//
// A partial refund keeps the order paid (order_status 1, or 3 when settled);
// the refund that brings the refunded total to the order amount moves it to
// 2 (refunded), or 4 from 3. Several partial refunds are accepted.
//
// Field errors answer is_success FALSE with a message that names the field
// and the problem, such as "PARAM_ERROR: total_fee is required" or
// "VERSION_ERROR: version must be v1"; the mini program endpoint answers
// {"code":400,"msg":...} with the same messages. An order created with
// rmb_fee reports total_fee 0 and its amount in rmb_fee; its refunds are
// counted in the same unit.
//
// wechatApi/mini_pay answers wx.requestPayment arguments that are
// deterministic per order (a repeated request for the same order answers the
// same data); paySign is an upper-case MD5 in WeChat's style computed with
// the merchant's IEPay key, since the real WeChat key is not the merchant's.
// Its orders have no pay_url but are paid like the others with Pay or at
// URL+"pay/"+trade_no.
//
// Notifications go to notify_url with the query appended after "?" (after
// "&" when notify_url already has a query, where the real gateway would
// produce a broken URL).
package iepaytest
