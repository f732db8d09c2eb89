#!/usr/bin/env python3
"""selftune against its peers, interleaved in one run (issue 19's targets). On a shared machine the load drifts, so every
measure runs round after round beside its peer, and the ratio of medians from the same rounds is the figure to read.

Measures (wall time from fork to wait4, CPU = user + sys of the process, peak RSS from wait4):
  hook      the UserPromptSubmit hook as `selftune init` installs it (the command read from the settings file it wrote,
            run through `sh -c` with the payload on stdin), the reference's prompt-log hook run directly by Bun, and an
            empty .NET program (the floor of any .NET hook);
  status    `selftune status --json` against the reference's `selftune status`, each on its own store of the corpus;
  sync      a full sync (fresh store) against `ccusage session --json --offline`, and an unchanged sync;
  huge      a full sync of a generated 2 GB transcript beside a file with a 50 MB line (bench/huge.py), an append of
            64 MB to it read from its offset, and a sync of the 50 MB line alone; throughput against the corpus's.

Nothing is fetched at run time beyond the package registries: the reference runs from the checkout given (its
dependencies installed with `bun install` when it has none), Bun and ccusage come from npm (`npm install bun
ccusage@20.0.24` into the work folder unless --npm names a folder that has them).

Usage: bench/peers.py REFERENCE_CHECKOUT [--publish DIR] [--npm DIR] [--corpus HOME] [--rounds 20] [--sync-rounds 5]
                      [--huge-rounds 2] [--huge-mb 2048] [--work DIR] [--json FILE]
  REFERENCE_CHECKOUT  e.g. git --git-dir=/work/.mirror/selftune-dev+selftune/repo worktree add /tmp/ref HEAD
  --publish           a Release ReadyToRun publish of this tree (default: published to bench/out/publish, as sync.sh does)
  --corpus            a HOME holding .claude/projects (default: BENCH_CORPUS, else bench/out/corpus, which sync.sh builds)
"""
import argparse, json, os, shutil, statistics, subprocess, sys, tempfile, time

here = os.path.dirname(os.path.abspath(__file__))
repo = os.path.dirname(here)
parser = argparse.ArgumentParser()
parser.add_argument("reference")
parser.add_argument("--publish")
parser.add_argument("--npm")
parser.add_argument("--corpus", default=os.environ.get("BENCH_CORPUS") or os.path.join(here, "out", "corpus"))
parser.add_argument("--rounds", type=int, default=20)
parser.add_argument("--sync-rounds", type=int, default=5)
parser.add_argument("--huge-rounds", type=int, default=2)
parser.add_argument("--huge-mb", type=int, default=2048)
parser.add_argument("--work")
parser.add_argument("--json")
args = parser.parse_args()

corpus = os.path.abspath(args.corpus)
if not os.path.isdir(os.path.join(corpus, ".claude", "projects")):
    sys.exit(f"no benchmark corpus at {corpus}: run bench/sync.sh first, or pass --corpus")
reference = os.path.abspath(args.reference)
if not os.path.isfile(os.path.join(reference, "cli", "selftune", "index.ts")):
    sys.exit(f"{reference} is not a checkout of the reference selftune (no cli/selftune/index.ts)")
work = args.work or tempfile.mkdtemp(prefix="selftune-peers-")
os.makedirs(work, exist_ok=True)


def step(text):
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def quiet(argv, **kw):
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **kw)


# --- the peers and our build -----------------------------------------------------------------------------------------
npm = args.npm or os.path.join(work, "npm")
bun = os.path.join(npm, "node_modules", ".bin", "bun")
ccusage = os.path.join(npm, "node_modules", ".bin", "ccusage")
if not (os.path.exists(bun) and os.path.exists(ccusage)):
    step(f"npm install bun ccusage@20.0.24 into {npm}")
    os.makedirs(npm, exist_ok=True)
    quiet(["npm", "install", "--prefix", npm, "--no-audit", "--no-fund", "bun", "ccusage@20.0.24"])
if not os.path.isdir(os.path.join(reference, "node_modules")):
    step(f"bun install in {reference}")
    quiet([bun, "install"], cwd=reference)

publish = args.publish
if not publish:
    publish = os.path.join(here, "out", "publish")
    step(f"dotnet publish (Release, ReadyToRun) to {publish}")
    quiet(["dotnet", "publish", os.path.join(repo, "src", "Selftune.Host"), "-c", "Release", "-r", "linux-x64",
           "--self-contained", "false", "-p:PublishReadyToRun=true", "-o", publish, "-v", "quiet", "-nologo"])
selftune = os.path.join(os.path.abspath(publish), "selftune")

