#!/usr/bin/env python3
"""Interleaved A/B of the hook *as installed*: two selftune publishes each install their Claude Code hooks into a
temporary home, and their installed UserPromptSubmit and Stop commands are run the way Claude Code runs them (through
`sh -c`, the payload on stdin), round after round, beside an empty .NET app run the same way, so the machine's drift
hits every variant alike. Stop starts the background drain in both builds (the transcript named does not exist, so
drains stay short); only the hook process is timed. Prints median, mean and minimum wall time per variant, and the
median CPU time (user+sys of sh and the hook, not of the detached drain), steadier than wall time on a loaded machine.

Usage: bench/hook-ab.py OLD_PUBLISH_DIR NEW_PUBLISH_DIR TRIVIAL_EXE [rounds=40]
  e.g. git worktree add /tmp/old cff34b2 && dotnet publish /tmp/old/src/Selftune.Host -c Release -r linux-x64 \\
         --self-contained false -o /tmp/pub-old   (the same for this tree to /tmp/pub-new; TRIVIAL_EXE: the empty
         app bench/hook.sh publishes to bench/out/hook/trivial/bin/trivial)
"""
import json, os, shutil, statistics, subprocess, sys, tempfile, time

old, new, trivial = sys.argv[1], sys.argv[2], sys.argv[3]
rounds = int(sys.argv[4]) if len(sys.argv) > 4 else 40
work = tempfile.mkdtemp(prefix="selftune-hook-ab-")
payloads = {
    "UserPromptSubmit": {"session_id": "s-bench", "transcript_path": "/nonexistent/s-bench.jsonl", "cwd": "/workspace",
                         "hook_event_name": "UserPromptSubmit", "prompt": "ok can you create a hello_world.py file that prints hello world and run it"},
    "Stop": {"session_id": "s-bench", "transcript_path": "/nonexistent/s-bench.jsonl", "cwd": "/workspace",
             "hook_event_name": "Stop", "stop_hook_active": False},
}


def installed(name, publish):
    home = os.path.join(work, name)
    os.makedirs(os.path.join(home, ".claude"))
    with open(os.path.join(home, ".claude", "settings.json"), "w") as f:
        f.write("{}\n")
    env = dict(os.environ, HOME=home, SELFTUNE_HOME=os.path.join(home, ".selftune"))
    subprocess.run([os.path.join(publish, "selftune"), "install", "--agent", "claude_code"], env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with open(os.path.join(home, ".claude", "settings.json")) as f:
        hooks = json.load(f)["hooks"]
    commands = {event: hooks[event][0]["hooks"][0] for event in payloads}
    for event, hook in commands.items():
        print(f"{name} {event}: {hook['command']}" + (" (async)" if hook.get("async") else ""))
    return env, {event: hook["command"] for event, hook in commands.items()}


variants = []
for name, publish in (("old", old), ("new", new)):
    env, commands = installed(name, publish)
    for event in payloads:
        variants.append((f"{name} {event}", commands[event], env, json.dumps(payloads[event]).encode()))
variants.append(("empty .NET app", trivial, dict(os.environ), b"{}"))

times = {name: [] for name, *_ in variants}
cpu = {name: [] for name, *_ in variants}
for r in range(rounds + 3):
    order = variants[r % len(variants):] + variants[:r % len(variants)]
    for name, command, env, payload in order:
        started = time.perf_counter()
        process = subprocess.Popen(["/bin/sh", "-c", command], stdin=subprocess.PIPE, env=env)
        process.stdin.write(payload)
        process.stdin.close()
        _, status, usage = os.wait4(process.pid, 0)
        elapsed = (time.perf_counter() - started) * 1000
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode != 0:
            sys.exit(f"{name} exited {process.returncode}")
        if r >= 3:  # warm-up rounds
            times[name].append(elapsed)
            cpu[name].append((usage.ru_utime + usage.ru_stime) * 1000)
        if name.endswith("Stop"):
            time.sleep(0.3)  # let the short drain it started finish before the next variant

print(f"load average after: {open('/proc/loadavg').read().split()[:3]}")
for name, values in times.items():
    print(f"{name:24} median {statistics.median(values):6.1f} ms  mean {statistics.mean(values):6.1f}  min {min(values):6.1f}"
          f"  CPU median {statistics.median(cpu[name]):5.1f} ms  ({len(values)} runs)")
shutil.rmtree(work, ignore_errors=True)
