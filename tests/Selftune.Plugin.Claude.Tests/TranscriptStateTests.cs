using Selftune.Abstractions;

namespace Selftune.Plugin.Claude.Tests;

/// <summary>The saved state of a transcript read (<see cref="TranscriptState"/>, kept in users' <c>source_cursors.state</c>):
/// the hand-written JSON reads every state the System.Text.Json serializer of earlier versions wrote and writes the same
/// text back; anything else reads as null (the file is then read again from its start).</summary>
public sealed class TranscriptStateTests
{
    /// <summary>Written by the source-generated serializer of earlier versions (<c>WhenWritingDefault</c>) from a state with
    /// every field set: escapes, non-ASCII text, times with offsets and 7-digit fractions, a count above 2^31.</summary>
    private const string Rich = """
        {"V":1,"Lines":5000000000,"Head":"0123456789ABCDEF","Main":{"SessionId":"sess-\u00E9-\u65E5\u672C-\uD83D\uDE00","StartedAt":"2026-02-12T14:13:05.1854321+05:30","EndedAt":"2026-02-12T09:00:00+00:00","Cwd":"C:\\Users\\me\\\u0022q\u0022 \u003Ca\u0026b\u003E \u0027x\u0027 \u002By \u0060z\u0060\ttab\u0001","GitBranch":"feature/\u00FCn\u00EF","Version":"2.1.3","Models":["claude-opus-4-5","\u003Csynthetic\u003E"],"Status":2,"TurnPromptId":"sess:prompt-1","TurnSkills":["pdf","plugin:skill-name"],"PendingReads":[{"InvocationId":"sess:toolu_1:read","SkillName":"pdf","OccurredAt":"2026-02-12T14:13:06.1-08:00","Line":42,"PromptId":"sess:prompt-1","ToolUseId":"toolu_1","SkillPath":"/home/me/.claude/skills/pdf"},{"InvocationId":"sess:toolu_2:read","SkillName":"docx","OccurredAt":"2026-02-12T14:13:07+00:00","Line":43}],"PendingCommand":{"InvocationId":"sess:p2:explicit","SkillName":"review","OccurredAt":"2026-02-12T14:13:08+00:00","Line":44,"PromptId":"sess:p2"},"AwaitingBaseDirectory":{"InvocationId":"sess:toolu_3","SkillName":"pdf","OccurredAt":"2026-02-12T14:13:09.5+00:00","Line":45,"PromptId":"sess:prompt-1","ToolUseId":"toolu_3","Explicit":true}},"Sidechains":[{"SessionId":"sess:sidechain-root","ParentSessionId":"sess","IsSubagent":true,"RootUuid":"root","TipUuid":"tip","StartedAt":"2025-09-03T00:52:54.163+00:00","EndedAt":"2025-09-03T00:53:39.7+00:00","Models":[],"Status":3,"TurnSkills":[],"PendingReads":[]},{"SessionId":"sess:agent-a1","ParentSessionId":"sess","IsSubagent":true,"Models":["m"],"Status":1,"TurnSkills":[],"PendingReads":[]}]}
        """;

    /// <summary>A typical state, written by the same serializer.</summary>
    private const string Plain = """
        {"V":1,"Lines":12,"Head":"E025680F2D348FAC","Main":{"SessionId":"s1","StartedAt":"2026-02-12T14:11:57.123+00:00","EndedAt":"2026-02-12T14:13:05.185+00:00","Cwd":"/home/dev/project","Version":"2.1.39","Models":["claude-opus-4-6"],"Status":1,"TurnPromptId":"s1:u1","TurnSkills":[],"PendingReads":[]},"Sidechains":[]}
        """;

    [Theory]
    [InlineData(Rich)]
    [InlineData(Plain)]
    [InlineData("""{"V":1,"Sidechains":[]}""")]
    public void AStateTheSerializerWroteIsReadAndWrittenBackUnchanged(string json)
    {
        var state = TranscriptState.Deserialize(json);
        Assert.NotNull(state);
        Assert.Equal(json, state.Serialize());
    }

