package form

import (
	"fmt"
	"math"
	"net/url"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-querystring/query"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/epaykit/epaykit/internal/fields"
)

type req struct {
	PID   string `url:"pid"`
	Name  string `url:"name,omitempty"`
	Money string `url:"money,omitempty"`
	Empty string `url:"empty"`
	Skip  string `url:"-"`
}

func TestEncode(t *testing.T) {
	t.Parallel()
	v, err := Encode(&req{PID: "1", Name: "a&b", Skip: "x"}, map[string]string{"channel_id": "7", "blank": ""})
	require.NoError(t, err)
	assert.Equal(t, url.Values{"pid": {"1"}, "name": {"a&b"}, "channel_id": {"7"}}, v)

	_, err = Encode(&req{PID: "1"}, map[string]string{"pid": "2"})
	assert.EqualError(t, err, `extra field "pid" repeats a field the request sets; use the field`)
	_, err = Encode(&req{PID: "1"}, map[string]string{"": "2"})
	assert.Error(t, err)
	_, err = Encode(42, nil)
	assert.Error(t, err)
}

// Encode is Fields as url.Values, for comparing with the old encoding.
func Encode(v any, extra map[string]string) (url.Values, error) {
	fs, err := Fields(nil, v, extra)
	if err != nil {
		return nil, err
	}
	return fields.Values(fs), nil
}

// oracle is the encoding before Fields: go-querystring's query.Values, empty
// values dropped, extra merged, as a sorted list.
func oracle(v any, extra map[string]string) ([]fields.Field, error) {
	vals, err := query.Values(v)
	if err != nil {
		return nil, err
	}
	for k, vs := range vals {
		kept := vs[:0]
		for _, s := range vs {
			if s != "" {
				kept = append(kept, s)
			}
		}
		if len(kept) == 0 {
			delete(vals, k)
		} else {
			vals[k] = kept
		}
	}
	keys := make([]string, 0, len(extra))
	for k := range extra {
		keys = append(keys, k)
	}
	sort.Strings(keys)
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
	var fs []fields.Field
	for k, vs := range vals {
		for _, s := range vs {
			fs = append(fs, fields.Field{Name: k, Value: s})
		}
	}
	sort.SliceStable(fs, func(i, j int) bool { return fs[i].Name < fs[j].Name })
	return fs, nil
}

func fld(name, value string) fields.Field { return fields.Field{Name: name, Value: value} }

// same checks that Fields and Encode agree with the oracle on v and extra.
func same(t *testing.T, v any, extra map[string]string) {
	t.Helper()
	want, werr := oracle(v, extra)
	var buf [fields.OnStack]fields.Field
	got, err := Fields(buf[:0], v, extra)
	if werr != nil {
		require.Error(t, err, "%#v", v)
		assert.Equal(t, werr.Error(), err.Error())
		return
	}
	require.NoError(t, err, "%#v", v)
	if len(want) == 0 {
		want = nil
	}
	if len(got) == 0 {
		got = nil
	}
	assert.Equal(t, want, got, "%#v", v)
	_, dup := fields.Duplicate(got)
	assert.False(t, dup)

	vals, err := Encode(v, extra)
	require.NoError(t, err)
	assert.Equal(t, fields.Values(want), vals)
}

// The request types of the SDK, as they are.

type epayWire struct {
	PID                 string `url:"pid"`
	Type                string `url:"type,omitempty"`
	OutTradeNo          string `url:"out_trade_no"`
	NotifyURL           string `url:"notify_url"`
	ReturnURL           string `url:"return_url,omitempty"`
	Name                string `url:"name"`
	Money               string `url:"money"`
	ClientIP            string `url:"clientip,omitempty"`
	Device              string `url:"device,omitempty"`
	Param               string `url:"param,omitempty"`
	MoneyType           string `url:"money_type,omitempty"`
	DisplayMerchantName string `url:"display_merchant_name,omitempty"`
	ChannelParam        string `url:"channel_param,omitempty"`
}

