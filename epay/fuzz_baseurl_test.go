package epay_test

import (
	"encoding/json"
	"net/url"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/epaykit/epaykit/epay"
)

// baseURLSeeds returns the URLs in the spec vectors (testdata/vectors.json),
// each also as a pasted checkout URL with its signed query.
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
			Sign   string            `json:"sign"`
		}
		if json.Unmarshal(group, &vs) != nil {
			continue
		}
		for _, v := range vs {
			q := url.Values{}
			keys := make([]string, 0, len(v.Params))
			for k, s := range v.Params {
				q.Set(k, s)
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				if s := v.Params[k]; strings.HasPrefix(s, "http") {
					out = append(out, s)
				}
			}
			q.Set("sign", v.Sign)
			out = append(out, "https://pay.example.com/epay/submit.php?"+q.Encode())
		}
	}
	return out
}

// FuzzBaseURL: New never panics; a base URL it accepts is an absolute
// http(s) URL ending in "/" without user, query, fragment or endpoint name,
// New accepts it again unchanged, and endpoints resolve below it. Errors
// start with "epay: " and never show the key.
func FuzzBaseURL(f *testing.F) {
	for _, s := range baseURLSeeds(f) {
		f.Add(s)
	}
	for _, s := range []string{
		"https://pay.example.com/", "https://api.kyren.top/epay/", "http://127.0.0.1:8080/epay/mapi.php",
		"HTTPS://Pay.Example.com/API.PHP?act=order&key=" + extKey, "https://pay.example.com/epay/#frag",
		"https://[::1]:443/x/", "https://user:" + extKey + "@pay.example.com/", " https://pay.example.com ",
		"https://pay.example.com/a%2Fb/", "https://pay.example.com/%zz", "ftp://pay.example.com/", "//pay.example.com/",
		"https://pay.example.com?", "https://pay.example.com/./../submit.php/",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		c, err := epay.New(raw, "1001", extKey)
		if err != nil {
			msg := err.Error()
			if !strings.HasPrefix(msg, "epay: ") {
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
		case u.Scheme != "http" && u.Scheme != "https":
			t.Fatalf("BaseURL %q of %q: scheme %q", base, raw, u.Scheme)
		case u.Host == "" || u.User != nil || u.RawQuery != "" || u.ForceQuery || u.Fragment != "":
			t.Fatalf("BaseURL %q of %q: host, user, query or fragment wrong", base, raw)
		case strings.Contains(base, extKey):
			t.Fatalf("BaseURL %q keeps the key", base)
		}
		for _, name := range []string{"submit.php", "mapi.php", "api.php"} {
			if strings.HasSuffix(strings.ToLower(strings.TrimSuffix(u.Path, "/")), "/"+name) && !strings.HasSuffix(strings.ToLower(raw), name+"/") {
				t.Fatalf("BaseURL %q of %q still ends in %s", base, raw, name)
			}
		}
		again, err := epay.New(base, "1001", extKey)
		if err != nil {
			t.Fatalf("BaseURL %q of %q rejected by New: %v", base, raw, err)
		}
		if again.BaseURL() != base {
			t.Fatalf("not idempotent: %q -> %q -> %q", raw, base, again.BaseURL())
		}
		ep, err := url.Parse(base + "api.php")
		if err != nil || ep.Host != u.Host || ep.Path != u.Path+"api.php" {
			t.Fatalf("endpoint %q does not resolve below %q", base+"api.php", base)
		}
	})
}
