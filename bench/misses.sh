#!/usr/bin/env bash
# Offline miss discovery on the benchmark store (issue 17 target: <= 1 s for the 1,747 unhandled prompts and 40 installed
# skills), with `selftune status` on the same store as the peer run (ratio printed).
#  1. corpus: the 930-file Claude Code benchmark corpus, /work/bench-data/corpus when the store engineer built it, else
#     built under /work/bench-data-misses/corpus with ../shared/tools/make-claude-corpus.py --copies 30;
#  2. a bench HOME (/work/bench-data-misses/home): .claude/projects links to the corpus, .claude/skills holds the corpus's
#     SKILL.md folders (46 files: 40 distinct names, duplicates, no description, invalid YAML — bad input included);
#  3. publishes the Release build to bench/out/publish, syncs once, then times whole processes (python3, mean of N runs):
#     `selftune misses --llm offline --json` (BM25 ranking of every unhandled prompt, misses stored) and `selftune status --json`.
#     The discovery's own elapsed_ms and counts come from its JSON report.
# Usage: bench/misses.sh [runs=5]   (needs python3)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
out=bench/out
data=/work/bench-data-misses
shared=${SELFTUNE_SHARED:-/work/shared}   # the project's shared folder (corpus, tools)
corpus=/work/bench-data/corpus
if [ ! -d "$corpus/.claude/projects" ]; then
  corpus=$data/corpus
  [ -d "$corpus/.claude/projects" ] || python3 "$shared/tools/make-claude-corpus.py" --dest "$corpus" --copies 30
fi
home=$data/home
rm -rf "$home" && mkdir -p "$home/.claude/skills"
ln -s "$corpus/.claude/projects" "$home/.claude/projects"
i=0
find "$shared/corpus/skills" -name SKILL.md | sort | while read -r f; do
  i=$((i + 1)); d=$(dirname "$f"); cp -r "$d" "$home/.claude/skills/$(basename "$d")-$i"
  # keep the skill's own name in the frontmatter; the folder suffix only keeps duplicate names apart
done
dotnet publish src/Selftune.Host -c Release -o "$out/publish" -v quiet -nologo
exe=$PWD/$out/publish/selftune
export HOME=$home SELFTUNE_HOME=$data/selftune
rm -rf "$SELFTUNE_HOME"
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
"$exe" sync --json > /dev/null
"$exe" misses --llm offline --json > "$out/misses-report.json"
python3 - "$out/misses-report.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))["discovery"]
c = d["counts"]
print(f"discovery ({d['mode']}): {c['unhandled_prompts']} unhandled prompts, {c['skills']} skills ({c['skills_without_description']} without description, "
      f"{c['duplicate_skills']} duplicates, {c['unreadable_skills']} unreadable), {c['shortlisted']} shortlisted, {c['found']} found; "
      f"{c['short_prompts']} one-word and {c['long_prompts']} long prompts; elapsed_ms {d['elapsed_ms']}")
PY
python3 - "$exe" "$runs" <<'PY'
import subprocess, sys, time
exe, runs = sys.argv[1], int(sys.argv[2])
def measure(args):
    subprocess.run([exe, *args], stdout=subprocess.DEVNULL, check=True)  # warm-up
    times = []
    for _ in range(runs):
        t = time.perf_counter(); subprocess.run([exe, *args], stdout=subprocess.DEVNULL, check=True); times.append(time.perf_counter() - t)
    return sum(times) / len(times), min(times)
m, s = measure(["misses", "--llm", "offline", "--json"]), measure(["status", "--json"])
print(f"selftune misses --llm offline: mean {m[0]*1000:.0f} ms, min {m[1]*1000:.0f} ms (whole process, {runs} runs)")
print(f"selftune status (peer):        mean {s[0]*1000:.0f} ms, min {s[1]*1000:.0f} ms")
print(f"misses/status mean ratio: {m[0] / s[0]:.2f}")
PY
