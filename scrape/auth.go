package scrape

import (
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
)

// SetAuth installs the function that adds credentials to each request.
// Providers whose token changes (Acefone login) call it again.
func (c *Client) SetAuth(f func(*http.Request)) {
	c.authMu.Lock()
	c.auth = f
	c.authMu.Unlock()
}

// AddSecret registers one more string to scrub from errors, e.g. a token
// obtained at run time.
func (c *Client) AddSecret(s string) {
	if s == "" {
		return
	}
	c.authMu.Lock()
	c.secrets = append(c.secrets, s)
	c.authMu.Unlock()
}

// Rekeyed returns a client of the same account for other credentials, to
// be installed with its own SetAuth: it shares c's cache, coalescing,
// limits and backoff, so that a rotated key costs no vendor call. It
// scrubs secrets as well as everything c scrubs, as answers to requests c
// sent may still echo those. c itself is unchanged: a reload that fails
// after this keeps using it.
func (c *Client) Rekeyed(secrets []string) *Client {
	c.authMu.RLock()
	defer c.authMu.RUnlock()
	n := &Client{upstream: c.upstream, secrets: slices.Clone(c.secrets)}
	for _, s := range secrets {
		if s != "" && !slices.Contains(n.secrets, s) {
			n.secrets = append(n.secrets, s)
		}
	}
	return n
}

// minSecretPrefix is the shortest beginning of a secret that scrubbing
// removes where a text was shortened; shorter ones would hit ordinary words.
const minSecretPrefix = 4

// scrub replaces every secret in s, and the beginning of a secret left
// just before a "…" where a long text was shortened.
func (c *Client) scrub(s string) string {
	c.authMu.RLock()
	defer c.authMu.RUnlock()
	for _, sec := range c.secrets {
		if sec == "" {
			continue
		}
		for _, form := range secretForms(sec) {
			s = strings.ReplaceAll(s, form, "<secret>")
		}
	}
	parts := strings.Split(s, "…")
	for i := range parts[:len(parts)-1] {
		for _, sec := range c.secrets {
			for n := len(sec) - 1; n >= minSecretPrefix; n-- {
				if strings.HasSuffix(parts[i], sec[:n]) {
					parts[i] = parts[i][:len(parts[i])-n] + "<secret>"
					break
				}
			}
		}
	}
	return strings.Join(parts, "…")
}

// secretForms are the spellings of a secret that an error body may echo:
// as it is, and URL-encoded as a query or a path carries it, with upper-
// or lower-case hex digits.
func secretForms(sec string) []string {
	forms := []string{sec}
	for _, enc := range []string{url.QueryEscape(sec), url.PathEscape(sec), strings.ReplaceAll(url.QueryEscape(sec), "+", "%20")} {
		for _, f := range []string{enc, escapeHex.ReplaceAllStringFunc(enc, strings.ToLower)} {
			if !slices.Contains(forms, f) {
				forms = append(forms, f)
			}
		}
	}
	return forms
}

// escapeHex is a %XX escape as url writes it, with upper-case hex digits.
var escapeHex = regexp.MustCompile(`%[0-9A-F]{2}`)
