using System.CommandLine;
using Selftune.Core;
using Selftune.Core.Configuration;
using Selftune.Core.Hooks;
using Selftune.Core.Ingest;
using Selftune.Core.Privacy;
using Selftune.Host.Cli;
using Spectre.Console;

namespace Selftune.Host.Commands;

/// <summary><c>selftune sync</c>: read every agent's saved sessions into the store, incrementally.</summary>
public static class SyncCommands
{
    /// <summary>Creates the command.</summary>
    public static Command Create(Func<App> app)
    {
        var force = new Option<bool>("--force") { Description = "Re-read every source from the start, ignoring what was read before." };
        var since = new Option<string?>("--since") { Description = "Only sources modified on or after this date (YYYY-MM-DD or ISO-8601)." };
        var platform = new Option<string[]>("--platform") { Description = "Only these platforms (platform ids from `selftune plugins`); repeatable.", AllowMultipleArgumentsPerToken = true };
        return new Command("sync", "Read every installed agent's saved sessions into the store (incremental; --force re-reads all).") { force, since, platform }
            .Runs(app, (a, p, ct) =>
            {
                var options = new SyncOptions(
                    Force: p.GetValue(force),
                    Since: StatusCommands.ParseDate(p.GetValue(since), "sync"),
                    Platforms: p.GetValue(platform) is { Length: > 0 } ps ? ps.ToHashSet(StringComparer.Ordinal) : null);
                Print(a, Run(a, options, ct));
                return Task.FromResult(0);
            });
    }

    /// <summary>Tells from the last sync's stamp, without loading any plugin, when nothing changed (<see cref="SyncStamp"/>);
    /// otherwise stores the spooled hook events, then runs a sync with a progress bar on stderr when it is a terminal.</summary>
    public static SyncReport Run(App a, SyncOptions options, CancellationToken cancellationToken)
    {
        using var store = a.OpenStore();
        if (Unchanged(a, store, options) is { } unchanged)
        {
            return unchanged;
        }

        options = options with { Installation = a.Installation };
        var service = a.Get<SyncService>();
        var redactor = new Redactor(a.Config.GetBool(ConfigKeys.RedactionEnabled.Key));
        var hooks = a.Get<HookSpoolDrainer>().Drain(store, a.Home, redactor, cancellationToken);
        var pricer = a.Get<IUsagePricer>();
        if (!a.Output.CanShowProgress)
        {
            return service.Run(store, a.Context, redactor, pricer, options, cancellationToken) with { Hooks = hooks };
        }

        SyncReport? report = null;
        a.Output.Error.Progress().AutoClear(true).Start(ctx =>
        {
            var task = ctx.AddTask("reading sessions");
            report = service.Run(store, a.Context, redactor, pricer, options with
            {
                Progress = (done, total) =>
                {
                    task.MaxValue = Math.Max(1, total);
                    task.Value = done;
                },
            }, cancellationToken);
        });
        return report! with { Hooks = hooks };
    }

    /// <summary>When the last sync's stamp shows that nothing changed (<see cref="SyncStamp"/>; never with --force,
    /// --since or --platform), records and returns the report of a sync that read nothing; otherwise null.</summary>
    public static SyncReport? Unchanged(App a, Core.Store.SelftuneStore store, SyncOptions options)
    {
        if (options.Force || !options.Complete || SyncStamp.Unchanged(store, a.Context, a.Installation, a.Home, DateTimeOffset.UtcNow) is not { } unchanged)
        {
            return null;
        }

        SyncService.Record(store, unchanged);
        return unchanged;
    }

    /// <summary>Prints a sync's report: JSON, or a table for a person.</summary>
    public static void Print(App a, SyncReport report) => a.Output.ResultJson(SyncReportJson.Write(report), console => Render(console, report));

    private static void Render(IAnsiConsole console, SyncReport report)
    {
        var table = new Table().AddColumns("platform", "sources", "read", "unchanged", "sessions", "prompts", "actionable", "skills", "tool calls", "errors", "malformed", "redacted", "read ms");
        foreach (var c in report.Platforms)
        {
            table.AddRow(c.Platform, $"{c.SourcesFound}", $"{c.SourcesRead}", $"{c.SourcesUnchanged}", $"{c.Sessions}", $"{c.Prompts}", $"{c.ActionablePrompts}",
                $"{c.SkillInvocations}", $"{c.ToolCalls}", $"{c.ToolErrors}", c.Malformed > 0 ? $"[yellow]{c.Malformed}[/]" : "0", $"{c.Redactions}", $"{c.ElapsedMs}");
        }

        console.Write(table);
        foreach (var c in report.Platforms)
        {
            foreach (var m in c.MalformedDetails)
            {
                console.MarkupLine($"[yellow]skipped[/] {Markup.Escape(m.Path)}:{m.Line}: {Markup.Escape(m.Reason)}");
            }

            foreach (var problem in c.Problems)
            {
                console.MarkupLine($"[yellow]problem[/] {Markup.Escape(problem)}");
            }
        }

        if (report.Hooks is { Events: > 0 } hooks)
        {
            console.MarkupLine($"Stored {hooks.Events} spooled hook events ({hooks.Platforms.Sum(c => c.Malformed)} unreadable).");
        }

        console.MarkupLine($"Synced in {report.ElapsedMs} ms.");
    }
}
