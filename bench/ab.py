#!/usr/bin/env python3
"""Interleaved A/B of two selftune builds on the benchmark corpus, optionally beside ccusage (the peer of the targets).

On a shared machine the load drifts between hyperfine's back-to-back series; running the builds in turn, round after
round, exposes both to the same drift. Prints the median, mean and minimum wall time of each measure, the median CPU
time (user + sys, steadier under load) and the largest peak RSS of each process (from wait4), and with a peer the
ratio of each build's median to the peer's median measured in the same rounds.

Usage: bench/ab.py OLD_PUBLISH_DIR NEW_PUBLISH_DIR [rounds=30 [full_rounds=max(3, rounds/4)]]
  e.g. git worktree add /tmp/old <rev> && dotnet publish /tmp/old/src/Selftune.Host -c Release -r linux-x64 \
         --self-contained false -p:PublishReadyToRun=true -o /tmp/pub-old   (and the same for this tree to /tmp/pub-new)
Environment: BENCH_CORPUS  a HOME holding .claude/projects (default bench/out/corpus, which bench/sync.sh builds);
             CCUSAGE       the ccusage executable (npm install ccusage@20.0.24; node_modules/.bin/ccusage): each round
                           then also times `ccusage daily --offline --json` on the same corpus.
"""
import os, shutil, statistics, subprocess, sys, tempfile, time

old, new = sys.argv[1], sys.argv[2]
rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 30
full_rounds = int(sys.argv[4]) if len(sys.argv) > 4 else max(3, rounds // 4)
corpus = os.environ.get("BENCH_CORPUS") or os.path.join(os.path.dirname(os.path.abspath(__file__)), "out", "corpus")
if not os.path.isdir(os.path.join(corpus, ".claude", "projects")):
    sys.exit("no benchmark corpus: run bench/sync.sh first, or set BENCH_CORPUS")
peer = os.environ.get("CCUSAGE")
work = tempfile.mkdtemp(prefix="selftune-ab-")
builds = {"old": os.path.join(old, "selftune"), "new": os.path.join(new, "selftune")}
times, cpu, rss = {}, {}, {}


def run(key, argv, home=None, fresh=False):
    if fresh:
        shutil.rmtree(home, ignore_errors=True)
    env = dict(os.environ, HOME=corpus)
    if home:
        env["SELFTUNE_HOME"] = home
    started = time.perf_counter()
    child = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    elapsed = time.perf_counter() - started
    if status != 0:
        sys.exit(f"{' '.join(argv)} failed ({status})")
    if key:
        times.setdefault(key, []).append(elapsed)
        cpu.setdefault(key, []).append(usage.ru_utime + usage.ru_stime)
        rss[key] = max(rss.get(key, 0), usage.ru_maxrss / 1024)


for name, exe in builds.items():  # a synced store for each build
    run(None, [exe, "sync", "--json"], os.path.join(work, name), fresh=True)
    run(None, [exe, "sync", "--json"], os.path.join(work, name))
for _ in range(rounds):
    for name, exe in builds.items():
        run((name, "unchanged sync"), [exe, "sync", "--json"], os.path.join(work, name))
        run((name, "status"), [exe, "status", "--json"], os.path.join(work, name))
for _ in range(full_rounds):
    for name, exe in builds.items():
        run((name, "full sync"), [exe, "sync", "--json"], os.path.join(work, name + "-full"), fresh=True)
    if peer:
        run(("ccusage", "ccusage daily"), [peer, "daily", "--offline", "--json"])
print(f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
for (name, measure), values in sorted(times.items(), key=lambda kv: (kv[0][1], kv[0][0] != "old")):
    line = (f"{measure:15s} {name:7s} median {statistics.median(values) * 1000:7.1f} ms  mean {statistics.mean(values) * 1000:7.1f}"
            f"  min {min(values) * 1000:7.1f}  CPU {statistics.median(cpu[name, measure]) * 1000:7.1f}  RSS {rss[name, measure]:5.0f} MB  n={len(values)}")
    if peer and name != "ccusage":
        line += f"  × ccusage {statistics.median(values) / statistics.median(times['ccusage', 'ccusage daily']):.2f}"
    print(line)
shutil.rmtree(work, ignore_errors=True)
