using Selftune.Abstractions;
using Selftune.AdapterKit;

namespace Selftune.Plugin.Codex.Tests;

/// <summary>
/// Pins what the ingestor reads from the real rollouts of the shared corpus. Expected numbers were computed
/// independently of this code, with jq over the corpus files (commands in each test), e.g. token totals as the last
/// <c>total_token_usage</c> (the totals never decrease in these files, so that equals the sum of the deltas).
/// </summary>
public sealed class CodexCorpusTests : IDisposable
{
    private readonly string _home = Path.Combine(Path.GetTempPath(), "selftune-codex-corpus-" + Guid.NewGuid().ToString("N"));

    public CodexCorpusTests() => CodexCorpus.Arrange(_home);

    public void Dispose() => Directory.Delete(_home, recursive: true);

    private RecordingSink Ingest(string relative) =>
        RecordingSink.Ingest(new CodexIngestor(), new PlatformContext(_home, _home, _ => null), Path.Combine(_home, relative));

    /// <summary>Lines added and removed are read from <c>apply_patch</c> patches whose output is no failure, counted with a
    /// short Python script over the files: in each <c>custom_tool_call</c> named apply_patch, the input's lines starting
    /// with <c>+</c> or <c>-</c> but not <c>***</c>, for the calls whose <c>custom_tool_call_output</c> does not start with a
    /// failure text. guideai: 46 patches, 2 failed verification ("apply_patch verification failed"), the other 44 add
    /// 2,597 lines and remove 406. agtrace: one patch adding <c>myapp/hoge.py</c> with one line.</summary>
    [Theory]
    [InlineData(CodexCorpus.Guideai, 44, 2597, 406)]
    [InlineData(CodexCorpus.Agtrace, 1, 1, 0)]
    public void AppliedPatchesReportTheLinesTheyAddAndRemove(string rollout, int patches, int added, int removed)
    {
        var edits = Ingest(rollout).ToolCalls.Where(t => t.LinesAdded is not null).ToList();

        Assert.Equal(patches, edits.Count);
        Assert.All(edits, e => Assert.Equal("apply_patch", e.Name));
        Assert.Equal((added, removed), (edits.Sum(e => e.LinesAdded!.Value), edits.Sum(e => e.LinesRemoved!.Value)));
    }

    /// <summary>cli 0.45.0 (guideai). jq:
    /// prompts: <c>select(.payload.type=="user_message")</c> → 13 (all plain requests); tool calls: function_call 111 +
    /// custom_tool_call 46; failures: outputs with metadata.exit_code ≠ 0 (7) or a "failed in sandbox"/"apply_patch
    /// verification failed" text (22) → 29; usage: 169 distinct consecutive totals; last total_token_usage =
    /// input 8241201 (cached 7535360), output 80990.</summary>
    [Fact]
    public void Cli045RolloutIsReadCompletely()
    {
        var sink = Ingest(CodexCorpus.Guideai);

        var session = Assert.Single(sink.Sessions);
        Assert.Equal("0199bb2a-4c23-76b1-bfb0-2d78295c0f29", session.SessionId);
        Assert.Equal("/Users/cliftonc/work/guideai", session.Cwd);
        Assert.Equal("main", session.GitBranch);
        Assert.Equal("0.45.0", session.AgentVersion);
        Assert.Equal(["gpt-5-codex"], session.Models!);
        Assert.Equal(DateTimeOffset.Parse("2025-10-06T20:15:35.459Z"), session.StartedAt);

        Assert.Equal(13, sink.Prompts.Count(p => p.IsActionable));
        Assert.Equal("Can you review the apps/desktop - I want to assess if the testing is any good?", sink.Prompts.First(p => p.IsActionable).Text);
        var injected = Assert.Single(sink.Prompts, p => !p.IsActionable);
        Assert.StartsWith("<environment_context>", injected.Text);
        Assert.Equal(PromptKind.System, injected.Kind);

        Assert.Equal(157, sink.ToolCalls.Select(t => t.ToolUseId).Distinct().Count());
        Assert.Equal(111, sink.ToolCalls.Where(t => !t.IsError && t.Name is "shell" or "update_plan").Select(t => t.ToolUseId).Distinct().Count());
        Assert.Equal(29, sink.ToolCalls.Where(t => t.IsError).Select(t => t.ToolUseId).Distinct().Count());
        Assert.All(sink.ToolCalls, t => Assert.NotNull(t.PromptId));

        Assert.Equal(169, sink.UsageRecords.Count);
        Assert.Equal(8241201 - 7535360, sink.UsageRecords.Sum(u => u.InputTokens));
        Assert.Equal(7535360, sink.UsageRecords.Sum(u => u.CacheReadTokens));
        Assert.Equal(80990, sink.UsageRecords.Sum(u => u.OutputTokens));
        Assert.All(sink.UsageRecords, u => Assert.Equal(0, u.CacheWriteTokens));
        Assert.Equal(sink.UsageRecords.Count, sink.UsageRecords.Select(u => u.MessageId).Distinct().Count());
        Assert.Empty(sink.Invocations);
        Assert.Empty(sink.MalformedLines);
    }

