using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Selftune.Core.Store;

/// <summary>
/// The SQLite store: one file in the selftune home, WAL journal, foreign keys on, and a wait of up to
/// <see cref="BusyTimeoutMs"/> for another process's lock, so hooks and a running sync coexist. Schema migrations
/// (embedded <c>Migrations/NNNN_name.sql</c>) are applied in order on open and recorded in <c>PRAGMA user_version</c>;
/// a store written by a newer selftune is refused, never altered.
/// </summary>
/// <remarks>
/// Built on Microsoft.Data.Sqlite (which brings SQLite itself through SQLitePCLRaw's <c>e_sqlite3</c> and initializes
/// it). One instance is one unpooled connection (a CLI process opens the store once; a pooled connection would stay
/// open after <see cref="Dispose"/> and keep a bulk load from switching the journal): not thread-safe. Lock waits are
/// SQLite's busy handler (<c>PRAGMA busy_timeout</c>: this build sleeps milliseconds between tries, not whole seconds;
/// bench/RESULTS.md), and for the few locks that handler does not wait for, the provider's retries until the command
/// timeout.
/// Parameters are named (<c>$name</c>) and bound from .NET values: null, string, byte[], bool (0/1), integers, double,
/// decimal (as REAL).
/// </remarks>
internal sealed class SelftuneStore : IDisposable
{
    /// <summary>How long a statement waits for another process's lock before failing (ms).</summary>
    public const int BusyTimeoutMs = 10_000;

    /// <summary>The page size of a new store (bytes).</summary>
    public const int PageSize = 16_384;

    private static readonly Lazy<Migration[]> AllMigrations = new(() => EmbeddedMigrations.Load("Selftune.Migrations."));

    private readonly SqliteConnection _connection;

    private SelftuneStore(SqliteConnection connection, string path)
    {
        _connection = connection;
        Path = path;
    }

    /// <summary>The database file.</summary>
    public string Path { get; }

    /// <summary>The schema version this build knows (the highest migration number).</summary>
    public static int LatestVersion => AllMigrations.Value[^1].Version;

    /// <summary>True while a transaction begun by <see cref="BeginTransaction"/> is open.</summary>
    public bool InTransaction => Transaction is not null;

    /// <summary>The open transaction, which every command on this connection must name.</summary>
    private SqliteTransaction? Transaction { get; set; }

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

