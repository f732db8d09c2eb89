using System.CommandLine;
using System.Globalization;
using Selftune.Core.Analysis;
using Selftune.Host.Cli;
using Spectre.Console;

namespace Selftune.Host.Commands;

/// <summary><c>selftune errors</c>: recurring tool and API errors across sessions, with the skills active and a fix where known.</summary>
internal static class ErrorsCommand
{
    /// <summary>Creates the command.</summary>
    public static Command Create(Func<App> app)
    {
        var since = new Option<string?>("--since") { Description = "Only errors on or after this date (YYYY-MM-DD or ISO-8601)." }.Date();
        var project = new Option<string?>("--project") { Description = "Only sessions whose working directory contains this text." };
        var skill = new Option<string?>("--skill") { Description = "Only errors that happened after this skill was used in the session." };
        var limit = new Option<int>("--limit") { Description = "At most this many patterns, most frequent first (at least 1).", DefaultValueFactory = _ => 50 }.Between(1);
        return new Command("errors", "Recurring tool and API errors grouped by a normalised signature (paths, numbers, ids, quoted values masked): category, count, sessions, first/last seen, examples, skills active, a suggested fix where a rule knows one; `new` marks patterns no run report has named yet.")
        {
            since, project, skill, limit,
        }.Runs(app, (a, p) =>
        {
            using var store = a.OpenStore();
            var report = ErrorPatterns.Find(store, new ErrorFilter(OptionRules.ParseDate(p.GetValue(since)), p.GetValue(project), p.GetValue(skill), p.GetValue(limit)));
            a.Output.Result(report, console => Render(console, report));
            return 0;
        });
    }

    private static void Render(IAnsiConsole console, ErrorReport report)
    {
        if (report.Patterns.Count == 0)
        {
            console.MarkupLine("No tool or API errors in range.");
            return;
        }

        var table = new Table().AddColumns("count", "sessions", "category", "signature", "last seen", "skills active", "suggested fix");
        foreach (var p in report.Patterns)
        {
            table.AddRow(
                $"{p.Count}",
                $"{p.Sessions}",
                Markup.Escape(p.Category) + (p.New ? " [yellow]new[/]" : string.Empty),
                Markup.Escape(p.Signature),
                p.LastSeen.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
                Markup.Escape(string.Join(", ", p.Skills.Take(3).Select(s => $"{s.Key} ×{s.Value}"))),
                Markup.Escape(p.SuggestedFix ?? "-"));
        }

        console.Write(table);
        console.MarkupLine($"[grey]{report.Errors} errors in {report.Patterns.Count} patterns shown.[/]");
    }
}
