package epaytest

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"

	"github.com/epaykit/epaykit/sign"
)

// The V2 (RSA) API
//
// The gateway also serves Rainbow Epay's V2 API under api/: POST forms to
// api/pay/create, api/pay/query, api/pay/refund, api/pay/refundquery,
// api/pay/close, api/merchant/info and api/merchant/orders, each carrying
// pid, timestamp, sign_type=RSA and a SHA256withRSA sign made with the
// merchant's private key (sign.SignRSA).
//
//   - A request is refused (unsigned {"code":-1|-3|-4,"msg":...}) when it is not
//     a POST, pid is unknown, a parameter is missing, timestamp is more than
//     300 s from the gateway's clock (WithClock), sign_type is not RSA or the
//     signature does not verify with the merchant's V2 public key.
//   - Success answers carry code 0, msg, the endpoint's fields, timestamp,
//     sign_type RSA and sign, made with the platform key over the answer's
//     other members: strings as their value, numbers as written, null as
//     nothing, and the data list of api/merchant/orders as its compact JSON
//     text, exactly as package epayv2 verifies.
//   - Keys are fixed test keys compiled into this package: the platform key
//     pair (PlatformPublicKeyPEM) and a default merchant key pair
//     (MerchantPrivateKeyPEM) used for every merchant without a
//     WithV2Merchant key. They are public and must never be used outside
//     tests.
//   - api/pay/create answers pay_type jump with the checkout page URL by
//     default; WithCreateAnswer switches to qrcode, urlscheme or html.
//     Method jsapi answers pay_type jsapi with JSON parameters, method app
//     pay_type app with an order string, method scan pay_type scan.
//   - api/pay/refund with out_refund_no is idempotent: the same
//     out_refund_no for the same order and amount answers the first refund
//     again without refunding twice; with another order or amount it is
//     refused. Without out_refund_no each request is a new refund.
//   - api/pay/close closes an unpaid order: paying it, creating it again
//     through V2 and refunding it are refused.
//   - Pay delivers V2 notifications (sign_type RSA, timestamp, signed with
//     the platform key, signed afresh for every attempt) for orders created
//     through V2, with the usual retry schedule; the checkout page returns
//     the buyer with the same V2 fields.

