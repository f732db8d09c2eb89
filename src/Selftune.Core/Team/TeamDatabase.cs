using System.Globalization;
using System.Net.Sockets;
using Npgsql;
using Selftune.Core.Configuration;
using Selftune.Core.Store;

namespace Selftune.Core.Team;

/// <summary>
/// The team's PostgreSQL store (issue 14): opening a connection from <c>team.database</c> (an Npgsql connection string;
/// the password best kept in <c>~/.pgpass</c> or <c>PGPASSWORD</c>), bringing its schema up to date with the embedded
/// server migrations (<c>Team/ServerMigrations/NNNN_name.sql</c>, recorded in <c>selftune_schema</c>), and turning
/// connection failures into errors that say what to do.
/// </summary>
internal sealed class TeamDatabase : IAsyncDisposable
{
    /// <summary>Advisory lock key held while migrating, so two machines' first pushes do not migrate at once.</summary>
    private const long MigrationLock = 0x5E1F7E4E;

    /// <summary>Seconds one statement may take unless the connection string sets <c>Command Timeout</c> (Npgsql's 30 s is
    /// short for a first push's batch on a busy server).</summary>
    public const int DefaultCommandTimeoutSeconds = 300;

    private static readonly Lazy<Migration[]> AllMigrations = new(() => EmbeddedMigrations.Load("Selftune.TeamMigrations."));
    private readonly NpgsqlDataSource _source;

    private TeamDatabase(NpgsqlDataSource source, string display)
    {
        _source = source;
        Display = display;
    }

    /// <summary>Where the team database is, without the password (host:port/database), for messages.</summary>
    public string Display { get; }

    /// <summary>The newest server schema this selftune knows.</summary>
    public static int LatestVersion => AllMigrations.Value[^1].Version;

    /// <summary>The connection string configured for the team (<c>team.database</c>; <c>SELFTUNE_TEAM_DATABASE</c>), or
    /// the <paramref name="explicitConnection"/> given on the command line.</summary>
    /// <exception cref="SelftuneException"><see cref="ErrorCodes.NotFound"/> when none is set.</exception>
    public static string ConnectionString(SelftuneConfig config, string? explicitConnection) =>
        explicitConnection ?? config.Get(ConfigKeys.TeamDatabase.Key)
        ?? throw new SelftuneException(ErrorCodes.NotFound,
            "No team database is set. Point selftune at your team's PostgreSQL (password in ~/.pgpass or PGPASSWORD, not in the config).",
            "selftune config set team.database 'Host=db.example.com;Database=selftune;Username=me'");

