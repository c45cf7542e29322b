package epaytest

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// apiQuery is the query string of a GET act for the first merchant.
func apiQuery(s *Server, act string, kv ...string) url.Values {
	q := url.Values{"act": {act}, "pid": {s.PID}, "key": {s.Key}}
	for i := 0; i+1 < len(kv); i += 2 {
		q.Set(kv[i], kv[i+1])
	}
	return q
}

func apiGet(t *testing.T, s *Server, act string, kv ...string) map[string]any {
	t.Helper()
	r := get(t, s, "api.php", apiQuery(s, act, kv...))
	require.Equal(t, http.StatusOK, r.status)
	assert.Equal(t, "application/json; charset=utf-8", r.header.Get("Content-Type"))
	return decode(t, r.body)
}

func refund(t *testing.T, s *Server, kv ...string) result {
	t.Helper()
	f := url.Values{"pid": {s.PID}, "key": {s.Key}}
	for i := 0; i+1 < len(kv); i += 2 {
		f.Set(kv[i], kv[i+1])
	}
	return post(t, s, "api.php?act=refund", f)
}

// fixedClock is 2026-11-22 12:00:00 UTC+8.
var fixedClock = time.Date(2026, 11, 22, 4, 0, 0, 0, time.UTC)

func mustCreate(t *testing.T, s *Server, n NewOrder) Order {
	t.Helper()
	o, err := s.CreateOrder(n)
	require.NoError(t, err)
	return o
}

func TestAPIQuery(t *testing.T) {
	t.Parallel()
	s := newServer(t, WithClock(func() time.Time { return fixedClock }))
	m := apiGet(t, s, "query")
	assert.Equal(t, map[string]any{
		"code": json.Number("1"), "pid": json.Number("1001"), "key": DefaultKey, "active": json.Number("1"),
		"money": "0.00", "type": json.Number("1"), "account": "merchant@example.com", "username": "Test Merchant",
		"orders": json.Number("0"), "orders_today": json.Number("0"), "orders_lastday": json.Number("0"),
	}, m)

	mustCreate(t, s, NewOrder{OutTradeNo: "Q-1", Money: "9.99"})
	mustCreate(t, s, NewOrder{OutTradeNo: "Q-2", Money: "5.00"})
	require.NoError(t, s.Pay("Q-1"))
	require.Equal(t, http.StatusOK, refund(t, s, "out_trade_no", "Q-1", "money", "1.00").status)
	_, err := s.AddSettlement(Settlement{Cents: 200})
	require.NoError(t, err)

	m = apiGet(t, s, "query")
	assert.Equal(t, "6.99", m["money"])
	assert.Equal(t, json.Number("2"), m["orders"])
	assert.Equal(t, json.Number("1"), m["orders_today"])
	assert.Equal(t, json.Number("0"), m["orders_lastday"])
}

func TestAPIAuth(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	tests := []struct {
		name string
		q    url.Values
		code string
		msg  string
	}{
		{"wrong key", url.Values{"act": {"query"}, "pid": {DefaultPID}, "key": {"wrong"}}, "-3", "KEY校验失败"},
		{"unknown pid", url.Values{"act": {"query"}, "pid": {"42"}, "key": {DefaultKey}}, "-3", "商户不存在"},
		{"missing key", url.Values{"act": {"order"}, "pid": {DefaultPID}}, "-4", "缺少参数key"},
		{"missing pid", url.Values{"act": {"order"}, "key": {DefaultKey}}, "-4", "缺少参数pid"},
		{"unknown act", url.Values{"act": {"close"}, "pid": {DefaultPID}, "key": {DefaultKey}}, "-5", "No Act!"},
		{"no act", url.Values{"pid": {DefaultPID}, "key": {DefaultKey}}, "-5", "No Act!"},
		{"key in body of GET act", url.Values{"act": {"query"}, "pid": {DefaultPID}}, "-4", "缺少参数key"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := decode(t, get(t, s, "api.php", tc.q).body)
			assert.Equal(t, map[string]any{"code": json.Number(tc.code), "msg": tc.msg}, m)
		})
	}
	// The key of a GET act is read from the query only.
	r := do(t, httpClient(t), http.MethodPost, s.URL+"api.php?act=query&pid="+DefaultPID, url.Values{"key": {DefaultKey}})
	assert.Equal(t, "-4", decode(t, r.body)["code"].(json.Number).String())

	k := newServer(t, WithKyren())
	for _, act := range []string{"orders", "close"} {
		assert.Equal(t, map[string]any{"code": json.Number("0"), "msg": "unsupported act"}, apiGet(t, k, act))
	}
	assert.Equal(t, json.Number("0"), decode(t, get(t, k, "api.php", url.Values{"act": {"query"}, "pid": {DefaultPID}, "key": {"x"}}).body)["code"])
}

