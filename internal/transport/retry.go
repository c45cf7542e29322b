package transport

import (
	"context"
	"crypto/x509"
	"errors"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"time"
)

// checkRetry is the retry policy. Safe calls retry connection failures and
// 429/502/503/504; unsafe calls (Request.Unsafe) retry only failures to
// connect, where the request provably never left. Nothing is retried once the
// context is done.
func (c *Client) checkRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	// Every attempt passes through here (the response log hook is skipped
	// when a RoundTripper leaves resp.Request unset), so the attempt is
	// accounted for here.
	st := callFrom(ctx)
	if st != nil {
		if err != nil {
			c.emit(st, 0, c.scrubErr(unwrapURLError(err)))
		} else {
			st.sent = true
			c.emit(st, resp.StatusCode, nil)
		}
	}
	if ctxErr := ctx.Err(); ctxErr != nil {
		return false, ctxErr
	}
	unsafe := st != nil && st.unsafe
	if err != nil {
		dial := IsDialError(err)
		if st != nil && !dial {
			st.sent = true
		}
		if unsafe && !dial {
			return false, nil
		}
		return retryableError(err), nil
	}
	if unsafe {
		return false, nil
	}
	switch resp.StatusCode {
	case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true, nil
	}
	return false, nil
}

// retryableError reports whether a transport error is worth another attempt:
// not a certificate problem, a malformed request or a redirect loop.
func retryableError(err error) bool {
	var certErr *x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var invalidErr x509.CertificateInvalidError
	if errors.As(err, &certErr) || errors.As(err, &hostErr) || errors.As(err, &invalidErr) {
		return false
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) && dnsErr.IsNotFound {
		return false
	}
	return true
}

// IsDialError reports whether err is a failure to establish the connection,
// so that the request cannot have reached the server.
func IsDialError(err error) bool {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true
	}
	var dnsErr *net.DNSError
	return errors.As(err, &dnsErr)
}

// backoff waits min·2^attempt with full jitter, capped at max, or what the
// server's Retry-After asks (up to MaxRetryAfter).
func backoff(min, max time.Duration, attempt int, resp *http.Response) time.Duration {
	if resp != nil {
		if d, ok := retryAfter(resp.Header.Get("Retry-After"), time.Now()); ok {
			return d
		}
	}
	if attempt > 30 {
		attempt = 30
	}
	ceil := min << uint(attempt)
	if ceil > max || ceil <= 0 {
		ceil = max
	}
	// Full jitter between min/2 and ceil, so concurrent clients spread out.
	lo := min / 2
	if ceil <= lo {
		return ceil
	}
	return lo + rand.N(ceil-lo)
}

// retryAfter parses a Retry-After value: seconds or an HTTP date.
func retryAfter(v string, now time.Time) (time.Duration, bool) {
	if v == "" {
		return 0, false
	}
	var d time.Duration
	if secs, err := strconv.Atoi(v); err == nil {
		if secs < 0 {
			return 0, false
		}
		d = time.Duration(secs) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
		if d < 0 {
			d = 0
		}
	} else {
		return 0, false
	}
	if d > MaxRetryAfter {
		d = MaxRetryAfter
	}
	return d, true
}
