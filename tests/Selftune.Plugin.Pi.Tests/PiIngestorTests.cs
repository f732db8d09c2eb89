using Selftune.Abstractions;
using Selftune.AdapterKit;

namespace Selftune.Plugin.Pi.Tests;

/// <summary>What the Pi plugin reads from real session files, pinned.</summary>
public sealed class PiIngestorTests : IDisposable
{
    private readonly string _home = Path.Combine(Path.GetTempPath(), "selftune-pi-" + Guid.NewGuid().ToString("N"));
    private readonly PiIngestor _ingestor = new();

    public PiIngestorTests()
    {
        Directory.CreateDirectory(_home);
        Samples.Arrange(_home);
    }

    private PlatformContext Context(string? agentDir = null) => new(_home, _home, name => name == "PI_CODING_AGENT_DIR" ? agentDir : null);

    [Fact]
    public void DiscoversSessionFilesInTheirWorkingDirectoryFolders()
    {
        var sources = _ingestor.Discover(Context(), (_, _) => { }).Select(s => s.Path).ToList();

        Assert.Equal([Path.Combine(_home, Samples.Large), Path.Combine(_home, Samples.Small)], sources);
        Assert.All(_ingestor.Discover(Context(), (_, _) => { }), s => Assert.True(s.AppendOnly));
    }

    [Fact]
    public void TheAgentFolderVariableMovesEverything()
    {
        var moved = Path.Combine(_home, "elsewhere");
        Directory.Move(Path.Combine(_home, ".pi", "agent"), moved);

        Assert.Equal(2, _ingestor.Discover(Context(moved), (_, _) => { }).Count());
        Assert.Equal(Path.Combine(moved, "sessions"), Assert.Single(_ingestor.SourceRoots(Context(moved))).Path);
        Assert.Empty(_ingestor.Discover(Context(), (_, _) => { }));
    }

    [Fact]
    public void SmallSessionYieldsItsPromptsUsageAndModel()
    {
        var sink = Ingest(Samples.Small);

        // pi-small.jsonl: a header, 2 user and 2 assistant messages (12 in / 7 out tokens each, cost 0), 2 compactions.
        var session = Assert.Single(sink.Sessions);
        Assert.Equal(("019e19b4-eb48-746a-aa6b-8dfcfa37954b", "/tmp/as-agent-fixture/project", "pi"), (session.SessionId, session.Cwd, session.Provenance.Platform));
        Assert.Equal(["pi-fixture-model"], session.Models);
        Assert.Equal(["Read hello.py and summarize what it prints without editing files.", "Add one concise follow-up sentence."],
            sink.Prompts.Where(p => p.IsActionable).Select(p => p.Text));
        Assert.Equal(2, sink.Prompts.Count(p => p.Kind == PromptKind.Continuation));
        Assert.Equal((24, 14), (sink.UsageRecords.Sum(u => u.InputTokens), sink.UsageRecords.Sum(u => u.OutputTokens)));
        Assert.All(sink.UsageRecords, u => Assert.Null(u.CostUsd)); // Pi logs 0 for an unpriced model: the core prices it
    }

    [Fact]
    public void LargeSessionCountsMatchAnIndependentCount()
    {
        var sink = Ingest(Samples.Large);

        // Independent count (MANIFEST.md, corpus openclaw): 88 user messages, 373 tool results of which 19 isError.
        Assert.Equal("d703a1a9-1b7b-4fb1-b512-c9738b1fe617", Assert.Single(sink.Sessions).SessionId);
        Assert.Equal(88, sink.Prompts.Count(p => p.Kind is not PromptKind.Continuation));
        Assert.Equal(19, sink.ToolCalls.Count(t => t.IsError));
        Assert.Empty(sink.MalformedLines);

        // Lines added and removed (python over the same file): 128 applied edit results carry details.diff, whose lines
        // starting with "+" and "-" number 746 and 420; each result reports them for its call.
        var edits = sink.ToolCalls.Where(t => t.LinesAdded is not null).ToList();
        Assert.Equal(128, edits.Count);
        Assert.Equal((746, 420), (edits.Sum(t => t.LinesAdded!.Value), edits.Sum(t => t.LinesRemoved!.Value)));
    }

