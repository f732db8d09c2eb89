using Selftune.Abstractions;
using Selftune.AdapterKit;

namespace Selftune.Plugin.Claude.Tests;

/// <summary>Pins what the ingestor makes of the real transcripts in the shared corpus (claude-code/). Per-file tool error
/// counts agree with the corpus MANIFEST, which counted <c>is_error</c> results independently.</summary>
public sealed class CorpusTests(CorpusFixture corpus) : IClassFixture<CorpusFixture>
{
    private const string Spotter = "ae4a77f8-aedd-4bc1-888f-c94edc91af04";

    [Fact]
    public void DiscoversEveryTranscriptWithoutProblems()
    {
        Assert.Empty(corpus.Problems);
        Assert.Equal(30, new ClaudeTranscriptIngestor().Discover(corpus.Context, (_, _) => { }).Count());
    }

    [Fact]
    public void SessionsAndPromptKindsArePinned()
    {
        Assert.Equal(37, corpus.Sessions.Count);
        var kinds = corpus.Prompts.Values.GroupBy(p => p.Kind).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(66, kinds[PromptKind.User]);
        Assert.Equal(19, kinds[PromptKind.Command]);
        Assert.Equal(6, kinds[PromptKind.Continuation]);
        Assert.Equal(1, kinds[PromptKind.SkillBody]);
        Assert.Equal(22, kinds[PromptKind.System]);
        Assert.Equal(17, kinds[PromptKind.Notification]);
        Assert.Equal(131, corpus.Prompts.Count);
    }

    [Fact]
    public void SessionMetadataComesFromTheEnvelope()
    {
        var session = corpus.Sessions[Spotter];
        Assert.Equal("/home/USER/projects/spotter-worktrees/spotter-4te", session.Cwd);
        Assert.Equal("spotter-4te", session.GitBranch);
        Assert.Equal("2.1.39", session.AgentVersion);
        Assert.Equal(["claude-opus-4-6", "claude-haiku-4-5-20251001"], session.Models!);
        Assert.Equal(DateTimeOffset.Parse("2026-02-12T14:11:57.000Z").Date, session.StartedAt!.Value.Date);
        Assert.Equal("1.0.81", corpus.Sessions["a1bb1115-ccee-45a2-a80f-7b36bba42a5d"].AgentVersion); // changes 1.0.80 → 1.0.81 mid-file
        Assert.Null(session.ParentSessionId);
    }

    [Fact]
    public void SubAgentsOfAllThreeLayoutsLinkToTheirParent()
    {
        var sessions = corpus.Sessions;
        // 2.1: <session>/subagents/agent-*.jsonl (+ the compaction helper agent).
        Assert.Equal(Spotter, sessions[$"{Spotter}:agent-aac57f5"].ParentSessionId);
        Assert.Equal(Spotter, sessions[$"{Spotter}:agent-acompact-946d2b"].ParentSessionId);
        Assert.Equal("0a1b2c3d-4e5f-4061-8071-2a3b4c5d6e7f", sessions["0a1b2c3d-4e5f-4061-8071-2a3b4c5d6e7f:agent-a0ad4f44468bdf20d"].ParentSessionId);
        // 2.0: flat agent-*.jsonl carrying the parent's sessionId.
        Assert.Equal("7f2abd2d-7cfc-4447-9ddd-3ca8d14e02e9", sessions["7f2abd2d-7cfc-4447-9ddd-3ca8d14e02e9:agent-0c4c3cf8"].ParentSessionId);
        Assert.Equal("7f2abd2d-7cfc-4447-9ddd-3ca8d14e02e9", sessions["7f2abd2d-7cfc-4447-9ddd-3ca8d14e02e9:agent-90fa40b6"].ParentSessionId);
        // 1.0: inline isSidechain lines in the parent's own file.
        var inline = sessions["1b2c0332-e2dc-459f-88b9-1aad6e941e18:sidechain-4c87945f-bcee-4405-9e5e-d9906a3c1189"];
        Assert.Equal("1b2c0332-e2dc-459f-88b9-1aad6e941e18", inline.ParentSessionId);
        Assert.Equal(5, sessions.Keys.Count(k => k.StartsWith("fe5e1c67-53e7-4862-81ae-d0e013e3270b:sidechain-", StringComparison.Ordinal)));
        // Sub-agent prompts were written by the parent agent: never actionable.
        Assert.All(corpus.Prompts.Values.Where(p => p.SessionId.Contains(":agent-") || p.SessionId.Contains(":sidechain-")), p => Assert.False(p.IsActionable));
    }

