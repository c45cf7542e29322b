package epay

import "strconv"

// SuccessReply is the body a merchant answers a notification with once it
// has recorded the payment. Any other answer makes the gateway retry.
const SuccessReply = "success"

// TradeSuccess is the trade_status of a paid order's notification.
const TradeSuccess = "TRADE_SUCCESS"

// Pay types (the type field). The set is open: operators add their own, and
// any string is accepted; an empty type lets the gateway show its cashier.
const (
	TypeAlipay     = "alipay"
	TypeWxPay      = "wxpay"
	TypeQQPay      = "qqpay"
	TypeBank       = "bank"
	TypeJDPay      = "jdpay"
	TypePayPal     = "paypal"
	TypeCreditCard = "creditcard" // Kyren
	TypeCrypto     = "crypto"     // Kyren
	TypePayNow     = "paynow"     // Kyren
	TypeUSDTTRC20  = "usdt.trc20" // USDT gateways
)

// Devices (the device field of Create): where the buyer pays. The gateway
// picks the kind of answer (page URL, QR code, app link) from it.
const (
	DevicePC     = "pc"
	DeviceMobile = "mobile"
	DeviceQQ     = "qq"     // inside the QQ app
	DeviceWeChat = "wechat" // inside the WeChat app
	DeviceAlipay = "alipay" // inside the Alipay app
	DeviceJump   = "jump"   // only return a pay URL
)

// OrderStatus is the status of an order as api.php reports it.
type OrderStatus int

// Order statuses.
const (
	OrderUnpaid        OrderStatus = 0
	OrderPaid          OrderStatus = 1
	OrderRefunded      OrderStatus = 2
	OrderFrozen        OrderStatus = 3
	OrderPreAuthorized OrderStatus = 4
)

// String returns the status name, such as "paid".
func (s OrderStatus) String() string {
	switch s {
	case OrderUnpaid:
		return "unpaid"
	case OrderPaid:
		return "paid"
	case OrderRefunded:
		return "refunded"
	case OrderFrozen:
		return "frozen"
	case OrderPreAuthorized:
		return "pre-authorized"
	}
	return "OrderStatus(" + strconv.Itoa(int(s)) + ")"
}

// Action says which field of a CreateResult the merchant should use to let
// the buyer pay.
type Action int

// Actions, in the order CreateResult.Action prefers them.
const (
	ActionNone      Action = iota // no payment field: not returned by a successful Create
	ActionPayURL                  // redirect the buyer to PayURL
	ActionQRCode                  // render QRCode (a payment link) as a QR code
	ActionURLScheme               // open URLScheme (an app link) on the buyer's device
	ActionHTML                    // write HTML into the buyer's page
	ActionImg                     // show the QR code image at Img
)

// String returns the name of the action, such as "payurl".
func (a Action) String() string {
	switch a {
	case ActionNone:
		return "none"
	case ActionPayURL:
		return "payurl"
	case ActionQRCode:
		return "qrcode"
	case ActionURLScheme:
		return "urlscheme"
	case ActionHTML:
		return "html"
	case ActionImg:
		return "img"
	}
	return "Action(" + strconv.Itoa(int(a)) + ")"
}
