#!/usr/bin/env bash
# Session analysis benchmark (issue 13 targets: `cost --by day` <= 0.5x `ccusage daily --json --offline` in the same
# run, `errors` <= 0.5 s, outcome rules add <= 10% to a full sync), on the 930-file benchmark corpus.
# The machine is shared: every pair is run interleaved (selftune, then its peer, N times) and the ratio of medians is
# what counts.
# Usage: bench/analysis.sh [runs=7] [corpus=/work/bench-data/corpus] [ccusage=/work/bench-data/ccusage/node_modules/.bin/ccusage]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-7}
corpus=${2:-/work/bench-data/corpus}
ccusage=${3:-/work/bench-data/ccusage/node_modules/.bin/ccusage}
out=$PWD/bench/out
home=$out/home-analysis
exe=$out/publish/selftune
dotnet publish src/Selftune.Host -c Release -r linux-x64 --self-contained false -p:PublishReadyToRun=true -o "$out/publish" -v quiet -nologo

export HOME=$corpus SELFTUNE_HOME=$home CLAUDE_CONFIG_DIR=$corpus/.claude
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%FT%TZ)"
echo "corpus: $(find "$corpus/.claude/projects" -type f -name '*.jsonl' | wc -l) transcripts; ccusage $("$ccusage" --version)"

ms() { local s e; s=$(date +%s%N); "$@" > /dev/null 2>&1; e=$(date +%s%N); echo $(( (e - s) / 1000000 )); }
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2 ? a[(NR+1)/2] : int((a[NR/2] + a[NR/2+1]) / 2))}'; }

sync_ms=(); rules_ms=(); cost_ms=(); cc_ms=(); errors_ms=(); status_ms=()
for i in $(seq "$runs"); do
  rm -rf "$home"
  sync_ms+=("$(ms "$exe" sync --json)")
  rules_ms+=("$("$exe" sessions classify --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["elapsed_ms"])')")
  cost_ms+=("$(ms "$exe" cost --by day --timezone UTC --json)")
  cc_ms+=("$(ms "$ccusage" daily --json --offline --timezone UTC)")
  errors_ms+=("$(ms "$exe" errors --json)")
  status_ms+=("$(ms "$exe" status --json)")
done

sync=$(printf '%s\n' "${sync_ms[@]}" | median); rules=$(printf '%s\n' "${rules_ms[@]}" | median)
cost=$(printf '%s\n' "${cost_ms[@]}" | median); cc=$(printf '%s\n' "${cc_ms[@]}" | median); errors=$(printf '%s\n' "${errors_ms[@]}" | median); status=$(printf '%s\n' "${status_ms[@]}" | median)
echo "full sync (with outcome rules): ${sync_ms[*]} ms, median $sync"
echo "outcome rules over every session (sessions classify elapsed_ms): ${rules_ms[*]} ms, median $rules ($(python3 -c "print(f'{$rules / $sync:.1%}')") of a full sync)"
echo "cost --by day: ${cost_ms[*]} ms, median $cost; ccusage daily --json --offline: ${cc_ms[*]} ms, median $cc; ratio $(python3 -c "print(f'{$cost / $cc:.2f}')")"
echo "errors: ${errors_ms[*]} ms, median $errors; status (peer, same store): ${status_ms[*]} ms, median $status; ratio $(python3 -c "print(f'{$errors / $status:.2f}')")"
"$exe" cost --by day --timezone UTC --json | python3 -c 'import json,sys; d=json.load(sys.stdin); print("selftune total", round(d["totals"]["tokens"]["cost_usd"], 4), "USD")'
"$ccusage" daily --json --offline --timezone UTC | python3 -c 'import json,sys; d=json.load(sys.stdin); print("ccusage total", round(d["totals"]["totalCost"], 4), "USD")'
