using System.Text;
using SQLitePCL;

namespace Selftune.Core.Store;

/// <summary>
/// A statement prepared once on the store's connection and executed many times through SQLite's own API, for the
/// ingest hot path: it skips preparing and parameter lookup by name on every execution. Parameters are positional (<c>?1</c>, <c>?2</c>, …). It runs in whatever transaction the connection has
/// open. Not thread-safe; dispose before the connection.
/// </summary>
internal sealed class RawStatement : IDisposable
{
    private readonly sqlite3 _db;
    private readonly sqlite3_stmt _statement;
    private readonly SelftuneStore _store;
    private byte[] _utf8 = new byte[1024];

    /// <summary>Prepares <paramref name="sql"/> on <paramref name="store"/>'s connection.</summary>
    /// <exception cref="SelftuneException">The statement does not compile (a bug) or the store failed.</exception>
    public RawStatement(SelftuneStore store, string sql)
    {
        _store = store;
        _db = store.Handle;
        Check(raw.sqlite3_prepare_v2(_db, sql, out _statement));
    }

    /// <summary>Binds text (null binds NULL). The text is encoded into a reused buffer, which SQLite copies.</summary>
    public RawStatement Bind(int index, string? value)
    {
        if (value is null)
        {
            Check(raw.sqlite3_bind_null(_statement, index));
            return this;
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
    public RawStatement Bind(int index, long value)
    {
        Check(raw.sqlite3_bind_int64(_statement, index, value));
        return this;
    }

    /// <summary>Binds an integer or NULL.</summary>
    public RawStatement Bind(int index, long? value) => value is { } v ? Bind(index, v) : BindNull(index);

    /// <summary>Binds a real or NULL.</summary>
    public RawStatement Bind(int index, double? value)
    {
        Check(value is { } v ? raw.sqlite3_bind_double(_statement, index, v) : raw.sqlite3_bind_null(_statement, index));
        return this;
    }

    /// <summary>Binds NULL.</summary>
    public RawStatement BindNull(int index)
    {
        Check(raw.sqlite3_bind_null(_statement, index));
        return this;
    }

    /// <summary>Runs the statement to completion.</summary>
    /// <returns>Rows changed by it (<c>sqlite3_changes</c>).</returns>
    public int Execute()
    {
        try
        {
            int rc;
            while ((rc = raw.sqlite3_step(_statement)) == raw.SQLITE_ROW)
            {
            }

            if (rc != raw.SQLITE_DONE)
            {
                Check(rc);
            }

            return raw.sqlite3_changes(_db);
        }
        finally
        {
            raw.sqlite3_reset(_statement);
        }
    }

    /// <summary>Runs a query and returns the first column of the first row as an integer, or null when there is no row
    /// or it is NULL.</summary>
    public long? ScalarInt64()
    {
        try
        {
            var rc = raw.sqlite3_step(_statement);
            if (rc == raw.SQLITE_ROW)
            {
                return raw.sqlite3_column_type(_statement, 0) == raw.SQLITE_NULL ? null : raw.sqlite3_column_int64(_statement, 0);
            }

            if (rc != raw.SQLITE_DONE)
            {
                Check(rc);
            }

            return null;
        }
        finally
        {
            raw.sqlite3_reset(_statement);
        }
    }

    /// <inheritdoc />
    public void Dispose() => _statement.Dispose();

    private void Check(int rc)
    {
        if (rc is not (raw.SQLITE_OK or raw.SQLITE_DONE or raw.SQLITE_ROW))
        {
            throw _store.Failure(rc);
        }
    }
}
