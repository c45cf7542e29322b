package epay

import "github.com/epaykit/epaykit/internal/epayrule"

func fieldErr(field, reason string) error { return &FieldError{Field: field, Reason: reason} }

// check turns a rule's reason into a *FieldError; "" is no error.
func check(field, reason string) error {
	if reason == "" {
		return nil
	}
	return fieldErr(field, reason)
}

func validMoney(field, s string) error {
	if err := ValidateMoney(s); err != nil {
		var reason string
		if me, ok := err.(*moneyError); ok {
			reason = me.reason
		}
		if s == "" {
			return &FieldError{Field: field, Reason: "required", Err: err}
		}
		return &FieldError{Field: field, Reason: "want a positive amount in yuan with at most 2 decimals, such as 9.99: " + reason, Err: err}
	}
	return nil
}

func validOutTradeNo(s string) error               { return check("out_trade_no", epayrule.OutTradeNo(s)) }
func validRef(field, s string) error               { return check(field, epayrule.Ref(s)) }
func validName(s string) error                     { return check("name", epayrule.Name(s)) }
func validURL(field, s string, noQuery bool) error { return check(field, epayrule.URL(s, noQuery)) }
func validIP(s string) error                       { return check("clientip", epayrule.IP(s)) }
func validText(field, s string) error              { return check(field, epayrule.Text(s)) }
func hasControl(s string) bool                     { return epayrule.HasControl(s) }

// validExtra checks the keys and values of an Extra map against the fields
// the request sets itself and those the client sets.
func validExtra(extra map[string]string, typed []string) error {
	return check(epayrule.Extra(extra, typed, []string{"pid", "key", "sign", "sign_type"}))
}