// Test key pairs, generated once for this package. They are public: test use
// only.
const (
	testMerchantPrivatePEM = `-----BEGIN PRIVATE KEY-----
MIIEvAIBADANBgkqhkiG9w0BAQEFAASCBKYwggSiAgEAAoIBAQCukd/gJiop+JDM
1lWtK27fNyFzEYqgqXF76WijQFRLqgxiClhkaS+lz56gZVTclw+TSux9Rv0Lrp92
6ovfMeY/Ng8moL2OB57cRTtVB8MRlg4nE+8CCV0LMii3LdALas7WIwuVxlszA1Bb
ZEHfy9iUwFnCdKea08hWg++GXXa+dJlOnQIF1GHnjJ+nHGGdrZg2IDy/1tR9Rs5o
OoHo0E3LPd3wv/toriGHXDooz2bF0SdPS0paJzmv6rEYh6JW+mlxCNQ9HbbAdLv/
HFq4zzNC1OQ93Do5u1L3TxBnSbSp6shWzeO1ZmbPq1bIZ0XpTc0weta2Si6bWgbD
NrauEf9vAgMBAAECggEAQF6GrAq2kmpWzkkcJ3Hz/HfCLEFkGhDQyS2MSWIPkyTd
UwtYg5HroVrYtXEX5Q0Ij7nZUOprpTKbF0iuEbs/GMDQvmAX9TanI7adhaGKksH/
bvZhM6GLPvUcYUsRwxv7r6cVfwE4oKtQpppl1eU+876nelX0dVkxLoGQwT1WayxK
n3h6f60E94/jVjqcpnL8Q4mAr3B9NHJZxZPf5soBKyHAfK9nsvXGlGm7LMtwIOjP
ssv9EIpCURbrmpN85TOJa2ydSmvLO/tjmnhBOAxUcyviEJupQPs/JfxB9piY3xvh
9o392dCqHkHrC0s+0RWAGjGfJn7+UDRXCMFIU72uYQKBgQD2T6BjBUjXMsSujz/X
jNJ43qJpkKXaTOzm6DLOm6zBJxX7YXQVPwbpLGj4cv9HNO1ofFk2ZK/E+OU2LB8y
Lu9TGdOYWaGSVwY1Asu9SbUJbmqNtWyaex6B5MnLOXto1Y/fiFfsCJY978hHU0Mq
vKkwM92GMTuTEPV1d5tkZ1TVTwKBgQC1b87HDhFRBI1vLrZjQAyPgbhaMKKwCMR+
tBtTRhWilvpqe1bZSvshua4qCIAQGHpaizASwZS6Q3wkesemBd/Ts7H0oVp4AiiZ
EgXRFy4S+Viz02IqkS0yGMhL7F5ScWss1YRCX2fJapQDT0wuPUmbV7utb2LkdFBq
fWt60V3r4QKBgDI3H5qwbB47Ym+4EqruMcaklPXyoG11+2JD+n+2qyyhvFCImLLw
K4eEH05vm22386K2nzWAp3j/yTMXIbEIcpA9lq7brx33kfNiw4iuqzLmCOElGKQR
77FJpH5DFM7Vo0RONqaPRZoQ9YLdDbd7yP5jxIjkJqIf9frhzJNWoavvAoGAOOZ0
mbaOtbLQzEKBDoVCqyrKbvZ7vusw/G9tdmMvW8svg39k0EaUlZIOzb3Ws7WJgaXP
EMLG6tdJMoOS4z1KYbEkKQ0FO0eqBb9CNb2oRGkQaWzsh176JpDhF/Zr6j0JmIjp
rosPGHqlKpiO0p2D3QTZpd2dzPmxUoQ81cqdQuECgYA7h50m6RPzZn8TIuBhJWsE
PmxrzRpjiIs0vs7gAzUBgaGsgw5CTQOQa550/vARYtnHFp6MTITTE25CikY8EQ0a
y0axd+j6dtTUV+6rKN81GShM40jnz8KFREBz52A+BjD1Uvs8aIiapJymOLL/Mr/2
H34zoSPsmQO4bGd8ZcyGTA==
-----END PRIVATE KEY-----
`
	testPlatformPrivatePEM = `-----BEGIN PRIVATE KEY-----
MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQDBxcRUee4p03Ar
RM8can/wXGLwluM4WOQcBMyFyb/WPTEduzlP4lBOsb1gdxzOE8CW378nFbL6hIEq
eCUALh9T/f/HyEfo3HsZCYsaeiG8sfj/XC7+LXXiMV6XiAgQyd14T4hKuRhco+97
1tgq/snbbza418spmTsT4VLPR7zVLQNBjIRuZlLKcR5sElMPfgQJdzVFUEubL2IX
qLO//SJdZ0eTUAKm6i4LbDzzkyh2+m2iOq2bD3kq8SG4uJJz5M5zxaSO/skT6vcL
uKycRZ+xJANYXR0gyQRLzCbOqEF3vDgOwVfIwHK8vwHla5VRcEqpcYkuDuEC4FYi
x2KAnHhbAgMBAAECggEAF3MSdlKnIsKmsWXLVpoAz5qukoUADGKdgFKIWax3nbqc
BggRQHyX0V4rF9ByWPIE/X0oSdeTaEO+yd/uQl5ShjyXxpqTMTf1YatI/TRIfuhe
xLBoM3RW7r+gvd/FchqrxZKCYOCTdSqVobv3PwTEcty7l5TtziPwBVDgT5tT28w3
t+xd0nfyWlhTP37Z6JbGIRWdxGNSXhAbrkIGGeQaLj5dQ+uOWvyzSdkvN1ZVtXYp
hc/NSgLzHce5dcW08+MeFhDMwBDbXrkN4u09BT0V60vHqNV5G+Ulf9JM0vJTPgmj
ehE/FQYvZmncDCI8FTFyS44pvWvVV4Lra+DDrlTsmQKBgQDsIM0rNerz2OFqOoC6
lRI7nqNCDLR86XZ54WXvWvpX49KBYvx/o5nb5IuqfEVSjFvU/YYXUfwPuWkKuoFT
K1lFELTcnIDuH4ACDqJVBXht8eC1EggfcNynurlW024/sGQWAwo4ZrSZ6CAkWHAU
FwQwIAZ0JVQ0HzokPIsBfjoVBwKBgQDSFHJXKP7pP0QOcye93+ohL/4cR3Qtaz5B
5t2QEvPgQG5IKiqz9jT44mZEZmeXoDCPSJKHs55+0gyVu/mi+OE0U9V1k7wjdzI5
Yx2CeL82cov/hySK/Xrj6Tt2XllHU7HRbH6x81KerYXmO9uTEHm93Y2kjqqC8s/F
jBvKwBChDQKBgQCNBxJC6pMHTNNkxMg5p+sZ3KeZPUlXCYEPTkW5bVbzw0foqxwv
h6DPKnMYQdyNbvMyBLFfoEGxioVoOPggmlVY4J+E25xNnFax49eke/3vfHU+8CQV
0yyWqPklGGZSd6FvXCVwhjb7bR41VvSpqw1/SMFSATGHZ9cr6VUEcUVzZQKBgGvc
xaxMxz0ZF6dXptMNkZfCnXUFlvfu9UM+9wmPQZolWrpAtDY8NoyHKbz62zt1qxkW
SO3V4o346S9EGXN815xXYuUAmnuXKrleU3t25a5d99WWHMQkS6GTUc1/udUuesEt
NIvHg+cm7vX8S8vhjLBYfe48tf2QD++89VQPczpNAoGAQHfU7EF9rlD1sH7eekz2
8HPG1y3cE9YLaoZkhIEx+m6NwxdI/CngkNc3qRnT0JxUwMQ4jrcwLjuGK626iplx
aISowfWGzMgQyv5SPDk1G+91MLK2QfCASwrnSC4NbUZUL9/i5Rw7wvO7PMRN7gJV
QyNoL7JfkT+Oh7uTN5Jlnq8=
-----END PRIVATE KEY-----
`
)

