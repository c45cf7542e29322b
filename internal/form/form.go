// Package form encodes typed request structs to the exact fields that are
// signed and sent.
//
// The encoding is the one github.com/google/go-querystring's query.Values
// gives for the kinds the SDK's requests use, without its per-call
// reflection: the layout of each struct type is worked out once and cached.
package form

import (
	"errors"
	"fmt"
	"net/url"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/epaykit/epaykit/internal/fields"
)

// Fields appends the url-tagged fields of v (a struct or a non-nil pointer to
// one) and extra to dst, sorted by name, and returns the extended slice.
//
// A field is named by its url tag (the part before a comma; a tag of "-"
// skips the field) or, without a name there, by its Go name. Strings and
// named string types are sent as they are, integers in decimal and bools as
// "true" or "false" ("1" or "0" with the tag option int). A type with a
// String or Error method is formatted with it, as fmt.Sprint would. Pointers
// are followed; a nil one sends nothing. With the tag option omitempty, "",
// 0 and false are not sent. The fields of an embedded struct without a name
// in its tag are fields of v (none when it is a nil pointer). Other kinds
// (structs, slices, maps, interfaces, floats, time.Time, ...), types with an
// EncodeValues or a Format method and two fields of one name are an error.
//
// Fields whose value is "" are left out: what is signed is what is sent. A
// key of extra with an empty value is left out too. An empty key of extra,
// or a key that a field of v sets, is an error; of several such keys the
// smallest is reported. The appended fields have distinct names, and only
// they are sorted.
//
// The only allocations are the strings of integers, a copy of a value whose
// String or Error method is called, and the grown slice when dst is short:
// pass a stack array, as in
//
//	var buf [fields.OnStack]fields.Field
//	fs, err := form.Fields(buf[:0], req, extra)
//
// On error dst is returned with the length it was given.
func Fields(dst []fields.Field, v any, extra map[string]string) ([]fields.Field, error) {
	rv := reflect.ValueOf(v)
	for rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return dst, fmt.Errorf("encoding the request: nil %v", rv.Type())
		}
		rv = rv.Elem()
	}
	if rv.Kind() != reflect.Struct {
		if !rv.IsValid() {
			return dst, errors.New("encoding the request: nil instead of a struct")
		}
		return dst, fmt.Errorf("encoding the request: %v is not a struct or a pointer to one", rv.Type())
	}
	p := planOf(rv.Type())
	if p.err != nil {
		return dst, p.err
	}

	start := len(dst)
	out := dst
	for i := range p.fields {
		if s, ok := p.fields[i].value(rv); ok && s != "" {
			out = append(out, fields.Field{Name: p.fields[i].name, Value: s})
		}
	}

	if len(extra) == 0 {
		return out, nil // the plan's fields are sorted
	}
	if _, ok := extra[""]; ok {
		return dst, errors.New("extra field with an empty name")
	}
	blank := false
	for k, x := range extra {
		// Blank extras stay until the check below: one that repeats a set
		// field is an error all the same.
		out = append(out, fields.Field{Name: k, Value: x})
		blank = blank || x == ""
	}
	fields.Sort(out[start:])
	// The names of the typed fields are distinct (see build), and so are
	// the keys of a map: a repeat is an extra that repeats a typed field, and
	// the first one in sorted order is the smallest.
	if name, dup := fields.Duplicate(out[start:]); dup {
		return dst, fmt.Errorf("extra field %q repeats a field the request sets; use the field", name)
	}
	if blank {
		n := start
		for _, f := range out[start:] {
			if f.Value != "" {
				out[n] = f
				n++
			}
		}
		clear(out[n:])
		out = out[:n]
	}
	return out, nil
}

// kind is how a field's value is read.
type kind uint8

const (
	kindString kind = iota
	kindInt
	kindUint
	kindBool
)

// method is the formatting method of a field's type that fmt.Sprint, and so
// go-querystring, would use.
type method uint8

const (
	methodNone method = iota
	methodError
	methodString
)

