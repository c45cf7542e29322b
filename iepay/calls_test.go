package iepay

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const miniDataJSON = `{"timeStamp":"1603331682","nonceStr":"5K8264ILTKCH16CQ2502SI8ZNMTM67VS","package":"prepay_id=wx201410272009395522657a690389285100","signType":"MD5","paySign":"C380BEC2BFD727A4B6845133519F3AD6"}`

func miniFromVector(t *testing.T, v signVector) *MiniProgramRequest {
	t.Helper()
	fee, err := strconv.ParseInt(v.Params["total_fee"], 10, 64)
	require.NoError(t, err)
	exp, err := strconv.Atoi(v.Params["expired"])
	require.NoError(t, err)
	return &MiniProgramRequest{
		AppID: v.Params["appid"], OpenID: v.Params["openid"], OutTradeNo: v.Params["out_trade_no"],
		Goods: v.Params["goods"], GoodsDetail: v.Params["goods_detail"], NotifyURL: v.Params["notify_url"],
		TotalFee: fee, Expired: exp,
	}
}

func TestCreateMiniProgram(t *testing.T) {
	t.Parallel()
	v := signVectorNamed(t, "mini program IE0026, raw & inside a URL value")
	c, mt := mockClient(t, v.Key)
	var cap captured
	mt.RegisterResponder("POST", testBase+"wechatApi/mini_pay", respond(&cap, ok(`{"code":200,"msg":"ok","data":`+miniDataJSON+`}`)))

	p, err := c.CreateMiniProgram(context.Background(), miniFromVector(t, v))
	require.NoError(t, err)
	assert.Equal(t, formOf(v.Params, v.Sign), cap.last(t))
	assert.Equal(t, &MiniProgramPayment{
		TimeStamp: "1603331682", NonceStr: "5K8264ILTKCH16CQ2502SI8ZNMTM67VS",
		Package: "prepay_id=wx201410272009395522657a690389285100", SignType: "MD5",
		PaySign: "C380BEC2BFD727A4B6845133519F3AD6", Raw: json.RawMessage(miniDataJSON),
	}, p)
}

func TestCreateMiniProgramResponses(t *testing.T) {
	t.Parallel()
	req := &MiniProgramRequest{AppID: "wx1", OpenID: "o1", OutTradeNo: "M-1", Goods: "Tea", GoodsDetail: "Tea", TotalFee: 10}
	tests := []struct {
		name    string
		st      step
		stamp   string
		code    int
		msg     string
		is      error
		httpErr int
	}{
		{name: "code as string, numeric timeStamp", st: ok(`{"code":"200","data":{"timeStamp":1603331682,"nonceStr":"n","package":"prepay_id=1","signType":"MD5","paySign":"s"}}`), stamp: "1603331682"},
		{name: "data as JSON string", st: ok(`{"code":200,"data":"{\"timeStamp\":\"1\",\"nonceStr\":\"n\",\"package\":\"p\",\"signType\":\"MD5\",\"paySign\":\"s\"}"}`), stamp: "1"},
		{name: "error code", st: ok(`{"code":400,"msg":"openid invalid"}`), code: 400, msg: "openid invalid"},
		{name: "code 0 string", st: ok(`{"code":"0","msg":"fail","data":[]}`), code: 0, msg: "fail"},
		{name: "v1 envelope refusal", st: ok(`{"is_success":"FALSE","message":"SIGN_ERROR"}`), msg: "SIGN_ERROR", is: ErrSign},
		{name: "data missing paySign", st: ok(`{"code":200,"data":{"timeStamp":"1","nonceStr":"n","package":"p"}}`), httpErr: 200},
		{name: "data empty array", st: ok(`{"code":200,"data":[]}`), httpErr: 200},
		{name: "no code", st: ok(`{"data":{}}`), httpErr: 200},
		{name: "html", st: step{status: 404, body: "<html>Not Found</html>"}, httpErr: 404},
		{name: "code 200 with HTTP 500", st: step{status: 500, body: `{"code":200,"data":{}}`}, httpErr: 500},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, mt := mockClient(t, testKey)
			var cap captured
			mt.RegisterResponder("POST", testBase+"wechatApi/mini_pay", respond(&cap, tt.st))
			p, err := c.CreateMiniProgram(context.Background(), req)
			if tt.stamp != "" {
				require.NoError(t, err)
				assert.Equal(t, tt.stamp, p.TimeStamp)
				assert.Equal(t, "s", p.PaySign)
				assert.Equal(t, byte('{'), p.Raw[0])
				return
			}
			require.Error(t, err)
			if tt.httpErr != 0 {
				var he *HTTPError
				require.ErrorAs(t, err, &he)
				assert.Equal(t, tt.httpErr, he.StatusCode)
				return
			}
			var ae *APIError
			require.ErrorAs(t, err, &ae)
			assert.Equal(t, tt.code, ae.Code)
			assert.Equal(t, tt.msg, ae.Message)
			if tt.is != nil {
				assert.ErrorIs(t, err, tt.is)
			}
		})
	}
	t.Run("error text", func(t *testing.T) {
		t.Parallel()
		c, mt := mockClient(t, testKey)
		var cap captured
		mt.RegisterResponder("POST", testBase+"wechatApi/mini_pay", respond(&cap, ok(`{"code":400,"msg":"openid invalid"}`)))
		_, err := c.CreateMiniProgram(context.Background(), req)
		assert.EqualError(t, err, "iepay: wechatApi/mini_pay: code 400: openid invalid")
	})
}

