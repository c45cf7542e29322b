package iepay

// PayType is IEPay's pay_type code, e.g. "IE0011". The constants are the
// documented codes; any other string is still a PayType and is sent as it is,
// so a code IEPay adds later works without an SDK update.
type PayType string

// Documented pay types.
const (
	PayTypeAlipayQR          PayType = "IE0011" // Alipay QR code: render pay_url as a QR code
	PayTypeAlipayWeb         PayType = "IE0012" // Alipay PC web: redirect to pay_url; rmb_fee allowed
	PayTypeAlipayMobileWeb   PayType = "IE0013" // Alipay mobile web: redirect to pay_url; rmb_fee allowed
	PayTypeAlipayBarcode     PayType = "IE0014" // Alipay in-store barcode (the /api/pay call, not Create)
	PayTypeAlipayApp         PayType = "IE0015" // Alipay in-app: hand pay_url to the Alipay app SDK
	PayTypeWeChatQR          PayType = "IE0021" // WeChat QR code: render the weixin:// pay_url as a QR code
	PayTypeWeChatWeb         PayType = "IE0022" // WeChat web inside the WeChat browser: redirect to pay_url
	PayTypeWeChatWap         PayType = "IE0023" // WeChat quick pay (wap): redirect to pay_url
	PayTypeWeChatBarcode     PayType = "IE0024" // WeChat in-store barcode (the /api/pay call, not Create)
	PayTypeWeChatApp         PayType = "IE0025" // WeChat in-app: hand pay_url to the WeChat app SDK
	PayTypeWeChatMiniProgram PayType = "IE0026" // WeChat mini program: use CreateMiniProgram
	PayTypeUnionPay          PayType = "IE0031" // UnionPay online: redirect to pay_url
	PayTypePOLi              PayType = "IE0041" // POLi bank transfer: redirect to pay_url
)

// Presentation tells how to put a pay_url in front of the buyer.
type Presentation int

// How a pay type's pay_url is used.
const (
	PresentUnknown     Presentation = iota // a code this package does not know; see IEPay's documentation
	PresentQRCode                          // render pay_url as a QR code for the buyer's phone to scan
	PresentRedirect                        // redirect the buyer's browser to pay_url
	PresentAppSDK                          // pass pay_url to the wallet's app SDK inside a native app
	PresentMiniProgram                     // no pay_url: call wx.requestPayment with CreateMiniProgram's result
	PresentInStore                         // in-store barcode payment: not created with Create
)

// String returns a short name: "qr-code", "redirect", "app-sdk",
// "mini-program", "in-store" or "unknown".
func (p Presentation) String() string {
	switch p {
	case PresentQRCode:
		return "qr-code"
	case PresentRedirect:
		return "redirect"
	case PresentAppSDK:
		return "app-sdk"
	case PresentMiniProgram:
		return "mini-program"
	case PresentInStore:
		return "in-store"
	}
	return "unknown"
}

type payTypeInfo struct {
	desc    string
	present Presentation
	rmb     bool // rmb_fee allowed
}

var payTypes = map[PayType]payTypeInfo{
	PayTypeAlipayQR:          {"Alipay QR code", PresentQRCode, false},
	PayTypeAlipayWeb:         {"Alipay PC web", PresentRedirect, true},
	PayTypeAlipayMobileWeb:   {"Alipay mobile web", PresentRedirect, true},
	PayTypeAlipayBarcode:     {"Alipay in-store barcode", PresentInStore, false},
	PayTypeAlipayApp:         {"Alipay in-app", PresentAppSDK, false},
	PayTypeWeChatQR:          {"WeChat QR code", PresentQRCode, false},
	PayTypeWeChatWeb:         {"WeChat web (inside WeChat)", PresentRedirect, false},
	PayTypeWeChatWap:         {"WeChat quick pay (wap)", PresentRedirect, false},
	PayTypeWeChatBarcode:     {"WeChat in-store barcode", PresentInStore, false},
	PayTypeWeChatApp:         {"WeChat in-app", PresentAppSDK, false},
	PayTypeWeChatMiniProgram: {"WeChat mini program", PresentMiniProgram, false},
	PayTypeUnionPay:          {"UnionPay online", PresentRedirect, false},
	PayTypePOLi:              {"POLi", PresentRedirect, false},
}

// Known reports whether p is one of the documented pay types.
func (p PayType) Known() bool {
	_, ok := payTypes[p]
	return ok
}

// Description returns a short English description of p, e.g.
// "Alipay QR code", or "" for a pay type this package does not know.
func (p PayType) Description() string {
	return payTypes[p].desc
}

// Presentation tells how the pay_url Create returns for p is used: as a QR
// code, a redirect, or input to an app SDK. Unknown pay types give
// PresentUnknown.
func (p PayType) Presentation() Presentation {
	return payTypes[p].present
}

// AllowsRMBFee reports whether p may be priced in RMB with
// CreateRequest.RMBFee (Alipay PC and mobile web only).
func (p PayType) AllowsRMBFee() bool {
	return payTypes[p].rmb
}

// IsWeChat reports whether p is a WeChat pay type (IE002x), whose
// out_trade_no is limited to 32 bytes.
func (p PayType) IsWeChat() bool {
	return len(p) == 6 && p[:5] == "IE002"
}

// String returns the code itself.
func (p PayType) String() string { return string(p) }
