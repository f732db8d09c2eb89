#!/usr/bin/env python3
"""A/B of two (or more) `selftune dashboard` publishes on the same store, interleaved (the machine's load drifts).

For each publish, per round: starts `selftune dashboard --port 0` on HOME (a home whose .claude/projects holds the corpus
and whose .selftune store is synced), waits for its start-up warm-up, then measures
  - every API answer's first time after a store change (a transcript added and synced by the same publish), taken once
    the `update` event with "complete": true went out (what a page refetches on);
  - N session pages never asked before (`/api/sessions/ID`, computed on demand): median and p90 wall ms, and the
    dashboard process's CPU ms per answer (user+sys from /proc);
  - the skill pages never asked before, median wall ms.
Usage: bench/dashboard-ab.py HOME PUBLISH_A PUBLISH_B [--rounds 2] [--sessions 200]
(make HOME with: mkdir -p H/.claude && cp -al CORPUS/.claude/projects H/.claude/projects &&
 HOME=H SELFTUNE_HOME=H/.selftune PUBLISH/selftune sync --json)
"""
import argparse, glob, json, os, shutil, statistics, subprocess, time, urllib.request, uuid

ap = argparse.ArgumentParser()
ap.add_argument("home")
ap.add_argument("publishes", nargs="+")
ap.add_argument("--rounds", type=int, default=2)
ap.add_argument("--sessions", type=int, default=200)
args = ap.parse_args()
env = dict(os.environ, HOME=args.home, SELFTUNE_HOME=args.home + "/.selftune")


def get(url):
    t = time.perf_counter()
    with urllib.request.urlopen(url) as r:
        body = r.read()
    return (time.perf_counter() - t) * 1000, body


def cpu_ms(pid):
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) * 1000 / os.sysconf("SC_CLK_TCK")


def wait_complete_update(url, after_version, timeout=30):
    """Reads /api/events until an update event of a version > after_version with complete true (or no complete field)."""
    deadline = time.time() + timeout
    request = urllib.request.Request(url + "api/events", headers={"Last-Event-ID": "0"})  # replays what went out already
    with urllib.request.urlopen(request, timeout=timeout) as r:
        kind = None
        for raw in r:
            line = raw.decode().rstrip("\n")
            if line.startswith("event:"):
                kind = line[6:].strip()
            elif line.startswith("data:") and kind == "update":
                d = json.loads(line[5:])
                if d["version"] > after_version and d.get("complete", True):
                    return
            if time.time() > deadline:
                raise TimeoutError("no update event")


def one(pub):
    p = subprocess.Popen([pub + "/selftune", "dashboard", "--port", "0", "--no-open", "--json"], env=env, stdout=subprocess.PIPE, stdin=subprocess.PIPE, text=True)
    try:
        url = json.loads(p.stdout.readline())["url"]
        sessions = [s["session_id"] for s in json.loads(get(url + "api/sessions?limit=1000")[1])["sessions"]]
        skills = [s["name"] for s in json.loads(get(url + "api/overview")[1])["status"]["skills"]]
        paths = ["api/health", "api/overview", f"api/skills/{skills[0]}", "api/sessions", f"api/sessions/{sessions[0]}",
                 "api/cost?by=day", "api/cost?by=project", "api/cost?by=model", "api/cost?by=skill", "api/runs", f"badge/{skills[0]}.svg"]
        for q in paths:
            get(url + q)
        time.sleep(3)  # start-up warm-up
        with urllib.request.urlopen(url + "api/events") as events:
            version = json.loads(next(l for l in events if l.startswith(b"data:"))[5:])["version"]
        folder = args.home + "/.claude/projects/-dashboard-ab"
        os.makedirs(folder, exist_ok=True)
        source = sorted(glob.glob(args.home + "/.claude/projects/*/*.jsonl"))[0]
        text = open(source).read().replace('"sessionId":"', '"sessionId":"ab-' + uuid.uuid4().hex[:8])
        open(f"{folder}/{uuid.uuid4()}.jsonl", "w").write(text)
        subprocess.run([pub + "/selftune", "sync", "--json"], env=env, stdout=subprocess.DEVNULL, check=True)
        wait_complete_update(url, version)
        changed = {q.replace(sessions[0], "ID").replace(skills[0], "SKILL"): get(url + q)[0] for q in paths}
        c0, times = cpu_ms(p.pid), []
        for sid in sessions[1:1 + args.sessions]:
            times.append(get(url + f"api/sessions/{sid}")[0])
        session_cpu = (cpu_ms(p.pid) - c0) / len(times)
        skill_times = [get(url + f"api/skills/{s}")[0] for s in skills[1:]]
        return changed, times, session_cpu, skill_times
    finally:
        p.kill()
        p.wait()
        shutil.rmtree(args.home + "/.claude/projects/-dashboard-ab", ignore_errors=True)
        subprocess.run([pub + "/selftune", "sync", "--json"], env=env, stdout=subprocess.DEVNULL, check=True)


for r in range(args.rounds):
    for pub in args.publishes:
        changed, times, session_cpu, skill_times = one(pub)
        times.sort()
        print(f"round {r + 1} {pub} (load {open('/proc/loadavg').read().split()[0]})")
        print("  first after a store change (ms): " + ", ".join(f"/{q} {ms:.1f}" for q, ms in changed.items()))
        print(f"  {len(times)} session pages not asked before: median {statistics.median(times):.1f} ms, p90 {times[int(len(times) * 0.9)]:.1f} ms, {session_cpu:.1f} ms CPU each")
        if skill_times:
            print(f"  {len(skill_times)} skill pages not asked before: median {statistics.median(skill_times):.1f} ms")
