using Selftune.Abstractions;
using Selftune.Core.Ingest;
using Selftune.Core.Pricing;
using Selftune.Core.Privacy;
using Selftune.Core.Store;

namespace Selftune.Core.Tests;

public sealed class RecordWriterTests : IDisposable
{
    private static readonly DateTimeOffset At = new(2026, 11, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly Provenance Transcript = new("agent", CaptureMode.Transcript, 1.0, "/logs/s1.jsonl", 3);
    private static readonly Provenance Hook = new("agent", CaptureMode.Hook, 0.9);
    private readonly string _dir = Directory.CreateTempSubdirectory("selftune-writer-").FullName;
    private readonly SelftuneStore _store;
    private readonly Dictionary<string, IngestCounters> _counters = [];

    public RecordWriterTests() => _store = SelftuneStore.Open(Path.Combine(_dir, "selftune.db"));

    private IngestCounters Counters => _counters["agent"];

    [Fact]
    public void ATranscriptPromptSupersedesTheHookPromptOfTheSameEvent()
    {
        Write(w => w.Prompt(new PromptRecord("hook:1", "s1", At, "make me a slide deck", PromptKind.User, Hook)));
        Write(w => w.Prompt(new PromptRecord("uuid-1", "s1", At.AddSeconds(1), "make me a slide deck", PromptKind.User, Transcript)));

        var rows = _store.Query("SELECT prompt_id, capture_mode FROM prompts", r => (r.GetString(0), r.GetString(1)));
        Assert.Equal([("uuid-1", "transcript")], rows);
        Assert.Equal(1, Counters.Superseded);
    }

    [Fact]
    public void AHookPromptIsNotStoredWhenTheTranscriptAlreadyHasIt()
    {
        Write(w => w.Prompt(new PromptRecord("uuid-1", "s1", At, "make me a slide deck", PromptKind.User, Transcript)));
        Write(w => w.Prompt(new PromptRecord("hook:1", "s1", At, "make me a slide deck", PromptKind.User, Hook)));

        Assert.Equal(1L, _store.Scalar("SELECT count(*) FROM prompts"));
        Assert.Equal("transcript", _store.Scalar("SELECT capture_mode FROM prompts"));
    }

    [Fact]
    public void ATranscriptInvocationSupersedesTheHookInvocationAndKeepsItsPrompt()
    {
        Write(w => w.SkillInvocation(new SkillInvocationRecord("hook:toolu_1", "s1", At, "pptx", InvocationKind.Implicit, Hook, ToolUseId: "toolu_1")));
        Write(w => w.SkillInvocation(new SkillInvocationRecord("toolu_1", "s1", At, "pptx", InvocationKind.Implicit, Transcript, PromptId: "uuid-1", ToolUseId: "toolu_1")));
        Write(w => w.SkillInvocation(new SkillInvocationRecord("hook:toolu_1", "s1", At, "pptx", InvocationKind.Implicit, Hook, ToolUseId: "toolu_1")));

        var rows = _store.Query("SELECT invocation_id, capture_mode, prompt_id FROM skill_invocations", r => (r.GetString(0), r.GetString(1), r.GetString(2)));
        Assert.Equal([("toolu_1", "transcript", "uuid-1")], rows);
    }

    [Fact]
    public void UsageIsDeduplicatedKeepingTheLargest()
    {
        Write(w =>
        {
            w.Usage(new TokenUsageRecord("msg_1", "req_1", "s1", At, "m", 10, 5, 0, 100, Transcript));
            w.Usage(new TokenUsageRecord("msg_1", "req_1", "s1", At, "m", 10, 50, 0, 100, Transcript));
            w.Usage(new TokenUsageRecord("msg_1", "req_1", "s1", At, "m", 10, 20, 0, 100, Transcript));
        });

        Assert.Equal(50L, _store.Scalar("SELECT output_tokens FROM token_usage"));
        Assert.Equal(1L, _store.Scalar("SELECT count(*) FROM token_usage"));
    }

    [Fact]
    public void SecretsAreRedactedBeforeTheyAreStoredAndCounted()
    {
        const string key = "sk-ant-api03-abcdefghijklmnopqrstuvwxyz0123456789";
        Write(w => w.Prompt(new PromptRecord("p1", "s1", At, $"use this key {key} to call the API", PromptKind.User, Transcript)));

        var text = (string)_store.Scalar("SELECT text FROM prompts")!;
        Assert.DoesNotContain(key, text);
        Assert.Contains("[REDACTED:anthropic_key]", text);
        Assert.Equal(1, Counters.Redactions);
    }

    [Fact]
    public void AToolCallBecomesAnErrorWhenItsResultSaysSo()
    {
        Write(w =>
        {
            w.ToolCall(new ToolCallRecord("t1", "s1", At, "Bash", Transcript, Detail: "ls"));
            w.ToolCall(new ToolCallRecord("t1", "s1", At, "Bash", Transcript, IsError: true));
        });

        Assert.Equal(1L, _store.Scalar("SELECT is_error FROM tool_calls"));
        Assert.Equal("ls", _store.Scalar("SELECT detail FROM tool_calls"));
        Assert.Equal((1, 1), (Counters.ToolCalls, Counters.ToolErrors));
    }

    [Fact]
    public void TextIsRedactedBeforeItIsShortenedAndSkillPathsAreRedacted()
    {
        // Issue 20 #5: a token across the 200- (detail) and 500-character (error) cuts must not survive as a prefix.
        const string token = "ghp_abcdefghijklmnopqrstuvwxyz0123456789";
        Write(w =>
        {
            w.ToolCall(new ToolCallRecord("t1", "s1", At, "Bash", Transcript, Detail: new string('x', 180) + " " + token));
            w.Error(new ErrorRecord("e1", "s1", At, "api_error", new string('y', 480) + " " + token, Transcript));
            w.SkillInvocation(new SkillInvocationRecord("i1", "s1", At, "pdf", InvocationKind.Read, Transcript, SkillPath: $"/tmp/{token}/skills/pdf/SKILL.md"));
        });

        var detail = (string)_store.Scalar("SELECT detail FROM tool_calls")!;
        var message = (string)_store.Scalar("SELECT message FROM session_errors")!;
        Assert.Equal((200, 500), (detail.Length, message.Length));
        Assert.DoesNotContain("ghp_", detail + message, StringComparison.Ordinal);
        Assert.Equal("/tmp/[REDACTED:github_token]/skills/pdf/SKILL.md", _store.Scalar("SELECT skill_path FROM skill_invocations"));
        Assert.Equal(3, Counters.Redactions);
    }

    [Fact]
    public void ARepeatedErrorCountsOnce()
    {
        var call = new ToolCallRecord("t1", "s1", At, "Bash", Transcript, Detail: "ls");
        Write(w =>
        {
            w.ToolCall(call with { IsError = true });
            w.ToolCall(call with { IsError = true });
            w.ToolCall(call);
        });

        Assert.Equal((1, 1), (Counters.ToolCalls, Counters.ToolErrors));
        Assert.Equal(1L, _store.Scalar("SELECT is_error FROM tool_calls"));
    }

    [Fact]
    public void UsageIsPricedWithOneHourCacheWritesApart()
    {
        Write(w => w.Usage(new TokenUsageRecord("msg_1", "req_1", "s1", At, "claude-opus-4-6", 10, 500, 2_000, 0, Transcript, CacheWrite1hTokens: 1_000)), PricingTable.Shipped());

        var (oneHour, cost) = _store.Query("SELECT cache_write_1h_tokens, cost_usd FROM token_usage", r => (r.GetInt64(0), r.GetDouble(1))).Single();
        Assert.Equal(1_000L, oneHour);
        Assert.Equal(((10 * 5) + (500 * 25) + (1_000 * 6.25) + (1_000 * 10)) / 1e6, cost, 1e-12);
    }

    [Fact]
    public void AnInvocationReEmittedWithItsPathCountsOnceAndKeepsThePath()
    {
        var trigger = new SkillInvocationRecord("s1:toolu_1", "s1", At, "pdf", InvocationKind.Implicit, Transcript, "s1:u1");
        Write(w =>
        {
            w.SkillInvocation(trigger);
            w.SkillInvocation(trigger with { SkillPath = "/skills/pdf" });
            w.SkillInvocation(trigger);
        });

        Assert.Equal(1, Counters.SkillInvocations);
        Assert.Equal("/skills/pdf", _store.Scalar("SELECT skill_path FROM skill_invocations"));
    }

    [Fact]
    public void SessionFieldsMergeAcrossIncrementalReads()
    {
        Write(w => w.Session(new SessionRecord("s1", Transcript, StartedAt: At, EndedAt: At.AddMinutes(1), Cwd: "/p")));
        Write(w => w.Session(new SessionRecord("s1", Transcript, StartedAt: At.AddMinutes(5), EndedAt: At.AddMinutes(9), GitBranch: "main")));

        var row = _store.Query("SELECT started_at, ended_at, cwd, git_branch FROM sessions", r => (r.GetInt64(0), r.GetInt64(1), r.GetString(2), r.GetString(3))).Single();
        Assert.Equal((At.ToUnixTimeMilliseconds(), At.AddMinutes(9).ToUnixTimeMilliseconds(), "/p", "main"), row);
    }

    public void Dispose()
    {
        _store.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    private void Write(Action<RecordWriter> action, IUsagePricer? pricer = null)
    {
        using var writer = new RecordWriter(_store, new Redactor(), pricer, p => _counters.TryGetValue(p, out var c) ? c : _counters[p] = new IngestCounters { Platform = p }, At);
        using var tx = _store.BeginTransaction();
        action(writer);
        tx.Commit();
    }
}
