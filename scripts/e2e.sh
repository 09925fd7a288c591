#!/usr/bin/env bash
# End-to-end test of the shipped rules and dashboards on a real Prometheus
# and Alertmanager, fed by the exporter's --demo, all on 127.0.0.1:
#
#   1. promtool checks and unit-tests deploy/prometheus/billing-rules.yml;
#   2. the exporter runs with --demo, Prometheus scrapes it every second and
#      evaluates the shipped rules with every `for` cut to 5s (generated from
#      the same file by scripts/e2e), Alertmanager receives the alerts;
#   3. BillingBalanceLow and BillingTrialEndingSoon must reach Alertmanager
#      for docspace-trial (and the trial one for Qovery's acme-lab);
#   4. every PromQL expression of every dashboard panel must parse and
#      return data (EMPTY_OK below lists the exceptions, with the reason);
#   5. nothing may be pending or firing for docspace-main.
#
# With --screenshots (make screenshots) it also saves Prometheus' graph of
# the demo balances to docs/demo-balances.png with headless Chromium.
#
# Installs what is missing from Debian's packages. Stops everything it
# started, by process group, on any exit. Ends with "e2e: N passed, M failed".
set -euo pipefail

screenshots=0
for arg in "$@"; do
	case $arg in
	--screenshots) screenshots=1 ;;
	*) echo "usage: $0 [--screenshots]" >&2; exit 2 ;;
	esac
done

cd "$(dirname "$0")/.."
began=$SECONDS

# Panels, or "panel/refId" queries, that the demo legitimately leaves
# empty, each with the reason.
EMPTY_OK=(
	"Upstream errors by reason=no upstream call fails in the demo, and the panel shows only non-zero rates"
)

passed=0
failed=0
pass() { echo "PASS: $*"; passed=$((passed + 1)); }
fail() { echo "FAIL: $*"; failed=$((failed + 1)); }
# tally echoes the helper's PASS/FAIL lines and counts them.
tally() {
	local line
	while IFS= read -r line; do
		echo "$line"
		case $line in
		PASS:*) passed=$((passed + 1)) ;;
		FAIL:*) failed=$((failed + 1)) ;;
		esac
	done <"$1"
}

work=$(mktemp -d "${TMPDIR:-/tmp}/billing-e2e.XXXXXX")
pids=()

# start runs a command in its own process group (setsid), logging to
# $work/NAME.log, so that stopping it also stops any child it forked.
start() {
	local name=$1
	shift
	setsid "$@" >"$work/$name.log" 2>&1 &
	pids+=("$!")
	echo "started $name (pid $!)"
}

stop_all() {
	local pid i
	for pid in "${pids[@]}"; do
		kill -TERM -- "-$pid" 2>/dev/null || true
	done
	for pid in "${pids[@]}"; do
		for ((i = 0; i < 50; i++)); do
			kill -0 -- "-$pid" 2>/dev/null || break
			sleep 0.1
		done
		if kill -0 -- "-$pid" 2>/dev/null; then
			echo "process group $pid ignored SIGTERM; killing it"
			kill -KILL -- "-$pid" 2>/dev/null || true
		fi
		wait "$pid" 2>/dev/null || true
	done
	pids=()
}