func TestCreateMiniProgramValidation(t *testing.T) {
	t.Parallel()
	c, mt := mockClient(t, testKey)
	var cap captured
	mt.RegisterResponder("POST", testBase+"wechatApi/mini_pay", respond(&cap, ok(`{}`)))
	valid := func() MiniProgramRequest {
		return MiniProgramRequest{AppID: "wx1", OpenID: "o1", OutTradeNo: "M-1", Goods: "Tea", GoodsDetail: "Tea", TotalFee: 10}
	}
	for field, edit := range map[string]func(*MiniProgramRequest){
		"appid":        func(r *MiniProgramRequest) { r.AppID = "" },
		"openid":       func(r *MiniProgramRequest) { r.OpenID = "o 1" },
		"out_trade_no": func(r *MiniProgramRequest) { r.OutTradeNo = "123456789012345678901234567890123" },
		"total_fee":    func(r *MiniProgramRequest) { r.TotalFee = 0 },
		"goods":        func(r *MiniProgramRequest) { r.Goods = "<b>" },
		"goods_detail": func(r *MiniProgramRequest) { r.GoodsDetail = `a\b` },
		"expired":      func(r *MiniProgramRequest) { r.Expired = -5 },
		"notify_url":   func(r *MiniProgramRequest) { r.NotifyURL = "shop.example.nz/notify" },
	} {
		r := valid()
		edit(&r)
		_, err := c.CreateMiniProgram(context.Background(), &r)
		var fe *FieldError
		if assert.ErrorAs(t, err, &fe, field) {
			assert.Equal(t, field, fe.Field)
		}
	}
	assert.Equal(t, 0, cap.count())
}