trivial_dir = os.path.join(here, "out", "trivial")
trivial = os.path.join(trivial_dir, "bin", "trivial")
if not os.path.exists(trivial):
    step("dotnet publish the empty .NET program")
    os.makedirs(trivial_dir, exist_ok=True)
    with open(os.path.join(trivial_dir, "trivial.csproj"), "w") as f:
        f.write('<Project Sdk="Microsoft.NET.Sdk">\n  <PropertyGroup>\n    <OutputType>Exe</OutputType>\n'
                '    <GenerateDocumentationFile>false</GenerateDocumentationFile>\n    <TieredPGO>false</TieredPGO>\n'
                '  </PropertyGroup>\n</Project>\n')
    with open(os.path.join(trivial_dir, "Program.cs"), "w") as f:
        f.write("return 0;\n")
    quiet(["dotnet", "publish", os.path.join(trivial_dir, "trivial.csproj"), "-c", "Release", "-r", "linux-x64",
           "--self-contained", "false", "-p:PublishReadyToRun=true", "-o", os.path.dirname(trivial), "-v", "quiet", "-nologo"])

# --- measuring -------------------------------------------------------------------------------------------------------
times, cpu, rss = {}, {}, {}


def measure(key, argv, env, stdin=None, cwd=None):
    started = time.perf_counter()
    child = subprocess.Popen(argv, env=env, cwd=cwd, stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if stdin is not None:
        child.stdin.write(stdin)
        child.stdin.close()
    _, status, usage = os.wait4(child.pid, 0)
    elapsed = time.perf_counter() - started
    if status != 0:
        sys.exit(f"{' '.join(argv)} failed ({status})")
    if key:
        times.setdefault(key, []).append(elapsed)
        cpu.setdefault(key, []).append(usage.ru_utime + usage.ru_stime)
        rss[key] = max(rss.get(key, 0), usage.ru_maxrss / 1024)
    return elapsed


def env_for(home, selftune_home=None, **extra):
    env = dict(os.environ, HOME=home, **extra)
    env.pop("SELFTUNE_HOME", None)
    if selftune_home:
        env["SELFTUNE_HOME"] = selftune_home
    return env


def mb(path):
    return sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(path) for f in fs if f.endswith(".jsonl")) / 2**20


# Hooks: each installed into a home of its own.
step("installing the hooks")
ours_home = os.path.join(work, "hook-ours")
os.makedirs(os.path.join(ours_home, ".claude"), exist_ok=True)
with open(os.path.join(ours_home, ".claude", "settings.json"), "w") as f:
    f.write("{}\n")
ours_env = env_for(ours_home, os.path.join(ours_home, ".selftune"))
quiet([selftune, "init", "--agent", "claude_code", "--no-sync", "--json"], env=ours_env)
with open(os.path.join(ours_home, ".claude", "settings.json")) as f:
    hook_command = json.load(f)["hooks"]["UserPromptSubmit"][0]["hooks"][0]["command"]
step(f"our hook as installed: {hook_command}")
ref_hook_home = os.path.join(work, "hook-reference")
os.makedirs(os.path.join(ref_hook_home, ".claude"), exist_ok=True)
ref_hook_env = env_for(ref_hook_home)
payload = json.dumps({"session_id": "s-bench", "transcript_path": "/nonexistent/s-bench.jsonl", "cwd": "/workspace",
                      "hook_event_name": "UserPromptSubmit",
                      "prompt": "ok can you create a hello_world.py file that prints hello world and run it"}).encode()
hooks = [
    ("hook ours (as installed)", ["/bin/sh", "-c", hook_command], ours_env),
    ("hook reference (bun)", [bun, os.path.join(reference, "cli", "selftune", "hooks", "prompt-log.ts")], ref_hook_env),
    ("hook empty .NET program", [trivial], dict(os.environ)),
]

# Stores of the corpus: ours (synced twice: the second sync leaves the stamp) and the reference's (its own sync).
step("syncing the corpus into our store and the reference's")
store_home = os.path.join(work, "store-ours")
shutil.rmtree(store_home, ignore_errors=True)
store_env = env_for(corpus, store_home)
quiet([selftune, "sync", "--json"], env=store_env)
quiet([selftune, "sync", "--json"], env=store_env)
ref_home = os.path.join(work, "store-reference")
os.makedirs(os.path.join(ref_home, ".claude"), exist_ok=True)
if not os.path.exists(os.path.join(ref_home, ".claude", "projects")):
    os.symlink(os.path.join(corpus, ".claude", "projects"), os.path.join(ref_home, ".claude", "projects"))
ref_env = env_for(ref_home)
ref_cli = [bun, os.path.join(reference, "cli", "selftune", "index.ts")]
quiet(ref_cli + ["sync"], env=ref_env, cwd=ref_home)
corpus_mb = mb(os.path.join(corpus, ".claude", "projects"))
step(f"corpus: {corpus_mb:.0f} MB")

for r in range(args.rounds + 2):
    key = (lambda k: k) if r >= 2 else (lambda k: None)  # two warm-up rounds
    order = hooks[r % len(hooks):] + hooks[:r % len(hooks)]
    for name, argv, env in order:
        measure(key(name), argv, env, stdin=payload)
    pair = [("status ours", [selftune, "status", "--json"], store_env, None),
            ("status reference", ref_cli + ["status"], ref_env, ref_home)]
    for name, argv, env, cwd in (pair if r % 2 == 0 else pair[::-1]):
        measure(key(name), argv, env, cwd=cwd)
    measure(key("unchanged sync ours"), [selftune, "sync", "--json"], store_env)
