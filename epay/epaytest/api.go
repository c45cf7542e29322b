package epaytest

import (
	"crypto/subtle"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strconv"

	"github.com/epaykit/epaykit/sign"
)

// maxBody bounds the request bodies the gateway reads.
const maxBody = 2 << 20

// apiReq is a parsed request: query and POST form, each with PHP's rule that
// the last of repeated parameters wins.
type apiReq struct {
	r     *http.Request
	query map[string]string
	post  map[string]string
	form  url.Values // query and body as received, for Requests
}

// reply is an answer built before it is written, so that faults can alter it.
type reply struct {
	status int
	ctype  string
	body   []byte
}

func readReq(r *http.Request) *apiReq {
	q, _ := url.ParseQuery(r.URL.RawQuery)
	form := url.Values{}
	for k, vs := range q {
		form[k] = append(form[k], vs...)
	}
	var post url.Values
	if r.Method == http.MethodPost {
		mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		switch mt {
		case "application/x-www-form-urlencoded":
			b, _ := io.ReadAll(io.LimitReader(r.Body, maxBody))
			post, _ = url.ParseQuery(string(b))
		case "multipart/form-data":
			if err := r.ParseMultipartForm(maxBody); err == nil {
				post = r.PostForm
			}
		}
	}
	for k, vs := range post {
		form[k] = append(form[k], vs...)
	}
	return &apiReq{r: r, query: lastWins(q), post: lastWins(post), form: form}
}

// lastWins flattens values keeping the last of repeated keys, as PHP does.
func lastWins(v url.Values) map[string]string {
	m := make(map[string]string, len(v))
	for k, vs := range v {
		if len(vs) > 0 {
			m[k] = vs[len(vs)-1]
		}
	}
	return m
}

// fail builds a failure answer; the Kyren dialect uses code 0 for all.
func (s *Server) fail(code int, msg string) reply {
	if s.cfg.kyren {
		code = 0
	}
	return s.jsonReply(obj{{"code", s.num(int64(code))}, {"msg", msg}})
}

func (s *Server) failErr(e *apiError) reply { return s.fail(e.code, e.msg) }

func (s *Server) jsonReply(o obj) reply {
	return reply{status: http.StatusOK, ctype: "application/json; charset=utf-8", body: phpJSON(o)}
}

// num encodes an integer field: a JSON number, or a string with
// WithStringNumbers.
func (s *Server) num(n int64) any {
	if s.cfg.stringNumbers {
		return strconv.FormatInt(n, 10)
	}
	return n
}