func TestAPISettle(t *testing.T) {
	t.Parallel()
	s := newServer(t, WithClock(func() time.Time { return fixedClock }))
	r := get(t, s, "api.php", apiQuery(s, "settle"))
	assert.Equal(t, `{"code":1,"msg":"succ","data":null}`, string(r.body))

	_, err := s.AddSettlement(Settlement{Cents: 0})
	assert.Error(t, err)
	_, err = s.AddSettlement(Settlement{PID: "9", Cents: 1})
	assert.ErrorContains(t, err, "unknown merchant")
	first, err := s.AddSettlement(Settlement{Cents: 10000, RealCents: 9950})
	require.NoError(t, err)
	assert.Equal(t, 1, first.ID)
	_, err = s.AddSettlement(Settlement{Cents: 500, Type: 2, Status: 2, Account: "alipay@example.com", Username: "张三"})
	require.NoError(t, err)

	r = get(t, s, "api.php", apiQuery(s, "settle"))
	assert.Equal(t, `{"code":1,"msg":"succ","data":[`+
		`{"id":2,"type":2,"account":"alipay@example.com","username":"\u5f20\u4e09","money":"5.00","realmoney":"5.00","addtime":"2026-11-22 12:00:00","status":2},`+
		`{"id":1,"type":1,"account":"merchant@example.com","username":"Test Merchant","money":"100.00","realmoney":"99.50","addtime":"2026-11-22 12:00:00","status":1}]}`,
		string(r.body))
	m := apiGet(t, s, "settle", "limit", "1", "offset", "1")
	require.Len(t, m["data"], 1)
	assert.Equal(t, json.Number("1"), m["data"].([]any)[0].(map[string]any)["id"])
	m = apiGet(t, s, "settle", "offset", "5")
	assert.Nil(t, m["data"])
}

