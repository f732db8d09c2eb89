using System.Diagnostics;
using System.Text;
using SQLitePCL;

namespace Selftune.Core.Store;

/// <summary>
/// The SQLite store: one file in the selftune home, WAL journal, foreign keys on, and a wait of up to
/// <see cref="BusyTimeoutMs"/> for another process's lock (SQLite's busy handler, then retries), so hooks and a running
/// sync coexist. Schema migrations (embedded <c>Migrations/NNNN_name.sql</c>) are applied in order on open and recorded in
/// <c>PRAGMA user_version</c>; a store written by a newer selftune is refused, never altered.
/// </summary>
/// <remarks>
/// Built on SQLite's own API (SQLitePCLRaw, what Microsoft.Data.Sqlite is built on), not on ADO.NET: every command
/// opens the store, and Microsoft.Data.Sqlite's connection-string and command machinery cost ~28 ms of a process's
/// start against ~2 ms for this (bench/RESULTS.md). Parameters are named (<c>$name</c>) and bound from .NET values:
/// null, string, byte[], bool (0/1), integers, double, decimal (as REAL). One instance is one connection: not
/// thread-safe.
/// </remarks>
public sealed class SelftuneStore : IDisposable
{
    /// <summary>How long a statement waits for another process's lock before failing (ms).</summary>
    public const int BusyTimeoutMs = 10_000;

    /// <summary>The page size of a new store (bytes).</summary>
    public const int PageSize = 16_384;

    private static readonly Lazy<Migration[]> AllMigrations = new(LoadMigrations);

    private readonly sqlite3 _db;

    static SelftuneStore() => Batteries_V2.Init();

    private SelftuneStore(sqlite3 db, string path)
    {
        _db = db;
        Path = path;
    }

    /// <summary>The database file.</summary>
    public string Path { get; }

    /// <summary>The schema version this build knows (the highest migration number).</summary>
    public static int LatestVersion => AllMigrations.Value[^1].Version;

    /// <summary>The SQLite connection, for statements prepared once and run many times (<see cref="RawStatement"/>).</summary>
    internal sqlite3 Handle => _db;

    /// <summary>True while a transaction is open on this connection.</summary>
    public bool InTransaction => raw.sqlite3_get_autocommit(_db) == 0;

    /// <summary>Opens (creating if missing) the store at <paramref name="path"/> and migrates it to <see cref="LatestVersion"/>.</summary>
    /// <param name="path">The database file.</param>
    /// <param name="readOnly">Open without writing or migrating (a store that is not at the latest version is then refused).</param>
    /// <exception cref="SelftuneException"><see cref="ErrorCodes.StoreCorrupt"/>, <see cref="ErrorCodes.StoreTooNew"/>,
    /// <see cref="ErrorCodes.StoreBusy"/>, <see cref="ErrorCodes.HomeUnwritable"/> or, read-only with no file,
    /// <see cref="ErrorCodes.FileNotFound"/>; each names the file and the fix.</exception>
    public static SelftuneStore Open(string path, bool readOnly = false)
    {
        var full = System.IO.Path.GetFullPath(path);
        if (readOnly && !File.Exists(full))
        {
            throw new SelftuneException(ErrorCodes.FileNotFound, $"There is no selftune store at '{full}' yet.", "selftune sync");
        }

        var fresh = !File.Exists(full) || new FileInfo(full).Length == 0;
        var flags = (readOnly ? raw.SQLITE_OPEN_READONLY : raw.SQLITE_OPEN_READWRITE | raw.SQLITE_OPEN_CREATE) | raw.SQLITE_OPEN_NOMUTEX;
        var rc = raw.sqlite3_open_v2(full, out var db, flags, null);
        if (rc != raw.SQLITE_OK)
        {
            var message = db is null ? raw.sqlite3_errstr(rc).utf8_to_string() : raw.sqlite3_errmsg(db).utf8_to_string();
            db?.Dispose();
            throw Translate(rc, message, full);
        }

        // SQLite's own busy handler waits for another connection's lock in prepare and step; Step also retries what it
        // does not wait for.
        raw.sqlite3_busy_timeout(db, BusyTimeoutMs);
        var store = new SelftuneStore(db, full);
        try
        {
            if (!readOnly)
            {
                if (fresh)
                {
                    // Larger pages make a first sync's bulk load ~10% faster (fewer page splits and b-tree levels for the
                    // text keys; bench/RESULTS.md). Only a new file can take it; an existing store keeps its size.
                    store.Execute($"PRAGMA page_size = {PageSize}");
                }

                store.Execute("PRAGMA journal_mode = WAL");
                store.Execute("PRAGMA synchronous = NORMAL");
            }

            store.Execute("PRAGMA foreign_keys = ON");
            store.Migrate(readOnly);
            return store;
        }
        catch
        {
            store.Dispose();
            throw;
        }
    }

