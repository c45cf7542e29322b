package epay

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseMoney(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]int64{
		"1": 100, "10.5": 1050, "10.0000": 1000, "0.01": 1, "9.99": 999, "0": 0, "0.00": 0,
		"1.00": 100, "129.90": 12990, "007.1": 710, "1.5000000": 150,
		"92233720368547758.07": math.MaxInt64,
	} {
		got, err := ParseMoney(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	for _, in := range []string{
		"", "-1", "+1", "1e3", "1.005", " 1", "1 ", "1.", ".5", "0x10", "1,00", "１", "1.0.0", "NaN", "Inf",
		"92233720368547758.08", "99999999999999999999", "1.2a", "1..", "١",
	} {
		_, err := ParseMoney(in)
		require.Error(t, err, in)
		assert.ErrorIs(t, err, ErrInvalidMoney, in)
		assert.Regexp(t, `^epay: money ".*": `, err.Error())
	}
	_, err := ParseMoney("1.005")
	assert.EqualError(t, err, `epay: money "1.005": more than 2 decimals`)
}

func TestFormatCents(t *testing.T) {
	t.Parallel()
	for in, want := range map[int64]string{
		999: "9.99", 100: "1.00", 0: "0.00", 1: "0.01", 10: "0.10", -1: "-0.01", -100: "-1.00", -12345: "-123.45",
		math.MaxInt64: "92233720368547758.07", math.MinInt64: "-92233720368547758.08",
	} {
		assert.Equal(t, want, FormatCents(in), in)
	}
	for _, c := range []int64{0, 1, 5, 99, 100, 101, 123456789, math.MaxInt64} {
		got, err := ParseMoney(FormatCents(c))
		require.NoError(t, err)
		assert.Equal(t, c, got)
	}
}

func TestValidateMoney(t *testing.T) {
	t.Parallel()
	for _, ok := range []string{"9.99", "1", "0.01", "10.5", "100000", "0.10"} {
		assert.NoError(t, ValidateMoney(ok), ok)
	}
	for in, reason := range map[string]string{
		"9.999":   "more than 2 decimals",
		"10.0000": "more than 2 decimals",
		"0":       "must be greater than zero",
		"0.00":    "must be greater than zero",
		"-1":      "not a plain decimal number",
		"1e3":     "not a plain decimal number",
		"":        "empty",
		" 1":      "not a plain decimal number",
		"1.":      "missing digits after the decimal point",
		".5":      "missing digits before the decimal point",
	} {
		err := ValidateMoney(in)
		require.Error(t, err, in)
		assert.ErrorIs(t, err, ErrInvalidMoney)
		assert.Contains(t, err.Error(), reason, in)
	}
}
