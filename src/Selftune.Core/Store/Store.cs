using System.Reflection;
using Microsoft.Data.Sqlite;

namespace Selftune.Core.Store;

/// <summary>
/// The SQLite store: one file in the selftune home, WAL journal, a busy timeout so hooks and a running sync
/// coexist, foreign keys on. Schema migrations (embedded <c>Migrations/NNNN_name.sql</c>) are applied in order on
/// open and recorded in <c>PRAGMA user_version</c>; a store written by a newer selftune is refused, never altered.
/// </summary>
public sealed class SelftuneStore : IDisposable
{
    /// <summary>How long a statement waits for another process's lock before failing (ms).</summary>
    public const int BusyTimeoutMs = 10_000;

    private static readonly Lazy<IReadOnlyList<(int Version, string Name, string Sql)>> AllMigrations = new(LoadMigrations);

    static SelftuneStore() => SQLitePCL.Batteries_V2.Init();

    private SelftuneStore(SqliteConnection connection, string path)
    {
        Connection = connection;
        Path = path;
    }

    /// <summary>The open connection (one per store instance; not thread-safe).</summary>
    public SqliteConnection Connection { get; }

    /// <summary>The database file.</summary>
    public string Path { get; }

    /// <summary>The schema version this build knows (the highest migration number).</summary>
    public static int LatestVersion => AllMigrations.Value[^1].Version;