    /// <summary>Maps a SQLite result code to an error a person can act on.</summary>
    /// <param name="rc">SQLite's (primary or extended) result code.</param>
    /// <param name="message">SQLite's message.</param>
    /// <param name="path">The database file.</param>
    public static SelftuneException Translate(int rc, string message, string path) => (rc & 0xFF) switch
    {
        raw.SQLITE_CORRUPT or raw.SQLITE_NOTADB => new SelftuneException(
            ErrorCodes.StoreCorrupt,
            $"The selftune store '{path}' is damaged or is not a SQLite database ({message}). It was left as it is. Move it aside and rebuild it from your agents' logs.",
            ShellCommand.Line($"mv {path} {path + ".damaged"} && selftune sync --force")),
        raw.SQLITE_BUSY or raw.SQLITE_LOCKED => new SelftuneException(
            ErrorCodes.StoreBusy,
            $"The selftune store '{path}' stayed locked by another process for {BusyTimeoutMs / 1000} s.",
            "selftune doctor"),
        raw.SQLITE_NOMEM or raw.SQLITE_READONLY or raw.SQLITE_CANTOPEN or raw.SQLITE_FULL or raw.SQLITE_IOERR or raw.SQLITE_PERM => new SelftuneException(
            ErrorCodes.HomeUnwritable,
            $"The selftune store '{path}' cannot be opened or written ({message}). Check the folder's permissions and free disk space.",
            "selftune doctor"),
        _ => new SelftuneException(ErrorCodes.Internal, $"The selftune store '{path}' failed: {message} (SQLite code {rc})", "selftune doctor"),
    };

    /// <summary>The schema version recorded in the file.</summary>
    public int SchemaVersion => (int)(long)Scalar("PRAGMA user_version")!;

    /// <summary>Runs <c>PRAGMA integrity_check</c>.</summary>
    /// <returns><c>ok</c>, or SQLite's list of problems.</returns>
    public string IntegrityCheck() => string.Join("; ", Query("PRAGMA integrity_check", r => r.GetString(0)));

    /// <summary>Starts a write transaction (<c>BEGIN IMMEDIATE</c>: the write lock is taken now, waiting up to
    /// <see cref="BusyTimeoutMs"/> for another writer, so no statement inside it can fail for a lock). Statements run in
    /// it until it is committed; disposing it uncommitted rolls it back.</summary>
    /// <exception cref="SelftuneException"><see cref="ErrorCodes.StoreBusy"/> when another process kept the lock.</exception>
    public StoreTransaction BeginTransaction()
    {
        Execute("BEGIN IMMEDIATE");
        return new StoreTransaction(this);
    }

    /// <summary>Executes one or more statements.</summary>
    /// <param name="sql">SQL text; several statements are run in order.</param>
    /// <param name="parameters">Named parameters (<c>$name</c>) and their values; null binds NULL.</param>
    /// <returns>Rows changed by the last statement.</returns>
    /// <exception cref="SelftuneException">The store failed (see <see cref="Translate"/>).</exception>
    /// <exception cref="ArgumentException">A parameter in the SQL has no value, or a value's type cannot be stored.
    /// Parameters the SQL does not use are ignored.</exception>
    public int Execute(string sql, params (string Name, object? Value)[] parameters)
    {
        var changes = 0;
        Run(sql, parameters, stmt =>
        {
            while (Step(stmt))
            {
            }

            changes = raw.sqlite3_changes(_db);
        });
        return changes;
    }