func TestCheck(t *testing.T) {
	t.Parallel()
	v := signVectorNamed(t, "check")
	tests := []struct {
		name string
		body string
		want *Order
	}{
		{"strings", `{"is_success":"TRUE","message":"SUCCESS","extra":{"pay_type":"IE0026","trade_no":"4200000123","out_trade_no":"2020102204514282","order_status":"1","total_fee":"1000","rmb_fee":"0","goods":"Iphone","pay_url":"","return_url":""}}`,
			&Order{TradeNo: "4200000123", OutTradeNo: "2020102204514282", Goods: "Iphone", PayType: PayTypeWeChatMiniProgram, Status: OrderPaid, TotalFee: 1000}},
		{"numbers", `{"is_success":true,"message":"SUCCESS","extra":{"pay_type":"IE0026","trade_no":4200000123,"out_trade_no":"2020102204514282","order_status":3,"total_fee":1000,"rmb_fee":null,"goods":"Iphone","pay_url":"https://p","return_url":"https://r"}}`,
			&Order{TradeNo: "4200000123", OutTradeNo: "2020102204514282", Goods: "Iphone", PayURL: "https://p", ReturnURL: "https://r", PayType: PayTypeWeChatMiniProgram, Status: OrderSettled, TotalFee: 1000}},
		{"unpaid doc sample", `{"is_success":"TRUE","message":"SUCCESS","extra":{"pay_type":"IE0026","trade_no":"","out_trade_no":"2020102204514282","order_status":"0","total_fee":1,"rmb_fee":0,"goods":"goodname","pay_url":"u","return_url":""}}`,
			&Order{OutTradeNo: "2020102204514282", Goods: "goodname", PayURL: "u", PayType: PayTypeWeChatMiniProgram, Status: OrderUnpaid, TotalFee: 1}},
		{"refunded, missing echo fields", `{"is_success":"TRUE","extra":{"order_status":"4","rmb_fee":"55"}}`,
			&Order{OutTradeNo: "2020102204514282", PayType: PayTypeWeChatMiniProgram, Status: OrderSettledRefunded, RMBFee: 55}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, mt := mockClient(t, v.Key)
			var cap captured
			mt.RegisterResponder("POST", testBase+"api/check_order_status", respond(&cap, ok(tt.body)))
			o, err := c.Check(context.Background(), &CheckRequest{PayType: PayTypeWeChatMiniProgram, OutTradeNo: "2020102204514282"})
			require.NoError(t, err)
			assert.Equal(t, tt.want, o)
			assert.Equal(t, tt.want.Status == OrderPaid || tt.want.Status == OrderSettled, o.Paid())
			assert.Equal(t, "mid=10224&out_trade_no=2020102204514282&pay_type=IE0026&sign="+v.Sign+"&version=v1", cap.last(t))
		})
	}
}

