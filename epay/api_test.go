package epay

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const orderRow = `{"trade_no":"2026112212000012345","out_trade_no":"ORDER-77","api_trade_no":"4200001234",
"bill_trade_no":"","type":"wxpay","pid":1001,"addtime":"2026-11-22 12:00:00","endtime":"2026-11-22 12:01:30",
"name":"Pro plan","money":"10.50","param":"user=42","buyer":"o8x","status":1,"payurl":""}`

func TestQueryOrder(t *testing.T) {
	t.Parallel()
	c, mt := newMock(t, testPID, testKey)
	rec := &recorder{}
	mt.RegisterResponder("GET", testBase+"api.php", rec.responder(t,
		jsonResp(200, `{"code":1,"msg":"succ",`+orderRow[1:])))
	o, err := c.QueryOrder(context.Background(), &OrderQuery{OutTradeNo: "ORDER-77"})
	require.NoError(t, err)
	got := rec.only(t)
	assert.Equal(t, "GET", got.Method)
	assert.Equal(t, "/epay/api.php", got.Path)
	assert.Equal(t, "act=order&key="+testKey+"&out_trade_no=ORDER-77&pid=1001", got.RawQuery)
	assert.Equal(t, "", got.Body)
	assert.Equal(t, &Order{
		TradeNo: "2026112212000012345", OutTradeNo: "ORDER-77", APITradeNo: "4200001234", Type: "wxpay", PID: "1001",
		Name: "Pro plan", Money: "10.50", Param: "user=42", Buyer: "o8x", Status: OrderPaid,
		AddTime: "2026-11-22 12:00:00", EndTime: "2026-11-22 12:01:30",
	}, o)
	assert.True(t, o.Paid())
	cents, err := o.Cents()
	require.NoError(t, err)
	assert.EqualValues(t, 1050, cents)
	cst := time.FixedZone("UTC+8", 8*3600)
	at, err := o.AddedAt(cst)
	require.NoError(t, err)
	assert.Equal(t, time.Date(2026, 11, 22, 4, 0, 0, 0, time.UTC), at.UTC())
	end, err := o.EndedAt(nil)
	require.NoError(t, err)
	assert.Equal(t, time.Date(2026, 11, 22, 12, 1, 30, 0, time.UTC), end)
}

func TestQueryOrderOldPHPStringsAndNulls(t *testing.T) {
	t.Parallel()
	c, mt := newMock(t, "merch_001", testKey)
	rec := &recorder{}
	mt.RegisterResponder("GET", testBase+"api.php", rec.responder(t, jsonResp(200,
		`{"code":"1","msg":"succ","trade_no":"K1","out_trade_no":"A-1","pid":"merch_001","status":"0","money":"1.00","addtime":"2026-11-22 12:00:00","endtime":null,"param":null}`)))
	o, err := c.QueryOrder(context.Background(), &OrderQuery{TradeNo: "K1", OutTradeNo: "A-1"})
	require.NoError(t, err)
	assert.Equal(t, "act=order&key="+testKey+"&out_trade_no=A-1&pid=merch_001&trade_no=K1", rec.only(t).RawQuery)
	assert.Equal(t, OrderUnpaid, o.Status)
	assert.False(t, o.Paid())
	assert.Equal(t, "merch_001", o.PID)
	end, err := o.EndedAt(time.UTC)
	require.NoError(t, err)
	assert.True(t, end.IsZero())
	o.AddTime = "22/11/2026"
	_, err = o.AddedAt(nil)
	assert.EqualError(t, err, `epay: addtime "22/11/2026": want YYYY-MM-DD HH:MM:SS`)
}

func TestQueryOrderErrors(t *testing.T) {
	t.Parallel()
	c, mt := newMock(t, testPID, testKey)
	mt.RegisterResponder("GET", testBase+"api.php", jsonResp(200, `{"code":-1,"msg":"订单编号不存在"}`))
	_, err := c.QueryOrder(context.Background(), &OrderQuery{TradeNo: "404"})
	assert.ErrorIs(t, err, ErrOrderNotFound)
	assert.EqualError(t, err, "epay: api.php?act=order: code -1: 订单编号不存在")

	_, err = c.QueryOrder(context.Background(), &OrderQuery{})
	assert.EqualError(t, err, "epay: trade_no: trade_no or out_trade_no is required")
	_, err = c.QueryOrder(context.Background(), &OrderQuery{OutTradeNo: "a\nb"})
	assert.ErrorIs(t, err, ErrInvalidRequest)
}

