using System.CommandLine;
using Selftune.Abstractions;
using Selftune.Core;
using Selftune.Core.Ingest;
using Selftune.Core.Notifications;
using Selftune.Core.Store;
using Selftune.Host.Cli;
using Spectre.Console;

namespace Selftune.Host.Commands;

/// <summary><c>selftune sync</c>: read every agent's saved sessions into the store, incrementally.</summary>
internal static class SyncCommands
{
    /// <summary>Creates the command.</summary>
    public static Command Create(Func<App> app)
    {
        var force = new Option<bool>("--force") { Description = "Re-read every source from the start, ignoring what was read before." };
        var since = new Option<string?>("--since") { Description = "Only sources modified on or after this date (YYYY-MM-DD or ISO-8601)." }.Date();
        var platform = new Option<string[]>("--platform") { Description = "Only these platforms (platform ids from `selftune plugins`); repeatable.", AllowMultipleArgumentsPerToken = true };
        return new Command("sync", "Read every installed agent's saved sessions into the store (incremental; --force re-reads all).") { force, since, platform }
            .Runs(app, (a, p, ct) =>
            {
                if (p.GetValue(platform) is { Length: > 0 } given)
                {
                    OptionRules.RequirePlatforms("--platform", given, a.All<IIngestor>().Select(i => i.Platform));
                }

                var options = new SyncOptions(
                    Force: p.GetValue(force),
                    Since: OptionRules.ParseDate(p.GetValue(since)),
                    Platforms: p.GetValue(platform) is { Length: > 0 } ps ? ps.ToHashSet(StringComparer.Ordinal) : null);
                return Task.FromResult(Execute(a, options, ct));
            });
    }

    /// <summary>What <c>selftune sync</c> does once its options are known: <see cref="Run"/>, <see cref="Print"/> and the
    /// notifications of the sessions it read. The command's action, and <see cref="QuickCommands"/>' for a plain
    /// <c>sync</c>.</summary>
    /// <returns>The exit code (0).</returns>
    /// <exception cref="SelftuneException">The store, the home or a plugin fails.</exception>
    public static int Execute(App a, SyncOptions options, CancellationToken cancellationToken)
    {
        var report = Run(a, options, cancellationToken);
        Print(a, report);
        if (report.Platforms.Any(c => c.Sessions > 0))
        {
            NotifySessions(a, report, cancellationToken).GetAwaiter().GetResult();
        }

        return 0;
    }

    /// <summary>Notifies the sessions a sync read that failed or cost more than <c>notify.session_cost_usd</c>, when a
    /// channel is configured (bounded; failures logged, not fatal).</summary>
    private static async Task NotifySessions(App a, SyncReport report, CancellationToken ct)
    {
        if (a.Get<Notifier>() is not { Configured: true } notifier)
        {
            return;
        }

        using var store = a.OpenStore();
        await notifier.SendAllAsync(notifier.ForSessions(store, report.StartedAt.ToUnixTimeMilliseconds()).ToList(), ct);
    }

    /// <summary>Runs a sync (<see cref="SyncJob"/>; when the stamp shows nothing changed, without loading any plugin), with a progress bar on stderr when it is a terminal.</summary>
    /// <remarks>A new store is never unchanged: the plugins and services a sync needs are then composed on another thread
    /// while this one creates and migrates the store (each ~60 ms CPU of a first sync's start-up, which the two cores
    /// then share; bench/RESULTS.md).</remarks>
    public static SyncReport Run(App a, SyncOptions options, CancellationToken cancellationToken)
    {
        var composing = SelftuneStore.IsNew(a.Home.DatabasePath) ? Task.Run(a.Get<SyncJob>, CancellationToken.None) : null;
        SelftuneStore store;
        try
        {
            store = a.OpenStore();
        }
        catch
        {
            // The store's error is the one reported; the composition (its failure observed, not reported) ends before the
            // app and its container are disposed.
            composing?.ContinueWith(static t => t.Exception, TaskScheduler.Default).Wait();
            throw;
        }

        using var _ = store;
        if (composing is null && SyncJob.Unchanged(store, a.Context, a.Installation, a.Home, DateTimeOffset.UtcNow, options) is { } unchanged)
        {
            return unchanged;
        }

        var job = composing?.GetAwaiter().GetResult() ?? a.Get<SyncJob>();
        if (!a.Output.CanShowProgress)
        {
            return job.Read(store, options, cancellationToken);
        }

        SyncReport? report = null;
        a.Output.Error.Progress().AutoClear(true).Start(ctx =>
        {
            var task = ctx.AddTask("reading sessions");
            report = job.Read(store, options with
            {
                Progress = (done, total) =>
                {
                    task.MaxValue = Math.Max(1, total);
                    task.Value = done;
                },
            }, cancellationToken);
        });
        return report!;
    }

    /// <summary>Prints a sync's report: JSON, or a table for a person.</summary>
    public static void Print(App a, SyncReport report) => a.Output.ResultJson(SyncReportJson.Write(report), o => Render(o.Console, report));

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
