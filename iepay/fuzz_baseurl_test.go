package iepay_test

import (
	"encoding/json"
	"net/url"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/epaykit/epaykit/iepay"
)

// baseURLSeeds returns the URLs in the spec vectors (testdata/vectors.json).
func baseURLSeeds(f *testing.F) []string {
	b, err := os.ReadFile("testdata/vectors.json")
	if err != nil {
		f.Fatal(err)
	}
	var vf map[string]json.RawMessage
	if err := json.Unmarshal(b, &vf); err != nil {
		f.Fatal(err)
	}
	var out []string
	for _, group := range vf {
		var vs []struct {
			Params map[string]string `json:"params"`
		}
		if json.Unmarshal(group, &vs) != nil {
			continue
		}
		for _, v := range vs {
			keys := make([]string, 0, len(v.Params))
			for k := range v.Params {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				if s := v.Params[k]; strings.HasPrefix(s, "http") {
					out = append(out, s)
				}
			}
		}
	}
	return out
}

// FuzzBaseURL: WithBaseURL never makes New panic; an accepted base URL is
// an absolute http(s) URL ending in "/" without user, query or fragment,
// accepted again unchanged, with endpoints resolving below it. Errors start
// with "iepay: " and never show the key.
func FuzzBaseURL(f *testing.F) {
	for _, s := range baseURLSeeds(f) {
		f.Add(s)
	}
	for _, s := range []string{
		iepay.DefaultBaseURL, "https://a.mypaynz.com/", "http://127.0.0.1:8080/iepay", "HTTPS://A.MyPayNZ.com/api/",
		"https://pay.example.com/iepay/?sign=" + extKey, "https://pay.example.com/#" + extKey, "https://[::1]:443/x/",
		"https://user:" + extKey + "@pay.example.com/", " https://pay.example.com ", "https://pay.example.com/a%2Fb",
		"https://pay.example.com/%zz", "ftp://pay.example.com/", "//pay.example.com/", "https://pay.example.com?",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		c, err := iepay.New(extMID, extKey, iepay.WithBaseURL(raw))
		if err != nil {
			msg := err.Error()
			if !strings.HasPrefix(msg, "iepay: ") {
				t.Fatalf("error without prefix: %q", msg)
			}
			if strings.Contains(msg, extKey) {
				t.Fatalf("key in error: %q", msg)
			}
			return
		}
		base := c.BaseURL()
		u, err := url.Parse(base)
		if err != nil {
			t.Fatalf("BaseURL %q of %q does not parse: %v", base, raw, err)
		}
		switch {
		case !strings.HasSuffix(base, "/"):
			t.Fatalf("BaseURL %q of %q does not end in /", base, raw)
		case !strings.EqualFold(u.Scheme, "http") && !strings.EqualFold(u.Scheme, "https"):
			t.Fatalf("BaseURL %q of %q: scheme %q", base, raw, u.Scheme)
		case u.Host == "" || u.User != nil || u.RawQuery != "" || u.ForceQuery || u.Fragment != "":
			t.Fatalf("BaseURL %q of %q: host, user, query or fragment wrong", base, raw)
		}
		again, err := iepay.New(extMID, extKey, iepay.WithBaseURL(base))
		if err != nil {
			t.Fatalf("BaseURL %q of %q rejected: %v", base, raw, err)
		}
		if again.BaseURL() != base {
			t.Fatalf("not idempotent: %q -> %q -> %q", raw, base, again.BaseURL())
		}
		ep, err := url.Parse(base + "api/refund")
		if err != nil || ep.Host != u.Host || ep.Path != u.Path+"api/refund" {
			t.Fatalf("endpoint %q does not resolve below %q", base+"api/refund", base)
		}
	})
}
