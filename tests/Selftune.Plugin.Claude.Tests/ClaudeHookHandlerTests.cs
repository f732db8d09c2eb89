using System.Text.Json.Nodes;
using Selftune.Abstractions;
using Selftune.AdapterKit;

namespace Selftune.Plugin.Claude.Tests;

public sealed class ClaudeHookHandlerTests
{
    private static readonly DateTimeOffset At = new(2026, 1, 2, 19, 18, 31, TimeSpan.Zero);
    private readonly ClaudeHookHandler _handler = new();

    [Fact]
    public void APromptBecomesAHookPromptOfItsSession()
    {
        var sink = Handle("UserPromptSubmit", """{"session_id":"s1","transcript_path":"/h/.claude/projects/-w/s1.jsonl","cwd":"/w","hook_event_name":"UserPromptSubmit","prompt":"fix the flaky test"}""");

        var prompt = Assert.Single(sink.Prompts);
        Assert.Equal(("s1", "fix the flaky test", PromptKind.User, CaptureMode.Hook, At), (prompt.SessionId, prompt.Text, prompt.Kind, prompt.Provenance.Mode, prompt.OccurredAt));
        Assert.StartsWith("s1:hook:", prompt.PromptId);
        Assert.Equal("/w", Assert.Single(sink.Sessions).Cwd);
        Assert.Equal(prompt.PromptId, Handle("UserPromptSubmit", """{"session_id":"s1","hook_event_name":"UserPromptSubmit","prompt":"fix the flaky test"}""").Prompts[0].PromptId);
    }

    [Fact]
    public void ANamedPromptKeepsItsIdAndWrappedTextIsClassified()
    {
        var sink = Handle("UserPromptSubmit", """{"session_id":"s1","hook_event_name":"UserPromptSubmit","prompt_id":"p-9","prompt":"<command-name>/clear</command-name>"}""");

        Assert.Equal(("s1:hook:p-9", PromptKind.Command), (sink.Prompts[0].PromptId, sink.Prompts[0].Kind));
    }

    [Fact]
    public void ASkillCallIsATriggerAndASkillFileReadIsARead()
    {
        var skill = Handle("PostToolUse", """{"session_id":"s1","hook_event_name":"PostToolUse","tool_name":"Skill","tool_use_id":"toolu_1","tool_input":{"skill":"elixir:hex-docs"},"tool_response":{"success":true}}""");
        var read = Handle("PostToolUse", """{"session_id":"s1","hook_event_name":"PostToolUse","tool_name":"Read","tool_use_id":"toolu_2","tool_input":{"file_path":"/h/.claude/skills/pdf/SKILL.md"}}""");
        var other = Handle("PostToolUse", """{"session_id":"s1","hook_event_name":"PostToolUse","tool_name":"Read","tool_use_id":"toolu_3","tool_input":{"file_path":"/w/README.md"}}""");

        var trigger = Assert.Single(skill.Invocations);
        Assert.Equal(("s1:hook:toolu_1", "elixir:hex-docs", InvocationKind.Implicit, "toolu_1"), (trigger.InvocationId, trigger.SkillName, trigger.Kind, trigger.ToolUseId));
        var skillRead = Assert.Single(read.Invocations);
        Assert.Equal(("pdf", InvocationKind.Read, "/h/.claude/skills/pdf/SKILL.md"), (skillRead.SkillName, skillRead.Kind, skillRead.SkillPath));
        Assert.Empty(other.Invocations);
    }

    [Fact]
    public void TheEndOfATurnOrSessionNamesTheTranscript()
    {
        var payload = """{"session_id":"s1","transcript_path":"/h/.claude/projects/-w/s1.jsonl","hook_event_name":"Stop","stop_hook_active":false}""";

        Assert.Equal(new HookOutcome("s1", "/h/.claude/projects/-w/s1.jsonl"), _handler.Handle(new HookEvent("Stop", payload, At), new RecordingSink()));
        Assert.Equal("/h/.claude/projects/-w/s1.jsonl", _handler.Handle(new HookEvent("SessionEnd", payload, At), new RecordingSink()).TranscriptPath);
        Assert.Null(_handler.Handle(new HookEvent("UserPromptSubmit", payload, At), new RecordingSink()).TranscriptPath);
    }