func TestAPIOrder(t *testing.T) {
	t.Parallel()
	s := newServer(t, WithClock(func() time.Time { return fixedClock }))
	a := mustCreate(t, s, NewOrder{OutTradeNo: "O-A", Money: "1", Name: "A/B", NotifyURL: ""})
	b := mustCreate(t, s, NewOrder{OutTradeNo: "O-B", Money: "2.5", Param: "p", Type: "wxpay"})

	r := get(t, s, "api.php", apiQuery(s, "order", "out_trade_no", "O-A"))
	assert.Equal(t, `{"code":1,"msg":"succ","trade_no":"`+a.TradeNo+`","out_trade_no":"O-A","api_trade_no":null,`+
		`"bill_trade_no":null,"type":"alipay","pid":1001,"addtime":"2026-11-22 12:00:00","endtime":null,"name":"A\/B",`+
		`"money":"1.00","param":null,"buyer":null,"status":0,"payurl":"`+jsonSlashes(s.URL)+`pay\/`+a.TradeNo+`"}`, string(r.body))

	// trade_no wins over out_trade_no.
	m := apiGet(t, s, "order", "trade_no", b.TradeNo, "out_trade_no", "O-A")
	assert.Equal(t, "O-B", m["out_trade_no"])
	assert.Equal(t, "2.50", m["money"])
	assert.Equal(t, "p", m["param"])
	assert.Equal(t, "wxpay", m["type"])

	require.NoError(t, s.Pay("O-B"))
	m = apiGet(t, s, "order", "out_trade_no", "O-B")
	assert.Equal(t, json.Number("1"), m["status"])
	assert.Equal(t, "2026-11-22 12:00:00", m["endtime"])
	assert.NotEmpty(t, m["api_trade_no"])
	assert.NotEmpty(t, m["buyer"])

	for _, q := range [][]string{{"out_trade_no", "nope"}, {"trade_no", "1"}, {"trade_no", "nope", "out_trade_no", "O-A"}} {
		assert.Equal(t, map[string]any{"code": json.Number("-1"), "msg": "订单号不存在"}, apiGet(t, s, "order", q...))
	}
	assert.Equal(t, json.Number("-4"), apiGet(t, s, "order")["code"])

	k := newServer(t, WithKyren(), WithStringNumbers(), WithClock(func() time.Time { return fixedClock }))
	ko := mustCreate(t, k, NewOrder{OutTradeNo: "O-K", Money: "3"})
	require.NoError(t, k.SetStatus("O-K", StatusFrozen))
	m = apiGet(t, k, "order", "trade_no", ko.TradeNo)
	assert.Equal(t, "1", m["code"])
	assert.Equal(t, "1001", m["pid"])
	assert.Equal(t, "3", m["status"])
	assert.Equal(t, "2026-11-22 04:00:00", m["addtime"], "Kyren reports UTC")
	assert.Equal(t, map[string]any{"code": "0", "msg": "order not found"}, apiGet(t, k, "order", "out_trade_no", "x"))
}

// jsonSlashes escapes "/" as PHP's json_encode does.
func jsonSlashes(s string) string {
	out := ""
	for _, r := range s {
		if r == '/' {
			out += `\/`
		} else {
			out += string(r)
		}
	}
	return out
}

func TestAPIOrderOtherMerchant(t *testing.T) {
	t.Parallel()
	s := newServer(t, WithMerchant("1", "k1"), WithMerchant("2", "k2"))
	o := mustCreate(t, s, NewOrder{PID: "2", OutTradeNo: "X", Money: "1"})
	m := apiGet(t, s, "order", "trade_no", o.TradeNo)
	assert.Equal(t, "订单号不存在", m["msg"])
	m = apiGet(t, s, "order", "out_trade_no", "X")
	assert.Equal(t, "订单号不存在", m["msg"])
	assert.Equal(t, "订单号不存在", decode(t, refund(t, s, "trade_no", o.TradeNo, "money", "1").body)["msg"])
}

func TestAPIOrders(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	assert.Equal(t, map[string]any{"code": json.Number("-1"), "msg": "没有查询到订单记录"}, apiGet(t, s, "orders"))
	for i := 1; i <= 55; i++ {
		mustCreate(t, s, NewOrder{OutTradeNo: "L-" + strconv.Itoa(i), Money: "1.00"})
	}
	require.NoError(t, s.Pay("L-3"))

	m := apiGet(t, s, "orders")
	assert.Equal(t, json.Number("20"), m["count"])
	rows := m["data"].([]any)
	require.Len(t, rows, 20)
	assert.Equal(t, "L-55", rows[0].(map[string]any)["out_trade_no"], "newest first")

	m = apiGet(t, s, "orders", "limit", "100")
	assert.Equal(t, json.Number("50"), m["count"])
	m = apiGet(t, s, "orders", "limit", "2", "offset", "53")
	assert.Equal(t, json.Number("2"), m["count"])
	assert.Equal(t, "L-2", m["data"].([]any)[0].(map[string]any)["out_trade_no"])

	m = apiGet(t, s, "orders", "status", "1")
	assert.Equal(t, json.Number("1"), m["count"])
	assert.Equal(t, "L-3", m["data"].([]any)[0].(map[string]any)["out_trade_no"])
	assert.Equal(t, json.Number("-1"), apiGet(t, s, "orders", "status", "2")["code"])
	assert.Equal(t, json.Number("-1"), apiGet(t, s, "orders", "offset", "55")["code"])
}