// pidValue encodes a pid: a number when it is numeric (and numbers are not
// strings), else a string.
func (s *Server) pidValue(pid string) any {
	if !s.cfg.stringNumbers && isDigits(pid) && len(pid) < 16 && (pid == "0" || pid[0] != '0') {
		return rawNum(pid)
	}
	return pid
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// allowed applies WithIPAllowlist.
func (s *Server) allowed(r *http.Request) bool {
	if !s.cfg.allowOn {
		return true
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	ip := net.ParseIP(host)
	for _, a := range s.cfg.allow {
		if a.Equal(ip) {
			return true
		}
	}
	return false
}

// process runs an API endpoint behind the IP allowlist.
func (s *Server) process(req *apiReq, fn func(*apiReq) reply) reply {
	if !s.allowed(req.r) {
		return s.jsonReply(obj{{"code", s.num(0)}, {"msg", "IP not allowed"}})
	}
	return fn(req)
}

// mapi serves mapi.php: the server-to-server create.
func (s *Server) mapi(req *apiReq) reply {
	if req.r.Method != http.MethodPost {
		return s.fail(-1, "mapi.php 仅支持POST请求")
	}
	p := req.post
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, aerr := s.checkSignedLocked(p); aerr != nil {
		return s.failErr(aerr)
	}
	cents, aerr := validateCreate(p, mapiSpec)
	if aerr != nil {
		return s.failErr(aerr)
	}
	o, aerr := s.createLocked(p, cents)
	if aerr != nil {
		return s.failErr(aerr)
	}
	if s.cfg.kyren {
		return s.jsonReply(obj{
			{"code", s.num(1)}, {"trade_no", o.TradeNo}, {"out_trade_no", o.OutTradeNo},
			{"payurl", o.PayURL}, {"img", s.URL + "qr/" + o.TradeNo + ".png"},
		})
	}
	ans := obj{{"code", s.num(1)}, {"msg", "succ"}, {"trade_no", o.TradeNo}}
	switch s.cfg.createAnswer {
	case AnswerQRCode:
		ans = append(ans, kv{"qrcode", qrContent(o)})
	case AnswerURLScheme:
		ans = append(ans, kv{"urlscheme", urlScheme(o)})
	case AnswerHTML:
		ans = append(ans, kv{"html", autoSubmitForm(o.PayURL)})
	default:
		ans = append(ans, kv{"payurl", o.PayURL})
	}
	return s.jsonReply(ans)
}

// qrContent is what a channel's QR code would encode.
func qrContent(o *order) string {
	if o.Type == "wxpay" {
		return "weixin://wxpay/bizpayurl?pr=" + o.TradeNo
	}
	return "https://qr.alipay.com/bax" + o.TradeNo
}

func urlScheme(o *order) string {
	if o.Type == "wxpay" {
		return "weixin://dl/business/?t=" + o.TradeNo
	}
	return "alipays://platformapi/startapp?appId=20000067&url=" + url.QueryEscape(o.PayURL)
}

// checkSignedLocked checks pid, merchant, sign_type and signature of a signed
// request. s.mu must be held.
func (s *Server) checkSignedLocked(p map[string]string) (*merchant, *apiError) {
	pid := p["pid"]
	if pid == "" {
		return nil, &apiError{-4, "缺少参数pid"}
	}
	m, ok := s.merchants[pid]
	if !ok {
		return nil, &apiError{-3, "商户不存在！"}
	}
	if p["sign"] == "" {
		return nil, &apiError{-4, "缺少参数sign"}
	}
	if st := p["sign_type"]; st != "" && st != "MD5" {
		return nil, &apiError{-3, "不支持的签名类型(sign_type)，仅支持MD5"}
	}
	if !sign.VerifyEpay(p, m.key) {
		return nil, &apiError{-3, "签名校验失败，请返回重试！"}
	}
	return m, nil
}

// api serves api.php.
func (s *Server) api(req *apiReq) reply {
	act := req.query["act"]
	switch act {
	case "query", "settle", "order", "refund":
	case "orders":
		if s.cfg.kyren {
			return s.fail(0, "unsupported act")
		}
	default:
		if s.cfg.kyren {
			return s.fail(0, "unsupported act")
		}
		return s.fail(-5, "No Act!")
	}
	src := req.query
	if act == "refund" {
		if req.r.Method != http.MethodPost {
			return s.fail(-1, "退款接口仅支持POST请求")
		}
		src = req.post
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	pid, key := src["pid"], src["key"]
	if pid == "" {
		return s.fail(-4, "缺少参数pid")
	}
	if key == "" {
		return s.fail(-4, "缺少参数key")
	}
	m, ok := s.merchants[pid]
	if !ok {
		return s.fail(-3, "商户不存在")
	}
	if subtle.ConstantTimeCompare([]byte(key), []byte(m.key)) != 1 {
		return s.fail(-3, "KEY校验失败")
	}
	switch act {
	case "query":
		return s.actQueryLocked(m)
	case "settle":
		return s.actSettleLocked(m, src)
	case "order":
		return s.actOrderLocked(m, src)
	case "orders":
		return s.actOrdersLocked(m, src)
	default:
		return s.actRefundLocked(m, src)
	}
}

func (s *Server) actQueryLocked(m *merchant) reply {
	var balance int64
	var total, today, lastday int64
	now := s.now().In(s.zone)
	y, mo, d := now.Date()
	yd := now.AddDate(0, 0, -1)
	for _, o := range s.orders {
		if o.PID != m.pid {
			continue
		}
		total++
		if o.EndTime.IsZero() || o.Status == StatusUnpaid {
			continue
		}
		balance += o.Cents - o.RefundedCents
		ey, em, ed := o.EndTime.In(s.zone).Date()
		switch {
		case ey == y && em == mo && ed == d:
			today++
		case ey == yd.Year() && em == yd.Month() && ed == yd.Day():
			lastday++
		}
	}
	for _, st := range s.settlements {
		if st.PID == m.pid {
			balance -= st.Cents
		}
	}
	return s.jsonReply(obj{
		{"code", s.num(1)},
		{"pid", s.pidValue(m.pid)},
		{"key", m.key},
		{"active", s.num(1)},
		{"money", formatSigned(balance)},
		{"type", s.num(1)},
		{"account", m.account},
		{"username", m.username},
		{"orders", s.num(total)},
		{"orders_today", s.num(today)},
		{"orders_lastday", s.num(lastday)},
	})
}

func formatSigned(c int64) string {
	if c < 0 {
		return "-" + formatCents(-c)
	}
	return formatCents(c)
}

// page reads limit (default 20, at most 50) and offset, as PHP's intval would.
func page(src map[string]string) (limit, offset int) {
	limit, _ = strconv.Atoi(src["limit"])
	if limit <= 0 {
		limit = 20
	}
	limit = min(limit, 50)
	offset, _ = strconv.Atoi(src["offset"])
	return limit, max(offset, 0)
}

func (s *Server) actSettleLocked(m *merchant, src map[string]string) reply {
	limit, offset := page(src)
	var rows []obj
	for i := len(s.settlements) - 1; i >= 0; i-- {
		st := s.settlements[i]
		if st.PID != m.pid {
			continue
		}
		rows = append(rows, obj{
			{"id", s.num(int64(st.ID))},
			{"type", s.num(int64(st.Type))},
			{"account", st.Account},
			{"username", st.Username},
			{"money", formatCents(st.Cents)},
			{"realmoney", formatCents(st.RealCents)},
			{"addtime", st.AddTime.In(s.zone).Format(timeLayout)},
			{"status", s.num(int64(st.Status))},
		})
	}
	rows = window(rows, limit, offset)
	var data any
	if len(rows) > 0 {
		data = rows
	}
	return s.jsonReply(obj{{"code", s.num(1)}, {"msg", "succ"}, {"data", data}})
}

func window(rows []obj, limit, offset int) []obj {
	if offset >= len(rows) {
		return nil
	}
	rows = rows[offset:]
	if len(rows) > limit {
		rows = rows[:limit]
	}
	return rows
}

// orderRow is an order as api.php reports it; PHP reports NULL columns as null.
func (s *Server) orderRow(o *order) obj {
	nullable := func(v string) any {
		if v == "" {
			return nil
		}
		return v
	}
	var end any
	if !o.EndTime.IsZero() {
		end = o.EndTime.In(s.zone).Format(timeLayout)
	}
	return obj{
		{"trade_no", o.TradeNo},
		{"out_trade_no", o.OutTradeNo},
		{"api_trade_no", nullable(o.APITradeNo)},
		{"bill_trade_no", nil},
		{"type", o.Type},
		{"pid", s.pidValue(o.PID)},
		{"addtime", o.AddTime.In(s.zone).Format(timeLayout)},
		{"endtime", end},
		{"name", o.Name},
		{"money", o.Money},
		{"param", nullable(o.Param)},
		{"buyer", nullable(o.Buyer)},
		{"status", s.num(int64(o.Status))},
		{"payurl", o.PayURL},
	}
}

// lookupLocked finds a merchant's order by trade_no (which wins) or
// out_trade_no.
func (s *Server) lookupLocked(m *merchant, src map[string]string) (*order, bool) {
	if tn := src["trade_no"]; tn != "" {
		o, ok := s.byTrade[tn]
		return o, ok && o.PID == m.pid
	}
	o, ok := s.byKey[m.pid+"\x00"+src["out_trade_no"]]
	return o, ok
}

func (s *Server) notFound() string {
	if s.cfg.kyren {
		return "order not found"
	}
	return "订单号不存在"
}

func (s *Server) actOrderLocked(m *merchant, src map[string]string) reply {
	if src["trade_no"] == "" && src["out_trade_no"] == "" {
		return s.fail(-4, "缺少参数trade_no或out_trade_no")
	}
	o, ok := s.lookupLocked(m, src)
	if !ok {
		return s.fail(-1, s.notFound())
	}
	return s.jsonReply(append(obj{{"code", s.num(1)}, {"msg", "succ"}}, s.orderRow(o)...))
}

func (s *Server) actOrdersLocked(m *merchant, src map[string]string) reply {
	limit, offset := page(src)
	want, filter := OrderStatus(0), false
	if v, ok := src["status"]; ok && v != "" {
		n, _ := strconv.Atoi(v)
		want, filter = OrderStatus(n), true
	}
	var sel []*order
	for _, o := range s.orders {
		if o.PID == m.pid && (!filter || o.Status == want) {
			sel = append(sel, o)
		}
	}
	sort.SliceStable(sel, func(i, j int) bool { return sel[i].TradeNo > sel[j].TradeNo })
	rows := make([]obj, 0, len(sel))
	for _, o := range sel {
		rows = append(rows, s.orderRow(o))
	}
	rows = window(rows, limit, offset)
	if len(rows) == 0 {
		return s.fail(-1, "没有查询到订单记录")
	}
	return s.jsonReply(obj{{"code", s.num(1)}, {"msg", "succ"}, {"count", s.num(int64(len(rows)))}, {"data", rows}})
}

func (s *Server) actRefundLocked(m *merchant, src map[string]string) reply {
	if src["trade_no"] == "" && src["out_trade_no"] == "" {
		return s.fail(-4, "缺少参数trade_no或out_trade_no")
	}
	if src["money"] == "" {
		return s.fail(-4, "缺少参数money")
	}
	o, ok := s.lookupLocked(m, src)
	if !ok {
		return s.fail(-1, s.notFound())
	}
	msg := func(zh, en string) string {
		if s.cfg.kyren {
			return en
		}
		return zh
	}
	if o.Status != StatusPaid {
		return s.fail(-1, msg("只有已支付的订单才可以退款", "order is not paid"))
	}
	cents, aerr := parseMoney(src["money"])
	if aerr != nil {
		return s.fail(-1, msg("退款金额(money)格式错误", "invalid refund amount"))
	}
	remaining := o.Cents - o.RefundedCents
	if cents > remaining {
		return s.fail(-1, msg("退款金额不能大于订单剩余可退金额"+formatCents(remaining)+"元", "refund amount exceeds refundable amount"))
	}
	o.RefundedCents += cents
	o.Refunds++
	if o.RefundedCents == o.Cents {
		o.Status = StatusRefunded
	}
	s.refundSeq++
	refundNo := refundNoPrefix + leftPad(strconv.Itoa(s.refundSeq), 7)
	s.logf("epaytest: refund %s of order %s (%s)", formatCents(cents), o.OutTradeNo, o.TradeNo)
	if s.cfg.oldRefund {
		return s.jsonReply(obj{{"code", s.num(1)}, {"msg", "退款成功"}})
	}
	return s.jsonReply(obj{
		{"code", s.num(0)},
		{"msg", "退款成功"},
		{"refund_no", refundNo},
		{"out_refund_no", refundNo},
		{"trade_no", o.TradeNo},
		{"out_trade_no", o.OutTradeNo},
		{"money", formatCents(cents)},
		{"reducemoney", formatCents(cents)},
	})
}

func leftPad(s string, n int) string {
	for len(s) < n {
		s = "0" + s
	}
	return s
}
