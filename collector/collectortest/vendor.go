package collectortest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/billing-exporter/billing-exporter/internal/sandbox"
)

// Answer is what a fake vendor answered one request, for the tests that
// hold a provider's fake to the vendor's API.
type Answer struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON is the answer's body as a JSON object, failing the test otherwise.
func (a Answer) JSON(t testing.TB) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal(a.Body, &v); err != nil {
		t.Fatalf("body is not a JSON object: %v: %s", err, a.Body)
	}
	return v
}

// Call sends method to url with the Authorization header auth (none if
// empty) and body as JSON (none if nil), and returns the answer.
func Call(t testing.TB, method, url, auth string, body any) Answer {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url, r)
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return Answer{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

// ServeFake serves a fake vendor on a loopback server closed with the
// test and returns its base URL.
func ServeFake(t testing.TB, h http.Handler) string {
	t.Helper()
	srv := sandbox.NewServer()
	t.Cleanup(srv.Close)
	if !strings.HasPrefix(srv.URL(), "http://127.0.0.1:") {
		t.Fatalf("fake not on loopback: %s", srv.URL())
	}
	return srv.Mount("/x", h)
}
