using Selftune.Abstractions;
using Selftune.AdapterKit;

namespace Selftune.Plugin.OpenClaw.Tests;

/// <summary>What the ingestor makes of the corpus (numbers pinned; cross-checked with an independent Python count) and
/// of hand-written transcripts for the cases the corpus lacks.</summary>
public sealed class OpenClawIngestorTests : IDisposable
{
    private const string PiLargeId = "d703a1a9-1b7b-4fb1-b512-c9738b1fe617";
    private readonly string _home = Path.Combine(Path.GetTempPath(), "selftune-openclaw-" + Guid.NewGuid().ToString("N"));
    private readonly OpenClawIngestor _ingestor = new();

    public OpenClawIngestorTests() => Directory.CreateDirectory(_home);

    private PlatformContext Context(params (string Name, string Value)[] env) =>
        new(_home, _home, name => env.FirstOrDefault(e => e.Name == name).Value);

    [Fact]
    public void DiscoverListsTranscriptsIncludingRotatedOnesAndNothingElse()
    {
        Samples.Arrange(_home);

        var found = _ingestor.Discover(Context(), (p, r) => Assert.Fail($"{p}: {r}")).Select(s => Path.GetRelativePath(_home, s.Path).Replace('\\', '/')).Order(StringComparer.Ordinal);

        Assert.Equal(Samples.Files.Select(f => f.Home).Order(StringComparer.Ordinal), found);
    }

    [Theory]
    //          file                prompts actionable toolCalls toolErrors usage errors invocations
    [InlineData(Samples.Large,            1, 1,   2,  0,   0,  0, 0)]
    [InlineData(Samples.Small,            1, 1,   1,  0,   0,  0, 0)]
    [InlineData(Samples.Drift,            1, 1,   1,  0,   0,  0, 0)]
    [InlineData(Samples.PiSmall,          4, 2,   0,  0,   2,  0, 0)]
    [InlineData(Samples.PiBranched,       0, 0,   0,  0,   0,  0, 0)]
    [InlineData(Samples.PiLarge,         88, 83, 391, 19, 439, 22, 0)]
    [InlineData(Samples.Selftune,         2, 2,   4,  2,   0,  0, 1)]
    public void CorpusNumbersArePinned(string file, int prompts, int actionable, int toolCalls, int toolErrors, int usage, int errors, int invocations)
    {
        Samples.Arrange(_home);

        var sink = Ingest(file);

        Assert.Single(sink.Sessions);
        Assert.Equal(prompts, sink.Prompts.Count);
        Assert.Equal(actionable, sink.Prompts.Count(p => p.IsActionable));
        Assert.Equal(toolCalls, sink.ToolCalls.Select(t => t.ToolUseId).Distinct().Count());
        Assert.Equal(toolErrors, sink.ToolCalls.Count(t => t.IsError));
        Assert.Equal(usage, sink.UsageRecords.Count);
        Assert.Equal(errors, sink.Errors.Count);
        Assert.Equal(invocations, sink.Invocations.Count);
        Assert.Empty(sink.MalformedLines);
    }

    [Fact]
    public void LargePiSessionTokensCostAndSessionArePinned()
    {
        Samples.Arrange(_home);

        var sink = Ingest(Samples.PiLarge);

        Assert.Equal(1_049, sink.UsageRecords.Sum(u => u.InputTokens));
        Assert.Equal(83_156, sink.UsageRecords.Sum(u => u.OutputTokens));
        Assert.Equal(43_229_469, sink.UsageRecords.Sum(u => u.CacheReadTokens));
        Assert.Equal(4_296_232, sink.UsageRecords.Sum(u => u.CacheWriteTokens));
        Assert.Equal(30.3301977m, Math.Round(sink.UsageRecords.Sum(u => u.CostUsd ?? 0), 7));
        Assert.Equal(21, sink.Errors.Count(e => e.Kind == "interrupted"));
        Assert.Equal(1, sink.Errors.Count(e => e.Kind == "api_error"));
        var session = Assert.Single(sink.Sessions);
        Assert.Equal(PiLargeId, session.SessionId);
        Assert.Equal("/Users/badlogic/workspaces/pi-mono", session.Cwd);
        Assert.Equal(["gpt-5.1-codex", "claude-sonnet-4-5"], session.Models);
        Assert.Equal(DateTimeOffset.Parse("2025-11-20T23:33:01.550Z"), session.StartedAt); // the first message predates the header
        Assert.Null(session.ParentSessionId);
        Assert.Equal(CompletionStatus.Completed, session.Status);
    }

