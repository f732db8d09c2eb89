using Microsoft.Data.Sqlite;

namespace Selftune.Core.Store;

/// <summary>
/// A statement prepared once on the store's connection (<see cref="SelftuneStore.Prepare"/>) and executed many times,
/// for the ingest hot path: the SQL is compiled once and each parameter object is created once, only its value is
/// reassigned. Parameters are positional (<c>?1</c>, <c>?2</c>, …) and keep their value until bound again. It runs in
/// whatever transaction the store has open. Not thread-safe; dispose before the store.
/// </summary>
internal sealed class PreparedStatement : IDisposable
{
    private readonly SelftuneStore _store;
    private readonly SqliteCommand _command;
    private SqliteParameter[] _parameters = [];

    internal PreparedStatement(SelftuneStore store, SqliteCommand command)
    {
        _store = store;
        _command = command;
    }

    /// <summary>Binds text (null binds NULL).</summary>
    public PreparedStatement Bind(int index, string? value) => Set(index, value is null ? DBNull.Value : value);

    /// <summary>Binds an integer.</summary>
    public PreparedStatement Bind(int index, long value) => Set(index, value);

    /// <summary>Binds an integer or NULL.</summary>
    public PreparedStatement Bind(int index, long? value) => Set(index, value is { } v ? v : DBNull.Value);

    /// <summary>Binds a real or NULL.</summary>
    public PreparedStatement Bind(int index, double? value) => Set(index, value is { } v ? v : DBNull.Value);

    /// <summary>Binds NULL.</summary>
    public PreparedStatement BindNull(int index) => Set(index, DBNull.Value);

    /// <summary>Runs the statement to completion.</summary>
    /// <returns>Rows inserted, updated or deleted by it.</returns>
    /// <exception cref="SelftuneException">The store failed.</exception>
    /// <exception cref="InvalidOperationException">A parameter was never bound.</exception>
    public int Execute()
    {
        _command.Transaction = _store.Transaction;
        try
        {
            return Math.Max(0, _command.ExecuteNonQuery());
        }
        catch (SqliteException ex)
        {
            throw _store.Failure(ex);
        }
    }

    /// <summary>Runs a query and returns the first column of the first row as an integer, or null when there is no row
    /// or it is NULL.</summary>
    /// <inheritdoc cref="Execute" path="/exception"/>
    public long? ScalarInt64()
    {
        _command.Transaction = _store.Transaction;
        try
        {
            return _command.ExecuteScalar() is long value ? value : null;
        }
        catch (SqliteException ex)
        {
            throw _store.Failure(ex);
        }
    }

    /// <inheritdoc />
    public void Dispose() => _command.Dispose();

    private PreparedStatement Set(int index, object value)
    {
        if (index > _parameters.Length)
        {
            var grown = new SqliteParameter[index];
            _parameters.CopyTo(grown, 0);
            _parameters = grown;
        }

        if (_parameters[index - 1] is { } parameter)
        {
            parameter.Value = value;
        }
        else
        {
            _parameters[index - 1] = _command.Parameters.Add(new SqliteParameter("?" + index, value));
        }

        return this;
    }
}