// PayType is like iepay.PayType: a string type with a String method.
type PayType string

func (p PayType) String() string { return string(p) }

type iepayCreate struct {
	PayType     PayType `url:"pay_type"`
	OutTradeNo  string  `url:"out_trade_no"`
	TotalFee    int64   `url:"total_fee,omitempty"`
	RMBFee      int64   `url:"rmb_fee,omitempty"`
	Goods       string  `url:"goods"`
	GoodsDetail string  `url:"goods_detail"`
	Expired     int     `url:"expired,omitempty"`
	ReturnURL   string  `url:"return_url,omitempty"`
	NotifyURL   string  `url:"notify_url,omitempty"`
	PayRate     *int    `url:"pay_rate,omitempty"`
	TID         string  `url:"tid,omitempty"`
}

type iepayMini struct {
	AppID       string `url:"appid"`
	OpenID      string `url:"openid"`
	OutTradeNo  string `url:"out_trade_no"`
	Goods       string `url:"goods"`
	GoodsDetail string `url:"goods_detail"`
	NotifyURL   string `url:"notify_url,omitempty"`
	TotalFee    int64  `url:"total_fee"`
	Expired     int    `url:"expired,omitempty"`
}

type iepayCheck struct {
	PayType    PayType `url:"pay_type"`
	OutTradeNo string  `url:"out_trade_no"`
}

// Types with formatting methods, which fmt.Sprint and so go-querystring
// use.

type shout string

func (s shout) String() string { return strings.ToUpper(string(s)) }

type code int

func (c code) Error() string { return "E" + strconv.Itoa(int(c)) }

type both uint

func (b both) Error() string  { return "error" + strconv.FormatUint(uint64(b), 10) }
func (b both) String() string { return "string" }

type flag bool

func (f flag) String() string {
	if f {
		return "yes"
	}
	return "no"
}

// ptrString's String method is not in the method set of the value that
// go-querystring formats.
type ptrString string

func (p *ptrString) String() string { return "pointer" }

type level uint8

// kinds has a field of every supported kind and tag form.
type kinds struct {
	S        string      `url:"s"`
	SO       string      `url:"so,omitempty"`
	N        PayType     `url:"n"`
	NO       PayType     `url:"no,omitempty"`
	I        int         `url:"i"`
	IO       int         `url:"io,omitempty"`
	I8       int8        `url:"i8"`
	I16      int16       // untagged: named I16
	I32      int32       `url:"i32,omitempty"`
	I64      int64       `url:"i64"`
	U        uint        `url:"u"`
	UO       uint        `url:"uo,omitempty"`
	U8       uint8       `url:"u8"`
	U16      uint16      `url:"u16"`
	U32      uint32      `url:"u32,omitempty"`
	U64      uint64      `url:"u64"`
	UP       uintptr     `url:"up,omitempty"`
	B        bool        `url:"b"`
	BO       bool        `url:"bo,omitempty"`
	BI       bool        `url:"bi,int"`
	BIO      bool        `url:"bio,omitempty,int"`
	P        *int        `url:"p"`
	PO       *int        `url:"po,omitempty"`
	PS       *string     `url:"ps"`
	PB       *bool       `url:"pb,omitempty"`
	PBI      *bool       `url:"pbi,int"`
	PP       **int64     `url:"pp"`
	PN       *PayType    `url:"pn,omitempty"`
	Skip     string      `url:"-"`
	Untagged string      //
	OptOnly  string      `url:",omitempty"`
	Dash     string      `url:"-,"` // named "-"
	hidden   string      //nolint:unused // unexported: never sent
	Sh       shout       `url:"sh"`
	ShO      shout       `url:"sho,omitempty"`
	PSh      *shout      `url:"psh"`
	Co       code        `url:"co,omitempty"`
	CoZ      code        `url:"coz"`
	Bo       both        `url:"bo2"`
	Fl       flag        `url:"fl"`
	FlI      flag        `url:"fli,int"`
	PtrS     ptrString   `url:"ptrs"`
	Lv       level       `url:"lv"`
	Comma    string      `url:"comma,comma"` // options for other kinds do nothing
	Uni      string      `url:"名前"`
	PPS      **ptrString `url:"pps"`
}

