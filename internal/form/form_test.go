package form

import (
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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

func TestMap(t *testing.T) {
	t.Parallel()
	assert.Equal(t, map[string]string{"a": "1"}, Map(url.Values{"a": {"1"}, "b": {}}))
}