        var fresh = IsNew(full);
        // Written out: SqliteConnectionStringBuilder.ToString() quotes with regular expressions, start-up time every
        // command would pay. The path is double-quoted, its quotes doubled (the connection-string syntax).
        var connection = new SqliteConnection(
            $"Data Source=\"{full.Replace("\"", "\"\"", StringComparison.Ordinal)}\";Mode={(readOnly ? "ReadOnly" : "ReadWriteCreate")};Pooling=False;Default Timeout={BusyTimeoutMs / 1000}");
        var store = new SelftuneStore(connection, full);
        try
        {
            try
            {
                connection.Open();
            }
            catch (SqliteException ex)
            {
                throw store.Failure(ex);
            }

            // One command for the settings: each command costs the provider's per-command set-up (bench/RESULTS.md, issue 19).
            // Larger pages make a first sync's bulk load ~10% faster (fewer page splits and b-tree levels for the text
            // keys; bench/RESULTS.md). Only a new file can take it; an existing store keeps its size.
            store.Execute(
                $"PRAGMA busy_timeout = {BusyTimeoutMs};" +
                (readOnly ? string.Empty : (fresh ? $"PRAGMA page_size = {PageSize};" : string.Empty) + "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;") +
                "PRAGMA foreign_keys = ON;");
            store.Migrate(readOnly);
            return store;
        }
        catch
        {
            store.Dispose();
            throw;
        }
    }

    /// <summary>True when no store exists at <paramref name="path"/> yet (no file, or an empty one): opening it creates and
    /// migrates it, and it holds nothing (no cursors, no sync stamp).</summary>
    /// <param name="path">The database file.</param>
    public static bool IsNew(string path) => !File.Exists(path) || new FileInfo(path).Length == 0;

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
    /// <exception cref="InvalidOperationException">A transaction is already open on this store (they do not nest).</exception>
    public StoreTransaction BeginTransaction()
    {
        try
        {
            Transaction = _connection.BeginTransaction(deferred: false);
        }
        catch (SqliteException ex)
        {
            throw Failure(ex);
        }

        return new StoreTransaction(this, Transaction);
    }

    /// <summary>Executes one or more statements.</summary>
    /// <param name="sql">SQL text; several statements are run in order.</param>
    /// <param name="parameters">Named parameters (<c>$name</c>) and their values; null binds NULL.</param>
    /// <returns>Rows inserted, updated or deleted by the statements.</returns>
    /// <exception cref="SelftuneException">The store failed (see <see cref="Translate"/>).</exception>
    /// <exception cref="ArgumentException">A value's type cannot be stored.</exception>
    /// <exception cref="InvalidOperationException">A parameter in the SQL has no value (nothing was run). Parameters the SQL
    /// does not use are ignored.</exception>
    public int Execute(string sql, params (string Name, object? Value)[] parameters)
    {
        using var command = Command(sql, parameters);
        try
        {
            return Math.Max(0, command.ExecuteNonQuery());
        }
        catch (SqliteException ex)
        {
            throw Failure(ex);
        }
    }

    /// <summary>Executes a query and returns the first column of its first row: long, double, string, byte[], or null
    /// (no row, or NULL).</summary>
    /// <inheritdoc cref="Execute" path="/param|/exception"/>
    public object? Scalar(string sql, params (string Name, object? Value)[] parameters)
    {
        using var command = Command(sql, parameters);
        try
        {
            return command.ExecuteScalar() is var value and not DBNull ? value : null;
        }
        catch (SqliteException ex)
        {
            throw Failure(ex);
        }
    }

    /// <summary>Executes a query and maps each row.</summary>
    /// <param name="sql">One SQL statement.</param>
    /// <param name="map">Reads a row; valid only during the call.</param>
    /// <param name="parameters">Named parameters (<c>$name</c>) and their values; null binds NULL.</param>
    /// <inheritdoc cref="Execute" path="/exception"/>
    public List<T> Query<T>(string sql, Func<StoreRow, T> map, params (string Name, object? Value)[] parameters)
    {
        var rows = new List<T>();
        using var command = Command(sql, parameters);
        try
        {
            using var reader = command.ExecuteReader();
            var row = new StoreRow(reader);
            while (reader.Read())
            {
                rows.Add(map(row));
            }
        }
        catch (SqliteException ex)
        {
            throw Failure(ex);
        }

        return rows;
    }

    /// <summary>Prepares a statement to run many times with positional parameters (<c>?1</c>, <c>?2</c>, …): the ingest
    /// hot path, which then skips parsing the SQL and looking up parameters on every execution.</summary>
    /// <param name="sql">One SQL statement.</param>
    /// <exception cref="SelftuneException">The statement does not compile (a bug) or the store failed.</exception>
    internal PreparedStatement Prepare(string sql) => new(this, _connection.Handle!, sql);

    /// <summary>Runs <paramref name="sql"/> (one statement) unless it would have to wait for another connection's lock;
    /// nothing is done then.</summary>
    /// <param name="sql">One SQL statement, with positional parameters (<c>?1</c>, <c>?2</c>, …) when
    /// <paramref name="values"/> are given.</param>
    /// <param name="values">Text bound to <c>?1</c>, <c>?2</c>, … in order (null binds NULL).</param>
    /// <exception cref="SelftuneException">The store failed otherwise.</exception>
    internal void TryWithoutWaiting(string sql, params string?[] values)
    {
        // Through SQLite's own API: the provider retries a locked statement every 150 ms until the command timeout, and
        // its timeout counts whole seconds (0 is no limit), so a command of its never gives up at once.
        var db = _connection.Handle!;
        raw.sqlite3_busy_timeout(db, 0);
        try
        {
            using var statement = Prepare(sql);
            for (var i = 0; i < values.Length; i++)
            {
                statement.Bind(i + 1, values[i]);
            }

            statement.Execute();
        }
        catch (SelftuneException ex) when (ex.Code == ErrorCodes.StoreBusy)
        {
            // Another connection holds the lock: nothing is done.
        }
        finally
        {
            raw.sqlite3_busy_timeout(db, BusyTimeoutMs);
        }
    }

    /// <inheritdoc />
    public void Dispose() => _connection.Dispose();

    /// <summary>The error for a failed statement on this store.</summary>
    internal SelftuneException Failure(SqliteException ex) => Translate(ex.SqliteExtendedErrorCode, ex.Message, Path);

    /// <summary>Ends <paramref name="transaction"/> (committed or rolled back): commands run outside it again.</summary>
    internal void Ended(SqliteTransaction transaction)
    {
        if (ReferenceEquals(Transaction, transaction))
        {
            Transaction = null;
        }
    }

    private SqliteCommand Command(string sql, (string Name, object? Value)[] parameters)
    {
        var command = _connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = Transaction;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.Add(new SqliteParameter(name, Storable(name, value)));
        }

        return command;
    }

    /// <summary>A .NET value as the provider should bind it: integers and bool as INTEGER, float and decimal as REAL
    /// (the provider would bind decimal as TEXT), null as NULL.</summary>
    /// <exception cref="ArgumentException">The value's type cannot be stored.</exception>
    private static object Storable(string name, object? value) => value switch
    {
        null => DBNull.Value,
        DBNull or string or byte[] or long or double => value,
        bool b => b ? 1L : 0L,
        int i => (long)i,
        short i => (long)i,
        byte i => (long)i,
        uint i => (long)i,
        float f => (double)f,
        decimal m => (double)m,
        _ => throw new ArgumentException($"Parameter {name}: a {value.GetType().Name} cannot be stored; pass a string, number, bool or byte[].", nameof(value)),
    };

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

        // One transaction for all of them (a new store takes every migration: one commit, not one each). BEGIN IMMEDIATE,
        // then look again: another process (a hook drain, a sync) may have applied some meanwhile.
        using var tx = BeginTransaction();
        current = SchemaVersion;
        foreach (var (version, name, resource) in AllMigrations.Value.Where(m => m.Version > current))
        {
            try
            {
                Execute(EmbeddedMigrations.Read(resource) + $"\nPRAGMA user_version = {version};");
            }
            catch (SelftuneException ex) when (ex.Code == ErrorCodes.Internal)
            {
                throw new SelftuneException(ErrorCodes.StoreCorrupt, $"Migrating the selftune store '{Path}' to version {version} ({name}) failed: {ex.Message.TrimEnd('.')}. The store was left at version {current}.", "selftune doctor", inner: ex);
            }
        }

        tx.Commit();
    }
}

