using Selftune.Core.Store;

namespace Selftune.Core.Ingest;

/// <summary>
/// Bulk-load mode of a large first (or forced) sync: the secondary indexes of the record tables are dropped while the
/// records go in and rebuilt once at the end, which is about a quarter cheaper than maintaining them row by row.
/// Indexes the writer itself looks rows up by stay. Each dropped index's definition is saved in
/// <c>bulk_load_indexes</c> in the same transaction that drops it, so a sync that dies half-way leaves nothing lost:
/// the next sync rebuilds them first. While it runs, the store uses a rollback journal instead of WAL when no other
/// connection has it open: the new pages are then written once, not to the WAL and again by each checkpoint (a first
/// sync ~7% faster, bench/RESULTS.md). Any process that opens the store meanwhile switches it back to WAL, as every open
/// does; a sync that dies half-way leaves a journal SQLite rolls back on the next open. The indexes are rebuilt in WAL
/// again, so that a reader on another connection (the outcome rules' facts) reads beside the rebuild without either
/// waiting for the other.
/// </summary>
internal static class BulkLoad
{
    /// <summary>The least bytes to read for a sync to be a bulk load.</summary>
    public const long MinimumBytes = 16L * 1024 * 1024;

    private static readonly string[] RecordTables = ["sessions", "prompts", "skill_invocations", "tool_calls", "token_usage", "session_errors"];

    /// <summary>Looked up by <see cref="RecordWriter"/> for every transcript prompt (hook supersession).</summary>
    private static readonly string[] KeptIndexes = ["prompts_hash"];

    /// <summary>Starts a bulk load: a rollback journal when no other connection holds the store, then
    /// <see cref="DropIndexes"/>.</summary>
    public static void Begin(SelftuneStore store)
    {
        store.TryWithoutWaiting("PRAGMA journal_mode = DELETE");
        DropIndexes(store);
    }

    /// <summary>Ends a bulk load: WAL again (or, when another connection holds the store now, at the next open, which
    /// always sets it), then <see cref="RestoreIndexes"/> while <paramref name="beside"/> runs on another thread.</summary>
    /// <typeparam name="T">What <paramref name="beside"/> returns.</typeparam>
    /// <param name="store">The store.</param>
    /// <param name="beside">Work that reads the store on its own connection (in WAL it neither waits for the rebuild nor
    /// holds it up; when the store stayed in its rollback journal, the rebuild's commit waits for its reads).</param>
    /// <returns>What <paramref name="beside"/> returned; its exception, if it threw, once the indexes are rebuilt.</returns>
    public static T End<T>(SelftuneStore store, Func<T> beside)
    {
        store.TryWithoutWaiting("PRAGMA journal_mode = WAL");
        var reading = Task.Run(beside);
        RestoreIndexes(store);
        return reading.GetAwaiter().GetResult();
    }

    /// <summary>Starts copying the WAL into the store file on a connection of its own: a passive checkpoint, which neither
    /// waits for nor holds up the caller's writes meanwhile. After <see cref="End"/> the WAL holds the rebuilt indexes
    /// (~8 MB on the benchmark corpus), which the last connection to close would otherwise copy while the user waits (~20 ms
    /// of a first sync's wind-down; bench/RESULTS.md). Join it before closing the caller's connection. A failure is left to
    /// that close, which checkpoints whatever is left.</summary>
    /// <param name="path">The store's path.</param>
    public static Task CheckpointBeside(string path) => Task.Run(() =>
    {
        try
        {
            using var other = SelftuneStore.Open(path);
            other.Execute("PRAGMA wal_checkpoint(PASSIVE)");
        }
        catch (SelftuneException)
        {
            // Only a head start: the caller's close checkpoints all the same.
        }
    });

    /// <summary>Drops the secondary indexes of the record tables, saving their definitions.</summary>
    public static void DropIndexes(SelftuneStore store)
    {
        var indexes = store.Query(
            $"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN ({string.Join(", ", RecordTables.Select(t => $"'{t}'"))})",
            r => (Name: r.GetString(0), Sql: r.GetString(1)))
            .Where(i => !KeptIndexes.Contains(i.Name))
            .ToList();
        using var tx = store.BeginTransaction();
        using var save = store.Prepare("INSERT OR REPLACE INTO bulk_load_indexes (name, sql) VALUES (?1, ?2)");
        foreach (var (name, sql) in indexes)
        {
            save.Bind(1, name).Bind(2, sql).Execute();
            store.Execute($"DROP INDEX \"{name.Replace("\"", "\"\"", StringComparison.Ordinal)}\"");
        }

        tx.Commit();
    }

    /// <summary>Rebuilds every index a bulk load dropped (also those of a bulk load that was interrupted).</summary>
    public static void RestoreIndexes(SelftuneStore store)
    {
        var pending = store.Query("SELECT name, sql FROM bulk_load_indexes", r => (Name: r.GetString(0), Sql: r.GetString(1)));
        if (pending.Count == 0)
        {
            return;
        }

        using var tx = store.BeginTransaction();
        using var done = store.Prepare("DELETE FROM bulk_load_indexes WHERE name = ?1");
        foreach (var (name, sql) in pending)
        {
            store.Execute(sql.Replace("CREATE INDEX ", "CREATE INDEX IF NOT EXISTS ", StringComparison.OrdinalIgnoreCase));
            done.Bind(1, name).Execute();
        }

        tx.Commit();
    }
}
