package collector

import (
	"sync"
	"time"
)

// logLimiter lets a given message through once per interval.
type logLimiter struct {
	mu       sync.Mutex
	now      func() time.Time
	interval time.Duration
	last     map[string]time.Time
}

func newLogLimiter(now func() time.Time, interval time.Duration) *logLimiter {
	return &logLimiter{now: now, interval: interval, last: map[string]time.Time{}}
}

func (l *logLimiter) allow(key string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if t, ok := l.last[key]; ok && now.Sub(t) < l.interval {
		return false
	}
	if len(l.last) > 10000 { // bound memory against ever-changing messages
		l.last = map[string]time.Time{}
	}
	l.last[key] = now
	return true
}
