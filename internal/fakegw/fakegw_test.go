package fakegw

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFaultsQueue(t *testing.T) {
	t.Parallel()
	var q Faults
	q.FailNext(2, Fault503)
	q.FailNext(1, FaultReset)
	q.FailNext(5, Fault(99)) // not a fault: nothing queued
	q.FailNext(0, Fault502)
	r := httptest.NewRequest(http.MethodPost, "/x/api.php?act=refund", nil)
	var got []Fault
	for i := 0; i < 4; i++ {
		got = append(got, q.Take(r, url.Values{"a": {"1"}}, time.Time{}))
	}
	assert.Equal(t, []Fault{Fault503, Fault503, FaultReset, FaultNone}, got)
	reqs := q.Requests()
	require.Len(t, reqs, 4)
	assert.Equal(t, "/x/api.php", reqs[0].Path)
	reqs[0].Form.Set("a", "changed")
	assert.Equal(t, "1", q.Requests()[0].Form.Get("a"), "Requests returns copies")
	assert.Equal(t, "Fault503", Fault503.String())
	assert.Equal(t, "Fault(99)", Fault(99).String())
}

func TestNotifierRetriesUntilAcknowledged(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	merchant := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) < 3 {
			http.Error(w, "fail", http.StatusInternalServerError)
			return
		}
		io.WriteString(w, " ok \n")
	}))
	t.Cleanup(merchant.Close)
	n := NewNotifier(NotifierConfig{Name: "test", Success: "ok", TimeScale: 1e6})
	defer n.Close()
	job := Job{OutTradeNo: "A", TradeNo: "T", Target: merchant.URL + "/n", Query: func() string { return "x=1" }}
	require.NoError(t, n.Deliver(job, []time.Duration{time.Minute, time.Minute, time.Minute}))
	ds, err := n.Wait(context.Background(), "A", 3)
	require.NoError(t, err)
	assert.False(t, ds[0].Acknowledged())
	assert.Equal(t, 500, ds[0].StatusCode)
	assert.True(t, ds[2].Acknowledged())
	assert.Equal(t, []int{1, 2, 3}, []int{ds[0].Attempt, ds[1].Attempt, ds[2].Attempt})
	assert.Equal(t, merchant.URL+"/n?x=1", ds[2].URL)
	time.Sleep(5 * time.Millisecond)
	assert.EqualValues(t, 3, calls.Load(), "no attempt after the acknowledgement")

	n.Close()
	_, err = n.Once(job)
	assert.ErrorIs(t, err, ErrClosed)
	assert.ErrorIs(t, n.Deliver(job, nil), ErrClosed)
	_, err = n.Wait(context.Background(), "A", 10)
	assert.Error(t, err)
}
