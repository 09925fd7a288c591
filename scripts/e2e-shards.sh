#!/usr/bin/env bash
# End-to-end proof of sharding on real Prometheus servers (scripts/e2eshards
# says what it checks): two exporter replicas, two Prometheus servers
# splitting the accounts with hashmod, one unsharded exporter to compare.
# Everything listens on 127.0.0.1 and stops on exit. Installs Debian's
# prometheus when missing.
set -euo pipefail
cd "$(dirname "$0")/.."

work=$(mktemp -d "${TMPDIR:-/tmp}/billing-e2e-shards.XXXXXX")
trap 'rm -rf "$work"' EXIT

if ! command -v prometheus >/dev/null; then
	sudo=()
	[ "$(id -u)" -eq 0 ] || sudo=(sudo)
	echo "installing prometheus"
	if ! "${sudo[@]}" apt-get install -y -qq prometheus >"$work/apt.log" 2>&1; then
		"${sudo[@]}" apt-get update -qq >>"$work/apt.log" 2>&1
		"${sudo[@]}" apt-get install -y -qq prometheus >>"$work/apt.log" 2>&1
	fi
fi

go build -o "$work/billing-exporter" ./cmd/billing-exporter
go run ./scripts/e2eshards -exporter "$work/billing-exporter" -prometheus "$(command -v prometheus)" -work "$work" || {
	status=$?
	for log in "$work"/*/*.log; do
		echo "== $log"
		tail -n 20 "$log"
	done
	exit $status
}
