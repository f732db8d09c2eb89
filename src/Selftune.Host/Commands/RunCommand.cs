using System.CommandLine;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Selftune.Core;
using Selftune.Core.Configuration;
using Selftune.Core.Hooks;
using Selftune.Core.Loop;
using Selftune.Core.Scheduling;
using Selftune.Core.Signals;
using Selftune.Core.Store;
using Selftune.Host.Cli;
using Spectre.Console;

namespace Selftune.Host.Commands;

/// <summary>
/// <c>selftune run</c> (alias <c>orchestrate</c>): one run of the loop (<see cref="RunService"/>), its report printed as
/// JSON on stdout and as phased text on stderr. <c>--loop</c> runs it again every <c>--interval</c> in a Generic Host
/// (<see cref="RunLoop"/>): Ctrl+C or SIGTERM abandons the current phase, records the run as cancelled, releases the run
/// lock and exits 0.
/// </summary>
internal static class RunCommand
{
    private static readonly Option<bool> LoopOption = new("--loop") { Description = "Run again every --interval until stopped (Ctrl-C); each run prints one JSON line." };

    /// <summary>Creates the command.</summary>
    public static Command Create(Func<App> app)
    {
        var dryRun = new Option<bool>("--dry-run") { Description = "Sync, measure and pick candidates, but grade, evolve and roll back nothing (shows what a run would do)." };
        var review = new Option<bool>("--review-required") { Description = "Validate proposals but deploy none; they wait for `selftune proposals approve ID` (config run.review_required)." };
        var skill = new Option<string?>("--skill") { Description = "Consider only this skill." };
        var maxSkills = new Option<int?>("--max-skills") { Description = "The most skills evolved in this run, 1-100 (config run.max_skills, default 3)." }.Like(ConfigKeys.RunMaxSkills);
        var interval = new Option<string>("--interval") { Description = "With --loop: time between runs (5m-30m, 1h-12h or 1d).", DefaultValueFactory = _ => "1h" }.Interval();
        var sample = new Option<bool>("--sample") { Description = "Run on the bundled sample data (in a separate sample home) even when this machine has agent data." };
        var trigger = new Option<RunTrigger>("--trigger") { Description = "Who started the run (recorded in its report).", DefaultValueFactory = _ => RunTrigger.Manual, Hidden = true };
        var command = new Command("run", "The whole loop: sync, status, grade, pick skills by evidence, evolve, watch recent deploys; records a report (`selftune runs`). Uses bundled samples when the machine has no agent data.")
        {
            dryRun, review, skill, maxSkills, LoopOption, interval, sample, trigger,
        };
        command.Aliases.Add("orchestrate");
        return command.Runs(app, async (a, p, ct) =>
        {
            var request = new RunRequest(p.GetValue(trigger), p.GetValue(dryRun), p.GetValue(skill), p.GetValue(sample), p.GetValue(maxSkills), p.GetValue(review));
            if (request.Trigger == RunTrigger.Signal)
            {
                return await InBackgroundAsync(a, request, ct).ConfigureAwait(false);
            }

            if (!p.GetValue(LoopOption))
            {
                return Print(a.Output, await a.Get<RunService>().RunAsync(request, ct).ConfigureAwait(false));
            }

            var every = TimeSpan.FromSeconds(ScheduleInterval.Parse(p.GetValue(interval)!).Seconds);
            return await LoopAsync(a, request with { Trigger = RunTrigger.Loop }, every).ConfigureAwait(false);
        });
    }

    /// <summary>True when the command line starts a long-lived process (<c>run --loop</c>), whose Generic Host handles
    /// SIGINT and SIGTERM itself (the command-line parser's own handling would end the process after 2 s).</summary>
    public static bool LivesLong(ParseResult parse) =>
        parse.CommandResult.Command.Name == "run" && parse.GetValue(LoopOption);

