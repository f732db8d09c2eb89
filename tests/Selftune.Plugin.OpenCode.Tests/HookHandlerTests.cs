using Selftune.Abstractions;
using Selftune.AdapterKit;

namespace Selftune.Plugin.OpenCode.Tests;

/// <summary>Payloads of selftune's OpenCode plugin file (see <see cref="OpenCodeHookHandler"/>).</summary>
public sealed class HookHandlerTests : IDisposable
{
    private static readonly DateTimeOffset Received = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
    private readonly string home = Directory.CreateTempSubdirectory("selftune-opencode-hook-").FullName;
    private readonly OpenCodeHookHandler handler = new();

    [Theory]
    [InlineData("""{"source":"selftune-opencode","version":1,"event":"session.idle","sessionID":"ses_1"}""", true)]
    [InlineData("""{"session_id":"abc","hook_event_name":"PostToolUse","tool_name":"Bash","transcript_path":"/x.jsonl"}""", false)]
    [InlineData("""{"source":"other","text":"selftune-opencode"}""", false)]
    [InlineData("""{"source":"selftune-opencode",""", false)]
    [InlineData("", false)]
    public void RecognizesOnlyItsOwnPayloads(string payload, bool expected) => Assert.Equal(expected, handler.Recognizes(payload));

    [Fact]
    public void SkillCallIsAHintWithTheTranscriptsIds()
    {
        var sink = Handle("tool.execute.after", """
            {"source":"selftune-opencode","version":1,"event":"tool.execute.after","time":1760000003000,"sessionID":"ses_parent",
             "callID":"toolu_skill","tool":"skill","args":{"name":"pdf"},"skill":"pdf","skillDir":"/home/u/.config/opencode/skills/pdf",
             "promptID":"msg_u1","cwd":"/work/app"}
            """);

        var call = Assert.Single(sink.ToolCalls);
        Assert.Equal(("toolu_skill", "ses_parent", "skill", false, "ses_parent/msg_u1", "pdf"), (call.ToolUseId, call.SessionId, call.Name, call.IsError, call.PromptId, call.Detail));
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1760000003000), call.OccurredAt);
        var invocation = Assert.Single(sink.Invocations);
        Assert.Equal((CaptureMode.Hook, Platforms.OpenCode), (invocation.Provenance.Mode, invocation.Provenance.Platform));

        // The transcript of the same session yields the same invocation id, so it supersedes the hint.
        using (var db = OpenCodeDb.Create(Path.Combine(Corpus.DataDirectory(home), "opencode.db")))
        {
            Scenario.Write(db);
        }

        var transcript = new RecordingSink();
        var ingestor = new OpenCodeIngestor();
        foreach (var source in ingestor.Discover(new PlatformContext(home, home, _ => null), (_, _) => { }))
        {
            ingestor.Ingest(source, null, transcript, CancellationToken.None);
        }

        var truth = transcript.Invocations.Single(i => i.ToolUseId == "toolu_skill");
        Assert.Equal(
            (truth.InvocationId, truth.SkillName, truth.Kind, truth.PromptId, truth.SkillPath),
            (invocation.InvocationId, invocation.SkillName, invocation.Kind, invocation.PromptId, invocation.SkillPath));
    }

    [Fact]
    public void ReadOfASkillFileAndAFailedCommand()
    {
        var read = Handle("tool.execute.after", """{"source":"selftune-opencode","event":"tool.execute.after","sessionID":"ses_1","callID":"c1","tool":"read","args":{"filePath":"/p/.opencode/skills/docx/SKILL.md"}}""");
        var bash = Handle("tool.execute.after", """{"source":"selftune-opencode","event":"tool.execute.after","sessionID":"ses_1","callID":"c2","tool":"bash","args":{"command":"make test"},"exit":2}""");

        var invocation = Assert.Single(read.Invocations);
        Assert.Equal(("ses_1/c1/read", "docx", InvocationKind.Read), (invocation.InvocationId, invocation.SkillName, invocation.Kind));
        Assert.Equal(Received, Assert.Single(read.ToolCalls).OccurredAt);
        var failed = Assert.Single(bash.ToolCalls);
        Assert.Equal((true, "make test"), (failed.IsError, failed.Detail));
        Assert.Empty(bash.Invocations);
    }

    [Fact]
    public void PromptIsClassifiedAndSubAgentPromptsAreNotTheUsers()
    {
        var user = Handle("chat.message", """{"source":"selftune-opencode","event":"chat.message","sessionID":"ses_1","messageID":"msg_1","text":"Fill in the lease PDF form","cwd":"/work/app"}""");
        var child = Handle("chat.message", """{"source":"selftune-opencode","event":"chat.message","sessionID":"ses_2","messageID":"msg_2","parentID":"ses_1","text":"Summarize the form fields"}""");

        var prompt = Assert.Single(user.Prompts);
        Assert.Equal(("ses_1/msg_1", PromptKind.User, "Fill in the lease PDF form"), (prompt.PromptId, prompt.Kind, prompt.Text));
        Assert.Equal("/work/app", Assert.Single(user.Sessions).Cwd);
        Assert.Equal(PromptKind.Notification, Assert.Single(child.Prompts).Kind);
        Assert.Equal("ses_1", Assert.Single(child.Sessions).ParentSessionId);
    }

    [Fact]
    public void IdleSessionNamesTheStoreToIngest()
    {
        var data = Path.Combine(home, "data", "opencode");
        var legacy = Path.Combine(data, "storage", "session", "global", "ses_1.json");
        Directory.CreateDirectory(Path.GetDirectoryName(legacy)!);
        File.WriteAllText(legacy, "{}");
        string Idle(string extra = "") => $$"""{"source":"selftune-opencode","event":"session.idle","sessionID":"ses_1","dataDir":"{{data}}"{{extra}}}""";

        Assert.Equal(legacy, handler.Handle(new HookEvent("session.idle", Idle(), Received), new RecordingSink()).TranscriptPath);

        var db = Path.Combine(data, "opencode.db");
        File.WriteAllText(db, string.Empty);
        var outcome = handler.Handle(new HookEvent("session.idle", Idle(), Received), new RecordingSink());
        Assert.Equal(("ses_1", db), (outcome.SessionId, outcome.TranscriptPath));

        var custom = Path.Combine(home, "custom.db");
        File.WriteAllText(custom, string.Empty);
        Assert.Equal(custom, handler.Handle(new HookEvent("session.idle", Idle($$""","database":"{{custom}}" """), Received), new RecordingSink()).TranscriptPath);

        var nothing = $$"""{"source":"selftune-opencode","event":"session.idle","sessionID":"ses_9","dataDir":"{{Path.Combine(home, "none")}}"}""";
        Assert.Null(handler.Handle(new HookEvent("session.idle", nothing, Received), new RecordingSink()).TranscriptPath);
    }

    [Theory]
    [InlineData("{not json", "not valid JSON")]
    [InlineData("""{"source":"other","sessionID":"s"}""", "not a payload of selftune's OpenCode plugin")]
    [InlineData("""{"source":"selftune-opencode","event":"chat.message"}""", "no sessionID")]
    [InlineData("""{"source":"selftune-opencode","event":"tool.execute.after","sessionID":"s"}""", "no tool or callID")]
    public void MalformedPayloadIsReportedNotThrown(string payload, string reason)
    {
        var sink = Handle("tool.execute.after", payload);

        Assert.Contains(reason, Assert.Single(sink.MalformedLines).Reason);
        Assert.Empty(sink.ToolCalls);
    }

    public void Dispose() => Directory.Delete(home, recursive: true);

    private RecordingSink Handle(string eventName, string payload)
    {
        var sink = new RecordingSink();
        handler.Handle(new HookEvent(eventName, payload, Received), sink);
        return sink;
    }
}
