package config

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/relabel"
)

// shardNames is the table of account names: the shapes names take in
// configs (letters, digits, _ . : -), short and long.
func shardNames() []string {
	names := []string{"a", "A", "0", "docspace-main", "acefone-uk", "qovery", "x.y:z_w-1", strings.Repeat("n", 200)}
	for i := range 1000 {
		names = append(names, fmt.Sprintf("customer-%04d", i), fmt.Sprintf("portal%d.example.com", i))
	}
	return names
}

// TestShardOfIsPrometheusHashmod: for every name and modulus, the replica
// owning the account is the one whose index a Prometheus keeps with
// `hashmod` on the name and `keep` on that index, as computed by
// Prometheus' own relabel package.
func TestShardOfIsPrometheusHashmod(t *testing.T) {
	for _, total := range []uint64{1, 2, 3, 4, 7, 16, 1000} {
		hashmod := &relabel.Config{
			SourceLabels: model.LabelNames{"account"},
			Separator:    ";",
			Regex:        relabel.MustNewRegexp("(.*)"),
			Modulus:      total,
			TargetLabel:  "__tmp_shard",
			Action:       relabel.HashMod,
		}
		for _, name := range shardNames() {
			lb := labels.NewBuilder(labels.FromStrings("account", name))
			relabel.ProcessBuilder(lb, hashmod)
			want, err := strconv.ParseUint(lb.Get("__tmp_shard"), 10, 64)
			if err != nil {
				t.Fatalf("%q mod %d: prometheus wrote %q", name, total, lb.Get("__tmp_shard"))
			}
			if got := ShardOf(name, total); got != want {
				t.Fatalf("ShardOf(%q, %d) = %d, Prometheus' hashmod = %d", name, total, got, want)
			}
			for i := range min(total, 16) {
				keep := &relabel.Config{
					SourceLabels: model.LabelNames{"__tmp_shard"},
					Separator:    ";",
					Regex:        relabel.MustNewRegexp(strconv.FormatUint(i, 10)),
					Action:       relabel.Keep,
				}
				kept := relabel.ProcessBuilder(labels.NewBuilder(labels.FromStrings("account", name)), hashmod, keep)
				if owns := (Shard{Index: i, Total: total}).Owns(name); owns != kept {
					t.Fatalf("shard %d of %d owns %q: %v; Prometheus keeps it: %v", i, total, name, owns, kept)
				}
			}
		}
	}
}

func TestShardCheck(t *testing.T) {
	for _, tc := range []struct {
		s    Shard
		want string
	}{
		{Shard{0, 1}, ""},
		{Shard{3, 4}, ""},
		{Shard{0, 0}, "shard total must be at least 1"},
		{Shard{4, 4}, "shard index 4 is outside 0..3 (shard total 4)"},
	} {
		err := tc.s.Check()
		if got := fmt.Sprint(err); (tc.want == "" && err != nil) || (tc.want != "" && got != tc.want) {
			t.Errorf("%+v.Check() = %v, want %q", tc.s, err, tc.want)
		}
	}
}