// field is one encoded field of a struct type.
type field struct {
	name string
	// index leads from the struct to the field, through embedded structs;
	// a nil embedded pointer on the way means no field.
	index []int
	// ptrs is how many pointers the field's type has before its kind.
	ptrs int
	// typ is the type after the pointers.
	typ       reflect.Type
	kind      kind
	method    method
	omitEmpty bool
	boolInt   bool
}

// plan is how a struct type is encoded: its fields, or why it cannot be.
type plan struct {
	fields []field
	err    error
}

// plans caches a *plan per struct type.
var plans sync.Map

// planOf returns the cached plan of the struct type t, building it on first
// use.
func planOf(t reflect.Type) *plan {
	if p, ok := plans.Load(t); ok {
		return p.(*plan)
	}
	p := build(t)
	got, _ := plans.LoadOrStore(t, p)
	return got.(*plan)
}

var (
	encoderType   = reflect.TypeOf((*encoder)(nil)).Elem()
	formatterType = reflect.TypeOf((*fmt.Formatter)(nil)).Elem()
	errorType     = reflect.TypeOf((*error)(nil)).Elem()
	stringerType  = reflect.TypeOf((*fmt.Stringer)(nil)).Elem()
)

// encoder is go-querystring's query.Encoder: a type that encodes itself.
// Such types are refused rather than called.
type encoder interface {
	EncodeValues(key string, v *url.Values) error
}

// builder collects the fields of a struct type and its embedded structs.
type builder struct {
	top    reflect.Type
	fields []field
	// names maps each name taken to the Go field path that took it.
	names map[string]string
	// embedding holds the embedded struct types being walked, against
	// recursive embedding.
	embedding []reflect.Type
}

// build works out the plan of the struct type t.
func build(t reflect.Type) *plan {
	b := &builder{top: t, names: make(map[string]string), embedding: []reflect.Type{t}}
	if err := b.walk(t, nil, ""); err != nil {
		return &plan{err: err}
	}
	// In name order, the fields come out sorted, and the extras, appended
	// after them, are all that fields.Sort moves.
	sort.Slice(b.fields, func(i, j int) bool { return b.fields[i].name < b.fields[j].name })
	return &plan{fields: b.fields}
}

// walk adds the fields of the struct type t, reached by index (path names
// the fields on the way), as go-querystring does: the direct fields first,
// then those of the embedded structs.
func (b *builder) walk(t reflect.Type, index []int, path string) error {
	type embedded struct {
		sf reflect.StructField
		t  reflect.Type
	}
	var embeds []embedded
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		if !sf.IsExported() && !sf.Anonymous {
			continue
		}
		tag := sf.Tag.Get("url")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		gopath := path + sf.Name
		if name == "" && sf.Anonymous {
			et := sf.Type
			if et.Kind() == reflect.Pointer {
				et = et.Elem()
			}
			if et.Kind() == reflect.Struct {
				// go-querystring encodes a nil embedded pointer as a field
				// named after its type: "", which is left out, or what an
				// EncodeValues method gives, which is refused here.
				if sf.Type.Kind() == reflect.Pointer && sf.Type.Implements(encoderType) {
					return b.errorf(gopath, "embedded %v has an EncodeValues method", sf.Type)
				}
				embeds = append(embeds, embedded{sf, et})
				continue
			}
		}
		if name == "" {
			name = sf.Name
		}
		if !sf.IsExported() {
			return b.errorf(gopath, "unexported embedded %v", sf.Type)
		}
		f, err := b.leaf(sf, opts, gopath)
		if err != nil {
			return err
		}
		if err := b.take(name, gopath); err != nil {
			return err
		}
		f.name = name
		f.index = append(append(make([]int, 0, len(index)+1), index...), i)
		b.fields = append(b.fields, f)
	}
	for _, e := range embeds {
		for _, outer := range b.embedding {
			if outer == e.t {
				return b.errorf(path+e.sf.Name, "%v embeds itself", e.t)
			}
		}
		b.embedding = append(b.embedding, e.t)
		idx := append(append(make([]int, 0, len(index)+1), index...), e.sf.Index[0])
		if err := b.walk(e.t, idx, path+e.sf.Name+"."); err != nil {
			return err
		}
		b.embedding = b.embedding[:len(b.embedding)-1]
	}
	return nil
}