func kindsValues() []kinds {
	i, zero := 42, 0
	s, empty := "a b&c=d", ""
	yes, no := true, false
	i64 := int64(-7)
	pi64 := &i64
	var nilI64 *int64
	pn, pnEmpty := PayType("IE0012"), PayType("")
	sh := shout("loud")
	ps := ptrString("value")
	pps := &ps
	return []kinds{
		{},
		{hidden: "h"},
		{
			S: s, SO: "so", N: "IE0011", NO: "IE0012", I: -1, IO: 5, I8: math.MinInt8, I16: math.MaxInt16,
			I32: math.MinInt32, I64: math.MinInt64, U: 1, UO: 2, U8: math.MaxUint8, U16: 3,
			U32: math.MaxUint32, U64: math.MaxUint64, UP: 9, B: true, BO: true, BI: true, BIO: true,
			P: &i, PO: &zero, PS: &s, PB: &no, PBI: &yes, PP: &pi64, PN: &pn, Skip: "skip",
			Untagged: "u", OptOnly: "o", Dash: "dash", hidden: "h", Sh: "sh", ShO: "sho", PSh: &sh,
			Co: 404, CoZ: 1, Bo: 3, Fl: true, FlI: true, PtrS: "p", Lv: 200, Comma: "x,y", Uni: "値",
			PPS: &pps,
		},
		{I: math.MaxInt64, I64: math.MaxInt64, PO: &i, PS: &empty, PB: &yes, PBI: &no, PP: &nilI64, PN: &pnEmpty},
		{S: " ", N: " ", Sh: "", PSh: new(shout), PtrS: "", Co: -3, Fl: false, FlI: false},
	}
}

// Embedded structs are flattened as go-querystring does.

type Inner struct {
	A string `url:"a"`
	B int    `url:"b,omitempty"`
}

type inner struct {
	C string `url:"c"`
	D bool   `url:"d"`
}

type Deep struct {
	E string `url:"e,omitempty"`
}

type Mid struct {
	Deep
	M string `url:"m"`
}

type Opt struct {
	O string `url:"o"`
}

type embeds struct {
	Inner
	*inner
	*Mid
	*Opt `url:",omitempty"`
	Skipped
	X string `url:"x"`
}

type Skipped struct {
	Never string `url:"never"`
}

type embedsSkip struct {
	Skipped `url:"-"`
	Y       string `url:"y"`
}

// shadow repeats a name of an embedded struct's field: go-querystring sends
// both values, Fields refuses the type.
type shadow struct {
	Inner
	A string `url:"a"`
}

// Amount is embedded through a pointer; a non-struct embedded field is a
// field named after its type.
type Amount int64

type embedsScalar struct {
	PayType
	*Amount `url:"amount,omitempty"`
	Flag    `url:",omitempty"`
}

// Flag is a bool type without methods.
type Flag bool

func embedsValues() []any {
	amount, zero := Amount(-5), Amount(0)
	return []any{
		embeds{},
		&embeds{Inner: Inner{A: "a", B: 2}, X: "x"},
		&embeds{inner: &inner{C: "c"}, Mid: &Mid{M: "m"}},
		&embeds{inner: &inner{}, Mid: &Mid{Deep: Deep{E: "e"}, M: "m"}, Opt: &Opt{O: "o"}, Skipped: Skipped{"n"}},
		embeds{inner: &inner{C: "c", D: true}, Mid: &Mid{Deep: Deep{E: "e"}}},
		&embedsSkip{Skipped: Skipped{"n"}, Y: "y"},
		&embedsScalar{},
		&embedsScalar{PayType: "IE0012", Amount: &amount, Flag: true},
		embedsScalar{Amount: &zero},
	}
}