func TestAPIRefund(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	o := mustCreate(t, s, NewOrder{OutTradeNo: "R-1", Money: "10.00"})

	// Unpaid.
	assert.Equal(t, `{"code":-1,"msg":"\u53ea\u6709\u5df2\u652f\u4ed8\u7684\u8ba2\u5355\u624d\u53ef\u4ee5\u9000\u6b3e"}`,
		string(refund(t, s, "out_trade_no", "R-1", "money", "1").body))
	require.NoError(t, s.Pay("R-1"))

	r := refund(t, s, "trade_no", o.TradeNo, "money", "3.5")
	assert.Equal(t, map[string]any{
		"code": json.Number("0"), "msg": "退款成功", "refund_no": "2026010113000000001", "out_refund_no": "2026010113000000001",
		"trade_no": o.TradeNo, "out_trade_no": "R-1", "money": "3.50", "reducemoney": "3.50",
	}, decode(t, r.body))
	got, _ := s.Order("R-1")
	assert.Equal(t, StatusPaid, got.Status)
	assert.Equal(t, int64(350), got.RefundedCents)
	assert.Equal(t, 1, got.Refunds)

	tests := []struct {
		name string
		kv   []string
		code string
		msg  string
	}{
		{"more than left", []string{"out_trade_no", "R-1", "money", "6.51"}, "-1", "退款金额不能大于订单剩余可退金额6.50元"},
		{"bad money", []string{"out_trade_no", "R-1", "money", "1.001"}, "-1", "退款金额(money)格式错误"},
		{"zero money", []string{"out_trade_no", "R-1", "money", "0"}, "-1", "退款金额(money)格式错误"},
		{"no money", []string{"out_trade_no", "R-1"}, "-4", "缺少参数money"},
		{"no order no", []string{"money", "1"}, "-4", "缺少参数trade_no或out_trade_no"},
		{"not found", []string{"out_trade_no", "R-404", "money", "1"}, "-1", "订单号不存在"},
		{"wrong key", []string{"out_trade_no", "R-1", "money", "1", "key", "bad"}, "-3", "KEY校验失败"},
	}
	for _, tc := range tests {
		m := decode(t, refund(t, s, tc.kv...).body)
		assert.Equal(t, map[string]any{"code": json.Number(tc.code), "msg": tc.msg}, m, tc.name)
	}
	// GET is refused and has no effect.
	m := apiGet(t, s, "refund", "out_trade_no", "R-1", "money", "1")
	assert.Equal(t, json.Number("-1"), m["code"])
	assert.Contains(t, m["msg"], "POST")

	m = decode(t, refund(t, s, "out_trade_no", "R-1", "money", "6.50").body)
	assert.Equal(t, "2026010113000000002", m["refund_no"])
	got, _ = s.Order("R-1")
	assert.Equal(t, StatusRefunded, got.Status)
	assert.Equal(t, int64(1000), got.RefundedCents)
	assert.Equal(t, 2, got.Refunds)
	assert.Equal(t, json.Number("2"), apiGet(t, s, "order", "out_trade_no", "R-1")["status"])
	assert.Equal(t, json.Number("-1"), decode(t, refund(t, s, "out_trade_no", "R-1", "money", "0.01").body)["code"])
}

