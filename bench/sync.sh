#!/usr/bin/env bash
# Claude Code sync benchmark (issue 3 targets: full sync <= 1.0 s, unchanged sync <= 0.1 s, peak RSS <= 150 MB,
# status <= 0.2 s on a 2-core machine).
#  1. builds the benchmark corpus: 30 copies of ../shared/corpus/claude-code (930 files, 307 MB) with
#     ../shared/tools/make-claude-corpus.py, under bench/out/corpus/.claude/projects (kept between runs);
#  2. publishes the Release build, ReadyToRun for linux-x64 (plugins included), to bench/out/publish;
#  3. measures with hyperfine: full sync (fresh store each run), unchanged sync (told from the last sync's stamp), the
#     same without the stamp (plugins loaded, every source discovered and compared), status; and peak RSS of a full
#     sync with /usr/bin/time -v. HOME points at the corpus, SELFTUNE_HOME at bench/out/home.
# Usage: bench/sync.sh [runs=10]   (needs python3, hyperfine: apt-get install -y hyperfine)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-10}
out=bench/out
corpus=$PWD/$out/corpus
home=$PWD/$out/home
exe=$PWD/$out/publish/selftune

if [ ! -d "$corpus/.claude/projects" ]; then
  python3 ../shared/tools/make-claude-corpus.py --dest "$corpus" --copies 30
fi
dotnet publish src/Selftune.Host -c Release -r linux-x64 --self-contained false -p:PublishReadyToRun=true -o "$out/publish" -v quiet -nologo

export HOME=$corpus SELFTUNE_HOME=$home
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "corpus: $(find "$corpus/.claude/projects" -type f | wc -l) files, $(du -sm "$corpus/.claude/projects" | cut -f1) MB"

hyperfine -N --warmup 1 --runs "$runs" --prepare "rm -rf $home" --export-json "$out/full.json" "$exe sync --json"
rm -rf "$home" && "$exe" sync --json > "$out/sync-report.json"
hyperfine -N --warmup 2 --runs "$runs" --export-json "$out/unchanged.json" "$exe sync --json"
hyperfine -N --warmup 1 --runs "$runs" --export-json "$out/unchanged-no-stamp.json" \
  --prepare "python3 -c \"import sqlite3; c = sqlite3.connect('$home/selftune.db'); c.execute('DELETE FROM sync_stamp_platforms'); c.commit()\"" \
  "$exe sync --json"
hyperfine -N --warmup 2 --runs "$runs" --export-json "$out/status.json" "$exe status --json"

rm -rf "$home"
/usr/bin/time -v "$exe" sync --json 2> "$out/time-full.txt" > /dev/null
grep -E 'Maximum resident set size|Elapsed \(wall clock\)|User time|System time' "$out/time-full.txt"