// v2MaxSkew is how far a request's timestamp may be from the gateway's clock.
const v2MaxSkew = 300

var testKeys struct {
	once               sync.Once
	merchant, platform *rsa.PrivateKey
}

func keys() (merchant, platform *rsa.PrivateKey) {
	testKeys.once.Do(func() {
		var err error
		if testKeys.merchant, err = sign.ParseRSAPrivateKey(testMerchantPrivatePEM); err != nil {
			panic("epaytest: embedded merchant key: " + err.Error())
		}
		if testKeys.platform, err = sign.ParseRSAPrivateKey(testPlatformPrivatePEM); err != nil {
			panic("epaytest: embedded platform key: " + err.Error())
		}
	})
	return testKeys.merchant, testKeys.platform
}

func publicPEM(k *rsa.PublicKey) string {
	der, err := x509.MarshalPKIXPublicKey(k)
	if err != nil {
		panic("epaytest: " + err.Error())
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

// WithV2Merchant sets the V2 public key of merchant pid (registered with
// WithMerchant, or DefaultPID), with which its V2 requests are verified.
// Merchants without one use the default test key pair (MerchantPrivateKeyPEM).
// A nil key or empty pid is ignored.
func WithV2Merchant(pid string, pub *rsa.PublicKey) Option {
	return func(c *config) {
		if pid == "" || pub == nil {
			c.invalid = append(c.invalid, "WithV2Merchant: empty pid or nil key ignored")
			return
		}
		if c.v2Keys == nil {
			c.v2Keys = make(map[string]*rsa.PublicKey)
		}
		c.v2Keys[pid] = pub
	}
}

// PlatformPublicKeyPEM returns the platform's V2 public key (SPKI PEM), with
// which clients verify answers and notifications.
func (s *Server) PlatformPublicKeyPEM() string {
	_, p := keys()
	return publicPEM(&p.PublicKey)
}

// MerchantPrivateKeyPEM returns the default merchant V2 private key (PKCS#8
// PEM), valid for every merchant without a WithV2Merchant key. It is a
// fixed, public test key.
func (s *Server) MerchantPrivateKeyPEM() string { return testMerchantPrivatePEM }

// v2State is the V2 API's state; s.mu guards it.
type v2State struct {
	orders  map[*order]bool // created through V2: notified the V2 way
	refunds []*v2Refund
	closed  map[*order]bool
}

type v2Refund struct {
	pid, refundNo, outRefundNo string
	o                          *order
	cents                      int64
	addTime                    string
}

func (st *v2State) init() {
	if st.orders == nil {
		st.orders = make(map[*order]bool)
		st.closed = make(map[*order]bool)
	}
}

// merchantKeyLocked returns the V2 public key of pid.
func (s *Server) merchantKeyLocked(pid string) *rsa.PublicKey {
	if k := s.cfg.v2Keys[pid]; k != nil {
		return k
	}
	m, _ := keys()
	return &m.PublicKey
}

// v2Fields returns the string-to-sign fields of an answer's members.
func v2Fields(o obj) map[string]string {
	f := make(map[string]string, len(o))
	for _, m := range o {
		switch x := m.v.(type) {
		case string:
			f[m.k] = x
		case int:
			f[m.k] = strconv.Itoa(x)
		case int64:
			f[m.k] = strconv.FormatInt(x, 10)
		case rawNum:
			f[m.k] = string(x)
		case bool:
			if x {
				f[m.k] = "1"
			}
		case nil:
		default: // obj, []obj
			f[m.k] = string(phpJSON(x))
		}
	}
	return f
}

// v2Reply builds a signed success answer.
func (s *Server) v2Reply(msg string, members obj) reply {
	o := append(obj{{"code", s.num(0)}, {"msg", msg}}, members...)
	o = append(o, kv{"timestamp", s.now().Unix()}, kv{"sign_type", "RSA"})
	_, platform := keys()
	sig, err := sign.SignRSA(v2Fields(o), platform)
	if err != nil {
		return s.fail(-1, "签名失败")
	}
	return s.jsonReply(append(o, kv{"sign", sig}))
}

// checkV2Locked verifies a V2 request's pid, timestamp and signature.
func (s *Server) checkV2Locked(p map[string]string) (*merchant, *apiError) {
	for _, f := range []string{"pid", "timestamp", "sign"} {
		if p[f] == "" {
			return nil, &apiError{-4, "缺少参数" + f}
		}
	}
	m, ok := s.merchants[p["pid"]]
	if !ok {
		return nil, &apiError{-3, "商户不存在"}
	}
	ts, err := strconv.ParseInt(p["timestamp"], 10, 64)
	if err != nil {
		return nil, &apiError{-1, "时间戳(timestamp)格式错误"}
	}
	if d := s.now().Unix() - ts; d > v2MaxSkew || d < -v2MaxSkew {
		return nil, &apiError{-1, "时间戳(timestamp)已过期，请检查服务器时间"}
	}
	if p["sign_type"] != "RSA" {
		return nil, &apiError{-1, "签名类型(sign_type)不支持，应为RSA"}
	}
	if !sign.VerifyRSA(p, s.merchantKeyLocked(m.pid)) {
		return nil, &apiError{-3, "签名校验失败"}
	}
	return m, nil
}

// v2API serves the V2 endpoints under api/.
func (s *Server) v2API(req *apiReq) reply {
	if req.r.Method != http.MethodPost {
		return s.fail(-1, "请使用POST方式提交")
	}
	endpoint := strings.TrimPrefix(req.r.URL.Path, Prefix+"api/")
	p := req.post
	s.mu.Lock()
	defer s.mu.Unlock()
	s.v2.init()
	m, aerr := s.checkV2Locked(p)
	if aerr != nil {
		return s.failErr(aerr)
	}
	switch endpoint {
	case "pay/create":
		return s.v2CreateLocked(m, p)
	case "pay/query":
		return s.v2QueryLocked(m, p)
	case "pay/refund":
		return s.v2RefundLocked(m, p)
	case "pay/refundquery":
		return s.v2RefundQueryLocked(m, p)
	case "pay/close":
		return s.v2CloseLocked(m, p)
	case "merchant/info":
		return s.v2InfoLocked(m)
	case "merchant/orders":
		return s.v2OrdersLocked(m, p)
	}
	return s.fail(-5, "接口不存在")
}

func (s *Server) v2CreateLocked(m *merchant, p map[string]string) reply {
	cents, aerr := validateCreate(p, mapiSpec)
	if aerr != nil {
		return s.failErr(aerr)
	}
	if o := s.byKey[m.pid+"\x00"+p["out_trade_no"]]; o != nil && s.v2.closed[o] {
		return s.fail(-1, "该订单("+o.OutTradeNo+")已关闭")
	}
	q := make(map[string]string, len(p))
	for k, v := range p {
		switch k {
		case "timestamp", "method", "auth_code", "sub_openid", "sub_appid":
		default:
			q[k] = v
		}
	}
	o, aerr := s.createLocked(q, cents)
	if aerr != nil {
		return s.failErr(aerr)
	}
	s.v2.orders[o] = true
	payType, payInfo := "jump", o.PayURL
	switch p["method"] {
	case "jsapi":
		payType = "jsapi"
		payInfo = string(phpJSON(obj{
			{"appId", "wx0000000000000000"}, {"timeStamp", strconv.FormatInt(s.now().Unix(), 10)},
			{"nonceStr", "epaytest" + o.TradeNo[len(o.TradeNo)-8:]}, {"package", "prepay_id=wx" + o.TradeNo},
			{"signType", "RSA"}, {"paySign", "EPAYTEST"},
		}))
	case "app":
		payType, payInfo = "app", "app_id=2021000000000000&biz_content=epaytest&out_trade_no="+o.TradeNo
	case "scan":
		payType, payInfo = "scan", string(phpJSON(obj{{"trade_no", o.TradeNo}, {"status", "processing"}}))
	default:
		switch s.cfg.createAnswer {
		case AnswerQRCode:
			payType, payInfo = "qrcode", qrContent(o)
		case AnswerURLScheme:
			payType, payInfo = "urlscheme", urlScheme(o)
		case AnswerHTML:
			payType = "html"
			payInfo = `<form id="dopay" action="` + o.PayURL + `" method="get"></form><script>document.getElementById("dopay").submit();</script>`
		}
	}
	return s.v2Reply("succ", obj{{"trade_no", o.TradeNo}, {"pay_type", payType}, {"pay_info", payInfo}})
}

func (s *Server) v2OrderRow(o *order) obj {
	row := s.orderRow(o)
	var refunded any
	if o.RefundedCents > 0 {
		refunded = formatCents(o.RefundedCents)
	}
	return append(row, kv{"refundmoney", refunded}, kv{"clientip", o.ClientIP})
}

func (s *Server) v2QueryLocked(m *merchant, p map[string]string) reply {
	if p["trade_no"] == "" && p["out_trade_no"] == "" {
		return s.fail(-4, "缺少参数trade_no或out_trade_no")
	}
	o, ok := s.lookupLocked(m, p)
	if !ok {
		return s.fail(-1, s.notFound())
	}
	return s.v2Reply("succ", s.v2OrderRow(o))
}

func (s *Server) v2RefundRow(rf *v2Refund, status int64) obj {
	return obj{
		{"refund_no", rf.refundNo}, {"out_refund_no", rf.outRefundNo}, {"trade_no", rf.o.TradeNo},
		{"out_trade_no", rf.o.OutTradeNo}, {"money", formatCents(rf.cents)}, {"reducemoney", formatCents(rf.cents)},
		{"status", s.num(status)}, {"addtime", rf.addTime},
	}
}

func (s *Server) v2RefundLocked(m *merchant, p map[string]string) reply {
	if p["trade_no"] == "" && p["out_trade_no"] == "" {
		return s.fail(-4, "缺少参数trade_no或out_trade_no")
	}
	if p["money"] == "" {
		return s.fail(-4, "缺少参数money")
	}
	cents, aerr := parseMoney(p["money"])
	if aerr != nil {
		return s.fail(-1, "退款金额(money)格式错误")
	}
	o, ok := s.lookupLocked(m, p)
	if !ok {
		return s.fail(-1, s.notFound())
	}
	outRefundNo := p["out_refund_no"]
	if outRefundNo != "" {
		if !outTradeNoRE.MatchString(outRefundNo) || len(outRefundNo) > 64 {
			return s.fail(-1, "退款单号(out_refund_no)格式错误")
		}
		for _, rf := range s.v2.refunds {
			if rf.pid == m.pid && rf.outRefundNo == outRefundNo {
				if rf.o != o || rf.cents != cents {
					return s.fail(-1, "退款单号(out_refund_no)已存在，请勿使用不同的参数重复提交")
				}
				return s.v2Reply("退款成功", s.v2RefundRow(rf, 1))
			}
		}
	}
	if s.v2.closed[o] {
		return s.fail(-1, "订单已关闭")
	}
	if o.Status != StatusPaid {
		return s.fail(-1, "只有已支付的订单才可以退款")
	}
	if remaining := o.Cents - o.RefundedCents; cents > remaining {
		return s.fail(-1, "退款金额不能大于订单剩余可退金额"+formatCents(remaining)+"元")
	}
	o.RefundedCents += cents
	o.Refunds++
	if o.RefundedCents == o.Cents {
		o.Status = StatusRefunded
	}
	s.refundSeq++
	refundNo := refundNoPrefix + leftPad(strconv.Itoa(s.refundSeq), 7)
	if outRefundNo == "" {
		outRefundNo = refundNo
	}
	rf := &v2Refund{pid: m.pid, refundNo: refundNo, outRefundNo: outRefundNo, o: o, cents: cents,
		addTime: s.now().In(s.zone).Format(timeLayout)}
	s.v2.refunds = append(s.v2.refunds, rf)
	s.logf("epaytest: V2 refund %s (%s) of order %s (%s)", formatCents(cents), outRefundNo, o.OutTradeNo, o.TradeNo)
	return s.v2Reply("退款成功", s.v2RefundRow(rf, 1))
}

func (s *Server) v2RefundQueryLocked(m *merchant, p map[string]string) reply {
	if p["out_refund_no"] == "" && p["refund_no"] == "" {
		return s.fail(-4, "缺少参数out_refund_no或refund_no")
	}
	for _, rf := range s.v2.refunds {
		if rf.pid != m.pid {
			continue
		}
		if p["refund_no"] != "" && rf.refundNo == p["refund_no"] || p["refund_no"] == "" && rf.outRefundNo == p["out_refund_no"] {
			return s.v2Reply("succ", s.v2RefundRow(rf, 1))
		}
	}
	return s.fail(-1, "退款记录不存在")
}

func (s *Server) v2CloseLocked(m *merchant, p map[string]string) reply {
	if p["trade_no"] == "" && p["out_trade_no"] == "" {
		return s.fail(-4, "缺少参数trade_no或out_trade_no")
	}
	o, ok := s.lookupLocked(m, p)
	if !ok {
		return s.fail(-1, s.notFound())
	}
	if o.Status != StatusUnpaid {
		return s.fail(-1, "订单已支付，无法关闭")
	}
	s.v2.closed[o] = true
	return s.v2Reply("订单已关闭", obj{{"trade_no", o.TradeNo}, {"out_trade_no", o.OutTradeNo}})
}

func (s *Server) v2InfoLocked(m *merchant) reply {
	var balance, total, today, lastday, moneyToday, moneyLast int64
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
			moneyToday += o.Cents
		case ey == yd.Year() && em == yd.Month() && ed == yd.Day():
			lastday++
			moneyLast += o.Cents
		}
	}
	for _, st := range s.settlements {
		if st.PID == m.pid {
			balance -= st.Cents
		}
	}
	return s.v2Reply("succ", obj{
		{"pid", s.pidValue(m.pid)}, {"status", s.num(1)}, {"pay_status", s.num(1)}, {"settle_status", s.num(1)},
		{"money", formatSigned(balance)}, {"settle_type", s.num(1)}, {"account", m.account}, {"username", m.username},
		{"order_num", s.num(total)}, {"order_num_today", s.num(today)}, {"order_num_lastday", s.num(lastday)},
		{"order_money_today", formatCents(moneyToday)}, {"order_money_lastday", formatCents(moneyLast)},
	})
}