func TestFieldsMatchesQuerystring(t *testing.T) {
	t.Parallel()
	payRate, zero := 3, 0
	cases := []any{
		&epayWire{},
		&epayWire{PID: "1001", Type: "alipay", OutTradeNo: "T1", NotifyURL: "https://m.example/n?a=1&b=2",
			ReturnURL: "https://m.example/r", Name: "VIP 会员", Money: "1.00", ClientIP: "192.0.2.1",
			Device: "pc", Param: "p=1", MoneyType: "CNY", DisplayMerchantName: "Shop", ChannelParam: "{}"},
		epayWire{PID: "1001", OutTradeNo: "T2", Name: "x", Money: "0.01"},
		&iepayCreate{},
		&iepayCreate{PayType: "IE0012", OutTradeNo: "O1", TotalFee: 1000, Goods: "g", GoodsDetail: "d",
			Expired: 600, NotifyURL: "https://m.example/n", PayRate: &payRate, TID: "7"},
		&iepayCreate{PayType: "IE0041", RMBFee: 99, PayRate: &zero},
		iepayCreate{PayType: "IE0012", TotalFee: -1},
		&iepayMini{AppID: "wx1", OpenID: "o", OutTradeNo: "O2", Goods: "g", GoodsDetail: "d"},
		&iepayMini{TotalFee: 5, Expired: 60},
		&iepayCheck{PayType: "IE0012", OutTradeNo: "O3"},
		iepayCheck{},
		&req{PID: "1", Name: "n", Money: "", Empty: "", Skip: "s"},
	}
	for _, k := range kindsValues() {
		cases = append(cases, k, &k)
	}
	cases = append(cases, embedsValues()...)
	pk := &kinds{I: 1}
	cases = append(cases, &pk) // a pointer to a pointer
	for _, c := range cases {
		same(t, c, nil)
		same(t, c, map[string]string{"version": "v1", "blank": ""})
	}
}

func TestFieldsEmbedded(t *testing.T) {
	t.Parallel()
	var buf [fields.OnStack]fields.Field
	fs, err := Fields(buf[:0], &embeds{
		Inner: Inner{A: "a"},
		inner: &inner{C: "c"},
		Mid:   &Mid{Deep: Deep{E: "e"}, M: "m"},
		X:     "x",
	}, nil)
	require.NoError(t, err)
	assert.Equal(t, []fields.Field{fld("a", "a"), fld("c", "c"), fld("d", "false"), fld("e", "e"), fld("m", "m"), fld("x", "x")}, fs)

	// A nil embedded pointer sends nothing.
	fs, err = Fields(buf[:0], &embeds{X: "x"}, nil)
	require.NoError(t, err)
	assert.Equal(t, []fields.Field{{Name: "x", Value: "x"}}, fs)
}

func TestFieldsValues(t *testing.T) {
	t.Parallel()
	rate := 0
	var buf [fields.OnStack]fields.Field
	fs, err := Fields(buf[:0], &iepayCreate{PayType: "IE0012", OutTradeNo: "O1", TotalFee: 1000, PayRate: &rate},
		map[string]string{"version": "v1"})
	require.NoError(t, err)
	assert.Equal(t, []fields.Field{
		{Name: "out_trade_no", Value: "O1"},
		{Name: "pay_rate", Value: "0"},
		{Name: "pay_type", Value: "IE0012"},
		{Name: "total_fee", Value: "1000"},
		{Name: "version", Value: "v1"},
	}, fs)

	fs, err = Fields(buf[:0], &kinds{Sh: "abc", Co: 7, Bo: 1, Fl: true, FlI: true, PtrS: "raw", BI: false}, nil)
	require.NoError(t, err)
	m := fields.Map(fs)
	assert.Equal(t, "ABC", m["sh"], "String method")
	assert.Equal(t, "E7", m["co"], "Error method")
	assert.Equal(t, "E0", m["coz"], "Error method of the zero value")
	assert.Equal(t, "error1", m["bo2"], "Error before String")
	assert.Equal(t, "yes", m["fl"])
	assert.Equal(t, "1", m["fli"], "option int before String")
	assert.Equal(t, "raw", m["ptrs"], "pointer-receiver String is not used")
	assert.Equal(t, "0", m["bi"])
	assert.Equal(t, "false", m["b"])
	assert.Equal(t, "0", m["I16"])
	_, ok := m["so"]
	assert.False(t, ok)
}

