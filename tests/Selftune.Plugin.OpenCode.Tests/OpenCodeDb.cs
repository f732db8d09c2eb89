using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;

namespace Selftune.Plugin.OpenCode.Tests;

/// <summary>
/// Builds real OpenCode session databases from the documented schema (<c>opencode-schema.sql</c>): no real
/// <c>opencode.db</c> is public, so the tests write one the way OpenCode does. The test process plays the host: it ships
/// Microsoft.Data.Sqlite (which initializes SQLite's native provider on first use), which the plugin itself does not.
/// </summary>
internal sealed class OpenCodeDb : IDisposable
{
    /// <summary>The "now" OpenCode's JSON migration stamps on rows without a time (fixed, so tests are repeatable).</summary>
    public const long MigrationTime = 1_800_000_000_000;

    private OpenCodeDb(string path, SqliteConnection connection)
    {
        Path = path;
        Connection = connection;
    }

    public string Path { get; }

    public SqliteConnection Connection { get; }

    /// <summary>Creates a database with OpenCode's schema and one project, in WAL mode (OpenCode's) or rollback-journal mode.</summary>
    public static OpenCodeDb Create(string path, bool wal = true)
    {
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        var db = Open(path);
        db.Execute(wal ? "PRAGMA journal_mode = WAL" : "PRAGMA journal_mode = DELETE");
        db.Execute(File.ReadAllText(System.IO.Path.Combine(AppContext.BaseDirectory, "opencode-schema.sql")));
        db.Execute("INSERT INTO project (id, worktree, time_created, time_updated, sandboxes) VALUES ('global', '/', 0, 0, '[]')");
        return db;
    }

    /// <summary>Opens an existing database for writing (another "OpenCode" process).</summary>
    public static OpenCodeDb Open(string path)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false, DefaultTimeout = 1 }.ToString());
        connection.Open();
        return new OpenCodeDb(path, connection);
    }

    public void Session(
        string id, long created, long updated, string? parent = null, string directory = "/work/project", string version = "1.2.10", string project = "global",
        long? additions = null, long? deletions = null) =>
        Execute(
            "INSERT INTO session (id, project_id, parent_id, slug, directory, title, version, time_created, time_updated, summary_additions, summary_deletions) " +
            "VALUES ($id, $project, $parent, $id, $directory, $id, $version, $created, $updated, $additions, $deletions)",
            ("$id", id), ("$project", project), ("$parent", parent), ("$directory", directory), ("$version", version), ("$created", created), ("$updated", updated),
            ("$additions", additions), ("$deletions", deletions));

    public void Message(string id, string session, long created, long updated, string json) =>
        Execute(
            "INSERT INTO message (id, session_id, time_created, time_updated, data) VALUES ($id, $session, $created, $updated, $data)",
            ("$id", id), ("$session", session), ("$created", created), ("$updated", updated), ("$data", json));

    public void Part(string id, string message, string session, long created, long updated, string json) =>
        Execute(
            "INSERT INTO part (id, message_id, session_id, time_created, time_updated, data) VALUES ($id, $message, $session, $created, $updated, $data)",
            ("$id", id), ("$message", message), ("$session", session), ("$created", created), ("$updated", updated), ("$data", json));

    public long RowId(string table, string id)
    {
        using var command = Connection.CreateCommand();
        command.CommandText = $"SELECT rowid FROM {table} WHERE id = $id";
        command.Parameters.AddWithValue("$id", id);
        return (long)command.ExecuteScalar()!;
    }

    public void Execute(string sql, params (string Name, object? Value)[] parameters)
    {
        using var command = Connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        command.ExecuteNonQuery();
    }

    public void Dispose() => Connection.Dispose();

    /// <summary>
    /// Moves a legacy JSON tree into a new database the way OpenCode's own migration does (json-migration.ts): the
    /// message/part JSON minus its ids as <c>data</c>, <c>time.created</c>/<c>time.updated</c> (else "now") as the row
    /// times, <c>summary.additions</c>/<c>deletions</c> as <c>summary_additions</c>/<c>summary_deletions</c>, messages and parts whose
    /// owner is unknown dropped. Ids are the JSON <c>id</c>, else the file name (OpenCode
    /// takes file names, which equal the ids in real stores; fixture files are named otherwise).
    /// </summary>
    public static void MigrateLegacy(string storage, string databasePath)
    {
        using var db = Create(databasePath);
        var sessions = new HashSet<string>(StringComparer.Ordinal);
        foreach (var file in Directory.GetFiles(System.IO.Path.Combine(storage, "session"), "*.json", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            var data = JsonNode.Parse(File.ReadAllText(file))!;
            var id = IdOf(data, file);
            sessions.Add(id);
            db.Session(
                id, Time(data, "created"), Time(data, "updated"), (string?)data["parentID"], (string?)data["directory"] ?? string.Empty,
                (string?)data["version"] ?? string.Empty, additions: (long?)data["summary"]?["additions"], deletions: (long?)data["summary"]?["deletions"]);
        }

        var messageSessions = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var file in Directory.GetFiles(System.IO.Path.Combine(storage, "message"), "*.json", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            var session = System.IO.Path.GetFileName(System.IO.Path.GetDirectoryName(file))!;
            if (!sessions.Contains(session))
            {
                continue;
            }

            var data = JsonNode.Parse(File.ReadAllText(file))!.AsObject();
            var id = IdOf(data, file);
            data.Remove("id");
            data.Remove("sessionID");
            messageSessions[id] = session;
            db.Message(id, session, Time(data, "created"), Time(data, "updated"), data.ToJsonString());
        }

        var partIds = new HashSet<string>(StringComparer.Ordinal);
        foreach (var folder in Directory.GetDirectories(System.IO.Path.Combine(storage, "part")).Order(StringComparer.Ordinal))
        {
            var message = System.IO.Path.GetFileName(folder);
            if (!messageSessions.TryGetValue(message, out var session))
            {
                continue;
            }

            foreach (var file in Directory.GetFiles(folder, "*.json").Order(StringComparer.Ordinal))
            {
                var data = JsonNode.Parse(File.ReadAllText(file))!.AsObject();
                // Part ids are unique in real stores (prt_…); fixture parts reuse ids across messages, which OpenCode's
                // migration would drop as conflicts: keep them under a qualified id instead.
                var id = IdOf(data, file);
                id = partIds.Add(id) ? id : $"{message}.{id}";
                data.Remove("id");
                data.Remove("messageID");
                data.Remove("sessionID");
                db.Part(id, message, session, Time(data, "created"), Time(data, "updated"), data.ToJsonString());
            }
        }
    }

    private static string IdOf(JsonNode data, string file) => (string?)data["id"] ?? System.IO.Path.GetFileNameWithoutExtension(file);

    private static long Time(JsonNode data, string field) =>
        data["time"]?[field] is JsonValue value && value.TryGetValue<long>(out var ms) ? ms : MigrationTime;

    /// <summary>JSON text of an anonymous object, for message and part data.</summary>
    public static string Json(object value) => JsonSerializer.Serialize(value);
}
