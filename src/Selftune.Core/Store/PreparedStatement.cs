using System.Text;
using SQLitePCL;

namespace Selftune.Core.Store;

/// <summary>
/// A statement prepared once on the store's connection (<see cref="SelftuneStore.Prepare"/>) and executed many times,
/// for the ingest hot path. Parameters are positional (<c>?1</c>, <c>?2</c>, …) and keep their value until bound again.
/// It runs in whatever transaction the store has open. Not thread-safe; dispose before the store.
/// </summary>
/// <remarks>
/// Through SQLite's own API on the provider's connection handle (<c>SqliteConnection.Handle</c>), not a prepared
/// <c>SqliteCommand</c>: the provider binds every parameter by name and creates a data reader on every execution, which
/// made a full sync's ~60,000 executions cost ~0.37 s more CPU (+22%) and ~8 MB more peak RSS (bench/RESULTS.md).
/// Here a string is encoded into one reused buffer, which SQLite copies.
/// </remarks>
internal sealed class PreparedStatement : IDisposable
{
    private readonly SelftuneStore _store;
    private readonly sqlite3 _db;
    private readonly sqlite3_stmt _statement;
    private byte[] _utf8 = new byte[1024];

    internal PreparedStatement(SelftuneStore store, sqlite3 db, string sql)
    {
        _store = store;
        _db = db;
        Check(raw.sqlite3_prepare_v2(_db, sql, out _statement));
    }

    /// <summary>Binds text (null binds NULL).</summary>
    public PreparedStatement Bind(int index, string? value)
    {
        if (value is null)
        {
            return BindNull(index);
        }

        if (value.Length == 0)
        {
            // An empty span would bind NULL.
            Check(raw.sqlite3_bind_text(_statement, index, string.Empty));
            return this;
        }

        var needed = Encoding.UTF8.GetMaxByteCount(value.Length);
        if (_utf8.Length < needed)
        {
            _utf8 = new byte[Math.Max(needed, _utf8.Length * 2)];
        }

        var length = Encoding.UTF8.GetBytes(value, _utf8);
        Check(raw.sqlite3_bind_text(_statement, index, _utf8.AsSpan(0, length)));
        return this;
    }

    /// <summary>Binds an integer.</summary>
    public PreparedStatement Bind(int index, long value)
    {
        Check(raw.sqlite3_bind_int64(_statement, index, value));
        return this;
    }

    /// <summary>Binds an integer or NULL.</summary>
    public PreparedStatement Bind(int index, long? value) => value is { } v ? Bind(index, v) : BindNull(index);

    /// <summary>Binds a real or NULL.</summary>
    public PreparedStatement Bind(int index, double? value)
    {
        Check(value is { } v ? raw.sqlite3_bind_double(_statement, index, v) : raw.sqlite3_bind_null(_statement, index));
        return this;
    }

    /// <summary>Binds NULL.</summary>
    public PreparedStatement BindNull(int index)
    {
        Check(raw.sqlite3_bind_null(_statement, index));
        return this;
    }

    /// <summary>Runs the statement to completion (a lock held elsewhere is waited for by SQLite's busy handler).</summary>
    /// <returns>Rows inserted, updated or deleted by it.</returns>
    /// <exception cref="SelftuneException">The store failed.</exception>
    public int Execute()
    {
        try
        {
            int rc;
            while ((rc = raw.sqlite3_step(_statement)) == raw.SQLITE_ROW)
            {
            }

            Check(rc);
            return raw.sqlite3_changes(_db);
        }
        finally
        {
            raw.sqlite3_reset(_statement);
        }
    }

    /// <summary>Runs a query and returns the first column of the first row as an integer, or null when there is no row
    /// or it is NULL.</summary>
    /// <inheritdoc cref="Execute" path="/exception"/>
    public long? ScalarInt64()
    {
        try
        {
            var rc = raw.sqlite3_step(_statement);
            if (rc == raw.SQLITE_ROW)
            {
                return raw.sqlite3_column_type(_statement, 0) == raw.SQLITE_NULL ? null : raw.sqlite3_column_int64(_statement, 0);
            }

            Check(rc);
            return null;
        }
        finally
        {
            raw.sqlite3_reset(_statement);
        }
    }

    /// <summary>Steps a query to its next row, read with <see cref="Int64"/>, <see cref="IsNull"/>, <see cref="Utf8"/> and
    /// <see cref="Text"/>; false at the end (the statement is then reset, ready to bind and run again). A query read row by
    /// row holds one row in memory, and a column read as <see cref="Utf8"/> is never decoded.</summary>
    /// <inheritdoc cref="Execute" path="/exception"/>
    public bool Read()
    {
        var rc = raw.sqlite3_step(_statement);
        if (rc == raw.SQLITE_ROW)
        {
            return true;
        }

        raw.sqlite3_reset(_statement);
        Check(rc);
        return false;
    }

    /// <summary>The current row's column as an integer (0 for NULL).</summary>
    public long Int64(int column) => raw.sqlite3_column_int64(_statement, column);

    /// <summary>True when the current row's column is NULL.</summary>
    public bool IsNull(int column) => raw.sqlite3_column_type(_statement, column) == raw.SQLITE_NULL;

    /// <summary>The current row's text column as SQLite holds it (UTF-8, empty for NULL), valid until the next
    /// <see cref="Read"/>.</summary>
    public ReadOnlySpan<byte> Utf8(int column) => raw.sqlite3_column_blob(_statement, column);

    /// <summary>The current row's text column, or null for NULL.</summary>
    public string? Text(int column) => IsNull(column) ? null : Encoding.UTF8.GetString(Utf8(column));

    /// <inheritdoc />
    public void Dispose() => _statement.Dispose();

    private void Check(int rc)
    {
        if (rc is not (raw.SQLITE_OK or raw.SQLITE_DONE or raw.SQLITE_ROW))
        {
            throw SelftuneStore.Translate(rc, raw.sqlite3_errmsg(_db).utf8_to_string(), _store.Path);
        }
    }
}
