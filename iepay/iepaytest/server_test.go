package iepaytest

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeTB records what the server asks of a TB.
type fakeTB struct {
	mu       sync.Mutex
	cleanups []func()
	logs     []string
}

func (f *fakeTB) Helper() {}
func (f *fakeTB) Cleanup(fn func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.cleanups = append(f.cleanups, fn)
}
func (f *fakeTB) Logf(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.logs = append(f.logs, fmt.Sprintf(format, args...))
}

func TestWithTestRegistersCloseAndLogsNoKey(t *testing.T) {
	t.Parallel()
	tb := &fakeTB{}
	m := newShop(t, 1)
	s := NewServer(WithTest(tb), WithTimeScale(1e6), WithTimeScale(0), WithTimeScale(-1), WithFaultDelay(-1))
	require.Len(t, tb.cleanups, 1)
	assert.Equal(t, float64(1e6), s.cfg.timeScale, "invalid scales are ignored")
	assert.Equal(t, DefaultFaultDelay, s.cfg.faultDelay)

	p := createParams("L-1", "IE0011")
	p["notify_url"] = m.notifyURL()
	s.FailNext(1, FaultPHPWarning)
	post(t, s, "api/online", signed(s, p))
	require.NoError(t, s.Pay("L-1"))
	_, err := s.WaitDeliveries(context.Background(), "L-1", 2)
	require.NoError(t, err)

	tb.cleanups[0]() // what t.Cleanup would run
	_, err = http.Get(s.URL + "pay/x")
	assert.Error(t, err, "closed by the registered cleanup")
	assert.Equal(t, 2, m.count(), "retried once after the failure")

	tb.mu.Lock()
	defer tb.mu.Unlock()
	all := strings.Join(tb.logs, "\n")
	assert.Contains(t, all, "injecting fault FaultPHPWarning")
	assert.Contains(t, all, "notification 1 for L-1 (GET): status 500")
	assert.Contains(t, all, "notification 2 for L-1 (GET): status 200")
	assert.NotContains(t, all, s.Key)
}