// A gateway that echoes the key (in a message or an HTML page) never gets it
// into an error.
func TestKeyNeverInErrors(t *testing.T) {
	t.Parallel()
	c, mt := newMock(t, testPID, testKey, WithRetries(0))
	for _, body := range []string{
		`{"code":-3,"msg":"key ` + testKey + ` is wrong"}`,
		`{"code":-3,"msg":"bad request pid=1001&key=` + testKey + `"}`,
		`<html>Fatal error: api.php?act=query&key=` + testKey + `</html>`,
		`{"code":-3,"msg":"` + url.QueryEscape(testKey+"/") + `"}`,
	} {
		mt.RegisterResponder("GET", testBase+"api.php", jsonResp(200, body))
		_, err := c.Merchant(context.Background())
		require.Error(t, err)
		assert.NotContains(t, err.Error(), testKey, body)
		var ae *APIError
		if errors.As(err, &ae) {
			assert.NotContains(t, ae.Msg, testKey)
		}
	}
	mt.RegisterResponder("GET", testBase+"api.php", httpmock.NewErrorResponder(errors.New("dial "+testKey)))
	_, err := c.Merchant(context.Background())
	var te *TransportError
	require.ErrorAs(t, err, &te)
	assert.NotContains(t, err.Error(), testKey)
	assert.Contains(t, err.Error(), "key=REDACTED")
}

func TestListOrders(t *testing.T) {
	t.Parallel()
	c, mt := newMock(t, testPID, testKey)
	rec := &recorder{}
	mt.RegisterResponder("GET", testBase+"api.php", rec.responder(t, jsonResp(200,
		`{"code":1,"msg":"succ","count":"2","data":[`+orderRow+`,{"trade_no":"2","status":"2","money":"1.00"}]}`)))
	paid := OrderPaid
	list, err := c.ListOrders(context.Background(), &ListOrdersRequest{Limit: 20, Offset: 40, Status: &paid})
	require.NoError(t, err)
	assert.Equal(t, "act=orders&key="+testKey+"&limit=20&offset=40&pid=1001&status=1", rec.only(t).RawQuery)
	assert.Equal(t, 2, list.Count)
	require.Len(t, list.Orders, 2)
	assert.Equal(t, "ORDER-77", list.Orders[0].OutTradeNo)
	assert.Equal(t, OrderRefunded, list.Orders[1].Status)
}

func TestListOrdersEmpty(t *testing.T) {
	t.Parallel()
	for _, body := range []string{
		`{"code":1,"msg":"succ","count":0,"data":null}`,
		`{"code":1,"msg":"succ","count":0,"data":[]}`,
		`{"code":1,"msg":"succ","data":{}}`,
		`{"code":1,"msg":"succ"}`,
		`{"code":-1,"msg":"没有找到订单"}`,
		`{"code":-1,"msg":"暂无订单记录"}`,
		`{"code":"-1","msg":"订单不存在"}`,
		`{"code":0,"msg":"No orders found"}`,
		`{"code":0,"msg":"Result EMPTY"}`,
	} {
		c, mt := newMock(t, testPID, testKey)
		mt.RegisterResponder("GET", testBase+"api.php", jsonResp(200, body))
		list, err := c.ListOrders(context.Background(), nil)
		require.NoError(t, err, body)
		assert.Equal(t, &OrderList{Count: 0, Orders: []Order{}}, list, body)
	}
}

func TestListOrdersObjectData(t *testing.T) {
	t.Parallel()
	c, mt := newMock(t, testPID, testKey)
	mt.RegisterResponder("GET", testBase+"api.php", jsonResp(200,
		`{"code":1,"data":{"10":{"trade_no":"c"},"2":{"trade_no":"b"},"1":{"trade_no":"a"}}}`))
	list, err := c.ListOrders(context.Background(), nil)
	require.NoError(t, err)
	require.Len(t, list.Orders, 3)
	assert.Equal(t, []string{"a", "b", "c"}, []string{list.Orders[0].TradeNo, list.Orders[1].TradeNo, list.Orders[2].TradeNo})
	assert.Equal(t, 3, list.Count)
}

