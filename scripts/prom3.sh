#!/usr/bin/env bash
# Builds Prometheus 3 (prometheus, promtool) and Alertmanager 0.35 (alertmanager,
# amtool) from their Go modules into a cache directory outside the checkout,
# and prints the two directories holding them:
#
#   read -r prom_dir am_dir < <(bash scripts/prom3.sh)
#
# A binary already in the cache that was built from the wanted module version
# (as `go version -m` reports it) is kept, so only the first run on a machine
# pays for the build: about 15 minutes on 2 cores with an empty Go build cache.
#
# Alertmanager cannot be `go install`ed: its module zip lacks the web UIs that
# ui/web.go embeds (app/dist). It is built from a copy of the module source
# with placeholder pages there: the API works, the web UIs do not.
#
# BILLING_TOOLS_CACHE overrides the cache directory (default
# ~/.cache/billing-exporter). Progress goes to stderr.
set -euo pipefail

PROMETHEUS_VERSION=v0.316.0 # Prometheus 3.16
ALERTMANAGER_VERSION=v0.35.0

cache=${BILLING_TOOLS_CACHE:-$HOME/.cache/billing-exporter}
prom_dir=$cache/prom-$PROMETHEUS_VERSION
am_dir=$cache/alertmanager-$ALERTMANAGER_VERSION

# built BIN MODULE VERSION: BIN exists and was built from MODULE at VERSION
# (go install records it; see `go version -m`).
built() {
	[[ -x $1 ]] && go version -m "$1" 2>/dev/null |
		awk -v m="$2" -v v="$3" '$1 == "mod" && $2 == m && $3 == v { found = 1 } END { exit !found }'
}

# reports BIN VERSION: BIN exists and its --version names VERSION.
reports() {
	[[ -x $1 ]] && "$1" --version 2>&1 | grep -q "version $2 "
}

log() { echo "prom3.sh: $*" >&2; }

mkdir -p "$prom_dir" "$am_dir"

if built "$prom_dir/prometheus" github.com/prometheus/prometheus "$PROMETHEUS_VERSION" &&
	built "$prom_dir/promtool" github.com/prometheus/prometheus "$PROMETHEUS_VERSION"; then
	log "prometheus and promtool $PROMETHEUS_VERSION already in $prom_dir"
else
	log "building prometheus and promtool $PROMETHEUS_VERSION into $prom_dir (about 15 min on 2 cores the first time)"
	began=$SECONDS
	GOBIN=$prom_dir go install \
		"github.com/prometheus/prometheus/cmd/prometheus@$PROMETHEUS_VERSION" \
		"github.com/prometheus/prometheus/cmd/promtool@$PROMETHEUS_VERSION" >&2
	log "built prometheus and promtool in $((SECONDS - began))s"
fi

if reports "$am_dir/alertmanager" "${ALERTMANAGER_VERSION#v}" && reports "$am_dir/amtool" "${ALERTMANAGER_VERSION#v}"; then
	log "alertmanager and amtool $ALERTMANAGER_VERSION already in $am_dir"
else
	log "building alertmanager and amtool $ALERTMANAGER_VERSION into $am_dir"
	began=$SECONDS
	mod=$(cd /tmp && go mod download -json "github.com/prometheus/alertmanager@$ALERTMANAGER_VERSION" |
		sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
	[[ -d $mod ]] || { log "go mod download gave no source directory"; exit 1; }
	src=$(mktemp -d "${TMPDIR:-/tmp}/alertmanager-src.XXXXXX")
	trap 'rm -rf "$src"' EXIT
	cp -R "$mod/." "$src"
	chmod -R u+w "$src"
	for ui in elm mantine; do
		mkdir -p "$src/ui/app/dist/$ui"
		echo "<!doctype html><title>Alertmanager</title><p>Web UI not built: use the API (/api/v2)." \
			>"$src/ui/app/dist/$ui/index.html"
	done
	# Built from a plain copy, the binaries know their version only from
	# the flag the release build sets too.
	ldflags="-X github.com/prometheus/common/version.Version=${ALERTMANAGER_VERSION#v}"
	(cd "$src" && go build -ldflags "$ldflags" -o "$am_dir/alertmanager.tmp" ./cmd/alertmanager &&
		go build -ldflags "$ldflags" -o "$am_dir/amtool.tmp" ./cmd/amtool) >&2
	mv "$am_dir/alertmanager.tmp" "$am_dir/alertmanager"
	mv "$am_dir/amtool.tmp" "$am_dir/amtool"
	log "built alertmanager and amtool in $((SECONDS - began))s"
fi

echo "$prom_dir $am_dir"
