package main

import (
	stdlog "log"
	"net/http"
	"os"
	"time"

	"github.com/go-kit/log"
	"github.com/go-kit/log/level"
)

// requestSlack is what a request may take beyond --scrape.max-timeout to
// arrive and to be answered.
const requestSlack = 30 * time.Second

// newServer bounds slow and idle clients but never a scrape. The read and
// write deadlines cover the whole request, handler included (a read
// deadline that passes during a scrape cancels it), so they leave the
// longest scrape plus requestSlack. Idle keep-alive connections close after
// --web.idle-timeout: without it each held a file descriptor and buffers
// for as long as the client liked.
func newServer(h http.Handler, f *flags, logger log.Logger) *http.Server {
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       f.maxTimeout + requestSlack,
		WriteTimeout:      f.maxTimeout + requestSlack,
		IdleTimeout:       f.idleTimeout,
		// net/http's own complaints (TLS handshakes from plain-HTTP
		// clients, accept errors) go to our log, not to a bare stderr.
		ErrorLog: stdlog.New(log.NewStdlibAdapter(level.Warn(logger)), "", 0),
	}
	// Logged once the listener is closed, not before: from this line on
	// only the requests already in flight hold the shutdown up.
	srv.RegisterOnShutdown(func() { level.Info(logger).Log("msg", "listener closed; waiting for the requests in flight") })
	return srv
}

// drainDelay keeps serving, /-/ready answering 503, for delay after a
// shutdown signal, so that probes and load balancers see the exporter go
// before its listener closes. Another signal cuts it short.
func drainDelay(delay time.Duration, again <-chan os.Signal) {
	if delay <= 0 {
		return
	}
	t := time.NewTimer(delay)
	defer t.Stop()
	select {
	case <-t.C:
	case <-again:
	}
}