    /// <summary>cli 0.66.0 (agtrace). jq: 2 user_message; 4 function_call + 1 custom_tool_call; 2 outputs
    /// "Exit code: 1"; 7 distinct totals; last total input 26740 (cached 22912), output 408.</summary>
    [Fact]
    public void Cli066RolloutIsReadCompletely()
    {
        var sink = Ingest(CodexCorpus.Agtrace);

        var session = Assert.Single(sink.Sessions);
        Assert.Equal("019b04ae-b1c6-7c72-a134-a4c2de66058c", session.SessionId);
        Assert.Equal("codex", session.GitBranch);
        Assert.Equal(["gpt-5.1-codex-max"], session.Models!);
        Assert.Equal(
            ["add myapp directory and create myapp/hoge.py which shows result of print(1+1).", "cd to myapp and run python hoge.py"],
            sink.Prompts.Where(p => p.IsActionable).Select(p => p.Text));
        Assert.Equal(5, sink.ToolCalls.Select(t => t.ToolUseId).Distinct().Count());
        Assert.Equal(["call_5j2yJgrbOClvto1R8nvfSoJS", "call_hm1XO5EQnKjpErxjNjpINQ2x"], sink.ToolCalls.Where(t => t.IsError).Select(t => t.ToolUseId));
        // The call, then again with its output: the lines its patch added (AppliedPatchesReportTheLinesTheyAddAndRemove).
        var patch = Assert.Single(sink.ToolCalls, t => t.Name == "apply_patch" && t.LinesAdded is null);
        Assert.Equal("Add File: myapp/hoge.py", patch.Detail);
        Assert.Equal(sink.Prompts.Single(p => p.Text.StartsWith("add myapp", StringComparison.Ordinal)).PromptId, patch.PromptId);

        Assert.Equal(7, sink.UsageRecords.Count);
        Assert.Equal(26740 - 22912, sink.UsageRecords.Sum(u => u.InputTokens));
        Assert.Equal(22912, sink.UsageRecords.Sum(u => u.CacheReadTokens));
        Assert.Equal(408, sink.UsageRecords.Sum(u => u.OutputTokens));
        Assert.Equal((3505 - 3072, 3072L, 101L), (sink.UsageRecords[0].InputTokens, sink.UsageRecords[0].CacheReadTokens, sink.UsageRecords[0].OutputTokens));
    }

    /// <summary>cli 0.77.0 review sub-agent: its header says only <c>source: {subagent: "review"}</c>; the parent is
    /// the rollout whose <c>entered_review_mode</c> line has the sub-agent's start time (12:05:09.476Z).</summary>
    [Fact]
    public void ReviewSubagentIsLinkedToItsParent()
    {
        var parent = Ingest(CodexCorpus.ReviewParent);
        var child = Ingest(CodexCorpus.ReviewSubagent);

        Assert.Null(Assert.Single(parent.Sessions).ParentSessionId);
        var session = Assert.Single(child.Sessions);
        Assert.Equal("019b88e5-a2e4-7b90-8953-38fce393c653", session.SessionId);
        Assert.Equal("019b88e0-0b0f-7bb0-a9ba-5cc2d8dffde9", session.ParentSessionId);
        var prompt = Assert.Single(child.Prompts);
        Assert.Equal(PromptKind.Notification, prompt.Kind); // written by the parent agent, not typed by a person
        Assert.Equal(PromptKind.System, Assert.Single(parent.Prompts).Kind); // "ls": too short to be actionable
    }

