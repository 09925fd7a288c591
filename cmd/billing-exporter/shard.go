package main

import (
	"fmt"
	"io"
	"maps"
	"os"
	"regexp"
	"slices"
	"strconv"

	"github.com/alecthomas/kingpin/v2"
	"github.com/billing-exporter/billing-exporter/config"
)

// shardFlags select the accounts this replica serves.
type shardFlags struct {
	index, total uint64
	fromHostname bool
}

func addShardFlags(app *kingpin.Application, f *shardFlags) {
	app.Flag("shard.index", "Serve only the accounts whose shard (Prometheus' hashmod of the account name by --shard.total) is this one.").Default("0").Uint64Var(&f.index)
	app.Flag("shard.total", "Number of shards the accounts are split into; 1 serves them all.").Default("1").Uint64Var(&f.total)
	app.Flag("shard.from-hostname", "Take --shard.index from the trailing ordinal of the host name (a StatefulSet pod's name, e.g. billing-exporter-2).").BoolVar(&f.fromHostname)
}

// hostname is the host name --shard.from-hostname reads; tests replace it.
var hostname = os.Hostname

var ordinalRe = regexp.MustCompile(`-([0-9]+)$`)

// shard resolves the flags into the replica's shard.
func (f shardFlags) shard() (config.Shard, error) {
	s := config.Shard{Index: f.index, Total: f.total}
	if f.fromHostname {
		host, err := hostname()
		if err != nil {
			return s, fmt.Errorf("--shard.from-hostname: %w", err)
		}
		m := ordinalRe.FindStringSubmatch(host)
		if m == nil {
			return s, fmt.Errorf("--shard.from-hostname: host name %q does not end in -<ordinal>", host)
		}
		if s.Index, err = strconv.ParseUint(m[1], 10, 64); err != nil {
			return s, fmt.Errorf("--shard.from-hostname: host name %q: %w", host, err)
		}
	}
	if err := s.Check(); err != nil {
		return s, fmt.Errorf("--shard.index/--shard.total: %w", err)
	}
	return s, nil
}

// printShards lists every account of the file with its shard, this
// replica's and the others', sorted by name.
func printShards(w io.Writer, cfg *config.Config, s config.Shard) {
	shards := map[string]uint64{}
	for _, a := range cfg.Accounts {
		shards[a.Name] = s.Index
	}
	for name, i := range cfg.Elsewhere {
		shards[name] = i
	}
	_, _ = fmt.Fprintf(w, "shards (--shard.total=%d; this replica serves shard %d, %d accounts):\n", s.Total, s.Index, len(cfg.Accounts))
	for _, name := range slices.Sorted(maps.Keys(shards)) {
		_, _ = fmt.Fprintf(w, "  %s: %d\n", name, shards[name])
	}
}
