using Selftune.Abstractions;
using Selftune.AdapterKit;

namespace Selftune.Plugin.Codex.Tests;

/// <summary>Payloads shaped after openai/codex <c>codex-rs/hooks/schema/generated/*.command.input.schema.json</c>
/// and <c>legacy_notify.rs</c>; Claude Code payloads after code.claude.com/docs/en/hooks.</summary>
public sealed class CodexHookHandlerTests
{
    private const string Session = "019b88e0-0b0f-7bb0-a9ba-5cc2d8dffde9";
    private const string Turn = "019b88e0-1111-7000-8000-000000000001";
    private const string Transcript = "/home/u/.codex/sessions/2026/01/04/rollout-2026-01-04T11-59-02-019b88e0-0b0f-7bb0-a9ba-5cc2d8dffde9.jsonl";
    private static readonly DateTimeOffset Now = DateTimeOffset.Parse("2026-01-04T12:00:00Z");
    private readonly CodexHookHandler _handler = new();

    private static string Payload(string hookEvent, string extra) =>
        $$"""{"session_id":"{{Session}}","transcript_path":"{{Transcript}}","cwd":"/work/proj","hook_event_name":"{{hookEvent}}","model":"gpt-5.2-codex","permission_mode":"default"{{extra}}}""";

    [Theory]
    [InlineData("""{"session_id":"s","transcript_path":null,"cwd":"/w","hook_event_name":"SessionStart","model":"gpt-5.2-codex","permission_mode":"default","source":"startup"}""")]
    [InlineData("""{"session_id":"s","transcript_path":"/h/.codex/sessions/2026/01/04/rollout-x.jsonl","cwd":"/w","hook_event_name":"SessionStart","model":"gpt-5.2-codex","permission_mode":"default","source":"startup"}""")]
    [InlineData("""{"session_id":"s","transcript_path":null,"cwd":"/w","hook_event_name":"Stop","model":"m","permission_mode":"default","turn_id":"t","stop_hook_active":false,"last_assistant_message":null}""")]
    [InlineData("""{"type":"agent-turn-complete","thread-id":"t","turn-id":"1","cwd":"/w","input-messages":["hi"],"last-assistant-message":"done"}""")]
    public void RecognizesCodexPayloads(string payload) => Assert.True(_handler.Recognizes(payload));

    [Theory]
    [InlineData("""{"session_id":"abc","transcript_path":"/home/u/.claude/projects/-w/abc.jsonl","cwd":"/w","permission_mode":"default","hook_event_name":"UserPromptSubmit","prompt":"hi"}""")]
    [InlineData("""{"session_id":"abc","transcript_path":"/home/u/.claude/projects/-w/abc.jsonl","cwd":"/w","hook_event_name":"SessionStart","source":"startup","model":"claude-sonnet-4-5"}""")]
    [InlineData("""{"type":"session.idle","sessionID":"x"}""")]
    [InlineData("not json")]
    [InlineData("[1,2]")]
    public void DoesNotRecognizeOtherPayloads(string payload) => Assert.False(_handler.Recognizes(payload));

    [Fact]
    public void UserPromptSubmitIsAPromptHintKeyedByTurn()
    {
        var sink = new RecordingSink();
        var outcome = _handler.Handle(new HookEvent("UserPromptSubmit", Payload("UserPromptSubmit", $$""","turn_id":"{{Turn}}","prompt":"Use $release-notes to draft the 2.1 notes" """), Now), sink);

        Assert.Equal(new HookOutcome(Session), outcome);
        var prompt = Assert.Single(sink.Prompts);
        Assert.Equal(($"{Session}:turn:{Turn}", PromptKind.User, CaptureMode.Hook), (prompt.PromptId, prompt.Kind, prompt.Provenance.Mode));
        var skill = Assert.Single(sink.Invocations);
        Assert.Equal(("release-notes", InvocationKind.Explicit, $"{Session}:turn:{Turn}:$release-notes"), (skill.SkillName, skill.Kind, skill.InvocationId));
    }

    [Fact]
    public void PostToolUseRecordsTheCallItsFailureAndSkillReads()
    {
        var sink = new RecordingSink();
        _handler.Handle(new HookEvent("PostToolUse", Payload("PostToolUse",
            $$""","turn_id":"{{Turn}}","tool_name":"Bash","tool_use_id":"call_9","tool_input":{"command":"cat ~/.codex/skills/pdf/SKILL.md && false"},"tool_response":{"exit_code":1,"stdout":"","stderr":""}"""), Now), sink);

        var call = Assert.Single(sink.ToolCalls);
        Assert.Equal(("call_9", "Bash", true, $"{Session}:turn:{Turn}"), (call.ToolUseId, call.Name, call.IsError, call.PromptId));
        var read = Assert.Single(sink.Invocations);
        Assert.Equal(($"{Session}:turn:{Turn}:skill:pdf", InvocationKind.Implicit, 0.8, CaptureMode.Hook), (read.InvocationId, read.Kind, read.Provenance.Confidence, read.Provenance.Mode));
    }

    [Fact]
    public void StopReturnsTheTranscript()
    {
        var sink = new RecordingSink();
        var outcome = _handler.Handle(new HookEvent("Stop", Payload("Stop", $$""","turn_id":"{{Turn}}","stop_hook_active":false,"last_assistant_message":"Done." """), Now), sink);

        Assert.Equal(new HookOutcome(Session, Transcript), outcome);
        Assert.Equal(Now, Assert.Single(sink.Sessions).EndedAt);
    }

    [Fact]
    public void SessionStartStartsTheSession()
    {
        var sink = new RecordingSink();
        _handler.Handle(new HookEvent("SessionStart", Payload("SessionStart", ""","source":"startup" """), Now), sink);

        var session = Assert.Single(sink.Sessions);
        Assert.Equal((Session, Now, "/work/proj"), (session.SessionId, session.StartedAt!.Value, session.Cwd));
        Assert.Equal(["gpt-5.2-codex"], session.Models!);
    }

    [Fact]
    public void NotifyTurnCompleteYieldsTheTurnsPrompts()
    {
        var sink = new RecordingSink();
        var outcome = _handler.Handle(new HookEvent("agent-turn-complete",
            """{"type":"agent-turn-complete","thread-id":"th1","turn-id":"12","cwd":"/w","input-messages":["<environment_context>x</environment_context>","Rename the config loader"],"last-assistant-message":"Renamed."}""", Now), sink);

        Assert.Equal(new HookOutcome("th1"), outcome);
        Assert.Equal([("th1:turn:12:1", PromptKind.System), ("th1:turn:12", PromptKind.User)], sink.Prompts.Select(p => (p.PromptId, p.Kind)));
    }

    [Theory]
    [InlineData("{not json")]
    [InlineData("""{"hook_event_name":"Stop","turn_id":"t"}""")]
    public void MalformedPayloadsAreReportedNotThrown(string payload)
    {
        var sink = new RecordingSink();
        Assert.Equal(new HookOutcome(null), _handler.Handle(new HookEvent("Stop", payload, Now), sink));
        Assert.Single(sink.MalformedLines);
    }
}
