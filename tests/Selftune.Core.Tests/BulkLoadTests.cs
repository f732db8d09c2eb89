using Selftune.Abstractions;
using Selftune.Core.Ingest;
using Selftune.Core.Privacy;
using Selftune.Core.Store;

namespace Selftune.Core.Tests;

public sealed class BulkLoadTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("selftune-bulk-").FullName;
    private readonly SelftuneStore _store;

    public BulkLoadTests() => _store = SelftuneStore.Open(Path.Combine(_dir, "selftune.db"));

    private long Indexes => (long)_store.Scalar("SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name IN ('tool_calls_prompt', 'token_usage_session', 'prompts_session')")!;

    [Fact]
    public void ALargeFirstSyncRebuildsTheIndexesItDropped()
    {
        var (indexesWhileWriting, journalWhileWriting) = (-1L, (string?)null);
        var report = new SyncService([new BigIngestor()], TimeProvider.System).Run(_store, new PlatformContext(_dir, _dir, _ => null), new Redactor(), null,
            new SyncOptions(Progress: (_, _) => (indexesWhileWriting, journalWhileWriting) = (Indexes, (string?)_store.Scalar("PRAGMA journal_mode"))), CancellationToken.None);

        Assert.Equal(0L, indexesWhileWriting); // dropped while the records went in ...
        Assert.Equal(3L, Indexes);              // ... and back afterwards
        Assert.Equal("delete", journalWhileWriting); // pages written once, not to the WAL and again ...
        Assert.Equal("wal", _store.Scalar("PRAGMA journal_mode")); // ... and WAL again afterwards
        Assert.Equal(0L, _store.Scalar("SELECT count(*) FROM bulk_load_indexes"));
        Assert.Equal(1, report.Platforms[0].ToolCalls);
    }

    [Fact]
    public void WithAnotherConnectionOpenTheBulkLoadStaysInWal()
    {
        using var other = SelftuneStore.Open(_store.Path);
        string? journalWhileWriting = null;

        var report = new SyncService([new BigIngestor()], TimeProvider.System).Run(_store, new PlatformContext(_dir, _dir, _ => null), new Redactor(), null,
            new SyncOptions(Progress: (_, _) => journalWhileWriting = (string?)_store.Scalar("PRAGMA journal_mode")), CancellationToken.None);

        Assert.Equal("wal", journalWhileWriting);
        Assert.Equal(1, report.Platforms[0].ToolCalls);
        Assert.Equal(1L, other.Scalar("SELECT count(*) FROM tool_calls"));
    }

    [Fact]
    public void EndingABulkLoadRebuildsTheIndexesWhileAnotherConnectionReadsAndThenReportsItsFailure()
    {
        BulkLoad.Begin(_store);
        _store.Execute("INSERT INTO sync_runs (started_at, elapsed_ms, report_json) VALUES (1, 2, '{}')");

        var read = BulkLoad.End(_store, () =>
        {
            using var reader = SelftuneStore.Open(_store.Path, readOnly: true);
            return (long)reader.Scalar("SELECT count(*) FROM sync_runs")!;
        });

        Assert.Equal(1L, read);
        Assert.Equal(3L, Indexes);
        Assert.Equal("wal", _store.Scalar("PRAGMA journal_mode"));

        BulkLoad.Begin(_store);
        Assert.Throws<IOException>(() => BulkLoad.End<int>(_store, () => throw new IOException("the reader failed")));
        Assert.Equal(3L, Indexes); // rebuilt all the same
    }

    [Fact]
    public async Task TheCheckpointBesideCopiesTheWalIntoTheStoreFileWhileThisConnectionStaysOpen()
    {
        using (var tx = _store.BeginTransaction())
        {
            for (var i = 0; i < 500; i++)
            {
                _store.Execute("INSERT INTO sync_runs (started_at, elapsed_ms, report_json) VALUES ($s, 1, $r)", ("$s", i), ("$r", new string('x', 2000)));
            }

            tx.Commit();
        }

        var before = new FileInfo(_store.Path).Length; // the new pages are in the WAL only
        await BulkLoad.CheckpointBeside(_store.Path);

        Assert.True(new FileInfo(_store.Path).Length > before + 500 * 2000);
        Assert.Equal(500L, _store.Scalar("SELECT count(*) FROM sync_runs"));
    }

    [Fact]
    public void IndexesLeftDroppedByAnInterruptedSyncAreRebuiltByTheNext()
    {
        BulkLoad.DropIndexes(_store);
        Assert.Equal(0L, Indexes);
        Assert.True((long)_store.Scalar("SELECT count(*) FROM bulk_load_indexes")! >= 3);

        new SyncService([], TimeProvider.System).Run(_store, new PlatformContext(_dir, _dir, _ => null), new Redactor(), null, new SyncOptions(), CancellationToken.None);
        Assert.Equal(3L, Indexes);
        Assert.Equal(0L, _store.Scalar("SELECT count(*) FROM bulk_load_indexes"));
    }

    public void Dispose()
    {
        _store.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    /// <summary>One source that says it is large (the writer's progress callback looks at the store while it writes its record).</summary>
    private sealed class BigIngestor : IIngestor
    {
        public string Platform => "big";

        public IEnumerable<SourceFile> Discover(PlatformContext context, Action<string, string> problems) =>
            [new SourceFile("/big.jsonl", BulkLoad.MinimumBytes, DateTime.UtcNow)];

        public IngestResult Ingest(SourceFile source, SourceCursor? from, IRecordSink sink, CancellationToken cancellationToken)
        {
            sink.ToolCall(new ToolCallRecord("t1", "s1", DateTimeOffset.UtcNow, "Bash", new Provenance("big", CaptureMode.Transcript, 1.0, "/big.jsonl")));
            return new IngestResult(new SourceCursor(1, 1, source.LastWriteUtc), 1);
        }
    }
}
