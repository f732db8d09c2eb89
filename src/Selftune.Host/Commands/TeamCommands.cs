using System.CommandLine;
using System.Globalization;
using Selftune.Core;
using Selftune.Core.Team;
using Selftune.Host.Cli;
using Spectre.Console;

namespace Selftune.Host.Commands;

/// <summary><c>selftune team push|status|cost|misses</c>: the team's shared PostgreSQL store (<see cref="TeamService"/>).</summary>
internal static class TeamCommands
{
    /// <summary>Creates the command group.</summary>
    public static Command Create(Func<App> app)
    {
        var team = new Command("team", "Share this machine's sessions, misses and cost with your team's PostgreSQL (team.database), and read the team's pooled view.");
        team.Subcommands.Add(Push(app));
        team.Subcommands.Add(Status(app));
        team.Subcommands.Add(Cost(app));
        team.Subcommands.Add(Misses(app));
        return team;
    }

    /// <summary><c>--database CONN</c>: the team database for this command, overriding <c>team.database</c>.</summary>
    private static Option<string?> DatabaseOption() => new("--database") { Description = "The team's PostgreSQL connection string for this command (default: team.database / SELFTUNE_TEAM_DATABASE)." };

    private static Command Push(Func<App> app)
    {
        var database = DatabaseOption();
        var dryRun = new Option<bool>("--dry-run") { Description = "Show the rows per table that would be pushed; write nothing." };
        var command = new Command("push", "Push this machine's sessions, prompts (redacted as stored; team.share_prompts false: hashes and lengths only), skill invocations, misses, tool errors, token usage, gradings, evolution audit and runs to the team database: only what changed since the last push, whole sessions per transaction, a re-push changes nothing.")
        {
            database, dryRun,
        };
        return command.Runs(app, async (a, p, ct) =>
        {
            using var store = a.OpenStore();
            var report = await a.Get<TeamService>().PushAsync(store, p.GetValue(database), p.GetValue(dryRun), ct).ConfigureAwait(false);
            a.Output.Result(new { push = report, next_command = report.DryRun ? "selftune team push" : "selftune team status" }, console => RenderPush(console, report));
            return 0;
        });
    }

