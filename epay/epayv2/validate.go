package epayv2

import (
	"github.com/epaykit/epaykit/epay"
	"github.com/epaykit/epaykit/internal/epayrule"
)

// check turns a rule's reason into a *FieldError; "" is no error.
func check(field, reason string) error {
	if reason == "" {
		return nil
	}
	return fieldErr(field, reason)
}

func validMoney(field, s string) error {
	if s == "" {
		return fieldErr(field, "required: an amount in yuan such as 9.99")
	}
	if err := epay.ValidateMoney(s); err != nil {
		return &FieldError{Field: field, Reason: "want a positive amount in yuan with at most 2 decimals, such as 9.99", Err: err}
	}
	return nil
}

func validNo(field, s string) error                { return check(field, epayrule.OutTradeNo(s)) }
func validRef(field, s string) error               { return check(field, epayrule.Ref(s)) }
func validName(s string) error                     { return check("name", epayrule.Name(s)) }
func validURL(field, s string, noQuery bool) error { return check(field, epayrule.URL(s, noQuery)) }
func validIP(s string) error                       { return check("clientip", epayrule.IP(s)) }
func validText(field, s string) error              { return check(field, epayrule.Text(s)) }
func hasControl(s string) bool                     { return epayrule.HasControl(s) }

// oneOf requires at least one of two references and checks both.
func oneOf(f1, v1, f2, v2 string) error {
	if v1 == "" && v2 == "" {
		return fieldErr(f1, "required: set "+f1+" or "+f2)
	}
	if err := validRef(f1, v1); err != nil {
		return err
	}
	return validRef(f2, v2)
}

// validExtra checks the keys and values of an Extra map against the fields
// the request sets itself and those the client sets.
func validExtra(extra map[string]string, typed []string) error {
	return check(epayrule.Extra(extra, typed, []string{"pid", "key", "sign", "sign_type", "timestamp"}))
}
