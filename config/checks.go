package config

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"unicode"
)

// checkHeaderValue refuses a key that cannot travel in an HTTP header: with
// a line break or another control character every request would fail. The
// error gives the position, never the key.
func checkHeaderValue(v Secret) error {
	if i := strings.IndexFunc(string(v), unicode.IsControl); i >= 0 {
		return fmt.Errorf("holds a control character at byte %d (a line break pasted with the key?); keys are sent in an HTTP header", i)
	}
	return nil
}

var pathSegment = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)

// CheckPathSegment refuses an id that would change the URL it is put in:
// a "/", "?", "#", "%" or ".." would send the token to another path.
func CheckPathSegment(id string) error {
	if !pathSegment.MatchString(id) || strings.Trim(id, ".") == "" {
		return fmt.Errorf("%q may only hold letters, digits and - _ . (it becomes part of the URL path)", id)
	}
	return nil
}

// errTimeoutOff is the error of a timeout set to 0: the rule that 0
// switches a feature off cannot apply to a bound on requests.
var errTimeoutOff = errors.New("0 would leave upstream requests without a bound; leave the key out for the default")