    private static Command Status(Func<App> app)
    {
        var database = DatabaseOption();
        var command = new Command("status", "Skills across the team's machines: triggers, misses, trend (last 7 days against the 7 before) and the latest deploy or rollback on each machine.") { database };
        return command.Runs(app, async (a, p, ct) =>
        {
            await using var db = await a.Get<TeamService>().OpenAsync(p.GetValue(database), ct).ConfigureAwait(false);
            var report = await TeamViews.StatusAsync(db, a.Get<TimeProvider>().GetUtcNow(), ct).ConfigureAwait(false);
            a.Output.Result(report, console =>
            {
                console.MarkupLine($"Team database {Markup.Escape(report.Database)}: {report.Machines.Count} machine(s).");
                var machines = new Table().AddColumns("machine", "user@host", "sessions", "last push", "prompts");
                foreach (var m in report.Machines)
                {
                    machines.AddRow(m.MachineId[..8], Markup.Escape($"{m.UserName}@{m.HostName}"), $"{m.Sessions}", m.LastPushAt.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture), m.SharePrompts ? "shared" : "hashes only");
                }

                console.Write(machines);
                var skills = new Table().AddColumns("skill", "triggers", "misses", "trend", "per machine (triggers/misses, deploy)");
                foreach (var s in report.Skills)
                {
                    skills.AddRow(Markup.Escape(s.Skill), $"{s.Triggers}", $"{s.Misses}", s.Trend,
                        Markup.Escape(string.Join("; ", s.Machines.Select(m => $"{m.UserName} {m.MachineId[..8]}: {m.Triggers}/{m.Misses}{(m.Deploy is null ? "" : $", {m.Deploy} {m.DeployAt:yyyy-MM-dd}")}"))));
                }

                console.Write(skills);
            });
            return 0;
        });
    }

    private static Command Cost(Func<App> app)
    {
        var database = DatabaseOption();
        var by = new Option<string>("--by") { Description = "Group by machine, user, project, model, skill (a session counts for each skill it invoked) or day (UTC).", DefaultValueFactory = _ => "machine" };
        by.AcceptOnlyFromAmong([.. TeamViews.CostGroupings]);
        var command = new Command("cost", "Tokens and cost (USD) across the team, grouped.") { database, by };
        return command.Runs(app, async (a, p, ct) =>
        {
            var grouping = p.GetValue(by)!;
            await using var db = await a.Get<TeamService>().OpenAsync(p.GetValue(database), ct).ConfigureAwait(false);
            var rows = await TeamViews.CostAsync(db, grouping, ct).ConfigureAwait(false);
            a.Output.Result(new { database = db.Display, by = grouping, groups = rows }, console =>
            {
                var table = new Table().AddColumns(grouping, "sessions", "input", "output", "cache write", "cache read", "cost USD", "unpriced requests");
                foreach (var r in rows)
                {
                    table.AddRow(Markup.Escape(r.Label), $"{r.Sessions}", $"{r.InputTokens:N0}", $"{r.OutputTokens:N0}", $"{r.CacheWriteTokens:N0}", $"{r.CacheReadTokens:N0}", r.CostUsd.ToString("0.00", CultureInfo.InvariantCulture), $"{r.UnpricedRequests}");
                }

                console.Write(table);
            });
            return 0;
        });
    }

    private static Command Misses(Func<App> app)
    {
        var database = DatabaseOption();
        var skill = new Option<string>("--skill") { Description = "The skill.", Required = true };
        var limit = new Option<int>("--limit") { Description = "Most misses listed (1-10000).", DefaultValueFactory = _ => 50 }.Between(1, 10_000);
        var command = new Command("misses", "The pooled missed prompts of a skill from every machine of the team (open and confirmed), most confident first.") { database, skill, limit };
        return command.Runs(app, async (a, p, ct) =>
        {
            var name = p.GetValue(skill)!;
            await using var db = await a.Get<TeamService>().OpenAsync(p.GetValue(database), ct).ConfigureAwait(false);
            var misses = await TeamViews.MissesAsync(db, name, p.GetValue(limit), ct).ConfigureAwait(false);
            a.Output.Result(new { database = db.Display, skill = name, misses, next_command = misses.Count > 0 ? ShellCommand.Line($"selftune eval generate --skill {name:skill} --team") : null }, console =>
            {
                console.MarkupLine($"{misses.Count} miss(es) of [bold]{Markup.Escape(name)}[/] across the team.");
                foreach (var m in misses)
                {
                    var text = m.Text?.ReplaceLineEndings(" ") ?? $"(not shared: {m.TextLength} chars, hash {m.TextHash})";
                    console.MarkupLine($"  {Markup.Escape(m.UserName)} {m.MachineId[..8]} {m.Status} {m.Confidence.ToString("0.0", CultureInfo.InvariantCulture)} [grey]{Markup.Escape(text.Length > 100 ? text[..97] + "..." : text)}[/]");
                }
            });
            return 0;
        });
    }

    private static void RenderPush(IAnsiConsole console, TeamPushReport report)
    {
        console.MarkupLine(report.DryRun
            ? $"Dry run: rows that would be pushed{(report.Database is null ? " (no team database set: everything counts as new)" : $" to {Markup.Escape(report.Database)}")}; prompt text {(report.SharePrompts ? "shared" : "withheld (hashes and lengths only)")}."
            : $"Pushed to {Markup.Escape(report.Database ?? "")} as machine {report.MachineId[..8]} ({Markup.Escape(report.UserName)}) in {report.Batches} batch(es), {report.ElapsedMs} ms; prompt text {(report.SharePrompts ? "shared" : "withheld")}.");
        var table = new Table().AddColumns("table", report.DryRun ? "would send" : "sent", "changed");
        foreach (var t in report.Tables)
        {
            table.AddRow(t.Table, $"{t.Sent}", t.Changed is { } c ? $"{c}" : "-");
        }

        console.Write(table);
    }
}
