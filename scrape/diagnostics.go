package scrape

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// redirectTarget names where a redirect the client did not follow
// pointed, resolved against the request, without the userinfo, query and
// fragment, which may carry credentials.
func redirectTarget(resp *http.Response) string {
	loc := resp.Header.Get("Location")
	if loc == "" {
		return ""
	}
	u, err := url.Parse(loc)
	if err != nil {
		return "an unparsable Location"
	}
	if resp.Request != nil && resp.Request.URL != nil {
		u = resp.Request.URL.ResolveReference(u)
	}
	u.User, u.RawQuery, u.ForceQuery, u.Fragment, u.RawFragment = nil, "", false, "", ""
	return u.String()
}

// secretForms are the spellings of a secret that an error body may echo:
// as it is, and URL-encoded as a query or a path carries it, with upper-
// or lower-case hex digits.
func secretForms(sec string) []string {
	forms := []string{sec}
	for _, enc := range []string{url.QueryEscape(sec), url.PathEscape(sec), strings.ReplaceAll(url.QueryEscape(sec), "+", "%20")} {
		for _, f := range []string{enc, lowerHex(enc)} {
			if !slices.Contains(forms, f) {
				forms = append(forms, f)
			}
		}
	}
	return forms
}

// lowerHex writes the hex digits of every %XX escape in lower case.
func lowerHex(s string) string {
	b := []byte(s)
	for i := 0; i+2 < len(b); i++ {
		if b[i] == '%' {
			b[i+1], b[i+2] = toLower(b[i+1]), toLower(b[i+2])
		}
	}
	return string(b)
}

func toLower(c byte) byte {
	if 'A' <= c && c <= 'F' {
		return c + 'a' - 'A'
	}
	return c
}
