package epay

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/epaykit/epaykit/sign"
	"github.com/jarcoal/httpmock"
)

// FuzzParseNotification: never panics; whatever verifies is signed by the
// key, carries our pid and the required fields, and its input is untouched.
func FuzzParseNotification(f *testing.F) {
	vs := loadVectors(f)
	for _, v := range vs.EpayNotify {
		f.Add(values(v.Params).Encode(), v.Key)
	}
	f.Add("pid=1001&sign=&sign=x", "k")
	f.Add("%zz", "k")
	f.Fuzz(func(t *testing.T, raw, key string) {
		if key == "" || strings.TrimSpace(key) != key {
			return
		}
		in, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		pid := in.Get("pid")
		if pid == "" || strings.TrimSpace(pid) != pid || hasControl(pid) {
			pid = "1001"
		}
		c, err := New("https://pay.example.com/epay/", pid, key)
		if err != nil {
			t.Fatal(err)
		}
		before := in.Encode()
		n, err := c.ParseNotification(in)
		if in.Encode() != before {
			t.Fatal("input modified")
		}
		// The raw query path decodes on its own: it must reach the same
		// verdict and the same notification.
		req := &http.Request{Method: "GET", URL: &url.URL{Path: "/notify", RawQuery: raw}}
		rn, rerr := c.ParseNotificationRequest(req)
		if (err == nil) != (rerr == nil) {
			t.Fatalf("query %q: values path says %v, raw path says %v", raw, err, rerr)
		}
		for _, kind := range []error{ErrDuplicateParam, ErrMissingSign, ErrSignType, ErrBadSignature, ErrPIDMismatch, ErrMissingField} {
			if errors.Is(err, kind) != errors.Is(rerr, kind) {
				t.Fatalf("query %q: values path says %v, raw path says %v", raw, err, rerr)
			}
		}
		if err == nil && !reflect.DeepEqual(n, rn) {
			t.Fatalf("query %q: values path gives %+v, raw path %+v", raw, n, rn)
		}
		if err != nil {
			if len(key) >= 8 && strings.Contains(err.Error(), key) && !strings.Contains(raw, key) {
				t.Fatalf("key in error: %v", err)
			}
			return
		}
		m, _ := sign.Flatten(in)
		if !sign.VerifyEpay(m, key) || n.PID != pid || n.TradeNo == "" || n.Money == "" {
			t.Fatalf("accepted an invalid notification: %q", raw)
		}
		// Round trip: re-signing the parsed fields gives the same verdict.
		if _, err := c.ParseNotification(resign(n.Raw, key)); err != nil {
			t.Fatalf("re-signed notification rejected: %v", err)
		}
	})
}

// FuzzParseMoney: never panics; what parses formats back to the same cents.
func FuzzParseMoney(f *testing.F) {
	for _, s := range []string{"1", "10.5", "10.0000", "0.01", "9.99", "1.005", "-1", "1e3", "92233720368547758.07", "92233720368547758.08", ".5", "1."} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		cents, err := ParseMoney(s)
		if err != nil {
			return
		}
		if cents < 0 {
			t.Fatalf("%q: negative %d", s, cents)
		}
		back, err := ParseMoney(FormatCents(cents))
		if err != nil || back != cents {
			t.Fatalf("%q: %d -> %q -> %d, %v", s, cents, FormatCents(cents), back, err)
		}
		if ValidateMoney(FormatCents(cents)) == nil != (cents > 0) {
			t.Fatalf("%q: ValidateMoney disagrees", s)
		}
	})
}

// FuzzDecodeResponses feeds any body to every call: no panic, a result or an
// error, and never the key in an error.
func FuzzDecodeResponses(f *testing.F) {
	for _, s := range []string{
		`{"code":1,"trade_no":"T","payurl":"x"}`, `{"code":"1","data":null}`, `{"code":0,"msg":"IP not allowed"}`,
		`{"code":0,"refund_no":"R"}`, `{"code":1,"data":{"1":{"trade_no":"a"}}}`, `<html>`, ``, `{"code":1,"data":[1]}`,
		`{"code":1,"pid":1.5,"status":"x"}`, `{"code":1,"data":[{"id":{}}]}`,
	} {
		f.Add(s, 200)
	}
	const key = "fuzzKEYfuzzKEY"
	f.Fuzz(func(t *testing.T, body string, status int) {
		if status < 200 || status > 599 {
			status = 200
		}
		mt := httpmock.NewMockTransport()
		mt.RegisterNoResponder(func(*http.Request) (*http.Response, error) {
			return httpmock.NewStringResponse(status, body), nil
		})
		c, err := New("https://pay.example.com/epay/", "1001", key,
			WithHTTPClient(&http.Client{Transport: mt}), WithRetries(0), WithRetryWait(time.Millisecond, time.Millisecond))
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		checkErr := func(err error) {
			if err != nil && strings.Contains(err.Error(), key) {
				t.Fatalf("key in error: %v", err)
			}
		}
		res, err := c.Create(ctx, kyrenCreate())
		checkErr(err)
		if err == nil {
			if a, _ := res.Action(); a == ActionNone {
				t.Fatal("success without a payment field")
			}
		}
		_, err = c.QueryOrder(ctx, &OrderQuery{TradeNo: "T"})
		checkErr(err)
		_, err = c.ListOrders(ctx, nil)
		checkErr(err)
		_, err = c.Refund(ctx, &RefundRequest{TradeNo: "T", Money: "1"})
		checkErr(err)
		_, err = c.Merchant(ctx)
		checkErr(err)
		_, err = c.Settlements(ctx, nil)
		checkErr(err)
	})
}

// FuzzCheckout: any accepted request gives a URL whose query verifies and
// carries exactly the typed fields.
func FuzzCheckout(f *testing.F) {
	for _, v := range loadVectors(f).EpaySign[:2] {
		p := v.Params
		f.Add(p["type"], p["out_trade_no"], p["notify_url"], p["return_url"], p["name"], p["money"], p["param"])
	}
	f.Add("a&b=c", "A.B|C_D-E", "https://m/n", "https://m/r?x=1&y=2", "a&b=c + 100% off", "5", "x=1&y=2")
	f.Fuzz(func(t *testing.T, typ, otn, notify, ret, name, money, param string) {
		c, err := New("https://pay.example.com/epay/", "1001", "k")
		if err != nil {
			t.Fatal(err)
		}
		u, err := c.CheckoutURL(&CheckoutRequest{Type: typ, OutTradeNo: otn, NotifyURL: notify, ReturnURL: ret,
			Name: name, Money: money, Param: param})
		if err != nil {
			return
		}
		pu, err := url.Parse(u)
		if err != nil {
			t.Fatal(err)
		}
		m, err := sign.Flatten(pu.Query())
		if err != nil || !sign.VerifyEpay(m, "k") {
			t.Fatalf("checkout URL does not verify: %s", u)
		}
		if m["out_trade_no"] != otn || m["money"] != money || m["name"] != name || m["param"] != param {
			t.Fatalf("fields changed: %s", u)
		}
	})
}