func TestListOrdersErrors(t *testing.T) {
	t.Parallel()
	c, mt := newMock(t, testPID, testKey, WithRetries(0))
	// Kyren has no act=orders: that stays an error.
	mt.RegisterResponder("GET", testBase+"api.php", jsonResp(200, `{"code":-5,"msg":"unknown act"}`))
	_, err := c.ListOrders(context.Background(), nil)
	var ae *APIError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, -5, ae.Code)
	assert.Equal(t, "api.php?act=orders", ae.Endpoint)

	mt.RegisterResponder("GET", testBase+"api.php", jsonResp(200, `{"code":1,"data":"nope"}`))
	_, err = c.ListOrders(context.Background(), nil)
	var he *HTTPError
	require.ErrorAs(t, err, &he)
	assert.Equal(t, "orders data: want a list", he.Reason)

	for _, r := range []*ListOrdersRequest{{Limit: 51}, {Limit: -1}, {Offset: -1}, {Status: new(OrderStatus)}} {
		if r.Status != nil {
			*r.Status = 9
		}
		_, err := c.ListOrders(context.Background(), r)
		assert.ErrorIs(t, err, ErrInvalidRequest)
	}
}

func TestRefundDialects(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, body string
		want       *RefundResult
		code       int
		is         error
	}{
		{"old build code 1", `{"code":1,"msg":"退款成功"}`, &RefundResult{Msg: "退款成功"}, 0, nil},
		{"3065 code 0 with refund_no", `{"code":0,"msg":"退款成功！","refund_no":"R1","out_refund_no":"OR1","trade_no":"T1","out_trade_no":"A-1","money":"1.00","reducemoney":"1.00"}`,
			&RefundResult{RefundNo: "R1", OutRefundNo: "OR1", TradeNo: "T1", OutTradeNo: "A-1", Money: "1.00", ReduceMoney: "1.00", Msg: "退款成功！"}, 0, nil},
		{"code 0 with money only", `{"code":"0","money":1.5}`, &RefundResult{Money: "1.5"}, 0, nil},
		{"kyren not found", `{"code":0,"msg":"order not found"}`, nil, 0, ErrOrderNotFound},
		{"zpay unsupported", `{"code":0,"msg":"refund unsupported"}`, nil, 0, nil},
		{"rainbow error", `{"code":-1,"msg":"退款金额不能大于订单金额"}`, nil, -1, nil},
		{"error with money", `{"code":-1,"msg":"x","money":"1.00"}`, nil, -1, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, mt := newMock(t, testPID, testKey)
			rec := &recorder{}
			mt.RegisterResponder("POST", testBase+"api.php", rec.responder(t, jsonResp(200, tc.body)))
			res, err := c.Refund(context.Background(), &RefundRequest{TradeNo: "T1", Money: "1.00"})
			got := rec.only(t)
			assert.Equal(t, "act=refund", got.RawQuery)
			assert.Equal(t, "/epay/api.php", got.Path)
			assert.Equal(t, "key="+testKey+"&money=1.00&pid=1001&trade_no=T1", got.Body)
			if tc.want != nil {
				require.NoError(t, err)
				assert.Equal(t, tc.want, res)
				return
			}
			var ae *APIError
			require.ErrorAs(t, err, &ae)
			assert.Equal(t, tc.code, ae.Code)
			assert.Equal(t, "api.php?act=refund", ae.Endpoint)
			if tc.is != nil {
				assert.ErrorIs(t, err, tc.is)
			}
		})
	}
}

func TestRefundNeverRepeatedOnceSent(t *testing.T) {
	t.Parallel()
	c, mt := newMock(t, testPID, testKey)
	rec := &recorder{}
	mt.RegisterResponder("POST", testBase+"api.php", rec.responder(t, jsonResp(502, "<html>Bad Gateway</html>")))
	_, err := c.Refund(context.Background(), &RefundRequest{OutTradeNo: "A-1", Money: "5"})
	var he *HTTPError
	require.ErrorAs(t, err, &he)
	assert.Equal(t, 502, he.StatusCode)
	assert.Len(t, rec.all(), 1, "a 502 may hide a refund that happened")
	assert.Equal(t, "key="+testKey+"&money=5&out_trade_no=A-1&pid=1001", rec.all()[0].Body)

	rec2 := &recorder{}
	mt.RegisterResponder("POST", testBase+"api.php", rec2.responder(t,
		httpmock.NewErrorResponder(errors.New("connection reset by peer"))))
	_, err = c.Refund(context.Background(), &RefundRequest{OutTradeNo: "A-1", Money: "5"})
	var te *TransportError
	require.ErrorAs(t, err, &te)
	assert.True(t, te.MaybeSent)
	assert.Len(t, rec2.all(), 1)
	assert.NotContains(t, err.Error(), testKey)
}