    [Fact]
    public void EveryFieldIsRead()
    {
        var state = TranscriptState.Deserialize(Rich)!;
        Assert.Equal(5_000_000_000L, state.Lines);
        Assert.Equal("0123456789ABCDEF", state.Head);
        var main = state.Main!;
        Assert.Equal("sess-\u00e9-\u65e5\u672c-\U0001F600", main.SessionId);
        Assert.Null(main.ParentSessionId);
        Assert.False(main.IsSubagent);
        Assert.Equal(new DateTimeOffset(2026, 2, 12, 14, 13, 5, TimeSpan.FromMinutes(330)).AddTicks(1854321), main.StartedAt);
        Assert.Equal(TimeSpan.FromMinutes(330), main.StartedAt!.Value.Offset);
        Assert.Equal(new DateTimeOffset(2026, 2, 12, 9, 0, 0, TimeSpan.Zero), main.EndedAt);
        Assert.Equal("C:\\Users\\me\\\"q\" <a&b> 'x' +y `z`\ttab\u0001", main.Cwd);
        Assert.Equal(["claude-opus-4-5", "<synthetic>"], main.Models);
        Assert.Equal(CompletionStatus.Failed, main.Status);
        Assert.Equal(["pdf", "plugin:skill-name"], main.TurnSkills);
        Assert.Equal(
            [
                new PendingInvocation("sess:toolu_1:read", "pdf", new DateTimeOffset(2026, 2, 12, 14, 13, 6, 100, TimeSpan.FromHours(-8)), 42, "sess:prompt-1", "toolu_1", "/home/me/.claude/skills/pdf"),
                new PendingInvocation("sess:toolu_2:read", "docx", new DateTimeOffset(2026, 2, 12, 14, 13, 7, TimeSpan.Zero), 43, null, null, null),
            ],
            main.PendingReads);
        Assert.Equal(new PendingInvocation("sess:p2:explicit", "review", new DateTimeOffset(2026, 2, 12, 14, 13, 8, TimeSpan.Zero), 44, "sess:p2", null, null), main.PendingCommand);
        Assert.True(main.AwaitingBaseDirectory!.Explicit);
        Assert.Equal(["sess:sidechain-root", "sess:agent-a1"], state.Sidechains.Select(s => s.SessionId));
        Assert.Equal(("sess", true, "root", "tip", CompletionStatus.Interrupted), (state.Sidechains[0].ParentSessionId, state.Sidechains[0].IsSubagent, state.Sidechains[0].RootUuid, state.Sidechains[0].TipUuid, state.Sidechains[0].Status));
    }

    [Fact]
    public void UnknownPropertiesAreSkipped()
    {
        const string unknown = """
            "Later":{"a":[1,{"b":null}],"c":"d"},"Flag":true,
            """;
        var json = Plain.Replace("{\"V\"", "{" + unknown + "\"V\"", StringComparison.Ordinal)
            .Replace("\"Cwd\"", unknown + "\"Cwd\"", StringComparison.Ordinal)
            .Replace("\"Sidechains\":[]", "\"Sidechains\":[],\"Tail\":[[],{}]", StringComparison.Ordinal);
        Assert.Equal(Plain, TranscriptState.Deserialize(json)?.Serialize());
    }

    [Fact]
    public void WhatIsKeptInMemoryOnlyIsNotStored()
    {
        var state = new TranscriptState { Main = new Conversation { SessionId = "s1", TurnPromptText = "use the pdf skill", Touched = true } };
        var json = state.Serialize();
        Assert.Equal("""{"V":1,"Main":{"SessionId":"s1","Models":[],"TurnSkills":[],"PendingReads":[]},"Sidechains":[]}""", json);
        var read = TranscriptState.Deserialize(json)!.Main!;
        Assert.Null(read.TurnPromptText);
        Assert.False(read.Touched);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("null")]
    [InlineData("[]")]
    [InlineData("{\"V\":2,\"Sidechains\":[]}")]
    [InlineData("{\"V\":1,\"Sidechains\":[]")]
    [InlineData("{\"V\":1,\"Sidechains\":[]}{}")]
    [InlineData("{\"V\":1,\"Sidechains\":[]} x")]
    [InlineData("{'V':1}")]
    [InlineData("{\"V\":\"1\"}")]
    [InlineData("{\"V\":1,\"Lines\":1.5}")]
    [InlineData("{\"V\":1,\"Head\":7}")]
    [InlineData("{\"V\":1,\"Main\":{}}")]
    [InlineData("{\"V\":1,\"Main\":{\"SessionId\":\"s\",\"StartedAt\":\"yesterday\"}}")]
    [InlineData("{\"V\":1,\"Main\":{\"SessionId\":\"s\",\"Status\":\"Completed\"}}")]
    [InlineData("{\"V\":1,\"Main\":{\"SessionId\":\"s\",\"PendingReads\":[{\"SkillName\":\"pdf\"}]}}")]
    [InlineData("{\"V\":1,\"Sidechains\":[null]}")]
    [InlineData("{\"V\":1,\"Sidechains\":{}}")]
    public void AnotherVersionOrMalformedJsonReadsAsNull(string? json) => Assert.Null(TranscriptState.Deserialize(json));
}
