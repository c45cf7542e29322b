// Package iepay is a client for the IEPay (New Zealand) v1 merchant API:
// creating payments (online and WeChat mini program), checking an order,
// refunding it, and verifying the asynchronous notifications IEPay sends to
// notify_url.
//
// A Client is built once with the merchant id and API key and is safe for
// concurrent use:
//
//	c, err := iepay.New("10224", key)
//	res, err := c.Create(ctx, &iepay.CreateRequest{
//		PayType:    iepay.PayTypeAlipayWeb,
//		OutTradeNo: "20261123100000001",
//		TotalFee:   1250, // NZD 12.50, in cents
//		Goods:      "Green tea",
//		NotifyURL:  "https://shop.example.nz/iepay/notify",
//	})
//
// Every request is an MD5-signed form POST (see package sign); amounts are
// int64 cents and are never floating point. Requests are validated before
// anything is sent, and each validation error names the field.
//
// Errors: a gateway refusal is an *APIError, and the messages IEPay documents
// match the Err values with errors.Is (ErrSign, ErrCombine, ...). A response
// that is not the expected JSON (an HTML error page, an empty body) is an
// *HTTPError; a failure to get a response at all is a *TransportError. The
// merchant key never appears in an error or a log line.
//
// Retries: Create, CreateMiniProgram and Check are retried on connection
// failures and HTTP 429/502/503/504 (IEPay keys an order by out_trade_no, so
// repeating a create returns the same order). Refund is never repeated once
// the request may have reached IEPay; see Refund.
//
// Notifications: ParseNotification and ParseNotificationRequest verify
// md5(trade_no + out_trade_no + "SUCCESS" + key) in constant time and reject
// duplicated parameters; answer a verified notification with SuccessReply
// once the order has been recorded. The browser's return to return_url is
// not signed and is for display only: use ConfirmReturn (a Check) before
// showing a payment as complete.
package iepay