    /// <summary>Runs <paramref name="sql"/> (one statement, no parameters) unless it would have to wait for another
    /// connection's lock: SQLite's busy handler is off for it, and a lock held elsewhere is not retried (nothing is
    /// done then).</summary>
    /// <exception cref="SelftuneException">The store failed otherwise.</exception>
    internal void TryWithoutWaiting(string sql)
    {
        raw.sqlite3_busy_timeout(_db, 0);
        try
        {
            var rc = raw.sqlite3_prepare_v2(_db, sql, out var stmt);
            using (stmt)
            {
                if (rc == raw.SQLITE_OK)
                {
                    rc = raw.sqlite3_step(stmt);
                }

                if (rc is not (raw.SQLITE_ROW or raw.SQLITE_DONE or raw.SQLITE_BUSY or raw.SQLITE_LOCKED))
                {
                    throw Failure(rc);
                }
            }
        }
        finally
        {
            raw.sqlite3_busy_timeout(_db, BusyTimeoutMs);
        }
    }

    /// <summary>Executes a query and returns the first column of its first row: long, double, string, byte[], or null
    /// (no row, or NULL).</summary>
    /// <inheritdoc cref="Execute" path="/param|/exception"/>
    public object? Scalar(string sql, params (string Name, object? Value)[] parameters)
    {
        object? value = null;
        Run(sql, parameters, stmt =>
        {
            if (Step(stmt))
            {
                value = new StoreRow(stmt).GetValue(0);
                while (Step(stmt))
                {
                }
            }
        });
        return value;
    }

    /// <summary>Executes a query and maps each row.</summary>
    /// <param name="sql">One SQL statement.</param>
    /// <param name="map">Reads a row; valid only during the call.</param>
    /// <param name="parameters">Named parameters (<c>$name</c>) and their values; null binds NULL.</param>
    /// <inheritdoc cref="Execute" path="/exception"/>
    public List<T> Query<T>(string sql, Func<StoreRow, T> map, params (string Name, object? Value)[] parameters)
    {
        var rows = new List<T>();
        Run(sql, parameters, stmt =>
        {
            var row = new StoreRow(stmt);
            while (Step(stmt))
            {
                rows.Add(map(row));
            }
        });
        return rows;
    }

    /// <inheritdoc />
    public void Dispose() => _db.Dispose();

    /// <summary>Steps a statement: true for a row, false when done. Waits for another process's lock (SQLite's busy
    /// handler; at most <see cref="BusyTimeoutMs"/> in all).</summary>
    /// <exception cref="SelftuneException">The store failed.</exception>
    internal bool Step(sqlite3_stmt stmt)
    {
        var waited = 0L;
        while (true)
        {
            var rc = raw.sqlite3_step(stmt);
            switch (rc)
            {
                case raw.SQLITE_ROW:
                    return true;
                case raw.SQLITE_DONE:
                    return false;
                case raw.SQLITE_BUSY or raw.SQLITE_LOCKED when waited < BusyTimeoutMs:
                    // A lock SQLite's busy handler does not wait for (e.g. a WAL snapshot taken before another writer
                    // committed, or recovery by another process): retry shortly, as long as the timeout allows.
                    raw.sqlite3_reset(stmt);
                    waited += Pause(waited);
                    break;
                default:
                    throw Failure(rc);
            }
        }
    }

    /// <summary>Sleeps before a retry: 1 ms at first, a quarter of the time waited so far after that, at most 100 ms.</summary>
    /// <returns>The time slept (ms).</returns>
    private static long Pause(long waited)
    {
        var pause = Math.Clamp(waited / 4, 1, 100);
        Thread.Sleep((int)pause);
        return pause;
    }

    /// <summary>The error for a failed call on this connection.</summary>
    internal SelftuneException Failure(int rc) => Translate(rc, raw.sqlite3_errmsg(_db).utf8_to_string(), Path);

    private void Run(string sql, (string Name, object? Value)[] parameters, Action<sqlite3_stmt> each)
    {
        var utf8 = Encoding.UTF8.GetBytes(sql);
        ReadOnlySpan<byte> rest = utf8;
        var waited = 0L;
        while (!rest.IsEmpty)
        {
            var rc = raw.sqlite3_prepare_v2(_db, rest, out var stmt, out var tail);
            if (rc is raw.SQLITE_BUSY or raw.SQLITE_LOCKED && waited < BusyTimeoutMs)
            {
                // Reading the schema waited for a lock SQLite's handler gave up on: as in Step.
                stmt?.Dispose();
                waited += Pause(waited);
                continue;
            }

            if (rc != raw.SQLITE_OK)
            {
                stmt?.Dispose();
                throw Failure(rc);
            }

            rest = tail;
            using (stmt)
            {
                if (stmt.IsInvalid)
                {
                    continue; // whitespace or a comment after the last statement
                }

                Bind(stmt, parameters);
                each(stmt);
            }
        }
    }