    /// <summary>Starts a background <c>selftune run --trigger signal</c> when improvement signals are pending, no run holds the
    /// lock, and the last signal-started run is older than <c>run.signal_interval_minutes</c>. Called by the background hook
    /// drain after a turn or session ends; never waits for the run.</summary>
    /// <param name="a">The application (the drain's).</param>
    /// <param name="store">The store the drain wrote.</param>
    /// <returns>True when a run was started.</returns>
    public static bool StartIfSignalsPending(App a, SelftuneStore store)
    {
        var minutes = a.Config.GetInt(ConfigKeys.RunSignalIntervalMinutes.Key);
        if (minutes <= 0 || PendingSignals.Count(store).Count == 0 || RunLock.ReadHolder(Path.Combine(a.Home.Root, RunService.LockFile)) is not null)
        {
            return false;
        }

        var since = DateTimeOffset.UtcNow.AddMinutes(-minutes);
        if (RunHistory.List(store, 50).Any(r => r.Trigger == RunTrigger.Signal && r.StartedAt > since))
        {
            return false;
        }

        var start = new ProcessStartInfo(App.SelfCommand[0]) { UseShellExecute = false, RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in App.SelfCommand.Skip(1).Concat(["run", "--trigger", "signal", "--max-skills", "2"]))
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start);
        process?.StandardInput.Close();
        return process is not null;
    }

    /// <summary>Prints a run's report: the phased text on stderr, the report on stdout.</summary>
    /// <returns>The exit code: 0 completed, 1 failed, 130 cancelled.</returns>
    internal static int Print(Output output, RunReport report)
    {
        output.Stderr.Write(RunReportText.Render(report));
        output.Result(report, console => console.MarkupLine($"Run [bold]{Markup.Escape(report.RunId)}[/]: {report.Totals.Candidates} candidate(s), {report.Totals.Deployed} deployed, {report.Totals.RolledBack} rolled back. Details: [bold]selftune runs show {Markup.Escape(report.RunId)}[/]"));
        return report.Status switch { RunStatus.Cancelled => 130, RunStatus.Failed => 1, _ => 0 };
    }

    /// <summary>A run started by a hook: detached from the agent's session, its outputs appended to <c>logs/run.log</c>.</summary>
    private static async Task<int> InBackgroundAsync(App a, RunRequest request, CancellationToken ct)
    {
        SpoolFile.DetachFromSession();
        Directory.CreateDirectory(a.Home.LogsPath);
        await using var log = new StreamWriter(Path.Combine(a.Home.LogsPath, "run.log"), append: true) { AutoFlush = true };
        using var background = new App(a.Context, new Output(json: true, log, log));
        try
        {
            return Print(background.Output, await background.Get<RunService>().RunAsync(request, ct).ConfigureAwait(false));
        }
        catch (SelftuneException ex)
        {
            background.Output.Failure(ex);
            return ex.ExitCode;
        }
    }

    /// <summary><c>run --loop</c>: the Generic Host with <see cref="RunLoop"/>, composed like every command
    /// (<see cref="Composition.AddSelftune"/>). Kept out of the other paths so they never load the hosting assemblies.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static async Task<int> LoopAsync(App a, RunRequest request, TimeSpan every)
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddSelftune(a);
        builder.Services.Configure<ConsoleLifetimeOptions>(o => o.SuppressStatusMessages = true);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromMinutes(1));
        builder.Services.AddSingleton(new RunLoop.Settings(request, every, a.Output, a.Context));
        builder.Services.AddSingleton<RunLoop>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<RunLoop>());
        using var host = builder.Build();
        var loop = host.Services.GetRequiredService<RunLoop>();
        await host.RunAsync().ConfigureAwait(false);
        return loop.ExitCode;
    }
}

/// <summary>The hosted service of <c>selftune run --loop</c>: a run, then a wait of the interval, until the host stops. A
/// run that finds the lock held is reported and the loop goes on; any other error is printed in the error contract and
/// stops the host with that error's exit code. Stopping (Ctrl+C, SIGTERM) cancels the current run, which records itself as cancelled and releases the lock.</summary>
/// <param name="runs">Runs the loop once.</param>
/// <param name="settings">What to run, how often, where to print.</param>
/// <param name="time">The clock of the wait.</param>
/// <param name="lifetime">Stopped on a fatal error.</param>
internal sealed class RunLoop(RunService runs, RunLoop.Settings settings, TimeProvider time, IHostApplicationLifetime lifetime) : BackgroundService
{
    /// <summary>The process's exit code once the host has stopped: 0, or the fatal error's.</summary>
    public int ExitCode { get; private set; }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                RunCommand.Print(settings.Output, await runs.RunAsync(settings.Request, stoppingToken).ConfigureAwait(false));
            }
            catch (SelftuneException ex) when (ex.Code == ErrorCodes.Locked)
            {
                settings.Output.Failure(ex);
            }
            catch (SelftuneException ex)
            {
                settings.Output.Failure(ex);
                ExitCode = ex.ExitCode;
                lifetime.StopApplication();
                return;
            }
#pragma warning disable CA1031 // As in the command tree: every failure leaves in the error contract (the host has no logger to report it).
            catch (Exception ex) when (ex is not OperationCanceledException)
#pragma warning restore CA1031
            {
                ExitCode = Program.Fail(settings.Output, settings.Context, ex);
                lifetime.StopApplication();
                return;
            }

            try
            {
                await Task.Delay(settings.Every, time, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>What the loop runs.</summary>
    /// <param name="Request">Each run's request.</param>
    /// <param name="Every">The wait between runs.</param>
    /// <param name="Output">Where each report is printed.</param>
    /// <param name="Context">The machine (whether to print a failure's details).</param>
    internal sealed record Settings(RunRequest Request, TimeSpan Every, Output Output, Abstractions.PlatformContext Context);
}