    [Fact]
    public void ToolCallsAndErrorsLinkToTheActionablePromptOfTheirTurn()
    {
        Samples.Arrange(_home);

        var sink = Ingest(Samples.PiLarge);

        // Line 2 "/mode" is a command: its aborted response belongs to no actionable prompt.
        Assert.Equal(PromptKind.Command, sink.Prompts.Single(p => p.PromptId == $"{PiLargeId}:L2").Kind);
        Assert.Equal("interrupted", sink.Errors.Single(e => e.ErrorId == $"{PiLargeId}:L3").Kind);
        // Line 5 asks to read theme.md; every tool call until the next user message (line 18) belongs to it.
        var turn = sink.ToolCalls.Where(t => t.Provenance.SourceLine is > 5 and < 18).ToList();
        Assert.NotEmpty(turn);
        Assert.All(turn, t => Assert.Equal($"{PiLargeId}:L5", t.PromptId));
        Assert.All(sink.ToolCalls.Where(t => t.PromptId is not null), t => Assert.Contains(sink.Prompts, p => p.PromptId == t.PromptId && p.IsActionable));
        Assert.Equal(
            ["packages/coding-agent/docs/theme.md", "packages/coding-agent/src/theme/theme.ts", "find packages/coding-agent/src -name \"*selector.ts\" -type f"],
            sink.ToolCalls.Where(t => t.Provenance.SourceLine == 6).Select(t => t.Detail));
    }

    [Fact]
    public void BranchedSessionSkipsTheParentsCopiedHistory()
    {
        Samples.Arrange(_home);

        var sink = Ingest(Samples.PiBranched);

        var session = Assert.Single(sink.Sessions);
        Assert.Equal("ffae836b-9420-4060-ac13-7745215f90ff", session.SessionId);
        Assert.Equal("d97339c6-6c10-4827-846b-9ff1d9c3dc37", session.ParentSessionId);
        Assert.Equal(DateTimeOffset.Parse("2025-12-09T00:53:29.825Z"), session.StartedAt);
        Assert.Equal(DateTimeOffset.Parse("2025-12-09T01:26:35.570Z"), session.EndedAt);
        Assert.Empty(sink.Prompts);
    }

    [Fact]
    public void TheSameFileWithoutItsParentCountsEverything()
    {
        // The real 2.4 MB Pi session read as an ordinary one: its header's branchedFrom removed.
        var path = Samples.Copy("pi-mono-fixtures/before-compaction.jsonl", _home, Samples.PiBranched);
        var lines = File.ReadAllLines(path);
        lines[0] = System.Text.RegularExpressions.Regex.Replace(lines[0], ",\"branchedFrom\":\"[^\"]*\"", "");
        File.WriteAllLines(path, lines);

        var sink = Ingest(Samples.PiBranched);

        Assert.Equal(57, sink.Prompts.Count);
        Assert.Equal(50, sink.Prompts.Count(p => p.IsActionable));
        var compactions = sink.Prompts.Where(p => p.Kind == PromptKind.Continuation).ToList();
        Assert.Equal([360L, 629L], compactions.Select(p => p.Provenance.SourceLine!.Value));
        Assert.StartsWith("# Context Checkpoint: Coding Agent Refactoring", compactions[0].Text);
        Assert.Equal(454, sink.ToolCalls.Select(t => t.ToolUseId).Distinct().Count());
        Assert.Equal(12, sink.ToolCalls.Count(t => t.IsError));
        Assert.Equal(471, sink.UsageRecords.Count);
        Assert.Equal(19, sink.Errors.Count);
        Assert.Equal(["claude-opus-4-5"], Assert.Single(sink.Sessions).Models);
    }

    [Fact]
    public void LiveAndRotatedCopiesOfASessionAreNotDoubleCounted()
    {
        var live = Samples.Copy("agent-sessions-fixtures/pi-small.jsonl", _home, Samples.PiSmall);
        var alone = Ingest(Samples.PiSmall).Keys();
        File.Copy(live, live + ".reset.2026-05-12T02-00-00.000Z");
        File.Copy(live, live + ".deleted.2026-05-13T02-00-00.000Z");

        var sources = _ingestor.Discover(Context(), (_, _) => { }).ToList();
        var all = new RecordingSink();
        foreach (var source in sources)
        {
            _ingestor.Ingest(source, null, all, CancellationToken.None);
        }

        Assert.Equal(3, sources.Count);
        Assert.Equal(alone, all.Keys());
        Assert.Equal(4, all.Prompts.Count / 3); // each copy re-emits the same 4 prompt ids, stored once
    }

