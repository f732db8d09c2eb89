using System.CommandLine;
using Selftune.Core;
using Selftune.Core.Scheduling;
using Selftune.Host.Cli;
using Spectre.Console;

namespace Selftune.Host.Commands;

/// <summary><c>selftune schedule install|remove|show</c>: run <c>selftune run</c> unattended from cron, a systemd user timer or launchd.</summary>
internal static class ScheduleCommands
{
    /// <summary>The default interval between scheduled runs.</summary>
    public const string DefaultInterval = "2h";

    private static readonly Option<bool> Cron = new("--cron") { Description = "Use the user's crontab (a marked block; every other line is kept)." };
    private static readonly Option<bool> Systemd = new("--systemd") { Description = "Use a systemd user timer (~/.config/systemd/user/selftune-run.timer)." };
    private static readonly Option<bool> Launchd = new("--launchd") { Description = "Use a launchd agent (~/Library/LaunchAgents/com.selftune.run.plist)." };
    private static readonly Option<bool> DryRun = new("--dry-run") { Description = "Show what would be written and run; change nothing." };

    /// <summary>Creates the command group.</summary>
    public static Command Create(Func<App> app)
    {
        var interval = new Option<string>("--interval") { Description = "How often: 5m-30m (dividing an hour), 1h-12h (dividing a day) or 1d.", DefaultValueFactory = _ => DefaultInterval }.Interval();
        var install = new Command("install", "Install (or update) a periodic `selftune run`. Default scheduler: launchd on macOS, systemd where systemctl exists, else cron.")
        {
            Cron, Systemd, Launchd, interval, DryRun,
        }.Runs(app, (a, p) =>
        {
            var scheduler = Scheduler(a);
            var kind = Kind(p) ?? scheduler.DefaultKind;
            var job = Job(a, ScheduleInterval.Parse(p.GetValue(interval)!));
            Directory.CreateDirectory(Path.GetDirectoryName(job.LogPath)!);
            return Report(a, [Apply(scheduler, scheduler.PlanInstall(kind, job), p.GetValue(DryRun), job)], p.GetValue(DryRun));
        });

        var remove = new Command("remove", "Remove the periodic run selftune installed (only selftune's entries; nothing else is touched).")
        {
            Cron, Systemd, Launchd, DryRun,
        }.Runs(app, (a, p) =>
        {
            var scheduler = Scheduler(a);
            var kinds = Kind(p) is { } k ? [k] : scheduler.Show().Where(s => s.Installed).Select(s => s.Kind).ToList();
            return Report(a, kinds.Select(kind => Apply(scheduler, scheduler.PlanRemove(kind), p.GetValue(DryRun), null)).ToList(), p.GetValue(DryRun));
        });

        var show = new Command("show", "Show what selftune installed in each scheduler and when it runs.") { Cron, Systemd, Launchd }.Runs(app, (a, p) =>
        {
            var scheduler = Scheduler(a);
            var only = Kind(p);
            var states = scheduler.Show().Where(s => only is null || s.Kind == only).ToList();
            var data = new
            {
                default_scheduler = scheduler.DefaultKind,
                installed = states.Any(s => s.Installed),
                schedulers = states.Select(s => new { kind = s.Kind, installed = s.Installed, entries = s.Entries.Select(e => new { target = e.Key, content = e.Value }), problem = s.Problem }),
                next_command = states.Any(s => s.Installed) ? null : "selftune schedule install",
            };
            a.Output.Result(data, console =>
            {
                foreach (var s in states)
                {
                    console.MarkupLine($"[bold]{s.Kind.ToString().ToLowerInvariant()}[/]: " + (s.Installed ? "[green]installed[/]" : "not installed") + (s.Problem is { } problem ? $" [yellow]({Markup.Escape(problem)})[/]" : string.Empty));
                    foreach (var (target, content) in s.Entries)
                    {
                        console.MarkupLine($"  [grey]{Markup.Escape(target)}[/]");
                        console.WriteLine(Indent(content));
                    }
                }

                if (!data.installed)
                {
                    console.MarkupLine("Nothing is scheduled. Install with [bold]selftune schedule install[/].");
                }
            });
            return 0;
        });

        return new Command("schedule", "Run `selftune run` unattended: install, remove or show a cron entry, systemd user timer or launchd agent.")
        {
            install, remove, show,
        };
    }

    private static Scheduler Scheduler(App a) => new(a.Home, a.Context, TimeProvider.System);