func TestFieldsAppends(t *testing.T) {
	t.Parallel()
	dst := []fields.Field{{Name: "z", Value: "first"}}
	fs, err := Fields(dst, &req{PID: "1", Name: "n"}, map[string]string{"b": "2"})
	require.NoError(t, err)
	assert.Equal(t, []fields.Field{fld("z", "first"), fld("b", "2"), fld("name", "n"), fld("pid", "1")}, fs)

	fs, err = Fields(dst, &req{PID: "1"}, map[string]string{"pid": "2"})
	require.Error(t, err)
	assert.Equal(t, dst, fs, "dst on error")
}

func TestFieldsExtra(t *testing.T) {
	t.Parallel()
	var buf [fields.OnStack]fields.Field
	r := &req{PID: "1", Name: "n"}

	// An extra repeating a field that is empty is no conflict.
	fs, err := Fields(buf[:0], r, map[string]string{"money": "9", "empty": "", "a": ""})
	require.NoError(t, err)
	assert.Equal(t, []fields.Field{fld("money", "9"), fld("name", "n"), fld("pid", "1")}, fs)

	// A blank extra repeating a set field is a conflict all the same.
	_, err = Fields(buf[:0], r, map[string]string{"name": ""})
	assert.EqualError(t, err, `extra field "name" repeats a field the request sets; use the field`)

	// Of several conflicts the smallest key is reported, every time.
	for range 50 {
		_, err = Fields(buf[:0], r, map[string]string{"pid": "x", "zz": "1", "name": "y", "a": ""})
		assert.EqualError(t, err, `extra field "name" repeats a field the request sets; use the field`)
	}

	// An empty key is reported before any conflict.
	for range 20 {
		_, err = Fields(buf[:0], r, map[string]string{"pid": "x", "": "1"})
		assert.EqualError(t, err, "extra field with an empty name")
	}
	_, err = Fields(buf[:0], r, map[string]string{"": ""})
	assert.EqualError(t, err, "extra field with an empty name")

	// Only blank extras: none is sent.
	fs, err = Fields(buf[:0], &req{}, map[string]string{"a": "", "b": ""})
	require.NoError(t, err)
	assert.Empty(t, fs)
}

type (
	withTime      struct{ T time.Time }
	withStruct    struct{ In Inner }
	withTaggedEmb struct {
		Inner `url:"in"`
	}
	withSlice     struct{ S []string }
	withMap       struct{ M map[string]string }
	withIface     struct{ I any }
	withFloat     struct{ F float64 }
	withPtrStruct struct{ P *Inner }
	withDup       struct {
		A string `url:"a"`
		B string `url:"a,omitempty"`
	}
	withDupEmb struct {
		Inner
		Other string `url:"b"`
	}
	withEncoder    struct{ E enc }
	withPtrEncoder struct{ E *enc }
	withEmbEncoder struct {
		*enc
	}
	withFormatter  struct{ F formatter }
	withUnexported struct {
		token
	}
	recursive struct {
		*recursive
		R string `url:"r"`
	}
	loopA struct {
		*LoopB
	}
	LoopB struct {
		*loopA
	}
	withNested struct {
		Mid
		Bad withBadDeep
	}
	withBadDeep struct{ C complex64 }
	withBadEmb  struct {
		Inner
		withBadDeep
	}
)

type enc struct{}

func (enc) EncodeValues(string, *url.Values) error { return nil }

type formatter int

func (formatter) Format(fmt.State, rune) {}

type token string