    [Fact]
    public void ASessionArchivedMidReadResumesInTheArchiveWithoutDuplicates()
    {
        var live = Samples.Copy("agent-sessions-fixtures/large.jsonl", _home, Samples.Large);
        var full = Ingest(Samples.Large).Keys();
        var bytes = File.ReadAllBytes(live);
        var half = Array.IndexOf(bytes, (byte)'\n', bytes.Length / 2) + 1;
        File.WriteAllBytes(live, bytes[..half]);
        var parts = new RecordingSink();
        _ingestor.Ingest(Source(live), null, parts, CancellationToken.None);

        // OpenClaw renames the finished transcript on /reset; the core sees a new path and reads it from the start.
        File.WriteAllBytes(live, bytes);
        var archive = live + ".reset.2026-02-24T11-00-00.000Z";
        File.Move(live, archive);
        _ingestor.Ingest(Source(archive), null, parts, CancellationToken.None);

        Assert.Equal(full, parts.Keys());
    }

    [Fact]
    public void OnlyCompleteLinesAreConsumedAndTheStateStaysSmall()
    {
        var path = Samples.Copy("agent-sessions-fixtures/small.jsonl", _home, Samples.Small);
        var complete = new FileInfo(path).Length;
        File.AppendAllText(path, "{\"type\":\"message\",\"id\":\"m4\",\"parentId\":\"m3\",\"timestamp\":\"2026-02-24T09:00:05Z\",\"message\":{\"role\":\"user\",\"content\":\"half writ");
        var sink = new RecordingSink();

        var first = _ingestor.Ingest(Source(path), null, sink, CancellationToken.None);
        File.AppendAllText(path, "ten prompt\"}}\n");
        var second = _ingestor.Ingest(Source(path), first.Cursor, sink, CancellationToken.None);

        Assert.Equal(complete, first.Cursor.Offset);
        Assert.Equal(5, first.Lines);
        Assert.Equal(1, second.Lines);
        Assert.Equal(new FileInfo(path).Length, second.Cursor.Offset);
        Assert.Equal(["List files", "half written prompt"], sink.Prompts.Select(p => p.Text));
        Assert.Equal(6, sink.Prompts[1].Provenance.SourceLine);
        Assert.Empty(sink.MalformedLines);

        var large = Ingest(Samples.PiLarge, arrange: true, out var cursor);
        Assert.NotEmpty(large.Prompts);
        Assert.InRange(cursor.State!.Length, 1, 1024);
    }

    [Fact]
    public void MalformedLinesAreReportedWithTheirLineAndTheRestStillCounts()
    {
        var path = Path.Combine(_home, Samples.Small);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllLines(path,
        [
            """{"type":"session","version":3,"id":"s-bad","timestamp":"2026-03-01T10:00:00Z","cwd":"/w"}""",
            """{"type":"message","id":"a1","timestamp":"2026-03-01T10:00:01Z","message":{"role":"user","content":[{"type":"text","text":"first real prompt"}]}}""",
            """[1,2,3]""",
            """{"type":"message","id":"a2","timestamp":""",
            "",
            """{"type":"message","id":"a3","timestamp":"2026-03-01T10:00:03Z","message":{"role":"user","content":"second real prompt"}}""",
        ]);

        var sink = Ingest(Samples.Small);

        Assert.Equal([3L, 4L], sink.MalformedLines.Select(m => m.Line));
        Assert.All(sink.MalformedLines, m => Assert.Equal(path, m.Path));
        Assert.Equal(["s-bad:a1", "s-bad:a3"], sink.Prompts.Select(p => p.PromptId));
    }

