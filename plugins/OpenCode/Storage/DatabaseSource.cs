using System.Text.Json;
using Microsoft.Data.Sqlite;
using Selftune.Plugin.Shared;
using Selftune.Abstractions;

namespace Selftune.Plugin.OpenCode.Storage;

/// <summary>
/// Reads OpenCode's SQLite store (<c>opencode.db</c>, OpenCode ≥ 1.2). Schema (OpenCode <c>session.sql.ts</c>; corpus
/// FORMAT.md): <c>session(id, parent_id, directory, version, time_created, time_updated, …)</c>,
/// <c>message(id, session_id, time_created, time_updated, data)</c>, <c>part(id, message_id, session_id, time_created,
/// time_updated, data)</c>, where <c>data</c> is the message's or part's JSON without its ids; times are epoch ms.
/// <para>
/// The database is opened read-only, without pooling, and read inside one deferred transaction, so every query sees
/// the same snapshot; in WAL mode (OpenCode's) the reader never blocks OpenCode's writer. If the file stays locked
/// beyond <see cref="LockWaitSeconds"/> (a rollback-journal database with a writer mid-commit), the read is reported through
/// <see cref="IRecordSink.Malformed"/> and the old cursor is returned, so the next sync retries.
/// </para>
/// <para>
/// Incremental: the cursor state holds the highest <c>time_updated</c> seen per table. A later read selects the
/// sessions with a session, message or part row updated since (less <see cref="RewindMs"/>, for writers that commit
/// out of order), and re-emits only the turns holding a changed message or part.
/// </para>
/// </summary>
internal static class DatabaseSource
{
    /// <summary>How far before the last watermark a re-read starts (ms): a row stamped just before another writer's
    /// later-committed row is not missed. Rows inside the window are emitted again (ids are idempotent).</summary>
    public const long RewindMs = 10_000;

    /// <summary>How long a statement waits for a lock before the read is given up until the next sync (s).</summary>
    public const int LockWaitSeconds = 2;

    private const int SqliteBusy = 5;
    private const int SqliteLocked = 6;
    private const int SqliteCorrupt = 11;
    private const int SqliteNotADatabase = 26;

    public static IngestResult Read(SourceFile source, SourceCursor? from, IRecordSink sink, CancellationToken cancellationToken)
    {
        var previous = Watermarks.Parse(from?.State);
        var builder = new SqliteConnectionStringBuilder
        {
            DataSource = source.Path,
            Mode = SqliteOpenMode.ReadOnly,
            Pooling = false,
            DefaultTimeout = LockWaitSeconds,
        };
        try
        {
            using var connection = new SqliteConnection(builder.ToString());
            connection.Open();
            using var transaction = connection.BeginTransaction(deferred: true);
            using var reader = new Reader(connection, transaction, source.Path, sink);
            if (reader.MissingTables() is { } missing)
            {
                sink.Malformed(source.Path, 0, $"'{source.Path}' has no '{missing}' table: it is not an OpenCode session database (OpenCode ≥ 1.2 writes opencode.db). Nothing was read.");
                return new IngestResult(Unchanged(source, from), 0);
            }

            var next = reader.ReadChanged(previous, cancellationToken);
            transaction.Commit();
            return new IngestResult(new SourceCursor(0, source.Length, source.LastWriteUtc, next.ToState()), reader.Rows);
        }
        catch (SqliteException ex) when (ex.SqliteErrorCode is SqliteBusy or SqliteLocked)
        {
            sink.Malformed(source.Path, 0, $"'{source.Path}' is locked by a running OpenCode; will retry next sync.");
            return new IngestResult(from ?? new SourceCursor(0, 0, DateTime.MinValue), 0);
        }
        catch (SqliteException ex) when (ex.SqliteErrorCode is SqliteCorrupt or SqliteNotADatabase)
        {
            sink.Malformed(source.Path, 0, $"'{source.Path}' is not a readable SQLite database ({ex.Message}). OpenCode may be mid-upgrade; it is read again when it changes.");
            return new IngestResult(Unchanged(source, from), 0);
        }
        catch (SqliteException ex)
        {
            throw new IOException($"Could not read the OpenCode database '{source.Path}': {ex.Message}", ex);
        }
    }

