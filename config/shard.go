package config

import (
	"bytes"
	"crypto/md5"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"

	"gopkg.in/yaml.v3"
)

// Shard is the part of a configuration one replica serves: the accounts
// whose ShardOf among Total is Index.
type Shard struct {
	Index, Total uint64
}

// Unsharded is the whole configuration.
var Unsharded = Shard{Index: 0, Total: 1}

// ShardOf is an account's shard among total: Prometheus' hashmod relabel
// action on the account name, so that `action: hashmod, modulus: total`
// on a target labelled with the name selects the same accounts.
func ShardOf(name string, total uint64) uint64 {
	sum := md5.Sum([]byte(name))
	return binary.BigEndian.Uint64(sum[8:]) % total
}

// Check reports an index outside 0..Total-1.
func (s Shard) Check() error {
	if s.Total == 0 {
		return errors.New("shard total must be at least 1")
	}
	if s.Index >= s.Total {
		return fmt.Errorf("shard index %d is outside 0..%d (shard total %d)", s.Index, s.Total-1, s.Total)
	}
	return nil
}

// Owns reports whether the account named name is this shard's.
func (s Shard) Owns(name string) bool {
	return s.Total <= 1 || ShardOf(name, s.Total) == s.Index
}

func (s Shard) String() string { return fmt.Sprintf("%d of %d", s.Index, s.Total) }

// LoadShard is Load for the replica serving s. Every account is checked
// as Load checks it, but the secrets of other shards' accounts are neither
// read nor required (their key files need not exist here); those accounts
// are then left out of Accounts and listed in Elsewhere.
func LoadShard(path string, s Shard, ps Providers) (*Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading config: %w", err)
	}
	c, err := ParseShard(b, os.LookupEnv, s, ps)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// ParseShard is Parse for the replica serving s (see LoadShard).
func ParseShard(b []byte, lookupEnv func(string) (string, bool), s Shard, ps Providers) (*Config, error) {
	if err := s.Check(); err != nil {
		return nil, err
	}
	var c Config
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true) // unknown keys are errors
	if err := dec.Decode(&c); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("parsing YAML: the file is empty")
		}
		return nil, fmt.Errorf("parsing YAML: %w", cleanYAML(err))
	}
	if err := c.validate(lookupEnv, s, ps); err != nil {
		return nil, err
	}
	return c.Sharded(s), nil
}

// Sharded returns a copy of c holding only the accounts of shard s; the
// others are listed in Elsewhere with their shard.
func (c *Config) Sharded(s Shard) *Config {
	out := &Config{Global: c.Global, Elsewhere: map[string]uint64{}, SecretFiles: c.SecretFiles}
	for _, a := range c.Accounts {
		if s.Owns(a.Name) {
			out.Accounts = append(out.Accounts, a)
		} else {
			out.Elsewhere[a.Name] = ShardOf(a.Name, s.Total)
		}
	}
	return out
}