    private static void Bind(sqlite3_stmt stmt, (string Name, object? Value)[] parameters)
    {
        var count = raw.sqlite3_bind_parameter_count(stmt);
        if (count == 0)
        {
            return;
        }

        var bound = 0;
        foreach (var (name, value) in parameters)
        {
            var index = raw.sqlite3_bind_parameter_index(stmt, name);
            if (index == 0)
            {
                continue;
            }

            bound++;
            var rc = value switch
            {
                null or DBNull => raw.sqlite3_bind_null(stmt, index),
                string s => raw.sqlite3_bind_text(stmt, index, s),
                byte[] b => raw.sqlite3_bind_blob(stmt, index, b),
                bool b => raw.sqlite3_bind_int64(stmt, index, b ? 1 : 0),
                long l => raw.sqlite3_bind_int64(stmt, index, l),
                int i => raw.sqlite3_bind_int64(stmt, index, i),
                short i => raw.sqlite3_bind_int64(stmt, index, i),
                byte i => raw.sqlite3_bind_int64(stmt, index, i),
                uint i => raw.sqlite3_bind_int64(stmt, index, i),
                double d => raw.sqlite3_bind_double(stmt, index, d),
                float f => raw.sqlite3_bind_double(stmt, index, f),
                decimal m => raw.sqlite3_bind_double(stmt, index, (double)m),
                _ => throw new ArgumentException($"Parameter {name}: a {value.GetType().Name} cannot be stored; pass a string, number, bool or byte[].", nameof(parameters)),
            };
            if (rc != raw.SQLITE_OK)
            {
                throw new ArgumentException($"Parameter {name} could not be bound (SQLite code {rc}).", nameof(parameters));
            }
        }

        if (bound < count)
        {
            var missing = Enumerable.Range(1, count).Select(i => raw.sqlite3_bind_parameter_name(stmt, i).utf8_to_string())
                .Where(name => !parameters.Any(p => p.Name == name));
            throw new ArgumentException($"The statement's parameters {string.Join(", ", missing)} have no value.", nameof(parameters));
        }
    }

    private void Migrate(bool readOnly)
    {
        var current = SchemaVersion;
        if (current > LatestVersion)
        {
            throw new SelftuneException(
                ErrorCodes.StoreTooNew,
                $"The selftune store '{Path}' has schema version {current}, but this selftune only knows versions up to {LatestVersion}: it was written by a newer selftune. It was left as it is. Update selftune.",
                "dotnet tool update --global selftune");
        }

        if (current == LatestVersion)
        {
            return;
        }

        if (readOnly)
        {
            throw new SelftuneException(ErrorCodes.StoreCorrupt, $"The selftune store '{Path}' is at schema version {current} and needs migrating to {LatestVersion}.", "selftune sync");
        }

        foreach (var (version, name, resource) in AllMigrations.Value.Where(m => m.Version > current))
        {
            // BEGIN IMMEDIATE, then look again: another process (a hook drain, a sync) may have applied it meanwhile.
            using var tx = BeginTransaction();
            if (SchemaVersion >= version)
            {
                continue;
            }

            try
            {
                Execute(ReadMigration(resource) + $"\nPRAGMA user_version = {version};");
            }
            catch (SelftuneException ex) when (ex.Code == ErrorCodes.Internal)
            {
                throw new SelftuneException(ErrorCodes.StoreCorrupt, $"Migrating the selftune store '{Path}' to version {version} ({name}) failed: {ex.Message.TrimEnd('.')}. The store was left at version {current}.", "selftune doctor", inner: ex);
            }

            tx.Commit();
        }
    }

