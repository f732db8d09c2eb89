#!/usr/bin/env bash
# Team push and team status against a real PostgreSQL (issue 14 targets: first push of the 930-file benchmark store
# <= 10 s, unchanged push <= 0.5 s, team status over 5 machines' pushes <= 0.5 s), with `selftune status` on the same
# store as the peer run (ratios printed).
#  1. store: `selftune sync` of the 930-file Claude Code benchmark corpus (/work/bench-data/corpus as HOME, else built
#     under /work/bench-data-team/corpus with ../shared/tools/make-claude-corpus.py --copies 30) into a fresh SELFTUNE_HOME;
#  2. a throwaway PostgreSQL cluster (Debian's initdb/pg_ctl as the postgres user, unix socket in a temp folder, trust);
#  3. times whole processes (python3, mean of N runs): first push (fresh database each run), unchanged push, then the
#     store copied into 4 more homes (each its own machine-id) and pushed, and `selftune team status --json` over the 5.
# Usage: bench/team.sh [runs=5]   (needs python3 and the postgresql package)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
out=bench/out
data=/work/bench-data-team
shared=${SELFTUNE_SHARED:-/work/shared}
corpus=/work/bench-data/corpus
if [ ! -d "$corpus/.claude/projects" ]; then
  corpus=$data/corpus
  [ -d "$corpus/.claude/projects" ] || python3 "$shared/tools/make-claude-corpus.py" --dest "$corpus" --copies 30
fi
bin=$(ls -d /usr/lib/postgresql/*/bin | head -1)
pg=$(mktemp -d /tmp/selftune-bench-pg-XXXX)
chown postgres:postgres "$pg"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
as_pg "$bin/initdb" -D "$pg/data" -U postgres --auth=trust -E UTF8 --no-sync > /dev/null
as_pg "$bin/pg_ctl" -D "$pg/data" -l "$pg/log" -w -o "-p $port -k $pg -c listen_addresses=''" start > /dev/null
trap 'status=$?; [ $status = 0 ] || tail -20 "$pg/log"; as_pg "$bin/pg_ctl" -D "$pg/data" -m immediate -w stop > /dev/null; rm -rf "$pg"' EXIT

dotnet publish src/Selftune.Host -c Release -o "$out/publish" -v quiet -nologo
exe=$PWD/$out/publish/selftune
export HOME=$corpus SELFTUNE_HOME=$data/selftune
rm -rf "$data/selftune" "$data"/machine-*
"$exe" sync --json > /dev/null
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "store: $(python3 -c "import sqlite3; c = sqlite3.connect('$SELFTUNE_HOME/selftune.db'); print(', '.join(f'{t} {c.execute(f\"SELECT count(*) FROM {t}\").fetchone()[0]}' for t in ['sessions', 'prompts', 'skill_invocations', 'token_usage']))")"

python3 - "$exe" "$runs" "$pg" "$port" "$bin" "$data" <<'PY'
import json, os, shutil, subprocess, sys, time
exe, runs, pg, port, bin_, data = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6]
def sql(q, db="postgres"):
    subprocess.run([f"{bin_}/psql", "-h", pg, "-p", port, "-U", "postgres", "-d", db, "-qAt", "-c", q], check=True, stdout=subprocess.DEVNULL)
def conn(db): return f"Host={pg};Port={port};Username=postgres;Database={db}"
def run(args, env=None):
    t = time.perf_counter(); r = subprocess.run([exe, *args], stdout=subprocess.PIPE, check=True, env=env); return time.perf_counter() - t, r.stdout
def fresh(db):
    sql(f"DROP DATABASE IF EXISTS {db}"); sql(f"CREATE DATABASE {db}")
first, report = [], None
for _ in range(runs):
    fresh("team")
    t, o = run(["team", "push", "--database", conn("team"), "--json"]); first.append(t); report = json.loads(o)["push"]
mean = lambda xs: sum(xs) / len(xs)
print("first push: " + ", ".join(f"{t['table']} {t['sent']}" for t in report["tables"]) + f"; {report['batches']} batches, elapsed_ms {report['elapsed_ms']}")
print(f"team push, first (fresh database): mean {mean(first)*1000:.0f} ms, min {min(first)*1000:.0f} ms (whole process, {runs} runs)", flush=True)
unchanged = [run(["team", "push", "--database", conn("team"), "--json"])[0] for _ in range(runs)]
print(f"team push, unchanged:              mean {mean(unchanged)*1000:.0f} ms, min {min(unchanged)*1000:.0f} ms", flush=True)
status = [run(["status", "--json"])[0] for _ in range(runs)]
print(f"selftune status (peer):            mean {mean(status)*1000:.0f} ms, min {min(status)*1000:.0f} ms", flush=True)
# Four more machines: copies of the home, each with its own machine id.
for i in range(1, 5):
    home = f"{data}/machine-{i}"
    shutil.rmtree(home, ignore_errors=True); os.makedirs(home)
    shutil.copy(f"{os.environ['SELFTUNE_HOME']}/selftune.db", f"{home}/selftune.db")
    run(["team", "push", "--database", conn("team"), "--json"], env=dict(os.environ, SELFTUNE_HOME=home))
team = [run(["team", "status", "--database", conn("team"), "--json"])[0] for _ in range(runs)]
machines = len(json.loads(run(["team", "status", "--database", conn("team"), "--json"])[1])["machines"])
print(f"team status over {machines} machines:     mean {mean(team)*1000:.0f} ms, min {min(team)*1000:.0f} ms")
print(f"ratios to status: first push {mean(first)/mean(status):.1f}, unchanged push {mean(unchanged)/mean(status):.2f}, team status {mean(team)/mean(status):.2f}")
PY