    /// <summary>A cursor that skips the file until it changes, keeping what was already emitted.</summary>
    private static SourceCursor Unchanged(SourceFile source, SourceCursor? from) =>
        new(0, source.Length, source.LastWriteUtc, from?.State);

    /// <summary>The highest <c>time_updated</c> read per table (ms); 0 before the first read.</summary>
    internal readonly record struct Watermarks(long Session, long Message, long Part)
    {
        public static Watermarks Parse(string? state)
        {
            if (string.IsNullOrEmpty(state))
            {
                return default;
            }

            try
            {
                using var document = JsonDocument.Parse(state);
                var root = document.RootElement;
                return new Watermarks(JsonFields.Number(root, "session") ?? 0, JsonFields.Number(root, "message") ?? 0, JsonFields.Number(root, "part") ?? 0);
            }
            catch (JsonException)
            {
                return default;
            }
        }

        public string ToState() => $"{{\"session\":{Session},\"message\":{Message},\"part\":{Part}}}";

        /// <summary>The lowest <c>time_updated</c> a re-read selects for a table whose watermark is <paramref name="mark"/>.</summary>
        public static long From(long mark) => mark > 0 ? mark - RewindMs : long.MinValue;
    }

    private sealed class Reader(SqliteConnection connection, SqliteTransaction transaction, string path, IRecordSink sink) : IDisposable
    {
        private SqliteCommand? partsOfMessage;

        public long Rows { get; private set; }

        public string? MissingTables()
        {
            using var command = Command("SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('session', 'message', 'part')");
            var present = new HashSet<string>(StringComparer.Ordinal);
            using (var reader = command.ExecuteReader())
            {
                while (reader.Read())
                {
                    present.Add(reader.GetString(0));
                }
            }

            return new[] { "session", "message", "part" }.FirstOrDefault(t => !present.Contains(t));
        }

        public Watermarks ReadChanged(Watermarks previous, CancellationToken cancellationToken)
        {
            Watermarks next;
            using (var command = Command("SELECT (SELECT MAX(time_updated) FROM session), (SELECT MAX(time_updated) FROM message), (SELECT MAX(time_updated) FROM part)"))
            using (var reader = command.ExecuteReader())
            {
                reader.Read();
                next = new Watermarks(
                    reader.IsDBNull(0) ? previous.Session : reader.GetInt64(0),
                    reader.IsDBNull(1) ? previous.Message : reader.GetInt64(1),
                    reader.IsDBNull(2) ? previous.Part : reader.GetInt64(2));
            }

            var sessionFrom = Watermarks.From(previous.Session);
            var messageFrom = Watermarks.From(previous.Message);
            var partFrom = Watermarks.From(previous.Part);
            var sessions = new List<string>();
            using (var command = Command(
                "SELECT id FROM session WHERE time_updated >= $s UNION SELECT session_id FROM message WHERE time_updated >= $m " +
                "UNION SELECT session_id FROM part WHERE time_updated >= $p ORDER BY 1"))
            {
                command.Parameters.AddWithValue("$s", sessionFrom);
                command.Parameters.AddWithValue("$m", messageFrom);
                command.Parameters.AddWithValue("$p", partFrom);
                using var reader = command.ExecuteReader();
                while (reader.Read())
                {
                    sessions.Add(reader.GetString(0));
                }
            }

            var emitter = new SessionEmitter(sink);
            foreach (var sessionId in sessions)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var session = ReadSession(sessionId);
                var messages = ReadMessages(sessionId);
                var changed = ChangedMessages(sessionId, partFrom);
                changed.UnionWith(messages.Where(m => m.Updated >= messageFrom).Select(m => m.Id));
                emitter.Emit(sessionId, session, session?.Location ?? new RowLocation(path, null), messages, m => changed.Contains(m.Id), ReadParts);
            }

            return next;
        }

