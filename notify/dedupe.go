package notify

import (
	"container/list"
	"context"
	"sync"
	"time"
)

// ClaimResult is the answer of a Deduper to a claim.
type ClaimResult int

// Claim results.
const (
	// Claimed: the caller holds the key and must call Complete or Release.
	Claimed ClaimResult = iota
	// AlreadyDone: a delivery for the key was processed successfully before.
	AlreadyDone
	// Busy: another delivery holds the key right now.
	Busy
)

func (c ClaimResult) String() string {
	switch c {
	case Claimed:
		return "claimed"
	case AlreadyDone:
		return "already done"
	case Busy:
		return "busy"
	}
	return "unknown"
}

// Deduper makes notification handling idempotent across the gateway's
// repeated and concurrent deliveries. A key (gateway, merchant and trade
// number) is claimed before the merchant's function runs, completed after it
// succeeded and released after it failed, so that the function runs at most
// once at a time per order and never again after it succeeded.
//
// Claim may block for a while waiting for another holder (the in-memory
// Deduper does) but must return when ctx is done; returning Busy makes the
// handler wait a little and claim again, until its busy wait ends.
//
// Implementations must be safe for concurrent use. Merchants running several
// instances use a shared store; see the package documentation for a Redis
// and an SQL sketch.
type Deduper interface {
	Claim(ctx context.Context, key string) (ClaimResult, error)
	Complete(ctx context.Context, key string) error
	Release(ctx context.Context, key string) error
}

// Defaults of the in-memory Deduper.
const (
	DefaultTTL        = 48 * time.Hour
	DefaultMaxEntries = 100_000
)

// MemoryDeduper is the default Deduper: in memory, for one process. Keys
// completed are remembered for a TTL (longer than any gateway's retry
// schedule) and at most a bounded number of them are kept, the oldest
// forgotten first. Keys being processed are never forgotten. The zero value
// is not usable: use NewMemoryDeduper.
type MemoryDeduper struct {
	mu      sync.Mutex
	ttl     time.Duration
	max     int
	now     func() time.Time
	entries map[string]*memEntry
	done    *list.List // of *memEntry in completion order, oldest first
}

type memEntry struct {
	key      string
	inFlight bool
	release  chan struct{} // closed when the holder completes or releases
	expires  time.Time
	elem     *list.Element // in done, when completed
}

// NewMemoryDeduper returns an in-memory Deduper that remembers completed keys
// for ttl (DefaultTTL when ≤ 0) and at most maxEntries of them
// (DefaultMaxEntries when ≤ 0).
func NewMemoryDeduper(ttl time.Duration, maxEntries int) *MemoryDeduper {
	if ttl <= 0 {
		ttl = DefaultTTL
	}
	if maxEntries <= 0 {
		maxEntries = DefaultMaxEntries
	}
	return &MemoryDeduper{ttl: ttl, max: maxEntries, now: time.Now, entries: map[string]*memEntry{}, done: list.New()}
}

// Claim claims key, waiting while another delivery holds it, until ctx ends
// (then it answers Busy).
func (d *MemoryDeduper) Claim(ctx context.Context, key string) (ClaimResult, error) {
	for {
		d.mu.Lock()
		e, ok := d.entries[key]
		if ok && !e.inFlight && !d.now().Before(e.expires) {
			d.forget(e)
			ok = false
		}
		if !ok {
			d.entries[key] = &memEntry{key: key, inFlight: true, release: make(chan struct{})}
			d.mu.Unlock()
			return Claimed, nil
		}
		if !e.inFlight {
			d.mu.Unlock()
			return AlreadyDone, nil
		}
		wait := e.release
		d.mu.Unlock()
		select {
		case <-wait:
		case <-ctx.Done():
			return Busy, nil
		}
	}
}

// Complete marks key as processed successfully.
func (d *MemoryDeduper) Complete(_ context.Context, key string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	e, ok := d.entries[key]
	if !ok || !e.inFlight {
		return nil
	}
	e.inFlight = false
	e.expires = d.now().Add(d.ttl)
	e.elem = d.done.PushBack(e)
	close(e.release)
	d.evict()
	return nil
}

// Release gives key up after a failure, so that a later delivery runs again.
func (d *MemoryDeduper) Release(_ context.Context, key string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	e, ok := d.entries[key]
	if !ok || !e.inFlight {
		return nil
	}
	delete(d.entries, key)
	close(e.release)
	return nil
}

// Len returns how many keys are remembered or in flight.
func (d *MemoryDeduper) Len() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.entries)
}

// evict drops expired completed keys, then the oldest ones beyond the bound.
func (d *MemoryDeduper) evict() {
	now := d.now()
	for front := d.done.Front(); front != nil; front = d.done.Front() {
		e := front.Value.(*memEntry)
		if now.Before(e.expires) && d.done.Len() <= d.max {
			return
		}
		d.forget(e)
	}
}

func (d *MemoryDeduper) forget(e *memEntry) {
	if e.elem != nil {
		d.done.Remove(e.elem)
		e.elem = nil
	}
	delete(d.entries, e.key)
}
