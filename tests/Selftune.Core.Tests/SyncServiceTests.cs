using System.Text;
using System.Text.Json;
using Selftune.Abstractions;
using Selftune.Core.Ingest;
using Selftune.Core.Privacy;
using Selftune.Core.Store;

namespace Selftune.Core.Tests;

public sealed class SyncServiceTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("selftune-sync-").FullName;
    private readonly LinesIngestor _ingestor = new();
    private readonly SelftuneStore _store;

    public SyncServiceTests()
    {
        Directory.CreateDirectory(Path.Combine(_dir, "logs"));
        _store = SelftuneStore.Open(Path.Combine(_dir, "selftune.db"));
    }

    private string Log(string name) => Path.Combine(_dir, "logs", name);

    [Fact]
    public void AnUnchangedSourceIsSkippedAndAnAppendedOneIsReadFromItsOffset()
    {
        File.WriteAllText(Log("a.jsonl"), Line("a", "first prompt here") + Line("a", "second prompt here"));
        var first = Sync();
        Assert.Equal((1, 2), (first.SourcesRead, first.ActionablePrompts));
        Assert.Equal([0L], _ingestor.StartOffsets);

        var second = Sync();
        Assert.Equal((0, 1), (second.SourcesRead, second.SourcesUnchanged));

        var length = new FileInfo(Log("a.jsonl")).Length;
        File.AppendAllText(Log("a.jsonl"), Line("a", "third prompt here"));
        var third = Sync();
        Assert.Equal((1, 1), (third.SourcesRead, third.ActionablePrompts));
        Assert.Equal([0L, length], _ingestor.StartOffsets);
        Assert.Equal(3L, _store.Scalar("SELECT count(*) FROM prompts"));
    }

    [Fact]
    public void AShrunkSourceIsReadAgainFromTheStartAndForceReadsEverything()
    {
        File.WriteAllText(Log("a.jsonl"), Line("a", "first prompt here") + Line("a", "second prompt here"));
        Sync();
        File.WriteAllText(Log("a.jsonl"), Line("a", "rewritten prompt"));
        Sync();
        Assert.Equal([0L, 0L], _ingestor.StartOffsets);

        Sync(force: true);
        Assert.Equal([0L, 0L, 0L], _ingestor.StartOffsets);
    }

    [Fact]
    public void MalformedLinesAndFailingSourcesAreCountedWhileTheRestIsStored()
    {
        File.WriteAllText(Log("a.jsonl"), Line("a", "good prompt one") + "{not json\n" + Line("a", "good prompt two"));
        File.WriteAllText(Log("boom.jsonl"), Line("b", "this source throws"));

        var counters = Sync();

        Assert.Equal(2, counters.ActionablePrompts);
        Assert.Equal(1, counters.Malformed);
        Assert.Equal(new MalformedRecord(Log("a.jsonl"), 2, "not JSON"), counters.MalformedDetails.Single());
        Assert.Equal(1, counters.SourcesFailed);
        Assert.Contains(counters.Problems, p => p.Contains("boom.jsonl") && p.Contains("plugin failed"));
    }

    [Fact]
    public void SinceSkipsOlderSources()
    {
        File.WriteAllText(Log("old.jsonl"), Line("o", "an old prompt here"));
        File.SetLastWriteTimeUtc(Log("old.jsonl"), new DateTime(2020, 1, 1, 0, 0, 0, DateTimeKind.Utc));
        File.WriteAllText(Log("new.jsonl"), Line("n", "a new prompt here"));

        var counters = Sync(since: new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero));

        Assert.Equal((2, 1), (counters.SourcesFound, counters.SourcesRead));
    }

    [Fact]
    public void WhileNoBatchWaitsTheWriterParsesTheSmallSourcesItself()
    {
        // The parse thread takes the large source first and holds it until the small ones are read: only the writer (the
        // thread that called Run) can read them.
        var ingestor = new HoldingIngestor();
        var report = new SyncService([ingestor], TimeProvider.System).Run(_store, new PlatformContext(_dir, _dir, _ => null), new Redactor(), null, new SyncOptions(), CancellationToken.None);

        var counters = report.Platforms.Single();
        Assert.Equal((4, 0), (counters.SourcesRead, counters.SourcesFailed));
        Assert.Equal([Environment.CurrentManagedThreadId], ingestor.SmallReadBy.Distinct());
        Assert.Equal(4L, _store.Scalar("SELECT count(*) FROM prompts"));
        Assert.Equal(4L, _store.Scalar("SELECT count(*) FROM source_cursors"));
    }

    public void Dispose()
    {
        _store.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    private static string Line(string session, string prompt) => JsonSerializer.Serialize(new { session, prompt }) + "\n";

    private IngestCounters Sync(bool force = false, DateTimeOffset? since = null)
    {
        var service = new SyncService([_ingestor], TimeProvider.System);
        var report = service.Run(_store, new PlatformContext(_dir, _dir, _ => null), new Redactor(), null, new SyncOptions(force, since), CancellationToken.None);
        return report.Platforms.Single();
    }

    /// <summary>One large source (2 MB as listed) whose read waits, up to 10 s, until its three small sources were read;
    /// one prompt from each.</summary>
    private sealed class HoldingIngestor : IIngestor
    {
        private readonly CountdownEvent _small = new(3);

        /// <summary>The managed thread that read each small source.</summary>
        public List<int> SmallReadBy { get; } = [];

        public string Platform => "holding";

        public IEnumerable<SourceFile> Discover(PlatformContext context, Action<string, string> problems) =>
            [new SourceFile("/large", 2 << 20, DateTime.UtcNow), .. Enumerable.Range(1, 3).Select(i => new SourceFile($"/small{i}", 10, DateTime.UtcNow))];

        public IngestResult Ingest(SourceFile source, SourceCursor? from, IRecordSink sink, CancellationToken cancellationToken)
        {
            if (source.Path == "/large" && !_small.Wait(TimeSpan.FromSeconds(10), cancellationToken))
            {
                throw new TimeoutException("the small sources were not read while the large one was");
            }

            var provenance = new Provenance(Platform, CaptureMode.Transcript, 1.0, source.Path, 1);
            sink.Prompt(new PromptRecord(source.Path, "s", DateTimeOffset.UnixEpoch, $"a prompt from {source.Path}", PromptKind.User, provenance));
            if (source.Path != "/large")
            {
                lock (SmallReadBy)
                {
                    SmallReadBy.Add(Environment.CurrentManagedThreadId);
                }

                _small.Signal();
            }

            return new IngestResult(new SourceCursor(1, source.Length, source.LastWriteUtc), 1);
        }
    }

    /// <summary>A minimal append-only ingestor: one JSON object per line, <c>{"session","prompt"}</c>.</summary>
    private sealed class LinesIngestor : IIngestor
    {
        public List<long> StartOffsets { get; } = [];

        public string Platform => "lines";

        public IEnumerable<SourceFile> Discover(PlatformContext context, Action<string, string> problems) =>
            Directory.EnumerateFiles(Path.Combine(context.UserHome, "logs"), "*.jsonl").Order().Select(p =>
            {
                var info = new FileInfo(p);
                return new SourceFile(p, info.Length, info.LastWriteTimeUtc);
            });

        public IngestResult Ingest(SourceFile source, SourceCursor? from, IRecordSink sink, CancellationToken cancellationToken)
        {
            if (source.Path.EndsWith("boom.jsonl", StringComparison.Ordinal))
            {
                throw new InvalidOperationException("simulated plugin bug");
            }

            var offset = from?.Offset ?? 0;
            lock (StartOffsets)
            {
                StartOffsets.Add(offset);
            }

            var bytes = File.ReadAllBytes(source.Path);
            var line = bytes.AsSpan(0, (int)offset).Count((byte)'\n');
            long lines = 0;
            while (offset < bytes.Length)
            {
                var end = Array.IndexOf(bytes, (byte)'\n', (int)offset);
                if (end < 0)
                {
                    break;
                }

                line++;
                lines++;
                var text = Encoding.UTF8.GetString(bytes, (int)offset, end - (int)offset);
                offset = end + 1;
                try
                {
                    var doc = JsonDocument.Parse(text).RootElement;
                    var session = doc.GetProperty("session").GetString()!;
                    var provenance = new Provenance(Platform, CaptureMode.Transcript, 1.0, source.Path, line);
                    sink.Session(new SessionRecord(session, provenance));
                    sink.Prompt(new PromptRecord($"{session}:{line}:{text.GetHashCode(StringComparison.Ordinal)}", session, DateTimeOffset.UnixEpoch, doc.GetProperty("prompt").GetString()!, PromptKind.User, provenance));
                }
                catch (JsonException)
                {
                    sink.Malformed(source.Path, line, "not JSON");
                }
            }

            return new IngestResult(new SourceCursor(offset, source.Length, source.LastWriteUtc), lines);
        }
    }
}