    [Fact]
    public void AFileAppendedWhileReadLeavesTheUnfinishedLineForNextTime()
    {
        var path = Path.Combine(_home, Samples.Small);
        var source = _ingestor.Discover(Context(), (_, _) => { }).Single(s => s.Path == path);
        var first = new RecordingSink();
        var cursor = _ingestor.Ingest(source, null, first, CancellationToken.None).Cursor;

        // Pi is writing a user message: half of it is on disk.
        const string next = """{"type":"message","id":"9a9a9a9a","parentId":"2c19d326","timestamp":"2026-05-12T01:03:00.000Z","message":{"role":"user","content":[{"type":"text","text":"One more thing."}]}}""";
        File.AppendAllText(path, next[..40]);
        var second = new RecordingSink();
        var during = _ingestor.Ingest(source, cursor, second, CancellationToken.None).Cursor;
        Assert.Equal(cursor.Offset, during.Offset);
        Assert.Empty(second.Prompts);
        Assert.Empty(second.MalformedLines);

        File.AppendAllText(path, next[40..] + "\n");
        var third = new RecordingSink();
        _ingestor.Ingest(source, during, third, CancellationToken.None);
        Assert.Equal("019e19b4-eb48-746a-aa6b-8dfcfa37954b:9a9a9a9a", Assert.Single(third.Prompts).PromptId);
    }

    [Fact]
    public void ABrokenLineIsSkippedAndCountedWithItsFileAndLine()
    {
        var path = Path.Combine(_home, Samples.Small);
        var lines = File.ReadAllLines(path).ToList();
        lines.Insert(4, "{\"type\":\"message\",\"message\":{\"role\":");
        File.WriteAllLines(path, lines);

        var sink = Ingest(Samples.Small);

        Assert.Equal((path, 5L), Assert.Single(sink.MalformedLines) is var m ? (m.Path, m.Line) : default);
        Assert.Equal(2, sink.Prompts.Count(p => p.IsActionable));
    }

    [Fact]
    public void AGitCommitInABashResultIsLinkedToTheSessionEvenAcrossReads()
    {
        var path = Path.Combine(_home, Samples.Small);
        var source = _ingestor.Discover(Context(), (_, _) => { }).Single(s => s.Path == path);
        var cursor = _ingestor.Ingest(source, null, new RecordingSink(), CancellationToken.None).Cursor;
        File.AppendAllText(path, """
            {"type":"message","id":"c1","parentId":"2c19d326","timestamp":"2026-05-12T01:03:00.000Z","message":{"role":"assistant","content":[{"type":"toolCall","id":"call_9","name":"bash","arguments":{"command":"git add hello.py && git commit -m 'Say hello'"}}],"model":"pi-fixture-model"}}

            """.Replace("\r\n", "\n", StringComparison.Ordinal));
        var first = new RecordingSink();
        cursor = _ingestor.Ingest(source, cursor, first, CancellationToken.None).Cursor;
        File.AppendAllText(path, """
            {"type":"message","id":"c2","parentId":"c1","timestamp":"2026-05-12T01:03:01.000Z","message":{"role":"toolResult","toolCallId":"call_9","toolName":"bash","content":[{"type":"text","text":"[master 0c0ffee] Say hello\n 1 file changed, 1 insertion(+)"}],"isError":false}}

            """.Replace("\r\n", "\n", StringComparison.Ordinal));
        var second = new RecordingSink();
        _ingestor.Ingest(source, cursor, second, CancellationToken.None);

        Assert.Empty(first.Commits);
        var commit = Assert.Single(second.Commits);
        Assert.Equal(("019e19b4-eb48-746a-aa6b-8dfcfa37954b", "0c0ffee", "master", "Say hello", "/tmp/as-agent-fixture/project", "call_9"),
            (commit.SessionId, commit.Sha, commit.Branch, commit.Title, commit.Repository, commit.ToolUseId));
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