    /// <summary>Opens (creating if missing) the store at <paramref name="path"/> and migrates it to <see cref="LatestVersion"/>.</summary>
    /// <param name="path">The database file.</param>
    /// <param name="readOnly">Open without writing or migrating (a store that is not at the latest version is then refused).</param>
    /// <exception cref="SelftuneException"><see cref="ErrorCodes.StoreCorrupt"/>, <see cref="ErrorCodes.StoreTooNew"/>,
    /// <see cref="ErrorCodes.StoreBusy"/> or <see cref="ErrorCodes.HomeUnwritable"/>, each naming the file and the fix.</exception>
    public static SelftuneStore Open(string path, bool readOnly = false)
    {
        var full = System.IO.Path.GetFullPath(path);
        if (readOnly && !File.Exists(full))
        {
            throw new SelftuneException(ErrorCodes.FileNotFound, $"There is no selftune store at '{full}' yet.", "selftune sync");
        }

        var builder = new SqliteConnectionStringBuilder
        {
            DataSource = full,
            Mode = readOnly ? SqliteOpenMode.ReadOnly : SqliteOpenMode.ReadWriteCreate,
            Pooling = false,
            DefaultTimeout = BusyTimeoutMs / 1000,
        };
        var connection = new SqliteConnection(builder.ToString());
        try
        {
            connection.Open();
            var store = new SelftuneStore(connection, full);
            store.Execute($"PRAGMA busy_timeout = {BusyTimeoutMs}");
            if (!readOnly)
            {
                store.Execute("PRAGMA journal_mode = WAL");
                store.Execute("PRAGMA synchronous = NORMAL");
            }

            store.Execute("PRAGMA foreign_keys = ON");
            store.Migrate(readOnly);
            return store;
        }
        catch (SqliteException ex)
        {
            connection.Dispose();
            throw Translate(ex, full);
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>Maps a SQLite failure to an error a person can act on.</summary>
    /// <param name="ex">The failure.</param>
    /// <param name="path">The database file.</param>
    public static SelftuneException Translate(SqliteException ex, string path) => ex.SqliteErrorCode switch
    {
        11 or 26 => new SelftuneException(
            ErrorCodes.StoreCorrupt,
            $"The selftune store '{path}' is damaged or is not a SQLite database ({ex.Message}). It was left as it is. Move it aside and rebuild it from your agents' logs.",
            $"mv '{path}' '{path}.damaged' && selftune sync --force",
            inner: ex),
        5 or 6 => new SelftuneException(
            ErrorCodes.StoreBusy,
            $"The selftune store '{path}' stayed locked by another process for {BusyTimeoutMs / 1000} s.",
            "selftune doctor",
            inner: ex),
        8 or 13 or 14 => new SelftuneException(
            ErrorCodes.HomeUnwritable,
            $"The selftune store '{path}' cannot be written ({ex.Message}). Check the folder's permissions and free disk space.",
            "selftune doctor",
            inner: ex),
        _ => new SelftuneException(ErrorCodes.Internal, $"The selftune store '{path}' failed: {ex.Message}", "selftune doctor", inner: ex),
    };

    /// <summary>The schema version recorded in the file.</summary>
    public int SchemaVersion => (int)(long)Scalar("PRAGMA user_version")!;

    /// <summary>Runs <c>PRAGMA integrity_check</c>.</summary>
    /// <returns><c>ok</c>, or SQLite's list of problems.</returns>
    public string IntegrityCheck() => string.Join("; ", Query("PRAGMA integrity_check", r => r.GetString(0)));

    /// <summary>Starts a transaction (deferred until the first write, as SQLite does).</summary>
    public SqliteTransaction BeginTransaction() => Connection.BeginTransaction(deferred: true);

    /// <summary>Creates a command on this connection.</summary>
    /// <param name="sql">SQL text.</param>
    /// <param name="parameters">Parameters as (name, value) pairs; null values are bound as NULL.</param>
    public SqliteCommand Command(string sql, params (string Name, object? Value)[] parameters)
    {
        var command = Connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        return command;
    }

    /// <summary>Executes a statement.</summary>
    /// <returns>Rows changed.</returns>
    public int Execute(string sql, params (string Name, object? Value)[] parameters)
    {
        using var command = Command(sql, parameters);
        return command.ExecuteNonQuery();
    }

    /// <summary>Executes a query and returns its first column of the first row (null when no row).</summary>
    public object? Scalar(string sql, params (string Name, object? Value)[] parameters)
    {
        using var command = Command(sql, parameters);
        var value = command.ExecuteScalar();
        return value is DBNull ? null : value;
    }

    /// <summary>Executes a query and maps each row.</summary>
    public List<T> Query<T>(string sql, Func<SqliteDataReader, T> map, params (string Name, object? Value)[] parameters)
    {
        using var command = Command(sql, parameters);
        using var reader = command.ExecuteReader();
        var rows = new List<T>();
        while (reader.Read())
        {
            rows.Add(map(reader));
        }

        return rows;
    }

    /// <inheritdoc />
    public void Dispose() => Connection.Dispose();

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

        foreach (var (version, name, sql) in AllMigrations.Value.Where(m => m.Version > current))
        {
            // BEGIN IMMEDIATE, then look again: another process (a hook drain, a sync) may have applied it meanwhile.
            using var tx = Connection.BeginTransaction(deferred: false);
            using (var check = Connection.CreateCommand())
            {
                check.Transaction = tx;
                check.CommandText = "PRAGMA user_version";
                if ((long)check.ExecuteScalar()! >= version)
                {
                    continue;
                }
            }

            using (var command = Connection.CreateCommand())
            {
                command.Transaction = tx;
                command.CommandText = sql + $"\nPRAGMA user_version = {version};";
                try
                {
                    command.ExecuteNonQuery();
                }
                catch (SqliteException ex) when (ex.SqliteErrorCode is not (5 or 6 or 11 or 26))
                {
                    throw new SelftuneException(ErrorCodes.StoreCorrupt, $"Migrating the selftune store '{Path}' to version {version} ({name}) failed: {ex.Message}. The store was left at version {current}.", "selftune doctor", inner: ex);
                }
            }

            tx.Commit();
        }
    }

    private static IReadOnlyList<(int, string, string)> LoadMigrations()
    {
        var assembly = typeof(SelftuneStore).Assembly;
        const string prefix = "Selftune.Migrations.";
        var list = new List<(int, string, string)>();
        foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith(prefix, StringComparison.Ordinal)))
        {
            var name = resource[prefix.Length..^".sql".Length];
            var version = int.Parse(name.AsSpan(0, name.IndexOf('_')), System.Globalization.CultureInfo.InvariantCulture);
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var reader = new StreamReader(stream);
            list.Add((version, name, reader.ReadToEnd()));
        }

        list.Sort((a, b) => a.Item1.CompareTo(b.Item1));
        for (var i = 1; i < list.Count; i++)
        {
            if (list[i].Item1 == list[i - 1].Item1)
            {
                throw new InvalidOperationException($"Two migrations share the number {list[i].Item1}.");
            }
        }

        return list;
    }
}
