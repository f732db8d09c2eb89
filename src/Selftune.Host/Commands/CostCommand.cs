using System.CommandLine;
using System.Globalization;
using Selftune.Core;
using Selftune.Core.Analysis;
using Selftune.Host.Cli;
using Spectre.Console;

namespace Selftune.Host.Commands;

/// <summary><c>selftune cost</c>: tokens and cost by day, week, month, project, model, skill, platform or session.</summary>
internal static class CostCommand
{
    private static readonly string[] DateFormats = ["yyyy-MM-dd", "yyyyMMdd"];

    /// <summary>Creates the command.</summary>
    public static Command Create(Func<App> app)
    {
        var by = new Option<CostGrouping>("--by") { Description = "Group by day, week (ISO, Monday first), month, project, model, skill (sessions where it ran), platform or session.", DefaultValueFactory = _ => CostGrouping.Day };
        var since = new Option<string?>("--since") { Description = "First day included, YYYY-MM-DD (or YYYYMMDD), in the report's time zone." };
        var until = new Option<string?>("--until") { Description = "Last day included, YYYY-MM-DD (or YYYYMMDD), in the report's time zone." };
        var zone = new Option<string?>("--timezone") { Description = "IANA time zone days are cut in (e.g. UTC, Europe/Berlin); default: the system's, as ccusage." };
        var project = new Option<string?>("--project") { Description = "Only sessions whose working directory contains this text." };
        return new Command("cost", "Tokens and cost (USD) by day|week|month|project|model|skill|platform|session, equal to ccusage's daily/monthly/session totals on Claude Code data, with cost by session outcome; unknown models are counted as unpriced, never guessed.")
        {
            by, since, until, zone, project,
        }.Runs(app, (a, p) =>
        {
            var query = new CostQuery(p.GetValue(by), Day("--since", p.GetValue(since)), Day("--until", p.GetValue(until)), Zone(p.GetValue(zone)), p.GetValue(project));
            using var store = a.OpenStore();
            var report = CostReports.Build(store, query);
            a.Output.ResultJson(CostReportJson.Write(report), o => Render(o.Console, report));
            return 0;
        });
    }

    private static DateOnly? Day(string option, string? text) =>
        text is null ? null
        : DateOnly.TryParseExact(text, DateFormats, CultureInfo.InvariantCulture, DateTimeStyles.None, out var day) ? day
        : throw new SelftuneException(ErrorCodes.InvalidArgument, $"{option} must be a date, YYYY-MM-DD or YYYYMMDD (was {ShellCommand.Quoted(text)}).", exitCode: 2);

    private static TimeZoneInfo? Zone(string? id)
    {
        if (id is null)
        {
            return null;
        }

        try
        {
            return TimeZoneInfo.FindSystemTimeZoneById(id);
        }
        catch (Exception ex) when (ex is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            throw new SelftuneException(ErrorCodes.InvalidArgument, $"--timezone must be an IANA time zone such as UTC or Europe/Berlin (was {ShellCommand.Quoted(id)}).", exitCode: 2);
        }
    }

    private static void Render(IAnsiConsole console, CostReport report)
    {
        if (report.Rows.Count == 0)
        {
            console.MarkupLine("No token usage in range.");
            return;
        }

        var outcomes = report.Totals.CostByOutcome.Keys.ToList();
        var table = new Table().AddColumns([Json.Name(report.By), "input", "output", "cache write", "cache read", "total tokens", "cost (USD)", "sessions", "unpriced", .. outcomes.Select(o => o + " $")]);
        foreach (var row in report.Rows.Append(report.Totals))
        {
            var t = row.Tokens;
            table.AddRow([
                Markup.Escape(row.Key),
                N(t.Input), N(t.Output), N(t.CacheWrite), N(t.CacheRead), N(t.Total),
                t.CostUsd.ToString("0.00", CultureInfo.InvariantCulture),
                $"{row.Sessions}",
                t.UnpricedResponses > 0 ? $"[yellow]{t.UnpricedResponses}[/]" : "0",
                .. outcomes.Select(o => row.CostByOutcome.GetValueOrDefault(o).ToString("0.00", CultureInfo.InvariantCulture)),
            ]);
        }

        console.Write(table);
        console.MarkupLine($"[grey]Days cut in {Markup.Escape(report.TimeZone)}. Responses of models the price table does not know are counted as unpriced, not guessed.[/]");
    }

    private static string N(long value) => value.ToString("N0", CultureInfo.InvariantCulture);
}