/// <summary>A write transaction on a <see cref="SelftuneStore"/> (see <see cref="SelftuneStore.BeginTransaction"/>).</summary>
internal sealed class StoreTransaction : IDisposable
{
    private readonly SelftuneStore _store;
    private readonly SqliteTransaction _transaction;
    private bool _done;

    internal StoreTransaction(SelftuneStore store, SqliteTransaction transaction)
    {
        _store = store;
        _transaction = transaction;
    }

    /// <summary>Commits it.</summary>
    /// <exception cref="ObjectDisposedException">It was already committed or rolled back.</exception>
    /// <exception cref="SelftuneException">The store failed; disposing the transaction then rolls it back.</exception>
    public void Commit()
    {
        ObjectDisposedException.ThrowIf(_done, this);
        try
        {
            _transaction.Commit();
        }
        catch (SqliteException ex)
        {
            throw _store.Failure(ex);
        }

        _done = true;
        _store.Ended(_transaction);
    }

    /// <summary>Rolls it back unless it was committed.</summary>
    public void Dispose()
    {
        if (!_done)
        {
            _done = true;
            _store.Ended(_transaction);
            _transaction.Dispose();
        }
    }
}

/// <summary>The current row of a query (<see cref="SelftuneStore.Query{T}"/>); valid only inside the map call.
/// Typed getters throw <see cref="InvalidOperationException"/> on NULL: test <see cref="IsDBNull"/> first.</summary>
internal readonly struct StoreRow
{
    private readonly SqliteDataReader _reader;

    internal StoreRow(SqliteDataReader reader) => _reader = reader;

    /// <summary>True when column <paramref name="ordinal"/> (from 0) is NULL.</summary>
    public bool IsDBNull(int ordinal) => _reader.IsDBNull(ordinal);

    /// <summary>The column as text (UTF-8 decoded).</summary>
    public string GetString(int ordinal)
    {
        NotNull(ordinal);
        return _reader.GetString(ordinal);
    }

    /// <summary>The column as a 64-bit integer.</summary>
    public long GetInt64(int ordinal)
    {
        NotNull(ordinal);
        return _reader.GetInt64(ordinal);
    }

    /// <summary>The column as a 32-bit integer.</summary>
    /// <exception cref="OverflowException">The value does not fit.</exception>
    public int GetInt32(int ordinal) => checked((int)GetInt64(ordinal));

    /// <summary>The column as a double.</summary>
    public double GetDouble(int ordinal)
    {
        NotNull(ordinal);
        return _reader.GetDouble(ordinal);
    }

    /// <summary>The column as bytes.</summary>
    public byte[] GetBytes(int ordinal)
    {
        NotNull(ordinal);
        return _reader.GetFieldValue<byte[]>(ordinal);
    }

    /// <summary>The column as its stored type: long, double, string, byte[], or null.</summary>
    public object? GetValue(int ordinal) => _reader.GetValue(ordinal) is var value and not DBNull ? value : null;

    private void NotNull(int ordinal)
    {
        if (_reader.IsDBNull(ordinal))
        {
            throw new InvalidOperationException($"Column {ordinal} is NULL; test IsDBNull first.");
        }
    }
}
