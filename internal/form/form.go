// Package form encodes typed request structs to the exact form that is
// signed and sent, with go-querystring.
package form

import (
	"fmt"
	"net/url"
	"sort"

	"github.com/google/go-querystring/query"
)

// Encode returns the url:"..." tagged fields of v (a struct or pointer to
// one) merged with extra. Empty values are dropped, so that what is signed is
// what is sent. A key of extra that a typed field already set is an error:
// the typed field is the one to use.
func Encode(v any, extra map[string]string) (url.Values, error) {
	vals, err := query.Values(v)
	if err != nil {
		return nil, fmt.Errorf("encoding the request: %w", err)
	}
	for k, vs := range vals {
		if len(vs) == 0 || len(vs) == 1 && vs[0] == "" {
			delete(vals, k)
		}
	}
	keys := make([]string, 0, len(extra))
	for k := range extra {
		keys = append(keys, k)
	}
	sort.Strings(keys) // deterministic error for several conflicts
	for _, k := range keys {
		if k == "" {
			return nil, fmt.Errorf("extra field with an empty name")
		}
		if _, dup := vals[k]; dup {
			return nil, fmt.Errorf("extra field %q repeats a field the request sets; use the field", k)
		}
		if extra[k] != "" {
			vals.Set(k, extra[k])
		}
	}
	return vals, nil
}

// Map flattens single-valued url.Values to a map.
func Map(v url.Values) map[string]string {
	m := make(map[string]string, len(v))
	for k, vs := range v {
		if len(vs) > 0 {
			m[k] = vs[0]
		}
	}
	return m
}
