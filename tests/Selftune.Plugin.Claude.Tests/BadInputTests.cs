using System.Text;
using System.Text.Json.Nodes;
using Selftune.Abstractions;
using Selftune.AdapterKit;
using Selftune.Core.Ingest;
using Selftune.Core.Pricing;
using Selftune.Core.Privacy;
using Selftune.Core.Store;

namespace Selftune.Plugin.Claude.Tests;

/// <summary>Bad input is skipped and counted with its file and line; everything else still arrives and the sync completes.</summary>
public sealed class BadInputTests : IDisposable
{
    private readonly string _home = Path.Combine(Path.GetTempPath(), "selftune-bad-" + Guid.NewGuid().ToString("N"));
    private readonly string _file;

    public BadInputTests() => _file = Path.Combine(_home, ".claude", "projects", "-home-dev-project", "s1.jsonl");

    private PlatformContext Context => new(_home, _home, _ => null);

    [Fact]
    public void BrokenLinesAreReportedWithTheirLineAndTheRestIsRead()
    {
        var good = new TranscriptBuilder("s1").User("first prompt here").User("second prompt here").User("third prompt here").Lines;
        var bytes = new List<byte>();
        void Line(byte[] line) => bytes.AddRange([.. line, (byte)'\n']);
        Line(Encoding.UTF8.GetBytes(good[0]));
        Line(Encoding.UTF8.GetBytes("{\"type\":\"user\",\"message\":{\"role\":\"user\",\"content\":\"cut off")); // truncated
        Line(Encoding.UTF8.GetBytes("{\"type\":\"mystery-record\",\"uuid\":\"x\"}"));                        // unknown type
        Line([.. Encoding.UTF8.GetBytes(good[1].Replace("second prompt here", "second \u0001 prompt", StringComparison.Ordinal)).Select(b => b == 1 ? (byte)0xFF : b)]); // not UTF-8
        Line(Encoding.UTF8.GetBytes("not json at all"));
        Line([]);                                                                                            // empty: ignored
        Line(Encoding.UTF8.GetBytes(good[2] + "\r"));                                                        // CRLF: fine
        Directory.CreateDirectory(Path.GetDirectoryName(_file)!);
        File.WriteAllBytes(_file, [.. bytes]);

        var sink = IngestAll();
        Assert.Equal(["first prompt here", "third prompt here"], sink.Prompts.Select(p => p.Text));
        Assert.Equal([2L, 3L, 4L, 5L], sink.MalformedLines.Select(m => m.Line));
        Assert.All(sink.MalformedLines, m => Assert.Equal(_file, m.Path));
        Assert.Contains("unterminated", sink.MalformedLines[0].Reason, StringComparison.Ordinal);
        Assert.Contains("unknown record type 'mystery-record'", sink.MalformedLines[1].Reason, StringComparison.Ordinal);
        Assert.Contains("UTF-8", sink.MalformedLines[2].Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void AnUnfinishedLastLineIsLeftForTheNextRead()
    {
        var lines = new TranscriptBuilder("s1").User("first prompt here").User("second prompt here").Lines;
        Directory.CreateDirectory(Path.GetDirectoryName(_file)!);
        File.WriteAllText(_file, lines[0] + "\n" + lines[1][..40]);
        var ingestor = new ClaudeTranscriptIngestor();
        var source = ingestor.Discover(Context, (_, _) => { }).Single();
        var sink = new RecordingSink();
        var first = ingestor.Ingest(source, null, sink, CancellationToken.None);
        Assert.Equal(Encoding.UTF8.GetByteCount(lines[0]) + 1, first.Cursor.Offset);
        Assert.Empty(sink.MalformedLines);

        File.WriteAllText(_file, lines[0] + "\n" + lines[1] + "\n");
        var second = ingestor.Ingest(ingestor.Discover(Context, (_, _) => { }).Single(), first.Cursor, sink, CancellationToken.None);
        Assert.Equal(new FileInfo(_file).Length, second.Cursor.Offset);
        Assert.Equal(["s1:u1", "s1:u2"], sink.Prompts.Select(p => p.PromptId));
        Assert.Equal(2L, sink.Prompts[1].Provenance.SourceLine);
    }

    [Fact]
    public void AFileRewrittenInPlaceIsReadAgainFromTheStart()
    {
        new TranscriptBuilder("s1").User("original prompt text").WriteTo(_file);
        var ingestor = new ClaudeTranscriptIngestor();
        var sink = new RecordingSink();
        var first = ingestor.Ingest(ingestor.Discover(Context, (_, _) => { }).Single(), null, sink, CancellationToken.None);

        new TranscriptBuilder("s2").User("replaced prompt text").User("and one more prompt").WriteTo(_file);
        ingestor.Ingest(ingestor.Discover(Context, (_, _) => { }).Single(), first.Cursor, sink, CancellationToken.None);
        Assert.Equal(["s1:u1", "s2:u1", "s2:u2"], sink.Prompts.Select(p => p.PromptId));
    }

    [Fact]
    public void AFileDeletedMidSyncIsCountedAndTheSyncCompletes()
    {
        new TranscriptBuilder("s1").User("kept prompt text").WriteTo(_file);
        var doomed = Path.Combine(Path.GetDirectoryName(_file)!, "s2.jsonl");
        new TranscriptBuilder("s2").User("doomed prompt text").WriteTo(doomed);
        using var store = SelftuneStore.Open(Path.Combine(_home, "selftune.db"));
        var sync = new SyncService([new DeletingIngestor(doomed)], TimeProvider.System);

        var report = sync.Run(store, Context, new Redactor(), PricingTable.Shipped(), new SyncOptions(), CancellationToken.None);
        var counters = Assert.Single(report.Platforms);
        Assert.Equal((2, 1, 1), (counters.SourcesFound, counters.SourcesRead, counters.SourcesFailed));
        Assert.Contains(counters.Problems, p => p.StartsWith(doomed, StringComparison.Ordinal));
        Assert.Equal(["kept prompt text"], store.Query("SELECT text FROM prompts", r => r.GetString(0)));
    }

    [Fact]
    public void SecretsInPromptsAreRedactedAndCountedBySync()
    {
        new TranscriptBuilder("s1").User("use the key sk-ant-api03-abcdefghijklmnopqrstuvwxyz0123 please")
            .ToolUse("toolu_1", "Bash", new JsonObject { ["command"] = "curl -H 'Authorization: Bearer abcdefghijklmnopqrstuvwxyz' https://x" })
            .WriteTo(_file);
        using var store = SelftuneStore.Open(Path.Combine(_home, "selftune.db"));
        var report = new SyncService([new ClaudeTranscriptIngestor()], TimeProvider.System)
            .Run(store, Context, new Redactor(), PricingTable.Shipped(), new SyncOptions(), CancellationToken.None);
        Assert.Equal(2, report.Platforms[0].Redactions);
        Assert.Equal("use the key [REDACTED:anthropic_key] please", store.Scalar("SELECT text FROM prompts"));
        Assert.Equal("curl -H 'Authorization: Bearer [REDACTED:bearer_token]' https://x", store.Scalar("SELECT detail FROM tool_calls"));
    }

    public void Dispose() => Directory.Delete(_home, recursive: true);

    private RecordingSink IngestAll()
    {
        var ingestor = new ClaudeTranscriptIngestor();
        var sink = new RecordingSink();
        foreach (var source in ingestor.Discover(Context, (_, _) => { }))
        {
            ingestor.Ingest(source, null, sink, CancellationToken.None);
        }

        return sink;
    }

    /// <summary>The real ingestor, except that one file disappears just before it is read.</summary>
    private sealed class DeletingIngestor(string doomed) : IIngestor
    {
        private readonly ClaudeTranscriptIngestor _inner = new();

        public string Platform => _inner.Platform;

        public IEnumerable<SourceFile> Discover(PlatformContext context, Action<string, string> problems) => _inner.Discover(context, problems);

        public IngestResult Ingest(SourceFile source, SourceCursor? from, IRecordSink sink, CancellationToken cancellationToken)
        {
            if (source.Path == doomed)
            {
                File.Delete(doomed);
            }

            return _inner.Ingest(source, from, sink, cancellationToken);
        }
    }
}