func TestFieldsUnsupported(t *testing.T) {
	t.Parallel()
	cases := []struct {
		v    any
		want string
	}{
		{withTime{}, "form.withTime field T: unsupported type time.Time"},
		{&withStruct{}, "form.withStruct field In: unsupported type form.Inner"},
		{&withTaggedEmb{}, "form.withTaggedEmb field Inner: unsupported type form.Inner"},
		{&withSlice{}, "form.withSlice field S: unsupported type []string"},
		{&withMap{}, "form.withMap field M: unsupported type map[string]string"},
		{&withIface{}, "form.withIface field I: unsupported type interface {}"},
		{&withFloat{}, "form.withFloat field F: unsupported type float64"},
		{&withPtrStruct{}, "form.withPtrStruct field P: unsupported type *form.Inner"},
		{&withDup{}, `form.withDup field B: the name "a" is also A's`},
		{&shadow{}, `form.shadow field Inner.A: the name "a" is also A's`},
		{&withDupEmb{}, `form.withDupEmb field Inner.B: the name "b" is also Other's`},
		{&withEncoder{}, "form.withEncoder field E: form.enc has an EncodeValues method"},
		{&withPtrEncoder{}, "form.withPtrEncoder field E: *form.enc has an EncodeValues method"},
		{&withEmbEncoder{}, "form.withEmbEncoder field enc: embedded *form.enc has an EncodeValues method"},
		{&withFormatter{}, "form.withFormatter field F: form.formatter has a Format method"},
		{&withUnexported{token: "t"}, "form.withUnexported field token: unexported embedded form.token"},
		{&recursive{recursive: &recursive{}}, "form.recursive field recursive: form.recursive embeds itself"},
		{&loopA{}, "form.loopA field LoopB.loopA: form.loopA embeds itself"},
		{&withNested{}, "form.withNested field Bad: unsupported type form.withBadDeep"},
		{&withBadEmb{}, "form.withBadEmb field withBadDeep.C: unsupported type complex64"},
	}
	for _, c := range cases {
		var buf [fields.OnStack]fields.Field
		for range 2 { // built, then cached
			fs, err := Fields(buf[:0], c.v, nil)
			assert.EqualError(t, err, "encoding the request: "+c.want)
			assert.Empty(t, fs)
		}
		_, err := Encode(c.v, map[string]string{"a": "1"})
		assert.EqualError(t, err, "encoding the request: "+c.want)
	}
}

func TestFieldsNotAStruct(t *testing.T) {
	t.Parallel()
	var nilReq *req
	var nilPtr **req
	pNil := &nilReq
	n := 42
	cases := []struct {
		v    any
		want string
	}{
		{nil, "encoding the request: nil instead of a struct"},
		{nilReq, "encoding the request: nil *form.req"},
		{nilPtr, "encoding the request: nil **form.req"},
		{pNil, "encoding the request: nil *form.req"},
		{42, "encoding the request: int is not a struct or a pointer to one"},
		{&n, "encoding the request: int is not a struct or a pointer to one"},
		{"s", "encoding the request: string is not a struct or a pointer to one"},
		{[]req{}, "encoding the request: []form.req is not a struct or a pointer to one"},
		{map[string]string{}, "encoding the request: map[string]string is not a struct or a pointer to one"},
	}
	for _, c := range cases {
		var buf [fields.OnStack]fields.Field
		_, err := Fields(buf[:0], c.v, nil)
		assert.EqualError(t, err, c.want)
		_, err = Encode(c.v, nil)
		assert.EqualError(t, err, c.want)
	}
}

// Fresh struct types, so that the goroutines below race to build plans.
type (
	race1 struct {
		A string `url:"a"`
		N int    `url:"n,omitempty"`
	}
	race2 struct {
		Inner
		P PayType `url:"p"`
	}
	race3 struct {
		U uint64 `url:"u"`
		F *bool  `url:"f"`
	}
)