    [Fact]
    public void StructureDecidesWhatIsActionable()
    {
        var prompts = corpus.Prompts.Values.Where(p => p.SessionId == Spotter).OrderBy(p => p.Provenance.SourceLine).ToList();
        Assert.Equal(["Work on bead spotter-4te. Run bd show spotter-4te to see the issue details and bd ready to find available subtasks. Start with the first ready task.", "continue implementation"],
            prompts.Where(p => p.IsActionable).Select(p => p.Text));
        Assert.Equal(PromptKind.SkillBody, prompts.Single(p => p.Provenance.SourceLine == 102).Kind);
        Assert.Equal(PromptKind.Continuation, prompts.Single(p => p.Provenance.SourceLine == 1482).Kind); // isCompactSummary
        Assert.Equal(PromptKind.Command, prompts.Single(p => p.Provenance.SourceLine == 1484).Kind);     // /compact
        Assert.DoesNotContain(prompts, p => p.Provenance.SourceLine == 101);                              // tool_result only
    }

    [Fact]
    public void TheRealSkillTriggerIsLinkedToThePromptThatLedToIt()
    {
        var trigger = corpus.Sink.Invocations.Where(i => i.Kind == InvocationKind.Implicit).GroupBy(i => i.InvocationId).Single().Last();
        Assert.Equal("elixir:hex-docs-search", trigger.SkillName);
        Assert.Equal(Spotter, trigger.SessionId);
        Assert.Equal("toolu_01WY1KAUdfMedBJrV6KAtck5", trigger.ToolUseId);
        Assert.Equal(73, trigger.Provenance.SourceLine);
        Assert.Equal("/home/USER/.claude/plugins/cache/elixir/elixir/1.2.0/skills/hex-docs-search", trigger.SkillPath);
        // 65 tool results came between the prompt (line 7) and the Skill call.
        Assert.StartsWith("Work on bead spotter-4te.", corpus.Prompts[trigger.PromptId!].Text, StringComparison.Ordinal);
    }

    [Fact]
    public void SkillFileReadsWithoutASkillCallAreReadSignals()
    {
        var reads = corpus.Sink.Invocations.Where(i => i.Kind == InvocationKind.Read)
            .Select(i => (i.SessionId, i.SkillName, i.SkillPath, Prompt: corpus.Prompts[i.PromptId!].Text))
            .OrderBy(r => r.SessionId).ThenBy(r => r.Prompt)
            .ToList();
        Assert.Equal(
            [
                ("session-001", "find-skills", "/skills/find-skills", "find me a skill for web scraping"),
                ("session-003", "find-skills", "/skills/find-skills", "search for a skill that does image generation"),
                ("session-003", "ai-image-generation", "/skills/ai-image-generation", "what about the ai-image-generation one?"),
            ],
            reads);
        Assert.DoesNotContain(corpus.Sink.Invocations, i => i.Kind == InvocationKind.Explicit);
    }

    [Theory]
    [InlineData("spotter/ae4a77f8-aedd-4bc1-888f-c94edc91af04.jsonl", 12)]
    [InlineData("spotter/short.jsonl", 2)]
    [InlineData("spotter/4d5611e5-241a-462a-8d15-5122611a9569/subagents/agent-a2898e3.jsonl", 8)]
    [InlineData("swordintel/-home-ubuntu-Documents-livecd-gen/1b2c0332-e2dc-459f-88b9-1aad6e941e18.jsonl", 30)]
    [InlineData("swordintel/-home-ubuntu-Documents-Claude/eb58ac6d-1d26-40b0-b0d2-e767a62574a3.jsonl", 7)]
    [InlineData("claude-code-viewer/fe5e1c67-53e7-4862-81ae-d0e013e3270b.jsonl", 23)]
    [InlineData("claude-reliability/coverage-test-fix.jsonl", 1)]
    public void ToolErrorsPerFileArePinned(string file, int errors)
    {
        var path = corpus.PathOf(file.Split('/'));
        Assert.Equal(errors, corpus.Sink.ToolCalls.Where(t => t.IsError && t.Provenance.SourcePath == path).Select(t => t.ToolUseId).Distinct().Count());
    }

    [Fact]
    public void ToolCallsAndTheirErrorsAcrossTheCorpus()
    {
        Assert.Equal(909, corpus.Sink.ToolCalls.Select(t => (t.SessionId, t.ToolUseId)).Distinct().Count());
        Assert.Equal(91, corpus.Sink.ToolCalls.Where(t => t.IsError).Select(t => (t.SessionId, t.ToolUseId)).Distinct().Count());
        var failed = corpus.Sink.ToolCalls.First(t => t.IsError && t.Provenance.SourcePath!.EndsWith("short.jsonl", StringComparison.Ordinal));
        Assert.NotEqual("unknown", failed.Name); // named from its tool_use
    }