    [Fact]
    public void ASessionStartRecordsTheFolderAndTranscriptFromWhatClaudeCodeSends()
    {
        // As Claude Code sends it (corpus claude-code/fasthooks/sample_hook_logs.jsonl; Claude Code 2.1.197): no model.
        var sink = Handle("SessionStart", """{"session_id":"s1","transcript_path":"/root/.claude/projects/-w/s1.jsonl","cwd":"/w","hook_event_name":"SessionStart","source":"startup"}""");

        var session = Assert.Single(sink.Sessions);
        Assert.Equal(("/w", At, "/root/.claude/projects/-w/s1.jsonl"), (session.Cwd, session.StartedAt, session.Provenance.SourcePath));
        Assert.Null(session.Models);
        Assert.Empty(sink.MalformedLines);
    }

    [Fact]
    public void APluginSkillFileReadIsNamedWithItsPluginPrefixAsTheTranscriptNamesIt()
    {
        const string file = "/h/.claude/plugins/cache/market/elixir/1.2.0/skills/hex-docs-search/SKILL.md";
        var sink = Handle("PostToolUse", $$$"""{"session_id":"s1","hook_event_name":"PostToolUse","tool_name":"Read","tool_use_id":"toolu_9","tool_input":{"file_path":"{{{file}}}"}}""");

        var read = Assert.Single(sink.Invocations);
        Assert.Equal(("elixir:hex-docs-search", InvocationKind.Read, "toolu_9"), (read.SkillName, read.Kind, read.ToolUseId));
    }

    [Theory]
    [InlineData("not json at all")]
    [InlineData("""{"hook_event_name":"UserPromptSubmit","prompt":"x"}""")]
    [InlineData("""{"session_id":"s1","hook_event_name":"UserPromptSubmit"}""")]
    [InlineData("""{"session_id":"s1","hook_event_name":"PostToolUse","tool_name":"Skill","tool_input":{}}""")]
    public void AnUnusablePayloadIsReportedNotThrown(string payload)
    {
        var sink = Handle(JsonNode.Parse(payload.StartsWith('{') ? payload : "{}")?["hook_event_name"]?.GetValue<string>() ?? "UserPromptSubmit", payload);

        Assert.Single(sink.MalformedLines);
        Assert.Empty(sink.Prompts);
        Assert.Empty(sink.Invocations);
    }

    [Theory]
    [InlineData("""{"session_id":"s","hook_event_name":"Stop","transcript_path":"/h/.claude/projects/x/s.jsonl"}""", true)]
    [InlineData("""{"session_id":"s","hook_event_name":"UserPromptSubmit"}""", true)]
    [InlineData("""{"session_id":"s","hook_event_name":"Stop","turn_id":"t1","transcript_path":null}""", false)]
    [InlineData("""{"session_id":"s","hook_event_name":"Stop","transcript_path":"/h/.codex/sessions/r.jsonl"}""", false)]
    [InlineData("""{"session_id":"s","hook_event_name":"SessionStart","transcript_path":null}""", false)]
    [InlineData("""{"session_id":"s","hook_event_name":"Stop","transcript_path":"/x/rollout-2026-01-01T00-00-00-s.jsonl"}""", false)]
    [InlineData("""{"type":"agent-turn-complete","thread-id":"t"}""", false)]
    [InlineData("garbage", false)]
    public void RecognizesClaudeCodePayloadsOnly(string payload, bool expected) => Assert.Equal(expected, _handler.Recognizes(payload));

    /// <summary>The events of a real Claude Code session (fasthooks' hook log: the payload fields plus <c>ts</c>/<c>event</c>).</summary>
    [Fact]
    public void ARealSessionsHookEventsYieldItsPromptsAndNoErrors()
    {
        var sink = new RecordingSink();
        foreach (var line in File.ReadLines(IngestorContractTests.CorpusPath("claude-code", "fasthooks", "sample_hook_logs.jsonl")))
        {
            var payload = JsonNode.Parse(line)!.AsObject();
            var eventName = payload["event"]!.GetValue<string>();
            payload["hook_event_name"] = eventName;
            Assert.True(_handler.Recognizes(payload.ToJsonString()));
            _handler.Handle(new HookEvent(eventName, payload.ToJsonString(), At), sink);
        }

        Assert.Empty(sink.MalformedLines);
        Assert.Equal(5, sink.Prompts.Count);
        Assert.Equal("can you run a command ls -la ", sink.Prompts[0].Text);
        Assert.All(sink.Sessions, s => Assert.Equal("c45af7b1-cb7c-4e51-93db-8cbb250a877a", s.SessionId));
    }

    private RecordingSink Handle(string eventName, string payload)
    {
        var sink = new RecordingSink();
        _handler.Handle(new HookEvent(eventName, payload, At), sink);
        return sink;
    }
}
