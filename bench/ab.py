#!/usr/bin/env python3
"""Interleaved A/B of two selftune builds on the benchmark corpus (bench/sync.sh builds it under bench/out/corpus).

On a shared machine the load drifts between hyperfine's back-to-back series; running the builds in turn, round after
round, exposes both to the same drift. Prints the median, mean and minimum of each measure.

Usage: bench/ab.py OLD_PUBLISH_DIR NEW_PUBLISH_DIR [rounds=30]
  e.g. git worktree add /tmp/old <rev> && dotnet publish /tmp/old/src/Selftune.Host -c Release -r linux-x64 \
         --self-contained false -o /tmp/pub-old   (and the same for this tree to /tmp/pub-new)
"""
import os, shutil, statistics, subprocess, sys, tempfile, time

old, new = sys.argv[1], sys.argv[2]
rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 30
corpus = os.path.join(os.path.dirname(os.path.abspath(__file__)), "out", "corpus")
if not os.path.isdir(os.path.join(corpus, ".claude", "projects")):
    sys.exit("no benchmark corpus: run bench/sync.sh first")
work = tempfile.mkdtemp(prefix="selftune-ab-")
builds = {"old": os.path.join(old, "selftune"), "new": os.path.join(new, "selftune")}


def run(exe, args, home, fresh=False):
    if fresh:
        shutil.rmtree(home, ignore_errors=True)
    env = dict(os.environ, HOME=corpus, SELFTUNE_HOME=home)
    started = time.perf_counter()
    subprocess.run([exe, *args], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - started


times = {}
for name, exe in builds.items():  # a synced store for each build
    run(exe, ["sync", "--json"], os.path.join(work, name), fresh=True)
    run(exe, ["sync", "--json"], os.path.join(work, name))
for _ in range(rounds):
    for name, exe in builds.items():
        times.setdefault((name, "unchanged sync"), []).append(run(exe, ["sync", "--json"], os.path.join(work, name)))
        times.setdefault((name, "status"), []).append(run(exe, ["status", "--json"], os.path.join(work, name)))
for _ in range(max(3, rounds // 4)):
    for name, exe in builds.items():
        times.setdefault((name, "full sync"), []).append(run(exe, ["sync", "--json"], os.path.join(work, name + "-full"), fresh=True))
print(f"load average {os.getloadavg()[0]:.2f}")
for (name, measure), values in sorted(times.items(), key=lambda kv: (kv[0][1], kv[0][0] != "old")):
    print(f"{measure:15s} {name:4s} median {statistics.median(values) * 1000:7.1f} ms  mean {statistics.mean(values) * 1000:7.1f}  min {min(values) * 1000:7.1f}  n={len(values)}")
shutil.rmtree(work, ignore_errors=True)