// shardedFile writes a config of n docspace accounts whose key files exist
// only for the accounts of shard mine; it returns the file's path.
func shardedFile(t *testing.T, n int, mine Shard) string {
	t.Helper()
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("accounts:\n")
	for i := range n {
		name := fmt.Sprintf("customer-%02d", i)
		key := filepath.Join(dir, name+".key")
		if mine.Owns(name) {
			if err := os.WriteFile(key, []byte("sk-"+name), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		fmt.Fprintf(&b, "  - name: %s\n    provider: docspace\n    base_url: https://%s.example.com\n    api_key_file: %s\n", name, name, key)
	}
	path := filepath.Join(dir, "config.yml")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestLoadShardWithoutOtherShardsSecrets: a replica loads a file whose
// other shards' key files are absent, keeps only its own accounts and
// knows where the others are.
func TestLoadShardWithoutOtherShardsSecrets(t *testing.T) {
	mine := Shard{Index: 1, Total: 3}
	path := shardedFile(t, 20, mine)
	if _, err := LoadShard(path, Unsharded, testProviders); err == nil || !strings.Contains(err.Error(), "api_key_file: cannot read") {
		t.Fatalf("Load of the whole file: err = %v, want a missing key file", err)
	}
	c, err := LoadShard(path, mine, testProviders)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Accounts)+len(c.Elsewhere) != 20 || len(c.Accounts) == 0 || len(c.Elsewhere) == 0 {
		t.Fatalf("%d accounts here, %d elsewhere; want 20 split over both", len(c.Accounts), len(c.Elsewhere))
	}
	for _, a := range c.Accounts {
		if ShardOf(a.Name, 3) != 1 {
			t.Errorf("account %q of shard %d served by shard 1", a.Name, ShardOf(a.Name, 3))
		}
		if string(a.APIKey) != "sk-"+a.Name {
			t.Errorf("account %q: key not read from its file", a.Name)
		}
	}
	for name, s := range c.Elsewhere {
		if s == 1 || s != ShardOf(name, 3) {
			t.Errorf("Elsewhere[%q] = %d, its shard is %d", name, s, ShardOf(name, 3))
		}
	}
	// A missing key of this shard's own account is still an error.
	other := shardedFile(t, 20, Shard{Index: 2, Total: 3})
	if _, err := LoadShard(other, mine, testProviders); err == nil || !strings.Contains(err.Error(), "api_key_file: cannot read") {
		t.Fatalf("own key file missing: err = %v", err)
	}
}

// TestParseShardChecksOtherShardsAccounts: everything but the secrets of
// another shard's account is still checked, with its place in the file.
func TestParseShardChecksOtherShardsAccounts(t *testing.T) {
	// customer-00 and customer-01 are on different shards of 2.
	if ShardOf("customer-00", 2) == ShardOf("customer-01", 2) {
		t.Fatal("test names share a shard; pick others")
	}
	mine := Shard{Index: ShardOf("customer-00", 2), Total: 2}
	for _, tc := range []struct{ name, account, want string }{
		{"unknown provider", "provider: docspac\n    api_key_file: /nonexistent", `accounts[1] "customer-01": provider: "docspac" is unknown`},
		{"key twice", "provider: docspace\n    api_key: x\n    api_key_file: /nonexistent", `accounts[1] "customer-01": api_key and api_key_file: set only one`},
		{"no key at all", "provider: docspace", `accounts[1] "customer-01": api_key: missing or empty`},
		{"env key unset", "provider: docspace\n    api_key: ${UNSET_VARIABLE}", ""},
		{"password file absent", "provider: acefone\n    username: u\n    password_file: /nonexistent", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc := "accounts:\n" +
				"  - name: customer-00\n    provider: docspace\n    base_url: https://a.example.com\n    api_key: k\n" +
				"  - name: customer-01\n    base_url: https://b.example.com\n    " + tc.account + "\n"
			c, err := ParseShard([]byte(doc), env, mine, testProviders)
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				if len(c.Accounts) != 1 || c.Accounts[0].Name != "customer-00" || c.Elsewhere["customer-01"] != 1-mine.Index {
					t.Fatalf("accounts %v, elsewhere %v", c.Accounts, c.Elsewhere)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
	// This shard's own password file must exist, as Load requires.
	own := "accounts:\n  - name: customer-00\n    provider: acefone\n    base_url: https://a.example.com\n" +
		"    username: u\n    password_file: /nonexistent\n"
	if _, err := ParseShard([]byte(own), env, mine, testProviders); err == nil ||
		err.Error() != `accounts[0] "customer-00": password_file: cannot read "/nonexistent": no such file or directory` {
		t.Fatalf("own password file missing: err = %v", err)
	}
	if _, err := ParseShard([]byte("accounts: []\n"), env, Shard{Index: 2, Total: 2}, testProviders); err == nil {
		t.Fatal("index 2 of 2 accepted")
	}
}
