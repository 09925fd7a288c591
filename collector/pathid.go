package collector

import (
	"net/url"
	"strings"
)

// pathID puts an id into a URL path as one segment: escaped, and with "."
// and ".." spelled %2E, so that no id from a config or a vendor's answer
// can send the token to another path.
func pathID(id string) string {
	if strings.Trim(id, ".") == "" {
		return strings.ReplaceAll(id, ".", "%2E")
	}
	return url.PathEscape(id)
}
