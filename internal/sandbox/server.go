// Package sandbox is where the fakes of the vendors' billing APIs run, for
// the tests and for --demo: one loopback server hosting every fake under a
// path prefix, canned replies and fault injection. Each provider's fake
// lives in its folder under collector/. Nothing here reaches a network.
package sandbox

import (
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
)

// Server is one loopback HTTP server hosting fakes under path prefixes, so
// that one port serves many accounts of every provider.
type Server struct {
	srv *httptest.Server
	mux *http.ServeMux

	mu       sync.Mutex
	requests []Request
	fault    Fault
}

// Request is what a fake saw. HasAuth says whether an Authorization header
// came; the header itself is not kept, so no test can print a key by accident.
type Request struct {
	Method  string
	Path    string
	Query   string
	HasAuth bool
}

// Fault may answer a request instead of the fakes (fault injection); next is the fakes' handler, for faults that garble a real
// answer. It returns false to let the fakes answer as usual.
type Fault func(w http.ResponseWriter, r *http.Request, next http.Handler) bool

// NewServer starts a server on 127.0.0.1 with a free port.
func NewServer() *Server {
	s := &Server{mux: http.NewServeMux()}
	s.srv = httptest.NewUnstartedServer(http.HandlerFunc(s.serve))
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic("sandbox: cannot listen on loopback: " + err.Error())
	}
	_ = s.srv.Listener.Close()
	s.srv.Listener = l
	s.srv.Start()
	return s
}

// URL is the server's root, e.g. http://127.0.0.1:38211.
func (s *Server) URL() string { return s.srv.URL }

// Close stops the server and ends open connections.
func (s *Server) Close() {
	s.srv.CloseClientConnections()
	s.srv.Close()
}

// Mount serves h under prefix (e.g. "/docspace/main") and returns the base
// URL an account should be configured with.
func (s *Server) Mount(prefix string, h http.Handler) string {
	prefix = "/" + strings.Trim(prefix, "/")
	s.mux.Handle(prefix+"/", http.StripPrefix(prefix, h))
	return s.srv.URL + prefix
}

// SetFault installs (or with nil removes) a fault injector.
func (s *Server) SetFault(f Fault) {
	s.mu.Lock()
	s.fault = f
	s.mu.Unlock()
}

// Requests returns a copy of every request seen so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// RequestsPerPath is how many requests each path has seen so far.
func (s *Server) RequestsPerPath() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]int{}
	for _, r := range s.requests {
		out[r.Path]++
	}
	return out
}

// ResetRequests forgets the requests seen so far.
func (s *Server) ResetRequests() {
	s.mu.Lock()
	s.requests = nil
	s.mu.Unlock()
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.requests = append(s.requests, Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery,
		HasAuth: r.Header.Get("Authorization") != ""})
	fault := s.fault
	s.mu.Unlock()
	if fault != nil && fault(w, r, s.mux) {
		return
	}
	s.mux.ServeHTTP(w, r)
}

// Reply is a canned answer. Body is JSON-encoded, except a string or
// []byte, which is sent as is; a func() any is called per request so that
// values can move with time.
type Reply struct {
	Status int
	Body   any
	Header map[string]string
}

// Wrapped is a 200 reply whose body is wrap(payload), a vendor's envelope
// around it; a payload that is a func() any is called, and wrapped, per
// request, as Reply's Body would be.
func Wrapped(payload any, wrap func(any) any) Reply {
	if f, ok := payload.(func() any); ok {
		return Reply{Body: func() any { return wrap(f()) }}
	}
	return Reply{Body: wrap(payload)}
}

// Write sends the reply.
func (rep Reply) Write(w http.ResponseWriter) {
	status := rep.Status
	if status == 0 {
		status = http.StatusOK
	}
	body := rep.Body
	if f, ok := body.(func() any); ok {
		body = f()
	}
	var b []byte
	switch v := body.(type) {
	case nil:
	case string:
		b = []byte(v)
	case []byte:
		b = v
	default:
		var err error
		if b, err = json.Marshal(v); err != nil {
			http.Error(w, "sandbox: cannot encode reply: "+err.Error(), http.StatusInternalServerError)
			return
		}
	}
	if len(b) > 0 {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
	}
	for k, v := range rep.Header {
		w.Header().Set(k, v)
	}
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// Replies is a concurrency-safe table of canned answers by endpoint name
// or path, for a fake to embed.
type Replies struct {
	mu sync.Mutex
	m  map[string]Reply
}

// Set makes rep the answer of endpoint.
func (r *Replies) Set(endpoint string, rep Reply) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.m == nil {
		r.m = map[string]Reply{}
	}
	r.m[endpoint] = rep
}

// Get is the answer of endpoint, if one was set.
func (r *Replies) Get(endpoint string) (Reply, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	rep, ok := r.m[endpoint]
	return rep, ok
}

// FailUnder is a Fault that answers 404 with a JSON error body to every
// request under one of the prefixes (e.g. "/docspace/main"): an account
// whose vendor breaks mid-test while the others keep answering.
func FailUnder(prefixes ...string) Fault {
	return func(w http.ResponseWriter, r *http.Request, _ http.Handler) bool {
		for _, p := range prefixes {
			if strings.HasPrefix(r.URL.Path, p) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusNotFound)
				_, _ = w.Write([]byte(`{"message":"gone"}`))
				return true
			}
		}
		return false
	}
}