    private static SchedulerKind? Kind(ParseResult p)
    {
        var chosen = new[] { (Cron, SchedulerKind.Cron), (Systemd, SchedulerKind.Systemd), (Launchd, SchedulerKind.Launchd) }.Where(o => p.GetValue(o.Item1)).Select(o => o.Item2).ToList();
        return chosen.Count switch
        {
            0 => null,
            1 => chosen[0],
            _ => throw new SelftuneException(ErrorCodes.InvalidArgument, "Choose one scheduler: --cron, --systemd or --launchd.", "selftune schedule show", exitCode: 2),
        };
    }

    /// <summary>The scheduled job: this executable's <c>run</c>, with the environment it needs to find the same home and the agent CLIs.</summary>
    private static ScheduledJob Job(App a, ScheduleInterval interval)
    {
        var environment = new List<KeyValuePair<string, string>>();
        foreach (var name in new[] { "PATH", "SELFTUNE_HOME", "DOTNET_ROOT" })
        {
            if (a.Context.Environment(name) is { Length: > 0 } value)
            {
                environment.Add(new(name, name == "SELFTUNE_HOME" ? a.Home.Root : value));
            }
        }

        return new ScheduledJob([.. App.SelfCommand, "run", "--trigger", "schedule"], interval, environment, Path.Combine(a.Home.LogsPath, "schedule.log"));
    }

    private static ScheduleResult Apply(Scheduler scheduler, SchedulePlan plan, bool dryRun, ScheduledJob? job) =>
        new(plan, job, dryRun || plan.Changes.Count == 0 ? null : scheduler.Apply(plan));

    private static int Report(App a, IReadOnlyList<ScheduleResult> results, bool dryRun)
    {
        var data = new
        {
            dry_run = dryRun,
            changed = results.Any(r => r.Plan.Changes.Count > 0),
            results = results.Select(r => new
            {
                kind = r.Plan.Kind,
                action = r.Job is null ? "remove" : "install",
                interval = r.Job?.Interval.ToString(),
                command = r.Job is null ? null : string.Join(' ', r.Job.Command.Select(ShellCommand.Quote)),
                changes = r.Plan.Changes.Select(c => new { target = c.Target, action = Action(c), summary = c.Summary, content = c.After ?? c.Before }),
                commands = r.Plan.Before.Concat(r.Plan.After).Select(c => c.ToString()),
                activated = r.Outcome?.Activated,
                backups = r.Outcome?.Backups,
                notes = r.Outcome?.Notes,
            }),
        };
        a.Output.Result(data, console =>
        {
            if (results.Count == 0)
            {
                console.MarkupLine("Nothing of selftune's is scheduled; nothing to remove.");
            }

            foreach (var r in results)
            {
                var kind = r.Plan.Kind.ToString().ToLowerInvariant();
                if (r.Plan.Changes.Count == 0)
                {
                    console.MarkupLine(r.Job is null ? $"{kind}: nothing of selftune's is installed." : $"{kind}: already installed as planned; nothing to change.");
                    continue;
                }

                console.MarkupLine(dryRun ? $"[bold]Dry run[/]: {(r.Job is null ? "removing from" : "installing in")} {kind} would:" : $"{(r.Job is null ? "Removed from" : "Installed in")} {kind}:");
                foreach (var c in r.Plan.Changes)
                {
                    console.MarkupLine($"  [bold]{Action(c)}[/] {Markup.Escape(c.Target)}: {Markup.Escape(c.Summary)}");
                    if (dryRun && c.After is not null)
                    {
                        console.WriteLine(Indent(c.After));
                    }
                }

                foreach (var command in r.Plan.Before.Concat(r.Plan.After))
                {
                    console.MarkupLine($"  {(dryRun ? "would run" : "ran")}: [grey]{Markup.Escape(command.ToString())}[/]");
                }

                foreach (var note in r.Outcome?.Notes ?? [])
                {
                    console.MarkupLine($"  [yellow]note[/]: {Markup.Escape(note)}");
                }
            }
        });
        return 0;
    }

    private static string Action(ScheduleChange change) => change.After is null ? "delete" : change.Before is null ? "create" : "update";

    private static string Indent(string text) => string.Join('\n', text.TrimEnd('\n').Split('\n').Select(l => "    " + l));

    private sealed record ScheduleResult(SchedulePlan Plan, ScheduledJob? Job, ScheduleOutcome? Outcome);
}
