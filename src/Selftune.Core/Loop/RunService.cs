using Selftune.Abstractions;
using Selftune.Core.Analysis;
using Selftune.Core.Configuration;
using Selftune.Core.Notifications;
using Selftune.Core.Store;
using Selftune.Core.Team;

namespace Selftune.Core.Loop;

/// <summary>Composes the services of selftune for another view of the machine (a sample run's home). The caller disposes
/// the provider.</summary>
/// <param name="context">The machine as that composition sees it.</param>
internal delegate IServiceProvider ComposeServices(PlatformContext context);

/// <summary>
/// <c>selftune run</c>: one run of the loop. Takes the run lock (a crashed run's stale lock is taken over and that run
/// marked crashed), chooses the data (the user's, or the bundled samples in a separate sample home when there is none or
/// when asked), records the run as started, runs the phases (sync → status → grade → select → evolve → watch), and
/// records the report: completed, failed (a phase failed) or cancelled (the token was cancelled; the current phase is
/// abandoned and the lock released), naming the recurring error patterns no earlier run named; then notifies
/// (<see cref="Notifier"/>) deploys, regressions, rollbacks, new error patterns and failed or costly sessions, and pushes
/// to the team database when <c>team.push</c> is on (<see cref="TeamService.PushesAfterRun"/>): every run does, whoever
/// started it (the CLI, a hook, the scheduler, <c>--loop</c>, the dashboard).
/// </summary>
internal sealed class RunService
{
    /// <summary>The run lock's file name in the selftune home.</summary>
    public const string LockFile = "run.lock";

    private readonly SelftuneHome _home;
    private readonly PlatformContext _context;
    private readonly SelftuneConfig _config;
    private readonly IReadOnlyList<IIngestor> _ingestors;
    private readonly IReadOnlyList<IInstaller> _installers;
    private readonly LoopRunner _runner;
    private readonly ComposeServices _compose;
    private readonly TimeProvider _time;
    private readonly Notifier? _notifier;
    private readonly TeamService? _team;

    /// <summary>Most new error patterns one run notifies (all are named in its report).</summary>
    private const int MaxPatternNotifications = 3;

    public RunService(SelftuneHome home, PlatformContext context, SelftuneConfig config, IEnumerable<IIngestor> ingestors, IEnumerable<IInstaller> installers, LoopRunner runner, ComposeServices compose, TimeProvider time, Notifier? notifier = null, TeamService? team = null)
    {
        _notifier = notifier;
        _team = team;
        _home = home;
        _context = context;
        _config = config;
        _ingestors = ingestors.ToList();
        _installers = installers.ToList();
        _runner = runner;
        _compose = compose;
        _time = time;
    }