    [Fact]
    public void SkillsPromptsAndErrorsOfAnOpenClawSessionAreRead()
    {
        // Hand-written in the v3 shape of the corpus' FORMAT.md, covering what the corpus samples lack.
        var path = Path.Combine(_home, ".openclaw/agents/main/sessions/oc-1.jsonl");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllLines(path,
        [
            """{"type":"session","version":3,"id":"oc-1","timestamp":"2026-03-01T10:00:00.000Z","cwd":"C:\\Users\\me\\.openclaw\\workspace"}""",
            """{"type":"model_change","id":"e1","parentId":null,"timestamp":"2026-03-01T10:00:00.100Z","provider":"openrouter","modelId":"anthropic/claude-sonnet-4.5"}""",
            """{"type":"message","id":"e2","parentId":"e1","timestamp":"2026-03-01T10:00:01.000Z","message":{"role":"user","content":[{"type":"text","text":"Sender (untrusted metadata):\n```json\n{\"name\":\"Ana\"}\n```\n\n[Sun 2026-03-01 18:00 GMT+8] make me a new skill for invoices"}],"timestamp":1772359201000}}""",
            """{"type":"message","id":"e3","parentId":"e2","timestamp":"2026-03-01T10:00:02.000Z","message":{"role":"assistant","content":[{"type":"toolCall","id":"call_1","name":"read","arguments":{"file_path":"C:\\Users\\me\\.openclaw\\workspace\\skills\\skill-creator-0.1.0\\SKILL.md"}},{"type":"toolCall","id":"call_2","name":"exec","arguments":{"command":"ls skills\nls -la"}}],"provider":"openrouter","model":"anthropic/claude-sonnet-4.5","usage":{"input":1200,"output":80,"cacheRead":300,"cacheWrite":0,"totalTokens":1580,"cost":{"total":0.0048}},"stopReason":"toolUse","timestamp":1772359202000}}""",
            """{"type":"message","id":"e4","parentId":"e3","timestamp":"2026-03-01T10:00:03.000Z","message":{"role":"toolResult","toolCallId":"call_1","toolName":"read","content":[{"type":"text","text":"---\nname: skill-creator\n---"}],"isError":false}}""",
            """{"type":"message","id":"e5","parentId":"e4","timestamp":"2026-03-01T10:00:04.000Z","message":{"role":"toolResult","toolCallId":"call_2","toolName":"exec","content":[{"type":"text","text":"not found"}],"details":{"exitCode":2},"isError":false}}""",
            """{"type":"compaction","id":"e6","parentId":"e5","timestamp":"2026-03-01T10:05:00.000Z","summary":"Made an invoices skill.","firstKeptEntryId":"e5","tokensBefore":90000}""",
            """{"type":"message","id":"e7","parentId":"e6","timestamp":"2026-03-01T10:06:00.000Z","message":{"role":"user","content":"Use the \"invoices\" skill for this request.\n\nUser input:\nbill ACME for March"}}""",
            """{"type":"message","id":"e8","parentId":"e7","timestamp":"2026-03-01T10:06:01.000Z","message":{"role":"assistant","content":[],"model":"anthropic/claude-sonnet-4.5","usage":{"input":0,"output":0,"cacheRead":0,"cacheWrite":0},"stopReason":"error","errorMessage":"429 rate limited"}}""",
            """{"type":"custom","customType":"openclaw:prompt-error","id":"e9","parentId":"e8","timestamp":"2026-03-01T10:06:02.000Z","data":{"error":"LLM idle timeout (60s): no response from model"}}""",
            """{"type":"message","id":"e10","parentId":"e9","timestamp":"2026-03-01T10:07:00.000Z","message":{"role":"user","content":"<skill name=\"pdf\" location=\"/home/me/.openclaw/skills/pdf/SKILL.md\">\nReferences are relative to /home/me/.openclaw/skills/pdf.\n\n# PDF\n</skill>\n\nsplit report.pdf in two"}}""",
            """{"type":"message","id":"e11","parentId":"e10","timestamp":"2026-03-01T10:08:00.000Z","message":{"role":"user","content":"worker finished: 3 invoices","provenance":{"kind":"inter_session","sourceTool":"sessions_send"}}}""",
            """{"type":"message","id":"e12","parentId":"e11","timestamp":"2026-03-01T10:09:00.000Z","message":{"role":"user","content":"Read HEARTBEAT.md if it exists (workspace context). Follow it strictly."}}""",
        ]);

        var sink = Ingest(".openclaw/agents/main/sessions/oc-1.jsonl");

        Assert.Empty(sink.MalformedLines);
        Assert.Equal(
            [
                ("oc-1:e2", PromptKind.User, "make me a new skill for invoices"),
                ("oc-1:e6", PromptKind.Continuation, "Made an invoices skill."),
                ("oc-1:e7", PromptKind.User, "bill ACME for March"),
                ("oc-1:e10", PromptKind.User, "split report.pdf in two"),
                ("oc-1:e11", PromptKind.Notification, "worker finished: 3 invoices"),
                ("oc-1:e12", PromptKind.System, "Read HEARTBEAT.md if it exists (workspace context). Follow it strictly."),
            ],
            sink.Prompts.Select(p => (p.PromptId, p.Kind, p.Text)));

        var read = sink.Invocations[0];
        Assert.Equal(("skill-creator-0.1.0", InvocationKind.Implicit, OpenClawIngestor.SkillReadConfidence, "oc-1:e2", "call_1"),
            (read.SkillName, read.Kind, read.Provenance.Confidence, read.PromptId, read.ToolUseId));
        Assert.Equal(@"C:\Users\me\.openclaw\workspace\skills\skill-creator-0.1.0\SKILL.md", read.SkillPath);
        Assert.Equal(
            [("invoices", InvocationKind.Explicit, "oc-1:e7", (string?)null), ("pdf", InvocationKind.Explicit, "oc-1:e10", "/home/me/.openclaw/skills/pdf/SKILL.md")],
            sink.Invocations.Skip(1).Select(i => (i.SkillName, i.Kind, i.PromptId, i.SkillPath)));

        Assert.Equal([("call_1", false), ("call_2", false), ("call_2", true)], sink.ToolCalls.Select(t => (t.ToolUseId, t.IsError)));
        Assert.Equal("ls skills", sink.ToolCalls[1].Detail);
        var usage = Assert.Single(sink.UsageRecords);
        Assert.Equal(("oc-1:e3", "anthropic/claude-sonnet-4.5", 1200L, 80L, 300L, 0.0048m), (usage.MessageId, usage.Model, usage.InputTokens, usage.OutputTokens, usage.CacheReadTokens, usage.CostUsd));
        Assert.Equal([("api_error", "429 rate limited"), ("prompt_error", "LLM idle timeout (60s): no response from model")], sink.Errors.Select(e => (e.Kind, e.Message)));
        var session = Assert.Single(sink.Sessions);
        Assert.Equal((CompletionStatus.Failed, @"C:\Users\me\.openclaw\workspace"), (session.Status, session.Cwd));
        Assert.Equal(DateTimeOffset.Parse("2026-03-01T10:09:00Z"), session.EndedAt);
    }

