package digitalocean_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/billing-exporter/billing-exporter/collector/collectortest"
	"github.com/billing-exporter/billing-exporter/collector/digitalocean"
)

// These tests hold the fake to DigitalOcean's OpenAPI spec (its error
// model, rate-limit headers and the rate limits of its description), so
// that the tests built on it prove something about the real API.

func call(t *testing.T, h http.Handler, method, path, auth string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, path, nil)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// errorBody checks an answer is the spec's error model: id and message
// (required strings) and an optional request_id string.
func errorBody(t *testing.T, rec *httptest.ResponseRecorder, status int, id string) {
	t.Helper()
	if rec.Code != status {
		t.Fatalf("status %d, want %d: %s", rec.Code, status, rec.Body)
	}
	var e map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil {
		t.Fatalf("error body is not JSON: %v", err)
	}
	if e["id"] != id {
		t.Errorf("id %v, want %s", e["id"], id)
	}
	if m, ok := e["message"].(string); !ok || m == "" {
		t.Errorf("message %v, want a string", e["message"])
	}
	if r, ok := e["request_id"]; ok {
		if _, isString := r.(string); !isString {
			t.Errorf("request_id %v is not a string", r)
		}
	}
	for k := range e {
		if k != "id" && k != "message" && k != "request_id" {
			t.Errorf("error body has %q, which the spec's error model lacks", k)
		}
	}
}

func TestFakeAuth(t *testing.T) {
	fake := digitalocean.NewFake(token)
	for auth, want := range map[string]int{"Bearer " + token: 200, token: 401, "Bearer nope": 401, "": 401, "Token " + token: 401} {
		rec := call(t, fake, http.MethodGet, digitalocean.Balance.Path, auth)
		if rec.Code != want {
			t.Errorf("%d-char Authorization: %d, want %d", len(auth), rec.Code, want)
		}
		if want == 401 {
			errorBody(t, rec, 401, "unauthorized")
		}
	}
}

func TestFakeOtherPathsAndMethods(t *testing.T) {
	fake := digitalocean.NewFake(token)
	errorBody(t, call(t, fake, http.MethodGet, "/v2/customers/my/invoices", "Bearer "+token), 404, "not_found")
	errorBody(t, call(t, fake, http.MethodPost, digitalocean.Balance.Path, "Bearer "+token), 404, "not_found")
}

// Every answer to the token carries the hourly limit, what is left of it
// and when the oldest request stops counting.
func TestFakeRateLimitHeaders(t *testing.T) {
	clock := collectortest.NewClock()
	fake := digitalocean.NewFake(token)
	fake.Now = clock.Now
	start := clock.Now()
	for i := 1; i <= 3; i++ {
		rec := call(t, fake, http.MethodGet, digitalocean.Balance.Path, "Bearer "+token)
		if rec.Code != 200 {
			t.Fatalf("status %d", rec.Code)
		}
		for header, want := range map[string]string{"ratelimit-limit": "5000", "ratelimit-remaining": strconv.Itoa(5000 - i),
			"ratelimit-reset": strconv.FormatInt(start.Add(time.Hour).Unix(), 10)} {
			if got := rec.Header().Get(header); got != want {
				t.Errorf("request %d: %s %q, want %q", i, header, got, want)
			}
		}
		if rec.Header().Get("retry-after") != "" {
			t.Errorf("request %d: retry-after on a success", i)
		}
		clock.Advance(10 * time.Second)
	}
}

// Past the per-minute burst limit: 429 with retry-after, the seconds until
// the oldest request of the minute stops counting, and remaining 0.
func TestFakeBurstLimit(t *testing.T) {
	clock := collectortest.NewClock()
	fake := digitalocean.NewFake(token)
	fake.Now = clock.Now
	for i := 0; i < digitalocean.LimitPerMinute; i++ {
		if rec := call(t, fake, http.MethodGet, digitalocean.Balance.Path, "Bearer "+token); rec.Code != 200 {
			t.Fatalf("request %d of the minute: %d", i+1, rec.Code)
		}
		if i == 0 {
			clock.Advance(20 * time.Second)
		}
	}
	rec := call(t, fake, http.MethodGet, digitalocean.Balance.Path, "Bearer "+token)
	errorBody(t, rec, 429, "too_many_requests")
	if got := rec.Header().Get("retry-after"); got != "40" {
		t.Errorf("retry-after %q, want 40", got)
	}
	if got := rec.Header().Get("ratelimit-remaining"); got != "0" {
		t.Errorf("ratelimit-remaining %q, want 0", got)
	}
	clock.Advance(40 * time.Second) // the first request is a minute old
	if rec := call(t, fake, http.MethodGet, digitalocean.Balance.Path, "Bearer "+token); rec.Code != 200 {
		t.Errorf("after retry-after: %d", rec.Code)
	}
	if rec := call(t, fake, http.MethodGet, digitalocean.Balance.Path, "Bearer "+token); rec.Code != 429 {
		t.Errorf("the other 249 requests still count: %d", rec.Code)
	}
}

// Past the hourly limit: 429 without retry-after until the oldest request
// is an hour old, ratelimit-reset saying when.
func TestFakeHourlyLimit(t *testing.T) {
	clock := collectortest.NewClock()
	fake := digitalocean.NewFake(token)
	fake.Now, fake.PerHour = clock.Now, 3
	start := clock.Now()
	for i := 0; i < 3; i++ {
		if rec := call(t, fake, http.MethodGet, digitalocean.Balance.Path, "Bearer "+token); rec.Code != 200 {
			t.Fatalf("request %d: %d", i+1, rec.Code)
		}
		clock.Advance(10 * time.Minute)
	}
	rec := call(t, fake, http.MethodGet, digitalocean.Balance.Path, "Bearer "+token)
	errorBody(t, rec, 429, "too_many_requests")
	if rec.Header().Get("retry-after") != "" {
		t.Error("retry-after past the hourly limit; the spec sends it for the burst limit only")
	}
	if got, want := rec.Header().Get("ratelimit-reset"), strconv.FormatInt(start.Add(time.Hour).Unix(), 10); got != want {
		t.Errorf("ratelimit-reset %q, want %q", got, want)
	}
	clock.Advance(30 * time.Minute) // an hour after the first request
	if rec := call(t, fake, http.MethodGet, digitalocean.Balance.Path, "Bearer "+token); rec.Code != 200 {
		t.Errorf("an hour later: %d", rec.Code)
	}
}