    /// <summary>The embedded migrations, ordered by number; their SQL is read only when one is applied.</summary>
    private static Migration[] LoadMigrations()
    {
        const string prefix = "Selftune.Migrations.";
        var list = typeof(SelftuneStore).Assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith(prefix, StringComparison.Ordinal))
            .Select(resource => resource[prefix.Length..^".sql".Length] is var name
                ? new Migration(int.Parse(name.AsSpan(0, name.IndexOf('_')), System.Globalization.CultureInfo.InvariantCulture), name, resource)
                : null!)
            .ToArray();
        Array.Sort(list, (a, b) => a.Version.CompareTo(b.Version));
        for (var i = 1; i < list.Length; i++)
        {
            if (list[i].Version == list[i - 1].Version)
            {
                throw new InvalidOperationException($"Two migrations share the number {list[i].Version}.");
            }
        }

        return list;
    }

    private static string ReadMigration(string resource)
    {
        using var stream = typeof(SelftuneStore).Assembly.GetManifestResourceStream(resource)!;
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    private sealed record Migration(int Version, string Name, string Resource);
}

/// <summary>A write transaction on a <see cref="SelftuneStore"/> (see <see cref="SelftuneStore.BeginTransaction"/>).</summary>
public sealed class StoreTransaction : IDisposable
{
    private readonly SelftuneStore _store;
    private bool _done;

    internal StoreTransaction(SelftuneStore store) => _store = store;

    /// <summary>Commits it.</summary>
    /// <exception cref="InvalidOperationException">It was already committed or rolled back.</exception>
    /// <exception cref="SelftuneException">The store failed; disposing the transaction then rolls it back.</exception>
    public void Commit()
    {
        ObjectDisposedException.ThrowIf(_done, this);
        _store.Execute("COMMIT");
        _done = true;
    }

    /// <summary>Rolls it back unless it was committed.</summary>
    public void Dispose()
    {
        if (!_done)
        {
            _done = true;
            if (_store.InTransaction)
            {
                _store.Execute("ROLLBACK");
            }
        }
    }
}

/// <summary>The current row of a query (<see cref="SelftuneStore.Query{T}"/>); valid only inside the map call.
/// Typed getters throw <see cref="InvalidOperationException"/> on NULL: test <see cref="IsDBNull"/> first.</summary>
public readonly struct StoreRow
{
    private readonly sqlite3_stmt _stmt;

    internal StoreRow(sqlite3_stmt stmt) => _stmt = stmt;

    /// <summary>True when column <paramref name="ordinal"/> (from 0) is NULL.</summary>
    public bool IsDBNull(int ordinal) => raw.sqlite3_column_type(_stmt, ordinal) == raw.SQLITE_NULL;

    /// <summary>The column as text (UTF-8 decoded).</summary>
    public string GetString(int ordinal)
    {
        NotNull(ordinal);
        var bytes = raw.sqlite3_column_blob(_stmt, ordinal);
        return bytes.IsEmpty ? string.Empty : Encoding.UTF8.GetString(bytes);
    }

    /// <summary>The column as a 64-bit integer.</summary>
    public long GetInt64(int ordinal)
    {
        NotNull(ordinal);
        return raw.sqlite3_column_int64(_stmt, ordinal);
    }

    /// <summary>The column as a 32-bit integer.</summary>
    public int GetInt32(int ordinal) => checked((int)GetInt64(ordinal));

    /// <summary>The column as a double.</summary>
    public double GetDouble(int ordinal)
    {
        NotNull(ordinal);
        return raw.sqlite3_column_double(_stmt, ordinal);
    }

    /// <summary>The column as bytes.</summary>
    public byte[] GetBytes(int ordinal)
    {
        NotNull(ordinal);
        return raw.sqlite3_column_blob(_stmt, ordinal).ToArray();
    }

    /// <summary>The column as its stored type: long, double, string, byte[], or null.</summary>
    public object? GetValue(int ordinal) => raw.sqlite3_column_type(_stmt, ordinal) switch
    {
        raw.SQLITE_INTEGER => raw.sqlite3_column_int64(_stmt, ordinal),
        raw.SQLITE_FLOAT => raw.sqlite3_column_double(_stmt, ordinal),
        raw.SQLITE_TEXT => GetString(ordinal),
        raw.SQLITE_BLOB => GetBytes(ordinal),
        _ => null,
    };

    private void NotNull(int ordinal)
    {
        if (IsDBNull(ordinal))
        {
            throw new InvalidOperationException($"Column {ordinal} is NULL; test IsDBNull first.");
        }
    }
}
