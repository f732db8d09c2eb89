using System.Globalization;
using System.Text;
using System.Text.Json;
using Selftune.Core.Configuration;

namespace Selftune.Core.Store;

/// <summary>What <see cref="StoreArchive.Export"/> wrote.</summary>
/// <param name="Folder">The export folder.</param>
/// <param name="SchemaVersion">The store's schema version (<c>PRAGMA user_version</c>).</param>
/// <param name="Tables">Rows written per table, by table name.</param>
internal sealed record ExportResult(string Folder, int SchemaVersion, IReadOnlyDictionary<string, long> Tables);

/// <summary>One line (or file) <see cref="StoreArchive.Recover"/> skipped.</summary>
/// <param name="Path">The file.</param>
/// <param name="Line">The 1-based line; 0 for the whole file.</param>
/// <param name="Reason">Why, for a person.</param>
internal sealed record SkippedLine(string Path, long Line, string Reason);

/// <summary>What <see cref="StoreArchive.Recover"/> did.</summary>
/// <param name="Folder">The export read.</param>
/// <param name="Backup">Where the store was backed up before it was replaced (<c>--force</c>), or null when it was empty.</param>
/// <param name="Tables">Rows restored per table, by table name.</param>
/// <param name="MissingTables">Tables of this store that the export has no file for (left empty).</param>
/// <param name="Skipped">Lines and files skipped, at most <see cref="StoreArchive.MaxSkippedDetails"/> listed.</param>
/// <param name="SkippedCount">Every line and file skipped.</param>
internal sealed record RecoverResult(string Folder, string? Backup, IReadOnlyDictionary<string, long> Tables, IReadOnlyList<string> MissingTables, IReadOnlyList<SkippedLine> Skipped, int SkippedCount);

/// <summary>
/// Export of the store as JSON Lines, one file per table (<c>&lt;table&gt;.jsonl</c>, one object per row, column name to value:
/// integers and reals as numbers, text as strings, blobs as <c>{"base64": "…"}</c>), plus <c>manifest.json</c>
/// (<c>{"format": "selftune-export", "version": 1, "schema_version", "exported_at", "since", "tables": {name: rows}}</c>);
/// and recovery of a store from such a folder. Rows are exported as stored, and the store holds text only after redaction
/// (prompts, tool details, error messages), so an export carries no secret the store does not. Recovery is lenient in
/// what it reads: a table the export lacks is left empty and named, a line that is not JSON or has a column this
/// store's schema does not know (written by a newer selftune) is skipped and counted with its file and line.
/// </summary>
internal static class StoreArchive
{
    /// <summary>The manifest's file name.</summary>
    public const string ManifestName = "manifest.json";

    /// <summary>The manifest's <c>format</c>.</summary>
    public const string Format = "selftune-export";

    /// <summary>Skipped lines listed in a <see cref="RecoverResult"/>, at most.</summary>
    public const int MaxSkippedDetails = 20;

    // The first of these columns a table has is its time, for --since (Unix ms).
    private static readonly string[] TimeColumns = ["occurred_at", "ended_at", "started_at", "created_at", "deployed_at", "updated_at"];

    /// <summary>The store's tables in name order, without SQLite's own and the status snapshot's (<c>evidence_changes</c>,
    /// <c>status_snapshot</c>: derived, kept current by triggers and <c>status</c>; a recover changes their inputs, so the
    /// next status computes the snapshot anew).</summary>
    public static IReadOnlyList<string> Tables(SelftuneStore store) =>
        store.Query("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT IN ('evidence_changes', 'status_snapshot') ORDER BY name", r => r.GetString(0));

