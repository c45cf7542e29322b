package main

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/epaykit/epaykit/epay"
	"github.com/epaykit/epaykit/epay/epaytest"
	"github.com/epaykit/epaykit/iepay"
	"github.com/epaykit/epaykit/iepay/iepaytest"
)

// syncBuffer is a log sink safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestRoutesCreditOnceAndAcknowledge(t *testing.T) {
	egw := epaytest.NewServer(epaytest.WithTest(t))
	igw := iepaytest.NewServer(iepaytest.WithTest(t))
	ec, err := epay.New(egw.URL, egw.PID, egw.Key)
	require.NoError(t, err)
	ic, err := iepay.New(igw.MID, igw.Key, iepay.WithBaseURL(igw.URL))
	require.NoError(t, err)
	var logs syncBuffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	ledger := &Ledger{credited: map[string]int64{}}
	srv := httptest.NewServer(routes(ec, ic, ledger, logger))
	t.Cleanup(srv.Close)

	require.NoError(t, demoPayments(context.Background(), ec, ic, egw, igw, srv.URL))

	for _, d := range egw.Deliveries() {
		assert.Equal(t, http.StatusOK, d.StatusCode)
		assert.Equal(t, "success", d.Reply)
	}
	for _, d := range igw.Deliveries() {
		assert.Equal(t, "SUCCESS", d.Reply)
	}
	assert.Len(t, egw.Deliveries(), 2)
	assert.Len(t, igw.Deliveries(), 2)
	assert.Equal(t, map[string]int64{"NS-EPAY-1": 100, "NS-IEPAY-1": 0}, ledger.credited)
	assert.Equal(t, 2, strings.Count(logs.String(), "msg=credited"))
	assert.NotContains(t, logs.String(), egw.Key)
	assert.NotContains(t, logs.String(), igw.Key)

	// A forged notification is refused and logged.
	resp, err := http.Get(srv.URL + "/notify/epay?pid=1001&trade_no=1&out_trade_no=X&money=1&trade_status=TRADE_SUCCESS&sign=00000000000000000000000000000000")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	assert.Contains(t, logs.String(), "notification refused")
}