func TestAPIRefundDialects(t *testing.T) {
	t.Parallel()
	old := newServer(t, WithOldRefundDialect())
	mustCreate(t, old, NewOrder{OutTradeNo: "D-1", Money: "1"})
	require.NoError(t, old.Pay("D-1"))
	assert.Equal(t, `{"code":1,"msg":"\u9000\u6b3e\u6210\u529f"}`, string(refund(t, old, "out_trade_no", "D-1", "money", "1").body))

	k := newServer(t, WithKyren())
	mustCreate(t, k, NewOrder{OutTradeNo: "D-2", Money: "1"})
	assert.Equal(t, `{"code":0,"msg":"order not found"}`, string(refund(t, k, "out_trade_no", "D-404", "money", "1").body))
	assert.Equal(t, `{"code":0,"msg":"order is not paid"}`, string(refund(t, k, "out_trade_no", "D-2", "money", "1").body))
	require.NoError(t, k.Pay("D-2"))
	m := decode(t, refund(t, k, "out_trade_no", "D-2", "money", "1").body)
	assert.Equal(t, json.Number("0"), m["code"])
	assert.Equal(t, "1.00", m["money"])

	str := newServer(t, WithStringNumbers())
	mustCreate(t, str, NewOrder{OutTradeNo: "D-3", Money: "1"})
	require.NoError(t, str.Pay("D-3"))
	assert.Equal(t, "0", decode(t, refund(t, str, "out_trade_no", "D-3", "money", "1").body)["code"])
}

func TestCreateOrderAndSetStatus(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	_, err := s.CreateOrder(NewOrder{Money: "1"})
	assert.ErrorContains(t, err, "out_trade_no")
	_, err = s.CreateOrder(NewOrder{OutTradeNo: "C 1", Money: "1"})
	assert.ErrorContains(t, err, "out_trade_no")
	_, err = s.CreateOrder(NewOrder{OutTradeNo: "C-1", Money: "1.234"})
	assert.ErrorContains(t, err, "money")
	_, err = s.CreateOrder(NewOrder{OutTradeNo: "C-1", Money: "1", PID: "77"})
	assert.ErrorContains(t, err, "unknown merchant")

	long := ""
	for len(long) < 200 {
		long += "商品"
	}
	o, err := s.CreateOrder(NewOrder{OutTradeNo: "C-1", Money: "1", Name: long, Extra: map[string]string{"channel_id": "3"}})
	require.NoError(t, err)
	assert.Len(t, o.Name, 126, "truncated to 127 bytes on a rune boundary")
	assert.Equal(t, "product", mustCreate(t, s, NewOrder{OutTradeNo: "C-2", Money: "1"}).Name)
	assert.Equal(t, map[string]string{"channel_id": "3"}, o.Extra)
	o.Extra["channel_id"] = "changed"
	again, err := s.CreateOrder(NewOrder{OutTradeNo: "C-1", Money: "1.00", Name: long})
	require.NoError(t, err)
	assert.Equal(t, o.TradeNo, again.TradeNo)
	assert.Equal(t, "3", again.Extra["channel_id"], "snapshots are copies")
	_, err = s.CreateOrder(NewOrder{OutTradeNo: "C-1", Money: "2"})
	assert.ErrorContains(t, err, "已存在")

	assert.Error(t, s.SetStatus("C-1", 9))
	assert.Error(t, s.SetStatus("nope", StatusPaid))
	require.NoError(t, s.SetStatus("C-1", StatusPreAuthorized))
	got, _ := s.Order("C-1")
	assert.Equal(t, StatusPreAuthorized, got.Status)
	assert.False(t, got.EndTime.IsZero())
	assert.Empty(t, s.Deliveries())
	assert.ErrorContains(t, s.Pay("C-1"), "pre-authorized")

	assert.Equal(t, "unpaid", StatusUnpaid.String())
	assert.Equal(t, "refunded", StatusRefunded.String())
	assert.Equal(t, "OrderStatus(7)", OrderStatus(7).String())
}
