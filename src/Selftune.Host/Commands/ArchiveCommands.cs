using System.CommandLine;
using Selftune.Core;
using Selftune.Core.Store;
using Selftune.Host.Cli;
using Spectre.Console;

namespace Selftune.Host.Commands;

/// <summary><c>selftune export</c> and <c>selftune recover</c>: the store as JSON Lines per table, and a store rebuilt from them
/// (<see cref="StoreArchive"/>).</summary>
internal static class ArchiveCommands
{
    /// <summary>Creates <c>export</c>.</summary>
    public static Command Export(Func<App> app)
    {
        var output = new Option<string>("--output", "-o") { Description = "The folder to write (created; must not hold an export already).", Required = true };
        var since = new Option<string?>("--since") { Description = "Only rows from this date on (YYYY-MM-DD or ISO-8601), by each table's time column; tables without one are whole." }.Date();
        var tables = new Option<string[]>("--tables") { Description = "Only these tables (space- or comma-separated; default: all).", AllowMultipleArgumentsPerToken = true };
        return new Command("export", "Export the store as JSON Lines, one file per table, records as stored (text already redacted), with a manifest.") { output, since, tables }
            .Runs(app, (a, p) =>
            {
                using var store = a.OpenStore();
                var only = p.GetValue(tables) is { Length: > 0 } named ? named.SelectMany(t => t.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToList() : null;
                var folder = Path.GetFullPath(p.GetValue(output)!, a.Context.WorkingDirectory);
                var result = StoreArchive.Export(store, folder, only, OptionRules.ParseDate(p.GetValue(since)), DateTimeOffset.UtcNow);
                a.Output.Result(new { folder = result.Folder, schema_version = result.SchemaVersion, tables = result.Tables, next_command = ShellCommand.Line($"selftune recover --from {result.Folder}") }, console =>
                    console.MarkupLine($"Exported {result.Tables.Values.Sum():N0} rows of {result.Tables.Count} tables to [bold]{Markup.Escape(result.Folder)}[/]."));
                return 0;
            });
    }

    /// <summary>Creates <c>recover</c>.</summary>
    public static Command Recover(Func<App> app)
    {
        var from = new Option<string>("--from") { Description = "The export folder (from `selftune export`).", Required = true };
        var force = new Option<bool>("--force") { Description = "Replace a store that holds data, after backing it up into the home's backups/ folder." };
        return new Command("recover", "Rebuild the store from an export; refuses a store holding data unless --force (which backs it up first).") { from, force }
            .Runs(app, (a, p) =>
            {
                using var store = a.OpenStore();
                var folder = Path.GetFullPath(p.GetValue(from)!, a.Context.WorkingDirectory);
                var result = StoreArchive.Recover(store, folder, p.GetValue(force), a.Home.BackupsPath, DateTimeOffset.UtcNow);
                a.Output.Result(new
                {
                    folder = result.Folder,
                    backup = result.Backup,
                    tables = result.Tables,
                    missing_tables = result.MissingTables,
                    skipped = result.SkippedCount,
                    skipped_details = result.Skipped.Select(s => new { path = s.Path, line = s.Line, reason = s.Reason }),
                    next_command = "selftune status",
                }, console =>
                {
                    console.MarkupLine($"Recovered {result.Tables.Values.Sum():N0} rows of {result.Tables.Count} tables from [bold]{Markup.Escape(result.Folder)}[/].");
                    if (result.Backup is { } backup)
                    {
                        console.MarkupLine($"The previous store was backed up to {Markup.Escape(backup)}.");
                    }

                    if (result.MissingTables.Count > 0)
                    {
                        console.MarkupLine($"[yellow]Not in the export (left empty):[/] {Markup.Escape(string.Join(", ", result.MissingTables))}");
                    }

                    foreach (var s in result.Skipped)
                    {
                        console.MarkupLine($"[yellow]skipped[/] {Markup.Escape(s.Path)}:{s.Line}: {Markup.Escape(s.Reason)}");
                    }
                });
                return 0;
            });
    }
}