step("hooks, status and unchanged sync measured")

full_home = os.path.join(work, "store-full")
for r in range(args.sync_rounds):
    pair = [("full sync ours", "ours"), ("ccusage session", "ccusage")]
    for name, which in (pair if r % 2 == 0 else pair[::-1]):
        if which == "ours":
            shutil.rmtree(full_home, ignore_errors=True)
            measure(name, [selftune, "sync", "--json"], env_for(corpus, full_home))
        else:
            measure(name, [ccusage, "session", "--json", "--offline"], env_for(corpus))
step("full syncs measured")

# Huge transcripts (generated; never committed); --huge-rounds 0 leaves them out.
huge_rates = []  # MB/s of each full sync (the transcript grows by each round's append)
huge_mb = 0
huge_root = os.path.join(work, "huge")
huge_file = os.path.join(huge_root, ".claude", "projects", "-bench-huge", "huge.jsonl")
if args.huge_rounds and (not os.path.exists(huge_file) or os.path.getsize(huge_file) < (args.huge_mb << 20)):
    step(f"generating a {args.huge_mb} MB transcript and a 50 MB line (bench/huge.py)")
    quiet([sys.executable, os.path.join(here, "huge.py"), huge_root, "--size-mb", str(args.huge_mb)])
long_root = os.path.join(work, "long-line")
if args.huge_rounds:
    step("generating the 50 MB line alone")
    quiet([sys.executable, os.path.join(here, "huge.py"), long_root, "--size-mb", "0"])
huge_store = os.path.join(work, "store-huge")
for r in range(args.huge_rounds):
    shutil.rmtree(huge_store, ignore_errors=True)
    huge_mb = mb(os.path.join(huge_root, ".claude", "projects"))
    huge_rates.append(huge_mb / measure("huge full sync ours", [selftune, "sync", "--json"], env_for(huge_root, huge_store)))
    quiet([sys.executable, os.path.join(here, "huge.py"), huge_root, "--append", "64"])
    measure("huge append 64 MB ours", [selftune, "sync", "--json"], env_for(huge_root, huge_store))
    shutil.rmtree(os.path.join(work, "store-long"), ignore_errors=True)
    measure("50 MB line sync ours", [selftune, "sync", "--json"], env_for(long_root, os.path.join(work, "store-long")))
if args.huge_rounds:
    step("huge transcripts measured")

# --- report ----------------------------------------------------------------------------------------------------------
med = {k: statistics.median(v) for k, v in times.items()}
ratios = {
    "hook ours ÷ reference (bun)": med["hook ours (as installed)"] / med["hook reference (bun)"],
    "hook ours ÷ empty .NET program": med["hook ours (as installed)"] / med["hook empty .NET program"],
    "status ours ÷ reference": med["status ours"] / med["status reference"],
}
if args.sync_rounds:  # --sync-rounds 0 leaves the full syncs (and the ratios to ccusage) out
    ratios["full sync ours ÷ ccusage session"] = med["full sync ours"] / med["ccusage session"]
    ratios["unchanged sync ours ÷ ccusage session"] = med["unchanged sync ours"] / med["ccusage session"]
if huge_rates and args.sync_rounds:
    ratios["huge MB/s ÷ corpus MB/s"] = statistics.median(huge_rates) / (corpus_mb / med["full sync ours"])
print(f"machine: {os.cpu_count()} cores, load average {' '.join(f'{x:.1f}' for x in os.getloadavg())} at the end")
print(f"corpus {corpus_mb:.0f} MB; huge home {huge_mb:.0f} MB at its last full sync (the transcript, its appends, the 50 MB line)")
for key in times:
    print(f"{key:34s} median {med[key] * 1000:8.1f} ms  min {min(times[key]) * 1000:8.1f}  CPU {statistics.median(cpu[key]) * 1000:8.1f} ms"
          f"  peak RSS {rss[key]:6.0f} MB  n={len(times[key])}")
if args.sync_rounds:
    print(f"corpus throughput ours {corpus_mb / med['full sync ours']:.0f} MB/s" + (f"; huge {statistics.median(huge_rates):.0f} MB/s" if huge_rates else ""))
for name, value in ratios.items():
    print(f"{name:40s} {value:.2f}")
if args.json:
    with open(args.json, "w") as f:
        json.dump({"times_ms": {k: [x * 1000 for x in v] for k, v in times.items()}, "cpu_ms": {k: [x * 1000 for x in v] for k, v in cpu.items()},
                   "peak_rss_mb": rss, "ratios": ratios, "corpus_mb": corpus_mb, "huge_mb": huge_mb, "hook_command": hook_command}, f, indent=1)