    /// <summary>Runs the loop once.</summary>
    /// <param name="request">What was asked.</param>
    /// <param name="ct">Stops the run: the current phase is abandoned and the run recorded as <see cref="RunStatus.Cancelled"/>.</param>
    /// <param name="progress">Told of each phase as it ends; null when nobody watches.</param>
    /// <returns>The report, as recorded in the <c>runs</c> table.</returns>
    /// <exception cref="SelftuneException"><see cref="ErrorCodes.Locked"/> when another run holds the lock; the home or store
    /// cannot be used; there is no agent data and no bundled sample.</exception>
    public async Task<RunReport> RunAsync(RunRequest request, CancellationToken ct, IProgress<RunPhase>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(request);
        var started = _time.GetUtcNow();
        var runId = $"run_{started.UtcDateTime:yyyyMMdd'T'HHmmss'Z'}_{Guid.NewGuid().ToString("N")[..6]}";
        _home.EnsureExists();
        using var runLock = RunLock.Acquire(Path.Combine(_home.Root, LockFile), runId, TimeSpan.FromMinutes(_config.GetInt(ConfigKeys.RunLockStaleMinutes.Key)), _time);
        using var history = SelftuneStore.Open(_home.DatabasePath);
        if (runLock.Recovered is { } crashed)
        {
            RunHistory.MarkCrashed(history, crashed.RunId, started, runLock.RecoveredReason!);
        }

        var sample = request.Sample || !HasAgentData(history);
        var data = sample
            ? new RunData(true, SampleData.HomeFolder(_home), request.Sample
                ? "--sample: this run used selftune's bundled sample sessions and skills, in a separate sample home; nothing of yours was read or changed."
                : "No agent sessions were found on this machine, so this run used selftune's bundled sample sessions and skills, in a separate sample home; nothing of yours was read or changed. Use your agents, then run again (or `selftune init` to capture sessions live).")
            : new RunData(false, _context.UserHome);
        var target = sample ? _compose(SampleData.Prepare(_home, _context, _ingestors, _installers)) : null;
        try
        {
            var run = new RunState(
                request,
                runId,
                started,
                data,
                runLock.Recovered is { } r ? $"{r.RunId} (pid {r.Pid} on {r.Hostname}): {runLock.RecoveredReason}" : null,
                request.ReviewRequired || _config.GetBool(ConfigKeys.RunReviewRequired.Key),
                request.MaxSkills ?? (int)Math.Max(0, _config.GetInt(ConfigKeys.RunMaxSkills.Key)),
                runLock);
            run.Progress = new SyncProgress<RunPhase>(phase =>
            {
                var sofar = run.Report(RunStatus.Running, _time.GetUtcNow());
                RunHistory.Progress(history, sofar, RunReportText.Render(sofar));
                progress?.Report(phase);
            });
            RunHistory.Start(history, run.Report(RunStatus.Running, started), Environment.ProcessId, Environment.MachineName);
            var status = RunStatus.Completed;
            try
            {
                // The user's data: the store already open for the history; the sample home's: the runner opens its own.
                var runner = target is null ? _runner : (LoopRunner)target.GetService(typeof(LoopRunner))!;
                await runner.ExecuteAsync(run, target is null ? history : null, ct).ConfigureAwait(false);
                status = run.Phases.Any(x => x.Status == PhaseStatus.Failed) ? RunStatus.Failed : RunStatus.Completed;
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                status = RunStatus.Cancelled;
            }

            var report = run.Report(status, _time.GetUtcNow());
            var newPatterns = sample ? [] : ErrorPatterns.Notice(history, ErrorPatterns.Find(history, new ErrorFilter(Limit: int.MaxValue)).Patterns.Where(p => p.New), _time.GetUtcNow());
            report = report with { NewErrorPatterns = newPatterns };
            RunHistory.Finish(history, report, RunReportText.Render(report));
            if (_notifier is not null && !sample && status != RunStatus.Cancelled)
            {
                // Bounded (timeout and retries per send) and never fatal: a failed send is logged in logs/notify.log.
                await _notifier.SendAllAsync(
                    Notifier.ForRun(report, newPatterns.Take(MaxPatternNotifications).ToList()).Concat(_notifier.ForSessions(history, started.ToUnixTimeMilliseconds())),
                    CancellationToken.None).ConfigureAwait(false);
            }

            if (_team is { PushesAfterRun: true } && !sample && !request.DryRun && status != RunStatus.Cancelled)
            {
                report = report with { TeamPush = await PushToTeamAsync(_team, history, ct).ConfigureAwait(false) };
                RunHistory.Finish(history, report, RunReportText.Render(report));
            }

            return report;
        }
        finally
        {
            (target as IDisposable)?.Dispose();
        }
    }

    /// <summary>Pushes what changed to the team database; a failure is reported, never thrown (it does not fail the run, and
    /// the next run or <c>selftune team push</c> completes it).</summary>
    private static async Task<RunTeamPush> PushToTeamAsync(TeamService team, SelftuneStore store, CancellationToken ct)
    {
        try
        {
            var push = await team.PushAsync(store, null, dryRun: false, ct).ConfigureAwait(false);
            return new RunTeamPush(push.Database, push.Tables.Sum(t => t.Changed ?? 0), push.ElapsedMs);
        }
        catch (SelftuneException ex)
        {
            return new RunTeamPush(null, null, null, ex.Code, ex.Message, ex.NextCommand ?? "selftune team push");
        }
    }

    /// <summary>True when the machine has agent data: the store holds sessions, or an ingestor finds a source.</summary>
    private bool HasAgentData(SelftuneStore store) =>
        (long)store.Scalar("SELECT EXISTS (SELECT 1 FROM sessions)")! != 0
        || _ingestors.Any(i => i.Discover(_context, (_, _) => { }).Any());
}