// leaf returns the field sf, with the tag options opts, without its name
// and index, or an error if its type is not one that is encoded.
func (b *builder) leaf(sf reflect.StructField, opts, gopath string) (field, error) {
	var f field
	for _, o := range strings.Split(opts, ",") {
		switch o {
		case "omitempty":
			f.omitEmpty = true
		case "int":
			f.boolInt = true
		}
	}
	t := sf.Type
	if t.Implements(encoderType) {
		return f, b.errorf(gopath, "%v has an EncodeValues method", t)
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
		f.ptrs++
	}
	f.typ = t
	switch t.Kind() {
	case reflect.String:
		f.kind = kindString
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		f.kind = kindInt
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		f.kind = kindUint
	case reflect.Bool:
		f.kind = kindBool
	default:
		return f, b.errorf(gopath, "unsupported type %v", sf.Type)
	}
	if f.kind == kindBool && f.boolInt || t.NumMethod() == 0 {
		return f, nil
	}
	// go-querystring formats the value with fmt.Sprint, which uses these
	// methods in this order.
	switch {
	case t.Implements(formatterType):
		return f, b.errorf(gopath, "%v has a Format method", t)
	case t.Implements(errorType):
		f.method = methodError
	case t.Implements(stringerType):
		f.method = methodString
	}
	return f, nil
}

// take claims name for the field at gopath.
func (b *builder) take(name, gopath string) error {
	if other, ok := b.names[name]; ok {
		return b.errorf(gopath, "the name %q is also %s's", name, other)
	}
	b.names[name] = gopath
	return nil
}

func (b *builder) errorf(gopath, format string, args ...any) error {
	return fmt.Errorf("encoding the request: %v field %s: %s", b.top, gopath, fmt.Sprintf(format, args...))
}

// value returns the encoded value of the field f of the struct v, and false
// if the field is not sent (omitempty and zero, or a nil pointer).
func (f *field) value(v reflect.Value) (string, bool) {
	for _, i := range f.index[:len(f.index)-1] {
		v = v.Field(i)
		if v.Kind() == reflect.Pointer {
			if v.IsNil() {
				return "", false
			}
			v = v.Elem()
		}
	}
	v = v.Field(f.index[len(f.index)-1])
	for range f.ptrs {
		if v.IsNil() {
			// go-querystring sends "", which is then left out.
			return "", false
		}
		v = v.Elem()
	}
	switch f.kind {
	case kindString:
		if f.method == methodNone {
			return v.String(), true
		}
		if f.omitEmpty && f.ptrs == 0 && v.Len() == 0 {
			return "", false
		}
	case kindInt:
		n := v.Int()
		if f.omitEmpty && f.ptrs == 0 && n == 0 {
			return "", false
		}
		if f.method == methodNone {
			return strconv.FormatInt(n, 10), true
		}
	case kindUint:
		n := v.Uint()
		if f.omitEmpty && f.ptrs == 0 && n == 0 {
			return "", false
		}
		if f.method == methodNone {
			return strconv.FormatUint(n, 10), true
		}
	case kindBool:
		t := v.Bool()
		if f.omitEmpty && f.ptrs == 0 && !t {
			return "", false
		}
		switch {
		case f.boolInt && t:
			return "1", true
		case f.boolInt:
			return "0", true
		case f.method == methodNone:
			return strconv.FormatBool(t), true
		}
	}
	return f.format(v), true
}

// format returns what the String or Error method of v's type gives.
func (f *field) format(v reflect.Value) string {
	// The method is called on a copy, so that v and what holds it do not
	// escape: a struct built on the caller's stack stays there.
	p := reflect.New(f.typ)
	switch e := p.Elem(); f.kind {
	case kindString:
		e.SetString(v.String())
	case kindInt:
		e.SetInt(v.Int())
	case kindUint:
		e.SetUint(v.Uint())
	case kindBool:
		e.SetBool(v.Bool())
	}
	if f.method == methodError {
		return p.Interface().(error).Error()
	}
	return p.Interface().(fmt.Stringer).String()
}
