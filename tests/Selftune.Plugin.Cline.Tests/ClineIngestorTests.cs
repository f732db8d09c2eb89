using Selftune.Abstractions;
using Selftune.AdapterKit;

namespace Selftune.Plugin.Cline.Tests;

/// <summary>What the Cline plugin reads from task folders and SDK sessions, with the expected numbers counted beside them.</summary>
public sealed class ClineIngestorTests : IDisposable
{
    private readonly string _home = Path.Combine(Path.GetTempPath(), "selftune-cline-" + Guid.NewGuid().ToString("N"));
    private readonly ClineIngestor _ingestor = new();

    public ClineIngestorTests()
    {
        Directory.CreateDirectory(_home);
        Samples.Arrange(_home);
    }

    private PlatformContext Context(string? dataDir = null) => new(_home, _home, name => name == "CLINE_DATA_DIR" ? dataDir : null);

    /// <summary>Cuts a pretty-printed UI file in the middle of its last message; returns (path, the line that message starts on).</summary>
    internal static (string Path, long Line) CutShort(string path)
    {
        var lines = File.ReadAllLines(path);
        var last = Array.LastIndexOf(lines, "\t{");
        File.WriteAllText(path, string.Join("\n", lines[..(last + 3)]));
        return (path, last + 1);
    }

    [Fact]
    public void DiscoversTaskFoldersAndSdkSessions()
    {
        var sources = _ingestor.Discover(Context(), (_, _) => { }).ToList();

        Assert.Equal([Path.Combine(_home, Samples.TaskUi), Path.Combine(_home, Samples.Sdk), Path.Combine(_home, Samples.Success)], sources.Select(s => s.Path));
        Assert.All(sources, s => Assert.False(s.AppendOnly));
        var moved = Path.Combine(_home, "data");
        Directory.Move(Path.Combine(_home, ".cline", "data"), moved);
        Assert.Equal(3, _ingestor.Discover(Context(moved), (_, _) => { }).Count());
    }

    [Fact]
    public void TaskFolderYieldsPromptsTokensCostToolsSkillsAndErrors()
    {
        var sink = Ingest(Samples.TaskUi);

        // ui_messages.json, counted by hand: 1 task + 1 user_feedback; 4 api_req_started with tokensIn 1200+2000+500+2500,
        // tokensOut 300+500+50+400, cost 0.0123+0.02+0.001+0.018 USD; tools readFile (a SKILL.md), useSkill (slides) and
        // two commands (the second a git commit, [main 4f1c2ab]); 1 error message and 1 request cancelled by the user;
        // completion_result last.
        var session = Assert.Single(sink.Sessions);
        Assert.Equal((Samples.TaskId, CompletionStatus.Completed), (session.SessionId, session.Status));
        Assert.Equal(["claude-sonnet-4-5"], session.Models);
        Assert.Equal((DateTimeOffset.FromUnixTimeMilliseconds(1760000000000), DateTimeOffset.FromUnixTimeMilliseconds(1760000012000)), (session.StartedAt, session.EndedAt));
        Assert.Equal(["Make a slide deck from notes.md", "use pandoc instead"], sink.Prompts.Where(p => p.IsActionable).Select(p => p.Text));
        Assert.Equal((6200L, 1250L, 100L, 3100L), (sink.UsageRecords.Sum(u => u.InputTokens), sink.UsageRecords.Sum(u => u.OutputTokens),
            sink.UsageRecords.Sum(u => u.CacheWriteTokens), sink.UsageRecords.Sum(u => u.CacheReadTokens)));
        Assert.Equal(0.0513m, sink.UsageRecords.Sum(u => u.CostUsd));
        Assert.Equal(["readFile", "useSkill", "execute_command", "execute_command"], sink.ToolCalls.Select(t => t.Name));
        var commit = Assert.Single(sink.Commits);
        Assert.Equal((Samples.TaskId, "4f1c2ab", "main", "Add the deck", $"{Samples.TaskId}:1760000011500"), (commit.SessionId, commit.Sha, commit.Branch, commit.Title, commit.ToolUseId));
        Assert.Equal("npx marp notes.md -o deck.pdf", sink.ToolCalls[2].Detail);
        Assert.Equal([("slides", InvocationKind.Read), ("slides", InvocationKind.Implicit)], sink.Invocations.Select(i => (i.SkillName, i.Kind)));
        Assert.All(sink.Invocations, i => Assert.Equal($"{Samples.TaskId}:1760000000000", i.PromptId));
        Assert.Equal(["error", "request_user_cancelled"], sink.Errors.Select(e => e.Kind));
        Assert.Empty(sink.MalformedLines);
    }

    [Fact]
    public void SdkSessionYieldsItsManifestMessagesAndMetrics()
    {
        var sink = Ingest(Samples.Sdk);

        // session.messages.json, counted with a script: 32 messages, 5 user prompts with text, 11 tool_use blocks,
        // 16 assistant metrics summing to 630,254 input / 4,395 output / 534,435 cache-read tokens and 2.036023 USD.
        var session = Assert.Single(sink.Sessions);
        Assert.Equal((Samples.SdkSession, "/Users/example/dev/cline", "1784094053271_p8pzo", CompletionStatus.Completed),
            (session.SessionId, session.Cwd, session.ParentSessionId, session.Status));
        Assert.Equal(["anthropic/claude-opus-4.8-fast", "mistralai/voxtral-small-24b-2507"], session.Models);
        Assert.Equal(5, sink.Prompts.Count);
        Assert.Equal(11, sink.ToolCalls.Count);
        Assert.Equal((16, 630254L, 4395L, 534435L), (sink.UsageRecords.Count, sink.UsageRecords.Sum(u => u.InputTokens), sink.UsageRecords.Sum(u => u.OutputTokens), sink.UsageRecords.Sum(u => u.CacheReadTokens)));
        Assert.Equal(2.036023m, Math.Round(sink.UsageRecords.Sum(u => u.CostUsd) ?? 0, 6));
    }

    [Fact]
    public void AHalfWrittenTaskFileKeepsEveryCompleteMessageAndReportsTheBreak()
    {
        var full = Ingest(Samples.TaskUi);
        var (path, line) = CutShort(Path.Combine(_home, Samples.TaskUi));

        var sink = Ingest(Samples.TaskUi);

        var malformed = Assert.Single(sink.MalformedLines);
        Assert.Equal((path, line), (malformed.Path, malformed.Line));
        Assert.Contains("not valid JSON", malformed.Reason, StringComparison.Ordinal);
        Assert.Equal(full.Prompts.Select(p => p.PromptId), sink.Prompts.Select(p => p.PromptId));
        Assert.Equal(full.UsageRecords.Count, sink.UsageRecords.Count);
        Assert.Equal(CompletionStatus.Interrupted, Assert.Single(sink.Sessions).Status); // the completion message was the one cut
    }

    [Fact]
    public void AMessageWhoseTextIsNotClinesJsonIsSkippedAndCounted()
    {
        var path = Path.Combine(_home, Samples.TaskUi);
        File.WriteAllText(path, File.ReadAllText(path).Replace("\\\"tokensIn\\\": 1200, ", "\\\"tokensIn\\\": 1200 ", StringComparison.Ordinal));

        var sink = Ingest(Samples.TaskUi);

        Assert.Equal(3, sink.UsageRecords.Count);
        Assert.Equal(path, Assert.Single(sink.MalformedLines).Path);
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

    private RecordingSink Ingest(string relative) => RecordingSink.Ingest(_ingestor, Context(), Path.Combine(_home, relative));
}
