using System.Text;

namespace Selftune.Plugin.Claude.Tests;

/// <summary>The hand-written line scanner: what it decodes, what it skips, what it rejects.</summary>
public sealed class TranscriptLineTests
{
    private static TranscriptLine Parse(string json)
    {
        var line = new TranscriptLine();
        Assert.True(line.TryParse(Encoding.UTF8.GetBytes(json), out var error), error);
        return line;
    }

    private static string Reject(string json)
    {
        Assert.False(new TranscriptLine().TryParse(Encoding.UTF8.GetBytes(json), out var error));
        return error!;
    }

    [Fact]
    public void DecodesEscapesIncludingSurrogatePairs() =>
        Assert.Equal("a\nb\t\"é\" 😀 C:\\", Parse("""{"type":"user","message":{"role":"user","content":"a\nb\t\"\u00e9\" \ud83d\ude00 C:\\"}}""").Text);

    [Fact]
    public void SkipsValuesWithBracketsAndQuotesInsideStrings()
    {
        var line = Parse("""{"data":{"a":"}{][\\","b":[1,{"c":"\"]"}],"d":null},"type":"assistant","message":{"id":"msg_1","role":"assistant","content":[{"type":"thinking","thinking":"{["},{"type":"tool_use","id":"toolu_1","name":"Read","input":{"file_path":"/s/pdf/SKILL.md","limit":5}}],"usage":{"input_tokens":3,"output_tokens":4,"cache_creation_input_tokens":5,"cache_read_input_tokens":6,"cache_creation":{"ephemeral_5m_input_tokens":1,"ephemeral_1h_input_tokens":4}}},"requestId":"req_1"}""");
        Assert.Equal(("assistant", "msg_1", "req_1"), (line.Type, line.MessageId, line.RequestId));
        Assert.Equal(new ToolUse("toolu_1", "Read", null, "/s/pdf/SKILL.md", "/s/pdf/SKILL.md"), Assert.Single(line.ToolUses));
        Assert.Equal((3L, 4L, 5L, 6L, 4L), (line.InputTokens, line.OutputTokens, line.CacheWriteTokens, line.CacheReadTokens, line.CacheWrite1hTokens));
    }

    [Fact]
    public void ToolDetailsAreTheFirstLineOfTheInput()
    {
        var line = Parse("""{"type":"assistant","message":{"role":"assistant","content":[{"type":"tool_use","id":"t","name":"Bash","input":{"command":"cat <<'EOF'\nsecret body\nEOF","description":"Print"}}]}}""");
        Assert.Equal("cat <<'EOF'", line.ToolUses[0].Detail);
    }

    [Fact]
    public void ToolResultsCarryTheirErrorFlag()
    {
        var line = Parse("""{"type":"user","message":{"role":"user","content":[{"tool_use_id":"t1","type":"tool_result","content":[{"type":"text","text":"boom"}],"is_error":true},{"type":"tool_result","tool_use_id":"t2","content":"ok"}]},"timestamp":"2026-02-12T14:13:05.185Z","toolUseResult":"Error: boom"}""");
        Assert.Equal([new ToolResult("t1", true), new ToolResult("t2", false)], line.ToolResults);
        Assert.Null(line.Text); // the text inside a tool result is not the user's
        Assert.Equal(new DateTimeOffset(2026, 2, 12, 14, 13, 5, 185, TimeSpan.Zero), line.At);
    }

    [Theory]
    [InlineData("""{"type":"user","message":{"role":"user","content":"cut""", "unterminated string")]
    [InlineData("""{"type":"user","message":{"role":"user"}""", "unexpected end")]
    [InlineData("""{"type":"user"} trailing""", "unexpected data after")]
    [InlineData("""{"type":"user","message":{"role":"user","content":"bad \q escape"}}""", "invalid escape")]
    [InlineData("""["not","an","object"]""", "not a JSON object")]
    [InlineData("""{"type":"user" "uuid":"x"}""", "expected ','")]
    public void MalformedLinesAreRejectedWithAReason(string json, string reason) =>
        Assert.Contains(reason, Reject(json), StringComparison.Ordinal);

    [Theory]
    [InlineData("""{"parentUuid":"x","type":"progress","data":{"type":"hook_progress"}}""", true)]
    [InlineData("""{"type":"file-history-snapshot","messageId":"m"}""", true)]
    [InlineData("""{"type":"user","message":{"content":"\"type\":\"progress\""}}""", false)]
    [InlineData("""{"parentUuid":null,"message":{"type":"message"},"type":"assistant"}""", false)]
    public void OnlyProgressSnapshotsAndQueueLinesAreSkippedUnparsed(string json, bool skipped) =>
        Assert.Equal(skipped, ClaudeTranscriptIngestor.IsSkippedType(Encoding.UTF8.GetBytes(json)));

    [Theory]
    [InlineData("2026-02-12T14:13:05.185Z", 2026, 2, 12, 14, 13, 5, 185)]
    [InlineData("2026-02-12T14:13:05Z", 2026, 2, 12, 14, 13, 5, 0)]
    [InlineData("2026-02-12T16:13:05.185+02:00", 2026, 2, 12, 14, 13, 5, 185)]
    public void ParsesTimestamps(string text, int y, int mo, int d, int h, int mi, int s, int ms) =>
        Assert.Equal(new DateTimeOffset(y, mo, d, h, mi, s, ms, TimeSpan.Zero), TranscriptLine.ParseTimestamp(Encoding.ASCII.GetBytes(text)));

    [Theory]
    [InlineData("[trimmed for fixture]")]
    [InlineData("2026-13-45T99:99:99Z")]
    public void NonTimesAreNull(string text) => Assert.Null(TranscriptLine.ParseTimestamp(Encoding.ASCII.GetBytes(text)));
}
