using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace Selftune.Core.Tests.Team;

/// <summary>
/// A throwaway PostgreSQL cluster for the team tests: Debian's <c>initdb</c> and <c>pg_ctl</c> (found under
/// /usr/lib/postgresql/*/bin; <c>.ci/run</c> installs the package when missing), run as the <c>postgres</c> user when
/// the tests run as root (initdb refuses root), in a temporary folder owned by it, on a free TCP port of 127.0.0.1 with
/// its unix socket in that folder. Local (socket) connections are trusted; TCP connections need the password of the
/// role <see cref="PasswordUser"/> (scram-sha-256), for the wrong-password test. Stopped and deleted on dispose.
/// </summary>
public sealed class PostgresCluster : IAsyncLifetime
{
    /// <summary>A role that logs in over TCP with <see cref="Password"/>.</summary>
    public const string PasswordUser = "team";

    /// <summary>Its password.</summary>
    public const string Password = "right-password";

    private readonly string _dir = Path.Combine(Path.GetTempPath(), "selftune-pg-" + Guid.NewGuid().ToString("N"));
    private string _bin = "";
    private int _databases;

    /// <summary>The cluster's TCP port.</summary>
    public int Port { get; private set; }

    /// <summary>Connects as the superuser over the unix socket.</summary>
    public string Admin(string database = "postgres") => $"Host={_dir};Port={Port};Username=postgres;Database={database};Pooling=false";

    /// <summary>Creates a fresh database and returns its superuser connection string (socket, trusted).</summary>
    public async Task<string> NewDatabaseAsync()
    {
        var name = $"team_{Interlocked.Increment(ref _databases)}";
        await using var connection = new NpgsqlConnection(Admin());
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"CREATE DATABASE {name} OWNER {PasswordUser}", connection);
        await command.ExecuteNonQueryAsync();
        return Admin(name);
    }

    /// <summary>A TCP connection string for <see cref="PasswordUser"/> with the given password.</summary>
    public string OverTcp(string database, string password) => $"Host=127.0.0.1;Port={Port};Username={PasswordUser};Password={password};Database={database};Pooling=false";

    /// <inheritdoc />
    public async Task InitializeAsync()
    {
        _bin = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").Select(v => Path.Combine(v, "bin")).FirstOrDefault(b => File.Exists(Path.Combine(b, "initdb"))) ?? ""
            : "";
        if (_bin.Length == 0)
        {
            throw new InvalidOperationException("PostgreSQL is not installed (no initdb under /usr/lib/postgresql/*/bin): apt-get install -y postgresql (.ci/run does it).");
        }

        Directory.CreateDirectory(_dir);
        if (Environment.UserName == "root")
        {
            await As("chown", "postgres:postgres", _dir, root: true);
        }
        Port = FreePort();
        await As(Path.Combine(_bin, "initdb"), "-D", Path.Combine(_dir, "data"), "-U", "postgres", "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--no-sync");
        await As(Path.Combine(_bin, "pg_ctl"), "-D", Path.Combine(_dir, "data"), "-l", Path.Combine(_dir, "log"), "-w", "-o", $"-p {Port} -k {_dir} -c listen_addresses=127.0.0.1 -c fsync=off", "start");
        await using var connection = new NpgsqlConnection(Admin());
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"CREATE ROLE {PasswordUser} LOGIN PASSWORD '{Password}'", connection);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>Terminates a backend (as if the connection dropped).</summary>
    public async Task TerminateAsync(int pid)
    {
        await using var connection = new NpgsqlConnection(Admin());
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"SELECT pg_terminate_backend({pid})", connection);
        await command.ExecuteScalarAsync();
    }

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        if (_bin.Length > 0 && Directory.Exists(Path.Combine(_dir, "data")))
        {
            await As(Path.Combine(_bin, "pg_ctl"), "-D", Path.Combine(_dir, "data"), "-m", "immediate", "-w", "stop");
        }

        Directory.Delete(_dir, recursive: true);
    }

    /// <summary>A free TCP port of 127.0.0.1.</summary>
    internal static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Runs a program as the postgres user (when root), failing with its output.</summary>
    private static async Task As(string program, params string[] arguments) => await As(program, arguments, root: false);

    private static async Task As(string program, string a, string b, bool root) => await As(program, [a, b], root);

    private static async Task As(string program, string[] arguments, bool root)
    {
        var asPostgres = !root && Environment.UserName == "root";
        var start = new ProcessStartInfo(asPostgres ? "runuser" : program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = "/" };
        foreach (var argument in asPostgres ? ["-u", "postgres", "--", program, .. arguments] : arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} exited {process.ExitCode}: {await stdout} {await stderr}");
        }
    }
}