    /// <summary>Writes the store (or the named tables, rows since a time) to <paramref name="folder"/>.</summary>
    /// <param name="store">The store.</param>
    /// <param name="folder">The export folder; created, and must not already hold an export.</param>
    /// <param name="tables">Only these tables (null: all).</param>
    /// <param name="since">Only rows whose time column is at or after this (tables without one are exported whole).</param>
    /// <param name="now">The export's time.</param>
    /// <exception cref="SelftuneException">A named table does not exist, or the folder already holds an export.</exception>
    public static ExportResult Export(SelftuneStore store, string folder, IReadOnlyList<string>? tables, DateTimeOffset? since, DateTimeOffset now)
    {
        var all = Tables(store);
        if (tables?.FirstOrDefault(t => !all.Contains(t, StringComparer.Ordinal)) is { } unknown)
        {
            throw new SelftuneException(ErrorCodes.InvalidArgument, $"The store has no table '{unknown}'. Its tables: {string.Join(", ", all)}.", "selftune export -o DIR");
        }

        if (File.Exists(Path.Combine(folder, ManifestName)))
        {
            throw new SelftuneException(ErrorCodes.InvalidArgument, $"'{folder}' already holds an export ({ManifestName}); nothing was written. Choose an empty folder.", "selftune export -o NEW_DIR");
        }

        Directory.CreateDirectory(folder);
        var counts = new SortedDictionary<string, long>(StringComparer.Ordinal);
        foreach (var table in tables ?? all)
        {
            var columns = Columns(store, table);
            var time = since is null ? null : TimeColumns.FirstOrDefault(columns.Contains);
            var sql = $"SELECT {string.Join(", ", columns.Select(Quote))} FROM {Quote(table)}" + (time is null ? "" : $" WHERE {Quote(time)} >= $since");
            var path = Path.Combine(folder, table + ".jsonl");
            using (var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                using var json = new Utf8JsonWriter(file, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
                long rows = 0;
                store.Query(sql, r =>
                {
                    json.WriteStartObject();
                    for (var i = 0; i < columns.Count; i++)
                    {
                        json.WritePropertyName(columns[i]);
                        switch (r.GetValue(i))
                        {
                            case null: json.WriteNullValue(); break;
                            case long l: json.WriteNumberValue(l); break;
                            case double d: json.WriteNumberValue(d); break;
                            case byte[] b: json.WriteStartObject(); json.WriteString("base64", Convert.ToBase64String(b)); json.WriteEndObject(); break;
                            case var v: json.WriteStringValue(Convert.ToString(v, CultureInfo.InvariantCulture)); break;
                        }
                    }

                    json.WriteEndObject();
                    json.Flush();
                    file.WriteByte((byte)'\n');
                    json.Reset();
                    rows++;
                    return 0;
                }, ("$since", since?.ToUnixTimeMilliseconds()));
                counts[table] = rows;
            }

            PrivateFiles.MakePrivate(path);
        }

        var manifest = Path.Combine(folder, ManifestName);
        using (var file = new FileStream(manifest, FileMode.Create, FileAccess.Write, FileShare.None))
        using (var json = new Utf8JsonWriter(file, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteString("format", Format);
            json.WriteNumber("version", 1);
            json.WriteNumber("schema_version", store.SchemaVersion);
            json.WriteString("exported_at", now.UtcDateTime.ToString("O", CultureInfo.InvariantCulture));
            if (since is { } from)
            {
                json.WriteString("since", from.UtcDateTime.ToString("O", CultureInfo.InvariantCulture));
            }
            else
            {
                json.WriteNull("since");
            }

            json.WriteStartObject("tables");
            foreach (var (table, count) in counts)
            {
                json.WriteNumber(table, count);
            }

            json.WriteEndObject();
            json.WriteEndObject();
        }

        PrivateFiles.MakePrivate(manifest);
        return new ExportResult(folder, store.SchemaVersion, counts);
    }

    /// <summary>Rebuilds <paramref name="store"/> from the export in <paramref name="folder"/>: refuses a store holding any row
    /// unless <paramref name="force"/>, which first backs it up (a consistent copy, <c>VACUUM INTO</c>) into
    /// <paramref name="backupFolder"/> and then empties it. All in one transaction: a failure leaves the store as it was.</summary>
    /// <exception cref="SelftuneException">The folder holds no export; the store is not empty and <paramref name="force"/> is false.</exception>
    public static RecoverResult Recover(SelftuneStore store, string folder, bool force, string backupFolder, DateTimeOffset now)
    {
        var manifestPath = Path.Combine(folder, ManifestName);
        if (!File.Exists(manifestPath))
        {
            throw new SelftuneException(ErrorCodes.FileNotFound, $"'{folder}' is not a selftune export: it has no {ManifestName}. Nothing was changed.", "selftune export -o DIR");
        }

        var exported = ManifestTables(manifestPath);
        var tables = Tables(store);
        var rows = tables.Sum(t => (long)(store.Scalar($"SELECT count(*) FROM {Quote(t)}") ?? 0L));
        string? backup = null;
        if (rows > 0)
        {
            if (!force)
            {
                throw new SelftuneException(ErrorCodes.UnsafeEdit,
                    $"The store '{store.Path}' already holds {rows} rows; recovering would replace them. Nothing was changed. Run with --force to back it up and replace it.",
                    ShellCommand.Line($"selftune recover --from {folder} --force"));
            }

            Directory.CreateDirectory(backupFolder);
            backup = Path.Combine(backupFolder, $"{Path.GetFileName(store.Path)}.{now.UtcDateTime:yyyyMMdd'T'HHmmssfff'Z'}.bak");
            store.Execute("VACUUM INTO $target", ("$target", backup));
            PrivateFiles.MakePrivate(backup);
        }

        var skipped = new List<SkippedLine>();
        var skippedCount = 0;
        void Skip(string path, long line, string reason)
        {
            skippedCount++;
            if (skipped.Count < MaxSkippedDetails)
            {
                skipped.Add(new SkippedLine(path, line, reason));
            }
        }

        var counts = new SortedDictionary<string, long>(StringComparer.Ordinal);
        var missing = new List<string>();
        using (var tx = store.BeginTransaction())
        {
            foreach (var table in tables)
            {
                store.Execute($"DELETE FROM {Quote(table)}");
            }

            foreach (var name in exported.Where(t => !tables.Contains(t, StringComparer.Ordinal)))
            {
                Skip(Path.Combine(folder, name + ".jsonl"), 0, $"table '{name}' is unknown to this selftune (schema {store.SchemaVersion}): it comes from a newer one; skipped");
            }

            foreach (var table in tables)
            {
                var path = Path.Combine(folder, table + ".jsonl");
                if (!File.Exists(path))
                {
                    missing.Add(table);
                    continue;
                }

                counts[table] = Restore(store, table, path, Skip);
            }

            tx.Commit();
        }

        return new RecoverResult(folder, backup, counts, missing, skipped, skippedCount);
    }

    private static long Restore(SelftuneStore store, string table, string path, Action<string, long, string> skip)
    {
        var columns = Columns(store, table).ToHashSet(StringComparer.Ordinal);
        long restored = 0, line = 0;
        foreach (var text in File.ReadLines(path, Encoding.UTF8))
        {
            line++;
            if (string.IsNullOrWhiteSpace(text))
            {
                continue;
            }

            JsonDocument document;
            try
            {
                document = JsonDocument.Parse(text);
            }
            catch (JsonException ex)
            {
                skip(path, line, $"not valid JSON ({ex.Message.Split(" LineNumber:")[0]})");
                continue;
            }

            using (document)
            {
                var row = document.RootElement;
                if (row.ValueKind != JsonValueKind.Object)
                {
                    skip(path, line, "a row must be a JSON object");
                    continue;
                }

                var values = row.EnumerateObject().ToList();
                if (values.Select(v => v.Name).FirstOrDefault(name => !columns.Contains(name)) is { } unknown)
                {
                    skip(path, line, $"column '{unknown}' is unknown to this selftune's '{table}' (schema {store.SchemaVersion}): the row comes from a newer one; skipped");
                    continue;
                }

                var sql = $"INSERT OR IGNORE INTO {Quote(table)} ({string.Join(", ", values.Select(v => Quote(v.Name)))}) VALUES ({string.Join(", ", values.Select((_, i) => "$p" + i))})";
                try
                {
                    if (store.Execute(sql, [.. values.Select((v, i) => ("$p" + i, Value(v.Value)))]) > 0)
                    {
                        restored++;
                    }
                    else
                    {
                        skip(path, line, "a row with the same key was already restored");
                    }
                }
                catch (SelftuneException ex) when (ex.Code == ErrorCodes.Internal)
                {
                    skip(path, line, ex.Message);
                }
            }
        }

        return restored;
    }

    private static object? Value(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Null => null,
        JsonValueKind.String => value.GetString(),
        JsonValueKind.Number when value.TryGetInt64(out var l) => l,
        JsonValueKind.Number => value.GetDouble(),
        JsonValueKind.True => 1L,
        JsonValueKind.False => 0L,
        JsonValueKind.Object when value.TryGetProperty("base64", out var b) && b.ValueKind == JsonValueKind.String => Convert.FromBase64String(b.GetString()!),
        _ => value.GetRawText(),
    };

    private static IReadOnlyList<string> ManifestTables(string path)
    {
        try
        {
            using var manifest = JsonDocument.Parse(File.ReadAllBytes(path));
            var root = manifest.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("format", out var format) || format.ValueKind != JsonValueKind.String || format.GetString() != Format)
            {
                throw new SelftuneException(ErrorCodes.InvalidArgument, $"'{path}' is not a selftune export manifest (its \"format\" is not \"{Format}\"). Nothing was changed.", "selftune export -o DIR");
            }

            return root.TryGetProperty("tables", out var tables) && tables.ValueKind == JsonValueKind.Object ? [.. tables.EnumerateObject().Select(t => t.Name)] : [];
        }
        catch (JsonException ex)
        {
            throw new SelftuneException(ErrorCodes.InvalidArgument, $"'{path}' is not valid JSON ({ex.Message.Split(" LineNumber:")[0]}). Nothing was changed.", "selftune export -o DIR");
        }
    }

    private static List<string> Columns(SelftuneStore store, string table) =>
        store.Query($"SELECT name FROM pragma_table_info({Literal(table)}) ORDER BY cid", r => r.GetString(0));

    private static string Quote(string identifier) => "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    private static string Literal(string text) => "'" + text.Replace("'", "''", StringComparison.Ordinal) + "'";
}