    [Fact]
    public void OneUsageRecordPerResponse()
    {
        Assert.Equal(885, corpus.Sink.UsageRecords.Select(u => (u.MessageId, u.RequestId)).Distinct().Count());
        var withOneHour = corpus.Sink.UsageRecords.Where(u => u.CacheWrite1hTokens > 0).ToList();
        Assert.NotEmpty(withOneHour);
        Assert.All(withOneHour, u => Assert.InRange(u.CacheWrite1hTokens, 1, u.CacheWriteTokens));
    }

    [Fact]
    public void NonTranscriptLinesAreReportedWithFileAndLine()
    {
        var hookLog = corpus.PathOf("fasthooks", "sample_hook_logs.jsonl");
        Assert.Equal(Enumerable.Range(1, 36).Select(i => (long)i), corpus.Sink.MalformedLines.Where(m => m.Path == hookLog).Select(m => m.Line));
        var drift = corpus.PathOf("agent-sessions-fixtures", "schema_drift.jsonl");
        Assert.Equal([(2L, "unknown record type 'tool_use' (skipped)"), (3L, "unknown record type 'tool_result' (skipped)")],
            corpus.Sink.MalformedLines.Where(m => m.Path == drift).Select(m => (m.Line, m.Reason)));
        Assert.Equal(38, corpus.Sink.MalformedLines.Count);
    }

    /// <summary>Every transcript read in three pieces (appended to after each read, then read from the cursor with its saved
    /// <see cref="TranscriptState"/>) gives the records and sessions of one full read: the state carries the sidechains,
    /// open turns and pending skill reads from one read to the next through its JSON.</summary>
    [Fact]
    public void EveryTranscriptReadInPiecesGivesWhatOneFullReadGives()
    {
        var home = Path.Combine(Path.GetTempPath(), "selftune-claude-pieces-" + Guid.NewGuid().ToString("N"));
        var context = new PlatformContext(home, home, _ => null);
        var ingestor = new ClaudeTranscriptIngestor();
        SourceFile Source(string path) => ingestor.Discover(context, (_, _) => { }).Single(s => s.Path == path);
        try
        {
            foreach (var file in Directory.EnumerateFiles(corpus.Projects, "*.jsonl", SearchOption.AllDirectories))
            {
                var path = Path.Combine(home, ".claude", "projects", Path.GetRelativePath(corpus.Projects, file));
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                var bytes = File.ReadAllBytes(file);
                var lineEnds = Enumerable.Range(0, bytes.Length).Where(i => bytes[i] == (byte)'\n').Select(i => i + 1).ToList();
                void Write(int length)
                {
                    File.WriteAllBytes(path, bytes[..length]);
                    File.SetLastWriteTimeUtc(path, File.GetLastWriteTimeUtc(file)); // the time of lines without their own
                }

                Write(bytes.Length);
                var whole = new RecordingSink();
                var lines = ingestor.Ingest(Source(path), null, whole, CancellationToken.None).Lines;

                var pieces = new RecordingSink();
                SourceCursor? cursor = null;
                var linesInPieces = 0L;
                foreach (var cut in new[] { lineEnds[lineEnds.Count / 3], lineEnds[2 * lineEnds.Count / 3], bytes.Length })
                {
                    Write(cut);
                    var read = ingestor.Ingest(Source(path), cursor, pieces, CancellationToken.None);
                    (cursor, linesInPieces) = (read.Cursor, linesInPieces + read.Lines);
                }

                Assert.Equal(lines, linesInPieces); // each piece was read from the cursor, with its state, not from the start

                Assert.Equal(Stored(whole), Stored(pieces));
                Assert.Equal(Sessions(whole), Sessions(pieces));
            }
        }
        finally
        {
            Directory.Delete(home, recursive: true);
        }

        // The records' keys as the store keeps them: a response whose lines a read divides is stored once, with its largest usage.
        static SortedSet<string> Stored(RecordingSink sink)
        {
            var keys = sink.Keys();
            keys.RemoveWhere(k => k.StartsWith("usage:", StringComparison.Ordinal));
            keys.UnionWith(sink.UsageRecords.GroupBy(u => (u.MessageId, u.RequestId))
                .Select(g => g.MaxBy(u => u.InputTokens + u.OutputTokens + u.CacheWriteTokens + u.CacheReadTokens)!)
                .Select(u => $"usage:{u.MessageId}:{u.RequestId}:{u.InputTokens}:{u.OutputTokens}:{u.CacheWriteTokens}:{u.CacheReadTokens}"));
            return keys;
        }

        static IEnumerable<string> Sessions(RecordingSink sink) => sink.Sessions.GroupBy(s => s.SessionId).Select(g => g.Last())
            .Select(s => $"{s.SessionId} {s.ParentSessionId} {s.StartedAt:O} {s.EndedAt:O} {s.Cwd} {s.GitBranch} {s.AgentVersion} {string.Join(',', s.Models ?? [])} {s.Status}")
            .Order(StringComparer.Ordinal);
    }
}
