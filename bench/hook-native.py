#!/usr/bin/env python3
"""The native hook against the managed one and an empty .NET app, interleaved, payload on stdin, whole processes.
Usage: bench/hook-native.py BUILD_DIR (holding selftune and selftune-hook) EMPTY_DOTNET_APP [rounds=30]"""
import os, statistics, subprocess, sys, tempfile, time, json
exe_dir = sys.argv[1]; trivial = sys.argv[2]; rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 30
home = tempfile.mkdtemp(prefix="i19a-q-")
env = dict(os.environ, HOME=home, SELFTUNE_HOME=os.path.join(home, ".selftune"))
payload = json.dumps({"session_id": "s", "hook_event_name": "UserPromptSubmit", "prompt": "ok can you create a hello_world.py file"}).encode()
variants = [("native selftune-hook", [os.path.join(exe_dir, "selftune-hook"), "UserPromptSubmit", "--platform", "claude_code"]),
            ("managed selftune hook", [os.path.join(exe_dir, "selftune"), "hook", "UserPromptSubmit", "--platform", "claude_code"]),
            ("empty .NET app", [trivial])]
t = {n: [] for n, _ in variants}
for r in range(rounds):
    for n, cmd in variants:
        s = time.perf_counter(); subprocess.run(cmd, input=payload, env=env, check=True); t[n].append((time.perf_counter() - s) * 1000)
for n, v in t.items():
    print(f"{n}: median {statistics.median(v):.1f} ms, min {min(v):.1f} ms")
base = statistics.median(t["empty .NET app"])
print(f"native / empty .NET: {statistics.median(t['native selftune-hook'])/base:.2f}; managed / empty .NET: {statistics.median(t['managed selftune hook'])/base:.2f}")
print("load", open("/proc/loadavg").read().split()[:3])
