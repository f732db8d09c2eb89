#!/usr/bin/env python3
"""Generates huge Claude Code transcripts for the benchmark (issue 19), under DEST/.claude/projects/-bench-huge/:

  huge.jsonl      SIZE_MB (default 2048) of one session: the records of a real corpus transcript repeated, each copy with
                  its own uuids, message and request ids and times one minute later, so nothing deduplicates;
  long-line.jsonl a small session whose one user prompt holds a tool result of LINE_MB (default 50) MB on one line.

`--append MB` appends that many MB of further copies to an existing huge.jsonl (what an agent does to a live session),
continuing its copy numbering. Nothing here is committed: the data is made from the corpus each time.

Usage: bench/huge.py DEST [--size-mb 2048] [--line-mb 50] [--source FILE] [--append MB]
"""
import argparse, datetime, json, os, re

here = os.path.dirname(os.path.abspath(__file__))
default_source = os.path.join(here, "..", "..", "..", "shared", "corpus", "claude-code")
parser = argparse.ArgumentParser()
parser.add_argument("dest")
parser.add_argument("--size-mb", type=int, default=2048)
parser.add_argument("--line-mb", type=int, default=50)
parser.add_argument("--source", help="a Claude transcript to repeat (default: the largest under /work/shared/corpus/claude-code)")
parser.add_argument("--append", type=int, help="append this many MB to DEST's huge.jsonl instead")
args = parser.parse_args()

folder = os.path.join(args.dest, ".claude", "projects", "-bench-huge")
os.makedirs(folder, exist_ok=True)
huge = os.path.join(folder, "huge.jsonl")


def source_file():
    if args.source:
        return args.source
    root = "/work/shared/corpus/claude-code" if os.path.isdir("/work/shared/corpus/claude-code") else default_source
    files = [os.path.join(d, f) for d, _, fs in os.walk(root) for f in fs if f.endswith(".jsonl")]
    return max(files, key=os.path.getsize)


records = [line for line in open(source_file(), encoding="utf-8") if '"type":"summary"' not in line and line.strip()]
uuid = re.compile(r'"([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-)([0-9a-f]{12})"')
ids = re.compile(r'"((?:msg|req|toolu)_[A-Za-z0-9]+)"')
stamp = re.compile(r'"timestamp":"([0-9T:.\-]+)Z"')
session = "00000000-0000-4000-8000-00000000b19b"
first = json.loads(records[0])["sessionId"]


def copy(n):
    """The source's records as copy n: fresh ids, times shifted by n minutes, one session id."""
    shift = datetime.timedelta(minutes=n)

    def when(m):
        at = datetime.datetime.fromisoformat(m.group(1)) + shift
        return f'"timestamp":"{at.isoformat(timespec="milliseconds")}Z"'

    text = "".join(records).replace(first, session)
    text = uuid.sub(lambda m: f'"{m.group(1)}{(int(m.group(2), 16) ^ n) & 0xFFFFFFFFFFFF:012x}"', text)
    text = ids.sub(lambda m: f'"{m.group(1)}_{n}"', text)
    return stamp.sub(when, text).encode()


def write(path, target, start, mode):
    n, written = start, 0
    with open(path, mode) as f:
        while written < target:
            chunk = copy(n)
            f.write(chunk)
            written += len(chunk)
            n += 1
    return n


if args.append:
    with open(huge + ".copies") as f:
        start = int(f.read())
    end = write(huge, args.append << 20, start, "ab")
else:
    end = write(huge, args.size_mb << 20, 0, "wb")

    # A short session whose second prompt answers a tool call with LINE_MB of output on one line.
    long_session = "00000000-0000-4000-8000-0000000050mb"
    base = {"parentUuid": None, "isSidechain": False, "userType": "external", "cwd": "/bench", "sessionId": long_session,
            "version": "1.0.0", "gitBranch": "main"}
    lines = [
        dict(base, type="user", uuid="10000000-0000-4000-8000-000000000001", timestamp="2026-11-30T10:00:00.000Z",
             message={"role": "user", "content": "print the whole log"}),
        dict(base, type="assistant", uuid="10000000-0000-4000-8000-000000000002", parentUuid="10000000-0000-4000-8000-000000000001",
             timestamp="2026-11-30T10:00:05.000Z", requestId="req_long",
             message={"id": "msg_long1", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5-20250929",
                      "content": [{"type": "tool_use", "id": "toolu_long", "name": "Bash", "input": {"command": "cat big.log"}}],
                      "usage": {"input_tokens": 10, "output_tokens": 20, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0}}),
        dict(base, type="user", uuid="10000000-0000-4000-8000-000000000003", parentUuid="10000000-0000-4000-8000-000000000002",
             timestamp="2026-11-30T10:00:09.000Z",
             message={"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_long", "content": "x" * (args.line_mb << 20)}]}),
        dict(base, type="assistant", uuid="10000000-0000-4000-8000-000000000004", parentUuid="10000000-0000-4000-8000-000000000003",
             timestamp="2026-11-30T10:00:20.000Z", requestId="req_long2",
             message={"id": "msg_long2", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5-20250929",
                      "content": [{"type": "text", "text": "The log is long."}],
                      "usage": {"input_tokens": 30, "output_tokens": 5, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0}}),
        dict(base, type="user", uuid="10000000-0000-4000-8000-000000000005", parentUuid="10000000-0000-4000-8000-000000000004",
             timestamp="2026-11-30T10:01:00.000Z", message={"role": "user", "content": "thanks, now summarise it"}),
    ]
    with open(os.path.join(folder, "long-line.jsonl"), "w") as f:
        for line in lines:
            f.write(json.dumps(line, separators=(",", ":")) + "\n")

with open(huge + ".copies", "w") as f:
    f.write(str(end))
print(f"{huge}: {os.path.getsize(huge) >> 20} MB ({end} copies)")
