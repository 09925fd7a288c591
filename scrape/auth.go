package scrape

import (
	"net/http"
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
	c.opt.Secrets = append(c.opt.Secrets, s)
	c.authMu.Unlock()
}

func (c *Client) scrub(s string) string {
	c.authMu.RLock()
	defer c.authMu.RUnlock()
	return scrubSecrets(s, c.opt.Secrets)
}

// minSecretPrefix is the shortest beginning of a secret that scrubbing
// removes where a text was shortened; shorter ones would hit ordinary words.
const minSecretPrefix = 4

// scrubSecrets replaces every secret in s, and the beginning of a secret
// left just before a "…" where a long text was shortened.
func scrubSecrets(s string, secrets []string) string {
	for _, sec := range secrets {
		if sec == "" {
			continue
		}
		for _, form := range secretForms(sec) {
			s = strings.ReplaceAll(s, form, "<secret>")
		}
	}
	if !strings.Contains(s, "…") {
		return s
	}
	parts := strings.Split(s, "…")
	for i := range parts[:len(parts)-1] {
		for _, sec := range secrets {
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