    [Fact]
    public void OverridesAndProfilesChooseTheAgentsFolders()
    {
        var custom = Path.Combine(_home, "elsewhere");
        Samples.Copy("agent-sessions-fixtures/small.jsonl", custom, "agents/main/sessions/a.jsonl");
        Samples.Copy("agent-sessions-fixtures/small.jsonl", _home, ".openclaw-work/agents/main/sessions/b.jsonl");
        Samples.Copy("agent-sessions-fixtures/small.jsonl", _home, "svc/.openclaw/agents/main/sessions/c.jsonl");

        string Names(PlatformContext context) => string.Join(",", _ingestor.Discover(context, (_, _) => { }).Select(s => Path.GetFileName(s.Path)));

        Assert.Equal("b.jsonl", Names(Context()));
        Assert.Equal("a.jsonl", Names(Context(("OPENCLAW_STATE_DIR", custom))));
        Assert.Equal("a.jsonl", Names(Context(("SELFTUNE_OPENCLAW_AGENTS_DIR", Path.Combine(custom, "agents")), ("OPENCLAW_STATE_DIR", "/nowhere"))));
        Assert.Equal("c.jsonl", Names(Context(("OPENCLAW_HOME", Path.Combine(_home, "svc")))));
        Assert.Equal("a.jsonl", Names(Context(("OPENCLAW_HOME", _home), ("OPENCLAW_STATE_DIR", "~/elsewhere"))));
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_home, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private RecordingSink Ingest(string relative) => Ingest(relative, arrange: false, out _);

    private RecordingSink Ingest(string relative, bool arrange, out SourceCursor cursor)
    {
        if (arrange)
        {
            Samples.Arrange(_home);
        }

        var sink = new RecordingSink();
        cursor = _ingestor.Ingest(Source(Path.Combine(_home, relative)), null, sink, CancellationToken.None).Cursor;
        return sink;
    }

    private static SourceFile Source(string path)
    {
        var info = new FileInfo(path);
        return new SourceFile(info.FullName, info.Length, info.LastWriteTimeUtc);
    }
}