func TestRefundRetriedAfterDialFailure(t *testing.T) {
	t.Parallel()
	c, mt := newMock(t, testPID, testKey)
	rec := &recorder{}
	mt.RegisterResponder("POST", testBase+"api.php", rec.responder(t, dialRefused, jsonResp(200, `{"code":1,"msg":"ok"}`)))
	res, err := c.Refund(context.Background(), &RefundRequest{TradeNo: "T", Money: "1"})
	require.NoError(t, err)
	assert.Equal(t, "ok", res.Msg)
	assert.Len(t, rec.all(), 2)

	rec2 := &recorder{}
	mt.RegisterResponder("POST", testBase+"api.php", rec2.responder(t, dialRefused))
	_, err = c.Refund(context.Background(), &RefundRequest{TradeNo: "T", Money: "1"})
	var te *TransportError
	require.ErrorAs(t, err, &te)
	assert.False(t, te.MaybeSent, "nothing reached the gateway")
	assert.Equal(t, 3, te.Attempts)
}

func TestRefundValidation(t *testing.T) {
	t.Parallel()
	c, _ := newMock(t, testPID, testKey)
	for _, r := range []*RefundRequest{
		{Money: "1"}, {TradeNo: "T"}, {TradeNo: "T", Money: "1.001"}, {TradeNo: "T", Money: "0"},
	} {
		_, err := c.Refund(context.Background(), r)
		assert.ErrorIs(t, err, ErrInvalidRequest)
	}
}

func TestMerchant(t *testing.T) {
	t.Parallel()
	c, mt := newMock(t, testPID, testKey)
	rec := &recorder{}
	mt.RegisterResponder("GET", testBase+"api.php", rec.responder(t, jsonResp(200,
		`{"code":1,"pid":1001,"key":"`+testKey+`","active":1,"money":"12.34","type":1,"account":"a@b.c","username":"Li","orders":"30","orders_today":2,"orders_lastday":"5"}`)))
	m, err := c.Merchant(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "act=query&key="+testKey+"&pid=1001", rec.only(t).RawQuery)
	assert.Equal(t, &MerchantInfo{PID: "1001", Active: true, Money: "12.34", SettleType: 1, Account: "a@b.c",
		Username: "Li", Orders: 30, OrdersToday: 2, OrdersLastDay: 5}, m)
}

func TestSettlements(t *testing.T) {
	t.Parallel()
	c, mt := newMock(t, testPID, testKey)
	rec := &recorder{}
	mt.RegisterResponder("GET", testBase+"api.php", rec.responder(t,
		jsonResp(200, `{"code":1,"msg":"succ","data":null}`),
		jsonResp(200, `{"code":1,"data":[{"id":"7","type":"1","account":"a@b.c","username":"Li","money":"100.00","realmoney":"99.50","addtime":"2026-11-01 00:00:00","endtime":null,"status":1,"batch":"B1"}]}`)))
	list, err := c.Settlements(context.Background(), nil)
	require.NoError(t, err)
	assert.NotNil(t, list)
	assert.Empty(t, list)
	assert.Equal(t, "act=settle&key="+testKey+"&pid=1001", rec.all()[0].RawQuery)

	list, err = c.Settlements(context.Background(), &SettlementsRequest{Limit: 50, Offset: 1})
	require.NoError(t, err)
	assert.Equal(t, "act=settle&key="+testKey+"&limit=50&offset=1&pid=1001", rec.all()[1].RawQuery)
	require.Len(t, list, 1)
	s := list[0]
	assert.Equal(t, "7", s.ID)
	assert.Equal(t, 1, s.Type)
	assert.Equal(t, "99.50", s.RealMoney)
	assert.Equal(t, 1, s.Status)
	assert.Equal(t, "", s.EndTime)
	assert.True(t, strings.Contains(string(s.Raw), `"batch":"B1"`))

	_, err = c.Settlements(context.Background(), &SettlementsRequest{Limit: 51})
	assert.EqualError(t, err, "epay: limit: want 0 (the gateway's default) to 50, got 51")
}

func TestOrderStatusString(t *testing.T) {
	t.Parallel()
	for s, want := range map[OrderStatus]string{
		OrderUnpaid: "unpaid", OrderPaid: "paid", OrderRefunded: "refunded", OrderFrozen: "frozen",
		OrderPreAuthorized: "pre-authorized", 7: "OrderStatus(7)",
	} {
		assert.Equal(t, want, s.String())
	}
	var o *Order
	assert.False(t, o.Paid())
}
