// Package readme reads sections of the repository's README.md, for tests
// that hold the documentation to the code.
package readme

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Section returns the "## title" section of README.md, found from the
// test's package directory up, heading included, up to the next "## ".
func Section(t testing.TB, title string) string {
	t.Helper()
	doc := read(t)
	start := strings.Index(doc, "\n## "+title+"\n")
	if start < 0 {
		t.Fatalf("README.md has no %q section", title)
	}
	section := doc[start+1:]
	if end := strings.Index(section[3:], "\n## "); end >= 0 {
		section = section[:end+3]
	}
	return section
}

func read(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			b, err := os.ReadFile(filepath.Join(dir, "README.md"))
			if err != nil {
				t.Fatal(err)
			}
			return string(b)
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test's directory")
		}
		dir = parent
	}
}
