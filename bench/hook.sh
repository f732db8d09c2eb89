#!/usr/bin/env bash
# The installed hook command, measured as a whole process from start to exit with a UserPromptSubmit payload on
# stdin (issue 4 target: median <= 40 ms). Builds Release and a ReadyToRun publish, then runs hyperfine on each.
# hyperfine 1.15 (Debian) has no --input, so the payload is redirected by a shell whose start-up hyperfine measures
# and subtracts; the -N rows (no shell, empty stdin) bound the same path from below.
# Usage: bench/hook.sh [runs]   (apt-get install -y hyperfine)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-50}
out=bench/out/hook
mkdir -p "$out"
dotnet build src/Selftune.Host -c Release -v q -nologo >/dev/null
dotnet publish src/Selftune.Host -c Release -r linux-x64 --self-contained false -o "$out/r2r" -v q -nologo >/dev/null
# Baseline: an empty .NET console app with the same runtime settings (the floor for any .NET hook).
mkdir -p "$out/trivial"
cat >"$out/trivial/trivial.csproj" <<'XML'
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <OutputType>Exe</OutputType>
    <GenerateDocumentationFile>false</GenerateDocumentationFile>
    <TieredPGO>false</TieredPGO>
    <UseSystemResourceKeys>true</UseSystemResourceKeys>
  </PropertyGroup>
</Project>
XML
echo 'return 0;' >"$out/trivial/Program.cs"
dotnet publish "$out/trivial/trivial.csproj" -c Release -r linux-x64 --self-contained false -p:PublishReadyToRun=true -o "$out/trivial/bin" -v q -nologo >/dev/null

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export HOME="$tmp/home" SELFTUNE_HOME="$tmp/selftune"
mkdir -p "$HOME"
payload="$tmp/payload.json"
cat >"$payload" <<'JSON'
{"session_id":"c45af7b1-cb7c-4e51-93db-8cbb250a877a","transcript_path":"/root/.claude/projects/-workspace/c45af7b1-cb7c-4e51-93db-8cbb250a877a.jsonl","cwd":"/workspace","permission_mode":"default","hook_event_name":"UserPromptSubmit","prompt":"ok can you create a hello_world.py file that prints hello world and run it"}
JSON

hyperfine -N --warmup 5 --runs "$runs" --export-json "$out/trivial.json" -n "empty .NET app (R2R)" "$(realpath "$out/trivial/bin/trivial")"
for variant in "release=src/Selftune.Host/bin/Release/net10.0/selftune" "r2r=$out/r2r/selftune"; do
  name=${variant%%=*}
  exe=$(realpath "${variant#*=}")
  hyperfine --warmup 5 --runs "$runs" --export-json "$out/$name-stdin.json" \
    -n "$name, payload on stdin" "$exe hook UserPromptSubmit --platform claude_code < $payload"
  hyperfine -N --warmup 5 --runs "$runs" --export-json "$out/$name-empty.json" \
    -n "$name, -N, empty stdin" "$exe hook UserPromptSubmit --platform claude_code"
done
echo "spooled events: $(cat "$SELFTUNE_HOME"/spool/hooks-*.jsonl | wc -l)"
for f in "$out"/*.json; do
  python3 - "$f" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"][0]
print("%s: median %.1f ms, mean %.1f +- %.1f ms, min %.1f ms" % (r["command"], r["median"] * 1000, r["mean"] * 1000, r["stddev"] * 1000, r["min"] * 1000))
PY
done