func TestFieldsConcurrent(t *testing.T) {
	t.Parallel()
	yes := true
	values := []any{
		&race1{A: "a", N: 1}, race1{}, &race2{Inner: Inner{A: "x", B: 3}, P: "IE0012"}, &race3{U: 9, F: &yes},
		&epayWire{PID: "1", Name: "n"}, &iepayCreate{PayType: "IE0012", TotalFee: 10},
		reflect.New(reflect.StructOf([]reflect.StructField{
			{Name: "Dyn", Type: reflect.TypeOf(""), Tag: `url:"dyn"`},
			{Name: "Num", Type: reflect.TypeOf(0), Tag: `url:"num,omitempty"`},
		})).Interface(),
	}
	want := make([][]fields.Field, len(values))
	for i, v := range values {
		var err error
		want[i], err = oracle(v, map[string]string{"x": "1"})
		require.NoError(t, err)
	}
	start := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan string, 64)
	for g := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			for n := range 200 {
				i := (g + n) % len(values)
				var buf [fields.OnStack]fields.Field
				fs, err := Fields(buf[:0], values[i], map[string]string{"x": "1"})
				if err != nil || !reflect.DeepEqual(fs, want[i]) {
					select {
					case errs <- fmt.Sprintf("%T: %v %v, want %v", values[i], fs, err, want[i]):
					default:
					}
					return
				}
			}
		}()
	}
	close(start)
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

func TestFieldsAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts differ under the race detector")
	}
	w := benchWire()
	extra := map[string]string{"channel_id": "7"}
	allocs := testing.AllocsPerRun(100, func() {
		var buf [fields.OnStack]fields.Field
		fs, err := Fields(buf[:0], &w, extra)
		if err != nil || len(fs) != 10 {
			t.Fatal(len(fs), err)
		}
	})
	assert.Zero(t, allocs, "strings only, into a stack array")

	rate := 7
	r := iepayCreate{PayType: "IE0012", OutTradeNo: "O1", TotalFee: 1000, Goods: "g", GoodsDetail: "d", Expired: 600, PayRate: &rate}
	allocs = testing.AllocsPerRun(100, func() {
		var buf [fields.OnStack]fields.Field
		if _, err := Fields(buf[:0], &r, extra); err != nil {
			t.Fatal(err)
		}
	})
	// total_fee and expired (7 is a small number strconv does not
	// allocate), and the copy that PayType's String method is called on.
	assert.Equal(t, 3.0, allocs)
}

func FuzzFields(f *testing.F) {
	f.Add("1001", "IE0012", "abc", int64(1000), uint64(0), true, false, "version", "v1")
	f.Add("", "", "", int64(0), uint64(0), false, false, "", "")
	f.Add("a&b=c", " ", "x y", int64(math.MinInt64), uint64(math.MaxUint64), true, true, "pid", "")
	f.Add("p", "t", "s", int64(-1), uint64(1), false, true, "pay_type", "x")
	f.Fuzz(func(t *testing.T, s1, s2, s3 string, i int64, u uint64, set, b bool, key, val string) {
		n := int(i)
		var rate *int
		if set {
			rate = &n
		}
		extra := map[string]string{key: val, "version": "v1"}
		same(t, &epayWire{PID: s1, Type: s2, OutTradeNo: s3, NotifyURL: s1 + s2, Name: s3, Money: s2,
			ClientIP: s1, Param: val}, extra)
		same(t, &iepayCreate{PayType: PayType(s2), OutTradeNo: s1, TotalFee: i, Goods: s3, Expired: int(u),
			PayRate: rate, TID: s3}, extra)
		same(t, kinds{S: s1, SO: s2, N: PayType(s3), I: n, IO: int(u), I8: int8(i), I64: i, U: uint(u), U8: uint8(u),
			U64: u, B: b, BO: set, BI: b, P: rate, PS: &s1, Untagged: s3, Sh: shout(s1), Co: code(i),
			Fl: flag(b), PtrS: ptrString(s2)}, extra)
		same(t, &embeds{Inner: Inner{A: s1, B: n}, inner: &inner{C: s2, D: b}, X: s3}, extra)
	})
}
