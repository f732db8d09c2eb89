#!/usr/bin/env bash
# Interleaved A/B of two selftune publishes on issue 13's analysis targets, with ccusage in the same rounds: each round
# runs, per build, a full sync into a fresh SELFTUNE_HOME, `sessions classify` (its elapsed_ms: the outcome rules over
# every session) and `cost --by day`, then `ccusage daily --json --offline` once. Prints per measure the median wall ms
# and median CPU ms (user + sys, steadier on a shared machine), and the ratios the targets name.
# Usage: bench/analysis-ab.sh OLD_PUBLISH NEW_PUBLISH [rounds=7] [corpus=/work/bench-data/corpus] [ccusage=…/ccusage]
set -euo pipefail
old=$1 new=$2 rounds=${3:-7}
corpus=${4:-/work/bench-data/corpus}
ccusage=${5:-/work/bench-data/ccusage/node_modules/.bin/ccusage}
export HOME=$corpus CLAUDE_CONFIG_DIR=$corpus/.claude
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%FT%TZ); old $old, new $new, $rounds rounds"
# wall and CPU ms of one command, as "wall cpu"
t() { /usr/bin/time -f "%e %U %S" -o "$work/time" "$@" > /dev/null 2>&1; awk '{printf "%d %d\n", $1 * 1000, ($2 + $3) * 1000}' "$work/time"; }
for i in $(seq "$rounds"); do
  for build in old new; do
    dir=${!build}
    export SELFTUNE_HOME=$work/home-$build
    rm -rf "$SELFTUNE_HOME"
    echo "$build sync $(t "$dir/selftune" sync --json)"
    echo "$build rules $("$dir/selftune" sessions classify --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["elapsed_ms"])') 0"
    echo "$build cost $(t "$dir/selftune" cost --by day --timezone UTC --json)"
  done
  echo "ccusage daily $(t "$ccusage" daily --json --offline --timezone UTC)"
done > "$work/runs"
python3 - "$work/runs" <<'PY'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    build, measure, wall, cpu = line.split()
    rows.setdefault((build, measure), []).append((int(wall), int(cpu)))
med = {k: (statistics.median(w for w, _ in v), statistics.median(c for _, c in v)) for k, v in rows.items()}
for (build, measure), (wall, cpu) in sorted(med.items()):
    print(f"{build:8} {measure:6} median wall {wall:7.0f} ms  cpu {cpu:7.0f} ms  walls {[w for w, _ in rows[(build, measure)]]}")
cc = med[("ccusage", "daily")]
for build in ("old", "new"):
    sync, rules, cost = med[(build, "sync")], med[(build, "rules")], med[(build, "cost")]
    print(f"{build}: outcome rules {rules[0] / sync[0]:.1%} of a full sync (wall); cost --by day / ccusage daily = {cost[0] / cc[0]:.2f} wall, {cost[1] / cc[1]:.2f} cpu")
PY
