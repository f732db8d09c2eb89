using Microsoft.Data.Sqlite;
using Selftune.Core.Store;

namespace Selftune.Core.Tests;

public sealed class StoreTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("selftune-store-").FullName;

    private string DbPath => Path.Combine(_dir, "selftune.db");

    [Fact]
    public void OpeningAFreshFileAppliesEveryMigrationInWalMode()
    {
        using var store = SelftuneStore.Open(DbPath);
        Assert.Equal(SelftuneStore.LatestVersion, store.SchemaVersion);
        Assert.Equal("wal", store.Scalar("PRAGMA journal_mode"));
        Assert.Equal(1L, store.Scalar("SELECT count(*) FROM sqlite_master WHERE name = 'prompts'"));
    }

    [Fact]
    public void ANewStoreGetsLargePagesAndAnExistingOneKeepsItsOwn()
    {
        using (var store = SelftuneStore.Open(DbPath))
        {
            Assert.Equal((long)SelftuneStore.PageSize, store.Scalar("PRAGMA page_size"));
        }

        var old = Path.Combine(_dir, "old.db");
        using (var legacy = new SqliteConnection($"Data Source={old};Pooling=False"))
        {
            legacy.Open();
            using var create = legacy.CreateCommand();
            create.CommandText = "PRAGMA page_size = 4096; CREATE TABLE t (x); PRAGMA journal_mode = WAL;";
            create.ExecuteNonQuery();
        }

        using var reopened = SelftuneStore.Open(old);
        Assert.Equal(4096L, reopened.Scalar("PRAGMA page_size"));
        Assert.Equal(SelftuneStore.LatestVersion, reopened.SchemaVersion);
    }

    [Fact]
    public void ReopeningKeepsDataAndSchema()
    {
        using (var store = SelftuneStore.Open(DbPath))
        {
            store.Execute("INSERT INTO sync_runs (started_at, elapsed_ms, report_json) VALUES (1, 2, '{}')");
        }

        using var again = SelftuneStore.Open(DbPath);
        Assert.Equal(SelftuneStore.LatestVersion, again.SchemaVersion);
        Assert.Equal(1L, again.Scalar("SELECT count(*) FROM sync_runs"));
    }

    [Fact]
    public async Task ProcessesOpeningAFreshStoreAtOnceMigrateItOnce()
    {
        // An empty database already in WAL mode: what a second process finds while the first is still migrating.
        using (var empty = new SqliteConnection($"Data Source={DbPath};Pooling=False"))
        {
            empty.Open();
            using var wal = empty.CreateCommand();
            wal.CommandText = "PRAGMA journal_mode = WAL";
            wal.ExecuteNonQuery();
        }

        using var start = new Barrier(8);
        var opens = Enumerable.Range(0, 8).Select(_ => Task.Run(() =>
        {
            start.SignalAndWait();
            using var store = SelftuneStore.Open(DbPath);
            return store.SchemaVersion;
        }));

        Assert.All(await Task.WhenAll(opens), v => Assert.Equal(SelftuneStore.LatestVersion, v));
    }

    [Fact]
    public void AStoreFromANewerSelftuneIsRefusedAndNotAltered()
    {
        using (var store = SelftuneStore.Open(DbPath))
        {
            store.Execute($"PRAGMA user_version = {SelftuneStore.LatestVersion + 5}");
        }

        var before = File.ReadAllBytes(DbPath);
        var error = Assert.Throws<SelftuneException>(() => SelftuneStore.Open(DbPath));
        Assert.Equal(ErrorCodes.StoreTooNew, error.Code);
        Assert.Contains(DbPath, error.Message);
        Assert.Contains($"{SelftuneStore.LatestVersion + 5}", error.Message);
        Assert.Equal(before, File.ReadAllBytes(DbPath));
    }

    [Fact]
    public void ACorruptFileIsRefusedWithTheFixAndNotAltered()
    {
        var garbage = new byte[16384];
        new Random(1).NextBytes(garbage);
        File.WriteAllBytes(DbPath, garbage);

        var error = Assert.Throws<SelftuneException>(() => SelftuneStore.Open(DbPath));

        Assert.Equal(ErrorCodes.StoreCorrupt, error.Code);
        Assert.Contains(DbPath, error.Message);
        Assert.Contains("sync --force", error.NextCommand);
        Assert.Equal(garbage, File.ReadAllBytes(DbPath));
    }

    [Fact]
    public async Task ConcurrentWritersWaitInsteadOfFailing()
    {
        using var a = SelftuneStore.Open(DbPath);
        using var b = SelftuneStore.Open(DbPath);
        using (var tx = a.BeginTransaction())
        {
            a.Execute("INSERT INTO sync_runs (started_at, elapsed_ms, report_json) VALUES (1, 1, '{}')");
            var other = Task.Run(() => b.Execute("INSERT INTO sync_runs (started_at, elapsed_ms, report_json) VALUES (2, 2, '{}')"));
            await Task.Delay(200);
            Assert.False(other.IsCompleted);
            tx.Commit();
            await other;
        }

        Assert.Equal(2L, a.Scalar("SELECT count(*) FROM sync_runs"));
    }

    [Fact]
    public void ValuesRoundTripWithTheirSqliteTypes()
    {
        using var store = SelftuneStore.Open(DbPath);
        store.Execute("CREATE TABLE t (s TEXT, b BLOB, f INTEGER, d REAL, m REAL, n TEXT, u TEXT)");
        store.Execute(
            "INSERT INTO t VALUES ($s, $b, $f, $d, $m, $n, $u)",
            ("$s", "naïve ✓"), ("$b", new byte[] { 0, 1, 255 }), ("$f", true), ("$d", 0.25), ("$m", 1.5m), ("$n", null), ("$u", string.Empty), ("$unused", 7));

        var row = store.Query("SELECT s, b, f, d, m, n, u FROM t", r => (r.GetString(0), r.GetBytes(1), r.GetInt64(2), r.GetDouble(3), r.GetDouble(4), r.IsDBNull(5), r.GetString(6)))[0];

        Assert.Equal(("naïve ✓", 1L, 0.25, 1.5, true, string.Empty), (row.Item1, row.Item3, row.Item4, row.Item5, row.Item6, row.Item7));
        Assert.Equal(new byte[] { 0, 1, 255 }, row.Item2);
        Assert.Equal(new byte[] { 0, 1, 255 }, store.Scalar("SELECT b FROM t"));
        Assert.Null(store.Scalar("SELECT n FROM t"));
        Assert.Null(store.Scalar("SELECT s FROM t WHERE 0"));
        Assert.Throws<InvalidOperationException>(() => store.Query("SELECT n FROM t", r => r.GetString(0)));
    }

    [Fact]
    public void AParameterWithoutAValueIsRefusedBeforeAnythingRuns()
    {
        using var store = SelftuneStore.Open(DbPath);

        var error = Assert.Throws<InvalidOperationException>(() => store.Execute("INSERT INTO sync_runs (started_at, elapsed_ms, report_json) VALUES ($a, $b, '{}')", ("$a", 1)));

        Assert.Contains("$b", error.Message);
        Assert.Equal(0L, store.Scalar("SELECT count(*) FROM sync_runs"));
    }

    [Fact]
    public void APreparedStatementRunsInWhicheverTransactionIsOpenWithTheValuesBoundLast()
    {
        using var store = SelftuneStore.Open(DbPath);
        store.Execute("CREATE TABLE t (k INTEGER, v TEXT, r REAL)");
        using var insert = store.Prepare("INSERT INTO t VALUES (?1, ?2, ?3)");
        using var max = store.Prepare("SELECT max(k) FROM t");

        Assert.Null(max.ScalarInt64());
        Assert.Equal(1, insert.Bind(1, 1).Bind(2, string.Empty).Bind(3, 0.5).Execute()); // outside a transaction
        using (store.BeginTransaction())
        {
            insert.Bind(1, 2).Bind(2, (string?)null).Execute();
            Assert.Equal(2L, max.ScalarInt64());
        }

        using (var tx = store.BeginTransaction())
        {
            insert.Bind(1, 3).Bind(2, "three").Bind(3, (double?)null).Execute();
            tx.Commit();
        }

        insert.Bind(1, 4).Execute(); // the text and real bound last stay

        var rows = store.Query("SELECT k, v, r FROM t ORDER BY k", r => (r.GetInt64(0), r.IsDBNull(1) ? null : r.GetString(1), r.IsDBNull(2) ? (double?)null : r.GetDouble(2)));
        Assert.Equal([(1L, string.Empty, 0.5), (3L, "three", null), (4L, "three", null)], rows);
        Assert.Equal(4L, max.ScalarInt64());
    }

    [Fact]
    public void ATransactionDisposedWithoutCommitRollsBack()
    {
        using var store = SelftuneStore.Open(DbPath);
        using (store.BeginTransaction())
        {
            store.Execute("INSERT INTO sync_runs (started_at, elapsed_ms, report_json) VALUES (1, 1, '{}'); INSERT INTO sync_runs (started_at, elapsed_ms, report_json) VALUES (2, 2, '{}')");
            Assert.Equal(2L, store.Scalar("SELECT count(*) FROM sync_runs"));
        }

        Assert.False(store.InTransaction);
        Assert.Equal(0L, store.Scalar("SELECT count(*) FROM sync_runs"));
    }

    [Fact]
    public void ABadStatementNamesTheStore()
    {
        using var store = SelftuneStore.Open(DbPath);

        var error = Assert.Throws<SelftuneException>(() => store.Execute("INSERT INTO no_such_table VALUES (1)"));

        Assert.Contains("no_such_table", error.Message);
        Assert.Contains(DbPath, error.Message);
    }

    public void Dispose()
    {
        Directory.Delete(_dir, recursive: true);
    }
}