func TestCheckErrors(t *testing.T) {
	t.Parallel()
	req := &CheckRequest{PayType: PayTypeAlipayWeb, OutTradeNo: "A-1"}
	t.Run("combine error with extra []", func(t *testing.T) {
		t.Parallel()
		c, mt := mockClient(t, testKey)
		var cap captured
		mt.RegisterResponder("POST", testBase+"api/check_order_status", respond(&cap, ok(`{"is_success":"FALSE","message":"COMBINE_ERROR","extra":[]}`)))
		_, err := c.Check(context.Background(), req)
		assert.ErrorIs(t, err, ErrCombine)
		assert.EqualError(t, err, "iepay: api/check_order_status: COMBINE_ERROR")
	})
	t.Run("503 then success", func(t *testing.T) {
		t.Parallel()
		var events []RequestEvent
		c, mt := mockClient(t, testKey, WithRequestHook(func(e RequestEvent) { events = append(events, e) }))
		var cap captured
		mt.RegisterResponder("POST", testBase+"api/check_order_status", respond(&cap,
			step{status: 503, body: "<html>Service Unavailable</html>"},
			ok(`{"is_success":"TRUE","extra":{"order_status":"1","total_fee":"5"}}`)))
		o, err := c.Check(context.Background(), req)
		require.NoError(t, err)
		assert.True(t, o.Paid())
		assert.Equal(t, 2, cap.count())
		assert.Equal(t, cap.bodies[0], cap.bodies[1], "a retry must send the same form")
		require.Len(t, events, 2)
		assert.Equal(t, 503, events[0].Status)
		assert.Equal(t, 200, events[1].Status)
		assert.Equal(t, testBase+"api/check_order_status", events[1].URL)
	})
	t.Run("retries off", func(t *testing.T) {
		t.Parallel()
		c, mt := mockClient(t, testKey, WithRetries(0))
		var cap captured
		mt.RegisterResponder("POST", testBase+"api/check_order_status", respond(&cap, step{status: 503, body: "busy"}))
		_, err := c.Check(context.Background(), req)
		var he *HTTPError
		require.ErrorAs(t, err, &he)
		assert.Equal(t, 503, he.StatusCode)
		assert.Equal(t, 1, cap.count())
	})
	for name, body := range map[string]string{
		"no order_status": `{"is_success":"TRUE","extra":{"total_fee":"5"}}`,
		"extra missing":   `{"is_success":"TRUE","message":"SUCCESS"}`,
		"bad total_fee":   `{"is_success":"TRUE","extra":{"order_status":"1","total_fee":"5.00"}}`,
		"non-empty array": `{"is_success":"TRUE","extra":[1]}`,
		"truncated":       `{"is_success":"TRUE","extra":{"order_status":"1"`,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c, mt := mockClient(t, testKey)
			var cap captured
			mt.RegisterResponder("POST", testBase+"api/check_order_status", respond(&cap, ok(body)))
			o, err := c.Check(context.Background(), req)
			assert.Nil(t, o)
			var he *HTTPError
			assert.ErrorAs(t, err, &he)
		})
	}
	t.Run("validation", func(t *testing.T) {
		t.Parallel()
		c, _ := mockClient(t, testKey)
		_, err := c.Check(context.Background(), &CheckRequest{OutTradeNo: "A-1"})
		assert.EqualError(t, err, "iepay: pay_type: required (e.g. IE0011)")
		_, err = c.Check(context.Background(), &CheckRequest{PayType: PayTypeAlipayQR})
		assert.EqualError(t, err, "iepay: out_trade_no: required")
	})
}

func TestOrderStatusString(t *testing.T) {
	t.Parallel()
	want := map[OrderStatus]string{0: "unpaid", 1: "paid", 2: "refunded", 3: "settled", 4: "settled-refunded", 9: "OrderStatus(9)", -1: "OrderStatus(-1)"}
	for s, w := range want {
		assert.Equal(t, w, s.String())
		assert.Equal(t, s == 1 || s == 3, (&Order{Status: s}).Paid())
	}
	var o *Order
	assert.False(t, o.Paid())
}

func TestConfirmReturn(t *testing.T) {
	t.Parallel()
	c, mt := mockClient(t, testKey)
	var cap captured
	mt.RegisterResponder("POST", testBase+"api/check_order_status", respond(&cap, ok(`{"is_success":"TRUE","extra":{"order_status":"1","out_trade_no":"A-1","total_fee":100}}`)))
	v := url.Values{"out_trade_no": {"A-1"}, "pay_type": {"IE0012"}, "total_fee": {"100"}, "goods": {"Tea"}}
	o, err := c.ConfirmReturn(context.Background(), v)
	require.NoError(t, err)
	assert.True(t, o.Paid())
	assert.Equal(t, int64(100), o.TotalFee)
	assert.Contains(t, cap.last(t), "out_trade_no=A-1&pay_type=IE0012&sign=")

	_, err = c.ConfirmReturn(context.Background(), url.Values{"out_trade_no": {"A-1"}})
	assert.ErrorIs(t, err, ErrMissingField)
	assert.EqualError(t, err, "iepay: return: missing pay_type")
	_, err = c.ConfirmReturn(context.Background(), url.Values{"out_trade_no": {"A-1", "A-2"}, "pay_type": {"IE0012"}})
	assert.ErrorIs(t, err, ErrDuplicateParam)
	assert.Equal(t, 1, cap.count())
}

