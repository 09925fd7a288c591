// Package e2eapi holds what the end-to-end programs share to talk to the
// Prometheus and Alertmanager they start: polling with a deadline and
// reading a JSON API.
package e2eapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// Client is the HTTP client of every call to the servers under test.
var Client = &http.Client{Timeout: 10 * time.Second}

// GetJSON decodes the 200 answer of u into out; another status is an
// error quoting the body.
func GetJSON(u string, out any) error {
	resp, err := Client.Get(u)
	if err != nil {
		return err
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s: %s", u, resp.Status, strings.TrimSpace(string(body)))
	}
	return json.Unmarshal(body, out)
}

// Poll calls f until it reports done or the deadline passes; the last
// error explains a timeout.
func Poll(timeout time.Duration, f func() (bool, error)) error {
	deadline := time.Now().Add(timeout)
	for {
		done, err := f()
		if done {
			return nil
		}
		if time.Now().After(deadline) {
			if err == nil {
				err = errors.New("condition not met")
			}
			return fmt.Errorf("after %v: %w", timeout, err)
		}
		time.Sleep(500 * time.Millisecond)
	}
}