    /// <summary>Connects to the team database and migrates its schema to <see cref="LatestVersion"/>.</summary>
    /// <param name="connectionString">An Npgsql connection string (keywords: Host, Port, Database, Username, Password...).</param>
    /// <param name="ct">Cancellation.</param>
    /// <exception cref="SelftuneException"><see cref="ErrorCodes.InvalidArgument"/> for a malformed connection string;
    /// <see cref="ErrorCodes.TeamUnreachable"/>, <see cref="ErrorCodes.TeamAuth"/>; <see cref="ErrorCodes.TeamSchemaTooNew"/>
    /// when the server's schema was written by a newer selftune.</exception>
    public static async Task<TeamDatabase> OpenAsync(string connectionString, CancellationToken ct)
    {
        NpgsqlConnectionStringBuilder builder;
        try
        {
            builder = new NpgsqlConnectionStringBuilder(connectionString);
        }
        catch (ArgumentException ex)
        {
            throw new SelftuneException(ErrorCodes.InvalidArgument, $"team.database is not a valid PostgreSQL connection string: {ex.Message.TrimEnd('.')}.", "selftune config set team.database 'Host=HOST;Database=selftune;Username=USER'", exitCode: 2, inner: ex);
        }

        builder.ApplicationName ??= "selftune";
        if (!connectionString.Contains("Command Timeout", StringComparison.OrdinalIgnoreCase) && !connectionString.Contains("CommandTimeout", StringComparison.OrdinalIgnoreCase))
        {
            builder.CommandTimeout = DefaultCommandTimeoutSeconds;
        }

        var display = string.Create(CultureInfo.InvariantCulture, $"{builder.Host ?? "localhost"}:{builder.Port}/{builder.Database ?? builder.Username}");
        var database = new TeamDatabase(NpgsqlDataSource.Create(builder), display);
        try
        {
            await database.MigrateAsync(ct).ConfigureAwait(false);
            return database;
        }
        catch
        {
            await database.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Opens a connection.</summary>
    /// <exception cref="SelftuneException">See <see cref="Translate"/>.</exception>
    public async Task<NpgsqlConnection> ConnectAsync(CancellationToken ct)
    {
        try
        {
            return await _source.OpenConnectionAsync(ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is NpgsqlException or SocketException or TimeoutException)
        {
            throw Translate(ex, "connecting");
        }
    }

    /// <summary>The error a user can act on for a failure talking to the team database.</summary>
    /// <param name="ex">The failure.</param>
    /// <param name="doing">What selftune was doing (for the message), e.g. "pushing".</param>
    /// <returns>A <see cref="SelftuneException"/>: <see cref="ErrorCodes.TeamAuth"/> for a refused login,
    /// <see cref="ErrorCodes.TeamUnreachable"/> when no connection could be made, <see cref="ErrorCodes.TeamConnectionLost"/>
    /// when an open connection broke.</returns>
    public SelftuneException Translate(Exception ex, string doing)
    {
        if (ex is SelftuneException known)
        {
            return known;
        }

        if (ex is PostgresException { SqlState: "28P01" or "28000" } auth)
        {
            return new SelftuneException(ErrorCodes.TeamAuth,
                $"The team database {Display} refused the login ({auth.MessageText.TrimEnd('.')}). Check the user name in team.database and the password in ~/.pgpass or PGPASSWORD.",
                "selftune team status", inner: ex);
        }

        if (ex is PostgresException { SqlState: "3D000" } missing)
        {
            return new SelftuneException(ErrorCodes.TeamUnreachable,
                $"The team database server answered, but {missing.MessageText.TrimEnd('.')}. Create it (createdb) or fix the Database in team.database.",
                "selftune config get team.database", inner: ex);
        }

        if (ex is PostgresException { SqlState: var state } server && !state.StartsWith("57P", StringComparison.Ordinal) && !state.StartsWith("08", StringComparison.Ordinal))
        {
            return new SelftuneException(ErrorCodes.TeamUnreachable,
                $"The team database {Display} failed while {doing}: {server.MessageText.TrimEnd('.')} (SQLSTATE {state}). The local store is untouched.",
                "selftune team status", inner: ex);
        }

        return doing != "connecting"
            ? new SelftuneException(ErrorCodes.TeamConnectionLost,
                $"The connection to the team database {Display} was lost or timed out while {doing} ({string.Join(": ", new[] { ex.Message, ex.InnerException?.Message }.OfType<string>().Select(m => m.TrimEnd('.')))}). Each push batch is its own transaction, so nothing was half-written, and the local store is untouched. Run the command again to finish.",
                doing == "pushing" ? "selftune team push" : "selftune team status", inner: ex)
            : new SelftuneException(ErrorCodes.TeamUnreachable,
                $"Cannot reach the team database {Display} ({(ex.InnerException ?? ex).Message.TrimEnd('.')}). Check that the server is running and that team.database names its host and port; the local store is untouched.",
                "selftune config get team.database", inner: ex);
    }

    private async Task MigrateAsync(CancellationToken ct)
    {
        await using var connection = await ConnectAsync(ct).ConfigureAwait(false);
        try
        {
            await using var tx = await connection.BeginTransactionAsync(ct).ConfigureAwait(false);
            await Execute(connection, $"SELECT pg_advisory_xact_lock({MigrationLock}); CREATE TABLE IF NOT EXISTS selftune_schema (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())", ct).ConfigureAwait(false);
            await using (var read = new NpgsqlCommand("SELECT coalesce(max(version), 0) FROM selftune_schema", connection))
            {
                var current = (int)(await read.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
                if (current > LatestVersion)
                {
                    throw new SelftuneException(ErrorCodes.TeamSchemaTooNew,
                        $"The team database {Display} has schema version {current}, but this selftune knows versions up to {LatestVersion}: a newer selftune set it up. Nothing was changed. Update selftune on this machine.",
                        "dotnet tool update --global selftune");
                }

                foreach (var (version, name, resource) in AllMigrations.Value.Where(m => m.Version > current))
                {
                    await Execute(connection, EmbeddedMigrations.Read(resource), ct).ConfigureAwait(false);
                    await using var record = new NpgsqlCommand("INSERT INTO selftune_schema (version, name) VALUES ($1, $2)", connection) { Parameters = { new() { Value = version }, new() { Value = name } } };
                    await record.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
                }
            }

            await tx.CommitAsync(ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is NpgsqlException or IOException)
        {
            throw Translate(ex, "migrating its schema");
        }
    }

    private static async Task Execute(NpgsqlConnection connection, string sql, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => _source.DisposeAsync();
}