finish() {
	local status=$?
	trap - EXIT INT TERM
	stop_all
	if ((status != 0 && failed == 0)); then
		fail "the script stopped early (exit $status)"
	fi
	if ((failed > 0)); then
		local log
		for log in "$work"/*.log; do
			[[ -s $log ]] || continue
			echo "--- last lines of $(basename "$log")"
			tail -n 20 "$log"
		done
	fi
	rm -rf "$work"
	echo "e2e took $((SECONDS - began))s"
	echo "e2e: $passed passed, $failed failed"
	((failed == 0))
}
trap finish EXIT
trap 'exit 130' INT TERM

# --- what the test needs, from Debian's packages ----------------------------
need=()
command -v prometheus >/dev/null || need+=(prometheus)
command -v prometheus-alertmanager >/dev/null || need+=(prometheus-alertmanager)
if ((screenshots)) && ! command -v chromium >/dev/null; then
	need+=(chromium)
fi
if ((${#need[@]})); then
	sudo=()
	if (($(id -u) != 0)); then sudo=(sudo); fi
	sudo+=(env DEBIAN_FRONTEND=noninteractive)
	echo "installing ${need[*]}"
	# The package lists of a fresh machine may be empty or old: update once
	# if the first attempt fails.
	if ! "${sudo[@]}" apt-get install -y -qq "${need[@]}" >"$work/apt.log" 2>&1; then
		"${sudo[@]}" apt-get update -qq >>"$work/apt.log" 2>&1
		"${sudo[@]}" apt-get install -y -qq "${need[@]}" >>"$work/apt.log" 2>&1
	fi
fi
prometheus --version 2>&1 | sed -n 1p
prometheus-alertmanager --version 2>&1 | sed -n 1p

# --- the rules on their own -------------------------------------------------
rules=deploy/prometheus/billing-rules.yml
if promtool check rules "$rules" >"$work/promtool.out" 2>&1; then
	pass "promtool check rules $rules"
else
	cat "$work/promtool.out"
	fail "promtool check rules $rules"
fi
if promtool test rules deploy/prometheus/billing-rules.test.yml >"$work/promtool.out" 2>&1; then
	pass "promtool test rules deploy/prometheus/billing-rules.test.yml"
else
	cat "$work/promtool.out"
	fail "promtool test rules deploy/prometheus/billing-rules.test.yml"
fi

# --- build ------------------------------------------------------------------
go build -o "$work/billing-exporter" ./cmd/billing-exporter
go build -o "$work/e2e" ./scripts/e2e
e2e=$work/e2e

read -r exporter_port prometheus_port alertmanager_port < <("$e2e" freeport 3)
prom=http://127.0.0.1:$prometheus_port
am=http://127.0.0.1:$alertmanager_port

"$e2e" shortfor -max 5s "$rules" "$work/billing-rules.yml"

cat >"$work/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
rule_files:
  - $work/billing-rules.yml
alerting:
  alertmanagers:
    - static_configs:
        - targets: ["127.0.0.1:$alertmanager_port"]
scrape_configs:
  - job_name: billing-exporter
    static_configs:
      - targets: ["127.0.0.1:$exporter_port"]
EOF
if promtool check config "$work/prometheus.yml" >"$work/promtool.out" 2>&1; then
	pass "promtool check config (short-for rules generated from $rules)"
else
	cat "$work/promtool.out"
	fail "promtool check config"
fi

cat >"$work/alertmanager.yml" <<EOF
route:
  receiver: nowhere
  group_wait: 1s
receivers:
  - name: nowhere
EOF

# --- run --------------------------------------------------------------------
start exporter "$work/billing-exporter" --demo --web.listen-address="127.0.0.1:$exporter_port"
# An empty cluster address turns gossip off: nothing listens beyond loopback.
start alertmanager prometheus-alertmanager \
	--config.file="$work/alertmanager.yml" \
	--storage.path="$work/alertmanager" \
	--web.listen-address="127.0.0.1:$alertmanager_port" \
	--cluster.listen-address=
start prometheus prometheus \
	--config.file="$work/prometheus.yml" \
	--storage.tsdb.path="$work/prometheus" \
	--web.listen-address="127.0.0.1:$prometheus_port"

if "$e2e" wait -prom "$prom" -query 'up{job="billing-exporter"} == 1' -timeout 60s; then
	pass "Prometheus scrapes the demo exporter (up == 1) after $((SECONDS - began))s"
else
	fail "Prometheus never scraped the demo exporter"
	exit 1
fi

"$e2e" alerts -am "$am" -timeout 90s >"$work/alerts.out" 2>&1 || fail "e2e alerts exited $?"
tally "$work/alerts.out"

empty_ok=()
for e in "${EMPTY_OK[@]}"; do empty_ok+=(-empty-ok "$e"); done
"$e2e" panels -prom "$prom" -timeout 60s "${empty_ok[@]}" \
	grafana/dashboards/billing-overview.json grafana/dashboards/billing-exporter.json \
	>"$work/panels.out" 2>&1 || fail "e2e panels exited $?"
tally "$work/panels.out"

# Last, when the rules have run longest: nothing about the healthy account.
"$e2e" quiet -prom "$prom" -am "$am" >"$work/quiet.out" 2>&1 || fail "e2e quiet exited $?"
tally "$work/quiet.out"

# --- screenshot, only when asked --------------------------------------------
if ((screenshots)); then
	shot=docs/demo-balances.png
	mkdir -p docs
	# A minute of samples, so the graph has lines rather than dots.
	"$e2e" wait -prom "$prom" -query 'min(count_over_time(billing_balance[1m])) >= 55' -timeout 90s ||
		fail "Prometheus did not collect a minute of billing_balance"
	rm -f "$work/shot.png"
	start chromium chromium --headless --no-sandbox --disable-gpu \
		--disable-background-networking --disable-component-update --disable-sync --no-first-run \
		--user-data-dir="$work/chromium" --window-size=1400,900 --hide-scrollbars \
		--virtual-time-budget=10000 --screenshot="$work/shot.png" \
		"$prom/graph?g0.expr=billing_balance&g0.tab=0&g0.stacked=0&g0.range_input=1m"
	chromium_pid=${pids[-1]}
	for ((i = 0; i < 120; i++)); do
		kill -0 "$chromium_pid" 2>/dev/null || break
		sleep 0.5
	done
	if [[ -s $work/shot.png ]] && (($(stat -c %s "$work/shot.png") > 10000)); then
		cp "$work/shot.png" "$shot"
		pass "screenshot of Prometheus' graph of billing_balance saved to $shot"
	else
		fail "no screenshot from Chromium"
	fi
fi