func (s *Server) v2OrdersLocked(m *merchant, p map[string]string) reply {
	limit, offset := page(p)
	want, filter := OrderStatus(0), false
	if v := p["status"]; v != "" {
		n, _ := strconv.Atoi(v)
		want, filter = OrderStatus(n), true
	}
	var rows []obj
	for i := len(s.orders) - 1; i >= 0; i-- { // newest first
		if o := s.orders[i]; o.PID == m.pid && (!filter || o.Status == want) {
			rows = append(rows, s.v2OrderRow(o))
		}
	}
	rows = window(rows, limit, offset)
	if rows == nil {
		rows = []obj{}
	}
	return s.v2Reply("succ", obj{{"count", s.num(int64(len(rows)))}, {"data", rows}})
}

// v2NotificationLocked builds the signed V2 notification of o. s.mu must be
// held.
func (s *Server) v2NotificationLocked(o *order) url.Values {
	p := map[string]string{
		"pid":          o.PID,
		"trade_no":     o.TradeNo,
		"out_trade_no": o.OutTradeNo,
		"type":         o.Type,
		"name":         o.Name,
		"money":        notifyMoney(o.Cents),
		"trade_status": "TRADE_SUCCESS",
		"timestamp":    strconv.FormatInt(s.now().Unix(), 10),
		"sign_type":    "RSA",
	}
	for k, v := range map[string]string{"param": o.Param, "api_trade_no": o.APITradeNo, "buyer": o.Buyer} {
		if v != "" {
			p[k] = v
		}
	}
	_, platform := keys()
	sig, err := sign.SignRSA(p, platform)
	if err != nil {
		panic("epaytest: signing a notification: " + err.Error())
	}
	p["sign"] = sig
	v := make(url.Values, len(p))
	for k, val := range p {
		v.Set(k, val)
	}
	return v
}

// V2NotificationValues returns the signed V2 notification the gateway sends
// for the order (created through V2 or not), stamped with the gateway's
// clock, without sending anything. It works for an order in any status.
func (s *Server) V2NotificationValues(outTradeNo string) (url.Values, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, err := s.findLocked(outTradeNo)
	if err != nil {
		return nil, err
	}
	return s.v2NotificationLocked(o), nil
}