        private StoredSession? ReadSession(string id)
        {
            using var command = Command("SELECT rowid AS row_id, * FROM session WHERE id = $id");
            command.Parameters.AddWithValue("$id", id);
            using var reader = command.ExecuteReader();
            if (!reader.Read())
            {
                return null;
            }

            Rows++;
            var columns = Enumerable.Range(0, reader.FieldCount).ToDictionary(reader.GetName, i => i, StringComparer.Ordinal);
            string? Text(string name) => columns.TryGetValue(name, out var i) && !reader.IsDBNull(i) ? reader.GetValue(i).ToString() : null;
            long? Number(string name) => columns.TryGetValue(name, out var i) && !reader.IsDBNull(i) && reader.GetValue(i) is long l ? l : null;
            return new StoredSession(
                id, Text("parent_id"), Text("directory"), Text("version"), Number("time_created"), Number("time_updated"),
                new RowLocation(path, reader.GetInt64(columns["row_id"])), Number("summary_additions"), Number("summary_deletions"));
        }

        private List<StoredMessage> ReadMessages(string sessionId)
        {
            using var command = Command("SELECT rowid, id, time_updated, data FROM message WHERE session_id = $id ORDER BY time_created, id");
            command.Parameters.AddWithValue("$id", sessionId);
            using var reader = command.ExecuteReader();
            var messages = new List<StoredMessage>();
            while (reader.Read())
            {
                Rows++;
                var location = new RowLocation(path, reader.GetInt64(0));
                var id = reader.GetString(1);
                if (Parse(reader.GetString(3), location, $"message {id}") is not { } data)
                {
                    continue;
                }

                using (data)
                {
                    if (StoredMessage.Parse(data.RootElement, id, reader.GetInt64(2), location, out var problem) is { } message)
                    {
                        messages.Add(message);
                    }
                    else
                    {
                        sink.Malformed(path, location.Row ?? 0, $"message {id} in session {sessionId}: {problem}; skipped.");
                    }
                }
            }

            return messages;
        }

        private HashSet<string> ChangedMessages(string sessionId, long partFrom)
        {
            using var command = Command("SELECT DISTINCT message_id FROM part WHERE session_id = $id AND time_updated >= $p");
            command.Parameters.AddWithValue("$id", sessionId);
            command.Parameters.AddWithValue("$p", partFrom);
            using var reader = command.ExecuteReader();
            var changed = new HashSet<string>(StringComparer.Ordinal);
            while (reader.Read())
            {
                changed.Add(reader.GetString(0));
            }

            return changed;
        }

        private List<StoredPart> ReadParts(StoredMessage message)
        {
            if (partsOfMessage is null)
            {
                partsOfMessage = Command("SELECT rowid, id, data FROM part WHERE message_id = $id ORDER BY id");
                partsOfMessage.Parameters.Add("$id", SqliteType.Text);
            }

            partsOfMessage.Parameters["$id"].Value = message.Id;
            using var reader = partsOfMessage.ExecuteReader();
            var parts = new List<StoredPart>();
            while (reader.Read())
            {
                Rows++;
                var location = new RowLocation(path, reader.GetInt64(0));
                var id = reader.GetString(1);
                if (Parse(reader.GetString(2), location, $"part {id}") is not { } data)
                {
                    continue;
                }

                using (data)
                {
                    if (StoredPart.Parse(data.RootElement, id, location, out var problem) is { } part)
                    {
                        parts.Add(part);
                    }
                    else
                    {
                        sink.Malformed(path, location.Row ?? 0, $"part {id} of message {message.Id}: {problem}; skipped.");
                    }
                }
            }

            return parts;
        }

        private JsonDocument? Parse(string json, RowLocation location, string what)
        {
            try
            {
                return JsonDocument.Parse(json);
            }
            catch (JsonException ex)
            {
                sink.Malformed(path, location.Row ?? 0, $"{what}: data is not valid JSON ({ex.Message}); skipped.");
                return null;
            }
        }

        public void Dispose() => partsOfMessage?.Dispose();

        private SqliteCommand Command(string sql)
        {
            var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = sql;
            return command;
        }
    }
}
