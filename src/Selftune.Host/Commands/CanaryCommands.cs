using System.CommandLine;
using Selftune.Core;
using Selftune.Core.Monitoring;
using Selftune.Host.Cli;
using Spectre.Console;

namespace Selftune.Host.Commands;

/// <summary><c>selftune canary status | promote | abort</c>: the canaries <c>evolve --canary</c> started.</summary>
internal static class CanaryCommands
{
    /// <summary>Creates the command.</summary>
    public static Command Create(Func<App> app)
    {
        var canary = new Command("canary", "Canary deploys (evolve --canary): a proposal in chosen repositories' project skill folders, watched against the user scope.");
        var statusSkill = new Option<string?>("--skill") { Description = "Only this skill's canaries." };
        var status = new Command("status", "Every canary, newest first; those being watched are checked now (healthy, regressed or not enough data).") { statusSkill };
        status.Runs(app, (a, p) =>
        {
            using var store = a.OpenStore();
            var reports = a.Get<CanaryService>().Status(store, p.GetValue(statusSkill), WatchOptions.From(a.Config));
            a.Output.Result(reports, console => Render(console, reports));
            return 0;
        });

        var promoteSkill = new Option<string>("--skill") { Description = "The skill.", Required = true };
        var force = new Option<bool>("--force") { Description = "Promote even when the canary regressed." };
        var promote = new Command("promote", "Deploy the canary's proposal to the user's SKILL.md (backup, audit) and remove the canary copies.") { promoteSkill, force };
        promote.Runs(app, (a, p) =>
        {
            using var store = a.OpenStore();
            var report = a.Get<CanaryService>().Promote(store, p.GetValue(promoteSkill)!, WatchOptions.From(a.Config), p.GetValue(force));
            a.Output.Result(report, console => Render(console, [report]));
            return 0;
        });

        var abortSkill = new Option<string>("--skill") { Description = "The skill.", Required = true };
        var abort = new Command("abort", "Remove the canary copies and reject the canary's proposal; the user's SKILL.md was never touched.") { abortSkill };
        abort.Runs(app, (a, p) =>
        {
            using var store = a.OpenStore();
            var report = a.Get<CanaryService>().Abort(store, p.GetValue(abortSkill)!, WatchOptions.From(a.Config), "requested with selftune canary abort");
            a.Output.Result(report, console => Render(console, [report]));
            return 0;
        });

        canary.Subcommands.Add(status);
        canary.Subcommands.Add(promote);
        canary.Subcommands.Add(abort);
        return canary;
    }

    private static void Render(IAnsiConsole console, IReadOnlyList<CanaryReport> reports)
    {
        if (reports.Count == 0)
        {
            console.MarkupLine("No canaries. Start one with [bold]selftune evolve --skill S --canary --canary-repos DIR[/].");
            return;
        }

        var table = new Table().AddColumns("skill", "proposal", "status", "repositories", "state");
        foreach (var r in reports)
        {
            table.AddRow(Markup.Escape(r.Skill), Markup.Escape(r.ProposalId), Json.Name(r.Status), Markup.Escape(string.Join(", ", r.Repos)), Markup.Escape(r.Message));
        }

        console.Write(table);
    }
}
