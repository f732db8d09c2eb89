using System.CommandLine;
using Selftune.Core;
using Selftune.Core.Loop;
using Selftune.Host.Cli;
using Spectre.Console;

namespace Selftune.Host.Commands;

/// <summary><c>selftune runs [show RUN_ID]</c>: past runs of the loop and their stored reports.</summary>
internal static class RunsCommand
{
    /// <summary>Creates the command.</summary>
    public static Command Create(Func<App> app)
    {
        var limit = new Option<int>("--limit") { Description = "How many runs to list, newest first (at least 1).", DefaultValueFactory = _ => 20 }.Between(1);
        var runs = new Command("runs", "List past `selftune run`s: when, who started them, what they picked, deployed and rolled back.") { limit }.Runs(app, (a, p) =>
        {
            using var store = a.OpenStore();
            var list = RunHistory.List(store, Math.Max(1, p.GetValue(limit)));
            a.Output.Result(new { runs = list, next_command = list.Count == 0 ? "selftune run --dry-run" : ShellCommand.Line($"selftune runs show {list[0].RunId}") }, console =>
            {
                if (list.Count == 0)
                {
                    console.MarkupLine("No runs yet. Try [bold]selftune run --dry-run[/].");
                    return;
                }

                var table = new Table().AddColumns("run", "started", "status", "trigger", "mode", "candidates", "deployed", "rolled back");
                foreach (var r in list)
                {
                    var mode = string.Join(", ", new[] { r.DryRun ? "dry run" : null, r.ReviewRequired ? "review" : null, r.SampleData ? "sample data" : null }.OfType<string>());
                    table.AddRow(Markup.Escape(r.RunId), r.StartedAt.ToLocalTime().ToString("yyyy-MM-dd HH:mm", System.Globalization.CultureInfo.InvariantCulture), r.Status.ToString().ToLowerInvariant(), r.Trigger.ToString().ToLowerInvariant(), mode, $"{r.Candidates}", $"{r.Deployed}", $"{r.RolledBack}");
                }

                console.Write(table);
            });
            return 0;
        });

        var id = new Argument<string>("run-id") { Description = "The run's id (from `selftune runs`)." };
        var show = new Command("show", "Show one run's stored report (JSON for agents, the phased text for people).") { id }.Runs(app, (a, p) =>
        {
            using var store = a.OpenStore();
            var runId = p.GetValue(id)!;
            var found = RunHistory.Get(store, runId)
                ?? throw new SelftuneException(ErrorCodes.NotFound, $"There is no run {ShellCommand.Quoted(runId)}.", "selftune runs");
            a.Output.Result(new { summary = found.Summary, report = found.Report, text = found.Text }, console => console.Write(new Text(found.Text ?? $"{runId} is {found.Summary.Status.ToString().ToLowerInvariant()}; it has no report yet.\n")));
            return 0;
        });
        runs.Subcommands.Add(show);
        return runs;
    }
}
