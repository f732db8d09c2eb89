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

        SqliteConnection.ClearAllPools();
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
            using var cmd = a.Command("INSERT INTO sync_runs (started_at, elapsed_ms, report_json) VALUES (1, 1, '{}')");
            cmd.Transaction = tx;
            cmd.ExecuteNonQuery();
            var other = Task.Run(() => b.Execute("INSERT INTO sync_runs (started_at, elapsed_ms, report_json) VALUES (2, 2, '{}')"));
            await Task.Delay(200);
            Assert.False(other.IsCompleted);
            tx.Commit();
            await other;
        }

        Assert.Equal(2L, a.Scalar("SELECT count(*) FROM sync_runs"));
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }
}
