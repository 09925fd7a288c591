package scrape

import (
	"encoding/base64"
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

// SetSecret makes value the secret held in slot (e.g. "token"). The value
// it replaces stays scrubbed until the next change, as requests sent with
// it may still be answered; older ones leave the list, so that it holds
// at most two values per slot however often tokens change. "" empties the
// slot but for the value it replaces.
func (c *Client) SetSecret(slot, value string) {
	c.authMu.Lock()
	defer c.authMu.Unlock()
	if c.slots == nil {
		c.slots = map[string][2]string{}
	}
	held := c.slots[slot]
	if value == held[0] {
		return
	}
	c.slots[slot] = [2]string{value, held[0]}
	c.rebuildScrubList()
}

// rebuildScrubList makes the scrub list of the configured secrets and the
// slots' values; the caller holds authMu for writing.
func (c *Client) rebuildScrubList() {
	all := slices.Clone(c.secrets)
	for _, values := range c.slots {
		all = append(all, values[:]...) // newScrubList skips the empty ones
	}
	c.scrubList = newScrubList(all)
}

// scrubList is every secret of a client with the spellings an error body
// may echo, computed when the secrets change rather than at every error.
type scrubList struct {
	secrets []string // as they are, for the cut-prefix check
	forms   []string // every spelling, longest first
}

func newScrubList(secrets []string) *scrubList {
	l := &scrubList{}
	for _, sec := range secrets {
		if sec == "" || slices.Contains(l.secrets, sec) {
			continue
		}
		l.secrets = append(l.secrets, sec)
		for _, f := range secretForms(sec) {
			if !slices.Contains(l.forms, f) {
				l.forms = append(l.forms, f)
			}
		}
	}
	// A form that holds another (a padded base64 form, its core) goes first.
	slices.SortStableFunc(l.forms, func(a, b string) int { return len(b) - len(a) })
	return l
}

// Rekeyed returns a client of the same account for other credentials, to
// be installed with its own SetAuth: it shares c's cache, coalescing,
// limits and backoff, so that a rotated key costs no vendor call. It
// scrubs secrets as well as c's configured ones, as answers to requests c
// sent may still echo those; tokens c obtained at run time (SetSecret) are
// the new scraper's to obtain again. c itself is unchanged: a reload that
// fails after this keeps using it.
func (c *Client) Rekeyed(secrets []string) *Client {
	c.authMu.RLock()
	defer c.authMu.RUnlock()
	n := &Client{upstream: c.upstream, secrets: slices.Clone(c.secrets)}
	for _, s := range secrets {
		if s != "" && !slices.Contains(n.secrets, s) {
			n.secrets = append(n.secrets, s)
		}
	}
	n.rebuildScrubList()
	return n
}

// minSecretPrefix is the shortest beginning of a secret that scrubbing
// removes where a text was shortened; shorter ones would hit ordinary words.
const minSecretPrefix = 4

// scrub replaces every spelling of every secret in s, and the beginning of
// a secret left just before a "…" where a long text was shortened.
func (c *Client) scrub(s string) string {
	c.authMu.RLock()
	l := c.scrubList
	c.authMu.RUnlock()
	if l == nil {
		return s // a Client not built by New or Rekeyed (tests) has no secrets
	}
	for _, form := range l.forms {
		s = strings.ReplaceAll(s, form, "<secret>")
	}
	parts := strings.Split(s, "…")
	for i := range parts[:len(parts)-1] {
		for _, sec := range l.secrets {
			for n := min(len(sec)-1, len(parts[i])); n >= minSecretPrefix; n-- {
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
// as it is; URL-encoded as a query or a path carries it, with upper- or
// lower-case hex digits; base64-encoded, standard or URL-safe, padded or
// not, alone or inside a longer encoded text ("user:key" of a Basic
// credential).
func secretForms(sec string) []string {
	forms := []string{sec}
	add := func(f string) {
		if f != "" && !slices.Contains(forms, f) {
			forms = append(forms, f)
		}
	}
	for _, enc := range []string{url.QueryEscape(sec), url.PathEscape(sec), strings.ReplaceAll(url.QueryEscape(sec), "+", "%20")} {
		add(enc)
		add(escapeHex.ReplaceAllStringFunc(enc, strings.ToLower))
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding} {
		add(enc.EncodeToString([]byte(sec)))
		add(enc.WithPadding(base64.NoPadding).EncodeToString([]byte(sec)))
		add(base64Core(enc, sec, 0))
		add(base64Core(enc, sec, 1))
		add(base64Core(enc, sec, 2))
	}
	return forms
}

// base64Core is what the base64 of any text holding sec at a byte offset
// of shift (mod 3) holds for certain: the characters made of sec's bits
// alone, without those the bytes around it share.
func base64Core(enc *base64.Encoding, sec string, shift int) string {
	text := enc.WithPadding(base64.NoPadding).EncodeToString(append(make([]byte, shift), sec...))
	from, to := (shift*8+5)/6, (shift+len(sec))*8/6
	if to-from < minSecretPrefix {
		return ""
	}
	return text[from:to]
}

// escapeHex is a %XX escape as url writes it, with upper-case hex digits.
var escapeHex = regexp.MustCompile(`%[0-9A-F]{2}`)
