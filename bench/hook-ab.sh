#!/usr/bin/env bash
# Interleaved A/B of the hook process with a runtime feature switch off (A) and on (B), one ReadyToRun publish:
# the two copies differ only in selftune.runtimeconfig.json, and they run in turn, round after round, so the load of
# a shared machine drifts over both alike. Two paths: a payload spooled (the normal case) and a spool that cannot be
# written (SELFTUNE_HOME under a regular file: the exception's message is formatted and logged, the error path).
# Usage: bench/hook-ab.sh [switch=System.Resources.UseSystemResourceKeys] [rounds=40]
set -euo pipefail
cd "$(dirname "$0")/.."
switch=${1:-System.Resources.UseSystemResourceKeys}
rounds=${2:-40}
out=bench/out/hook-ab
rm -rf "$out" && mkdir -p "$out"
dotnet publish src/Selftune.Host -c Release -r linux-x64 --self-contained false -o "$out/a" -v q -nologo >/dev/null
cp -r "$out/a" "$out/b"
python3 - "$out/b/selftune.runtimeconfig.json" "$switch" <<'PY'
import json, sys
path, switch = sys.argv[1], sys.argv[2]
config = json.load(open(path))
config["runtimeOptions"].setdefault("configProperties", {})[switch] = True
json.dump(config, open(path, "w"), indent=2)
PY
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
python3 - "$rounds" "$(realpath "$out/a/selftune")" "$(realpath "$out/b/selftune")" "$switch" <<'PY'
import os, resource, statistics, subprocess, sys, tempfile, time
rounds, a, b, switch = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
work = tempfile.mkdtemp(prefix="selftune-hook-ab-")
payload = os.path.join(work, "payload.json")
open(payload, "w").write('{"session_id":"c45af7b1-cb7c-4e51-93db-8cbb250a877a","transcript_path":"/root/.claude/projects/-workspace/c45af7b1.jsonl","cwd":"/workspace","hook_event_name":"UserPromptSubmit","prompt":"ok can you create a hello_world.py file that prints hello world and run it"}')
blocker = os.path.join(work, "file")
open(blocker, "w").close()
paths = {"spooled": lambda name: os.path.join(work, name), "spool unwritable": lambda name: os.path.join(blocker, name)}
wall, cpu = {}, {}
for i in range(rounds + 3):
    for path, home in paths.items():
        for name, exe in ((f"{switch} off", a), (f"{switch} on", b)):
            env = dict(os.environ, HOME=work, SELFTUNE_HOME=home(name.replace(" ", "_")))
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            with open(payload, "rb") as stdin:
                started = time.perf_counter()
                subprocess.run([exe, "hook", "UserPromptSubmit", "--platform", "claude_code"], stdin=stdin, env=env, check=True, stderr=subprocess.DEVNULL)
                elapsed = (time.perf_counter() - started) * 1000
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            if i >= 3:  # warm-up rounds
                wall.setdefault((path, name), []).append(elapsed)
                cpu.setdefault((path, name), []).append((after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime) * 1000)
for key in wall:
    w, c = wall[key], cpu[key]
    print(f"{key[0]:>16}, {key[1]}: wall median {statistics.median(w):.1f} ms, min {min(w):.1f} ms; CPU median {statistics.median(c):.1f} ms ({len(w)} runs)")
PY
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
