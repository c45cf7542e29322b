package notify

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMemoryDeduperLifecycle(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := NewMemoryDeduper(time.Hour, 10)
	res, err := d.Claim(ctx, "a")
	require.NoError(t, err)
	assert.Equal(t, Claimed, res)

	// A second claim waits for the holder; with a short context it is Busy.
	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	res, _ = d.Claim(short, "a")
	cancel()
	assert.Equal(t, Busy, res)

	// Released: the next claim gets it again.
	require.NoError(t, d.Release(ctx, "a"))
	res, _ = d.Claim(ctx, "a")
	assert.Equal(t, Claimed, res)

	// A waiter blocked on the holder sees AlreadyDone once it completes.
	done := make(chan ClaimResult)
	go func() {
		r, _ := d.Claim(ctx, "a")
		done <- r
	}()
	time.Sleep(10 * time.Millisecond)
	require.NoError(t, d.Complete(ctx, "a"))
	assert.Equal(t, AlreadyDone, <-done)
	res, _ = d.Claim(ctx, "a")
	assert.Equal(t, AlreadyDone, res)
	assert.Equal(t, 1, d.Len())

	// Completing or releasing an unknown key is harmless.
	assert.NoError(t, d.Complete(ctx, "zz"))
	assert.NoError(t, d.Release(ctx, "zz"))
}

func TestMemoryDeduperTTL(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := NewMemoryDeduper(time.Minute, 10)
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	d.now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	_, _ = d.Claim(ctx, "k")
	require.NoError(t, d.Complete(ctx, "k"))
	res, _ := d.Claim(ctx, "k")
	assert.Equal(t, AlreadyDone, res)
	mu.Lock()
	now = now.Add(2 * time.Minute)
	mu.Unlock()
	res, _ = d.Claim(ctx, "k")
	assert.Equal(t, Claimed, res, "an expired key is forgotten")
}

func TestMemoryDeduperBounded(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := NewMemoryDeduper(time.Hour, 5)
	for i := 0; i < 20; i++ {
		k := fmt.Sprint(i)
		_, _ = d.Claim(ctx, k)
		require.NoError(t, d.Complete(ctx, k))
	}
	assert.Equal(t, 5, d.Len())
	res, _ := d.Claim(ctx, "19")
	assert.Equal(t, AlreadyDone, res, "the newest keys are kept")
	res, _ = d.Claim(ctx, "0")
	assert.Equal(t, Claimed, res, "the oldest keys are forgotten first")

	// In-flight keys are never evicted.
	d2 := NewMemoryDeduper(time.Hour, 1)
	_, _ = d2.Claim(ctx, "busy")
	for i := 0; i < 3; i++ {
		k := fmt.Sprint(i)
		_, _ = d2.Claim(ctx, k)
		_ = d2.Complete(ctx, k)
	}
	short, cancel := context.WithTimeout(ctx, 10*time.Millisecond)
	defer cancel()
	res, _ = d2.Claim(short, "busy")
	assert.Equal(t, Busy, res)
}

func TestClaimResultString(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "claimed", Claimed.String())
	assert.Equal(t, "already done", AlreadyDone.String())
	assert.Equal(t, "busy", Busy.String())
	assert.Equal(t, "unknown", ClaimResult(9).String())
}
