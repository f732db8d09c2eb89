#!/usr/bin/env bash
# Dashboard benchmark (issue 18 targets: every API answer <= 50 ms on the 930-file corpus store, the overview rendered with
# data in headless Chromium <= 0.5 s from navigation, the open page updated within 1 s of a finished sync).
#  1. makes a home whose ~/.claude/projects is a hard-linked copy of the benchmark corpus (bench/sync.sh builds it, or
#     CORPUS=... points at one: a folder holding .claude/projects) and syncs it into its store with the Release build;
#  2. runs tests/Selftune.Dashboard.Tests' DashboardBench against it: the real `selftune dashboard`, timed with an
#     HttpClient (first answer, warm median of 20, first answer after a store change) and in headless Chromium (Debian's
#     /usr/bin/chromium); the figures are appended to bench/out/dashboard.md.
# Usage: [SCREENSHOT=docs/dashboard.png] bench/dashboard.sh   (the README's screenshot is taken here; needs /usr/bin/chromium: apt-get install -y chromium)
set -euo pipefail
cd "$(dirname "$0")/.."
out=$PWD/bench/out
corpus=${CORPUS:-$out/corpus}
home=$out/dashboard-home
if [ ! -d "$corpus/.claude/projects" ]; then
  python3 ../shared/tools/make-claude-corpus.py --dest "$corpus" --copies 30
fi
rm -rf "$home" && mkdir -p "$home/.claude"
cp -al "$corpus/.claude/projects" "$home/.claude/projects" 2>/dev/null || cp -a "$corpus/.claude/projects" "$home/.claude/projects"
dotnet build tests/Selftune.Dashboard.Tests -c Release -v quiet -nologo
exe=$(ls src/Selftune.Host/bin/Release/net10.0/selftune)
HOME=$home SELFTUNE_HOME=$home/.selftune "$exe" sync --json > /dev/null
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); corpus: $(find "$home/.claude/projects" -type f | wc -l) files" | tee -a "$out/dashboard.md"
SELFTUNE_DASHBOARD_BENCH=$out/dashboard.md SELFTUNE_DASHBOARD_BENCH_HOME=$home SELFTUNE_DASHBOARD_SCREENSHOT=${SCREENSHOT:+$PWD/$SCREENSHOT} \
  dotnet test tests/Selftune.Dashboard.Tests -c Release --no-build --filter FullyQualifiedName~DashboardBench -v quiet -nologo
cat "$out/dashboard.md"