    /// <summary>A sub-agent without a matching <c>entered_review_mode</c> gets no parent.</summary>
    [Fact]
    public void SubagentWithoutAMatchingParentStaysUnlinked()
    {
        File.Delete(Path.Combine(_home, CodexCorpus.ReviewParent));
        Assert.Null(Assert.Single(Ingest(CodexCorpus.ReviewSubagent).Sessions).ParentSessionId);
    }

    /// <summary>ccusage fixture: two cumulative totals (1000/250/125 then 3500/750/425) give two deltas, each with
    /// the model its <c>info.model</c> names.</summary>
    [Fact]
    public void TokenCountsBecomeDeltasOfTheCumulativeTotals()
    {
        var sink = Ingest(CodexCorpus.CcusageAlpha);

        Assert.Equal("session-alpha", Assert.Single(sink.Sessions).SessionId);
        Assert.Collection(
            sink.UsageRecords,
            u => Assert.Equal(("gpt-5.2-codex", 750L, 250L, 125L), (u.Model, u.InputTokens, u.CacheReadTokens, u.OutputTokens)),
            u => Assert.Equal(("gpt-5.3-codex", 2000L, 500L, 300L), (u.Model, u.InputTokens, u.CacheReadTokens, u.OutputTokens)));
        Assert.Equal(["session-alpha:tc2", "session-alpha:tc3"], sink.UsageRecords.Select(u => u.MessageId));
    }

    /// <summary>cli 0.146.0 schema fixture: the prompt takes its turn id (from the preceding turn_context) and its
    /// response_item twin is not a second prompt; the aborted turn, the failed task and the error event are session
    /// errors; a total reset to zero yields no usage.</summary>
    [Fact]
    public void NewestSchemaIsRead()
    {
        var sink = Ingest(CodexCorpus.SchemaNewest);

        var session = Assert.Single(sink.Sessions);
        Assert.Equal("019fc8be-3658-7ca3-9e29-000000000000", session.SessionId);
        Assert.Equal("0.146.0", session.AgentVersion);
        var prompt = Assert.Single(sink.Prompts, p => p.Text == "List the files");
        Assert.Equal("019fc8be-3658-7ca3-9e29-000000000000:turn:019fc8be-0000-7000-8000-000000000001", prompt.PromptId);
        Assert.Equal(4, prompt.Provenance.SourceLine);
        Assert.Equal([("call-1", "ls"), ("call-2", "ls"), ("call-3", "example"), ("ws-1", "example")], sink.ToolCalls.Select(t => (t.ToolUseId, t.Detail)).Take(4));
        Assert.Equal(["interrupted", "turn_failed", "error"], sink.Errors.Select(e => e.Kind));
        var usage = Assert.Single(sink.UsageRecords);
        Assert.Equal((16341L - 3584, 3584L, 81L, "gpt-5.6-luna"), (usage.InputTokens, usage.CacheReadTokens, usage.OutputTokens, usage.Model));
        Assert.Empty(sink.MalformedLines);
    }

    /// <summary>Lines that are not rollout records (the schema-drift fixture) are reported with their line numbers and
    /// yield no session.</summary>
    [Fact]
    public void ForeignLinesAreReportedAsMalformed()
    {
        var sink = Ingest(CodexCorpus.SchemaDrift);

        Assert.Equal([1L, 2, 3, 4], sink.MalformedLines.Select(m => m.Line));
        Assert.Empty(sink.Sessions);
    }

    /// <summary>Across the whole corpus: 8 rollouts discovered, 7 sessions, 0 skill invocations (no corpus rollout
    /// reads a SKILL.md or mentions a <c>$skill</c>: <c>grep -c 'SKILL.md\|\$[a-z]' </c> finds none in a user
    /// message or command).</summary>
    [Fact]
    public void WholeCorpus()
    {
        var ingestor = new CodexIngestor();
        var sources = ingestor.Discover(new PlatformContext(_home, _home, _ => null), (_, _) => { }).ToList();
        var sink = new RecordingSink();
        foreach (var source in sources)
        {
            ingestor.Ingest(source, null, sink, CancellationToken.None);
        }

        Assert.Equal(8, sources.Count);
        Assert.Equal(7, sink.Sessions.Count);
        Assert.Equal(13 + 2 + 6 + 2, sink.Prompts.Count(p => p.IsActionable)); // guideai, agtrace, large ("Start", "Step 1".."Step 5"), small
        Assert.Empty(sink.Invocations);
    }
}