func TestRefund(t *testing.T) {
	t.Parallel()
	v := signVectorNamed(t, "refund")
	req := &RefundRequest{OutTradeNo: "2020102204514282", PayType: PayTypeWeChatMiniProgram, RefundAmount: 500}
	t.Run("vector", func(t *testing.T) {
		t.Parallel()
		c, mt := mockClient(t, v.Key)
		var cap captured
		mt.RegisterResponder("POST", testBase+"api/refund", respond(&cap, ok(`{"is_success":"TRUE","message":"SUCCESS","extra":[]}`)))
		res, err := c.Refund(context.Background(), req)
		require.NoError(t, err)
		assert.Equal(t, &RefundResult{Message: "SUCCESS"}, res)
		assert.Equal(t, formOf(v.Params, v.Sign), cap.last(t))
	})
	t.Run("charge fee", func(t *testing.T) {
		t.Parallel()
		c, mt := mockClient(t, testKey)
		var cap captured
		mt.RegisterResponder("POST", testBase+"api/refund", respond(&cap, ok(`{"is_success":"TRUE","message":"SUCCESS"}`)))
		r := *req
		r.RefundChargeFee = true
		_, err := c.Refund(context.Background(), &r)
		require.NoError(t, err)
		params := map[string]string{"mid": "10224", "out_trade_no": "2020102204514282", "pay_type": "IE0026", "refund_amount": "500", "refund_charge_fee": "TRUE", "version": "v1"}
		assert.Equal(t, formOf(params, "9bc26641b88282bb9ba4df14b49f2780"), cap.last(t))
		assert.Contains(t, cap.last(t), "refund_charge_fee=TRUE")
	})
	for msg, target := range map[string]error{"BALANCE_ERROR": ErrBalance, "ERROR_PAYMENT_STATUS": ErrPaymentStatus, "PAY_ROW_ERROR": ErrPayRow, "SIGN_ERROR": ErrSign, "COMBINE_ERROR": ErrCombine} {
		t.Run(msg, func(t *testing.T) {
			t.Parallel()
			c, mt := mockClient(t, testKey)
			var cap captured
			mt.RegisterResponder("POST", testBase+"api/refund", respond(&cap, ok(`{"is_success":"FALSE","message":"`+msg+`","extra":[]}`)))
			_, err := c.Refund(context.Background(), req)
			assert.ErrorIs(t, err, target)
			assert.EqualError(t, err, "iepay: api/refund: "+msg)
		})
	}
	t.Run("single attempt under 503", func(t *testing.T) {
		t.Parallel()
		c, mt := mockClient(t, testKey)
		var cap captured
		mt.RegisterResponder("POST", testBase+"api/refund", respond(&cap, step{status: 503, body: "<html>busy</html>"}, ok(`{"is_success":"TRUE"}`)))
		_, err := c.Refund(context.Background(), req)
		var he *HTTPError
		require.ErrorAs(t, err, &he)
		assert.Equal(t, 503, he.StatusCode)
		assert.Equal(t, 1, cap.count())
	})
	t.Run("connection reset may have been sent", func(t *testing.T) {
		t.Parallel()
		c, mt := mockClient(t, testKey)
		calls := 0
		mt.RegisterResponder("POST", testBase+"api/refund", func(*http.Request) (*http.Response, error) {
			calls++
			return nil, errors.New("read: connection reset by peer")
		})
		_, err := c.Refund(context.Background(), req)
		var te *TransportError
		require.ErrorAs(t, err, &te)
		assert.True(t, te.MaybeSent)
		assert.Equal(t, 1, calls)
		assert.NotContains(t, err.Error(), testKey)
	})
	t.Run("validation", func(t *testing.T) {
		t.Parallel()
		c, _ := mockClient(t, testKey)
		for _, amt := range []int64{0, -1} {
			r := *req
			r.RefundAmount = amt
			_, err := c.Refund(context.Background(), &r)
			var fe *FieldError
			require.ErrorAs(t, err, &fe)
			assert.Equal(t, "refund_amount", fe.Field)
		}
	})
}
