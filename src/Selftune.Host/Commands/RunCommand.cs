using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Selftune.Abstractions;
using Selftune.Core;
using Selftune.Core.Configuration;
using Selftune.Core.Eval;
using Selftune.Core.Evolution;
using Selftune.Core.Grading;
using Selftune.Core.Hooks;
using Selftune.Core.Ingest;
using Selftune.Core.Llm;
using Selftune.Core.Loop;
using Selftune.Core.Misses;
using Selftune.Core.Monitoring;
using Selftune.Core.Reports;
using Selftune.Core.Scheduling;
using Selftune.Core.Signals;
using Selftune.Core.Skills;
using Selftune.Core.Store;
using Selftune.Host.Cli;
using Spectre.Console;

namespace Selftune.Host.Commands;

/// <summary>
/// <c>selftune run</c> (alias <c>orchestrate</c>): the autonomous loop. One run takes the run lock, then: sync → status →
/// grade ungraded sessions (within the LLM budget) → select candidate skills by evidence → evolve them → watch recent
/// deploys (never one made in this run) → record the report in the <c>runs</c> table, print it as JSON on stdout and
/// as phased text on stderr. Phases that need an LLM are skipped, with the command that enables them, when none is
/// configured. On a machine without agent data it runs on the bundled samples, in a separate sample home, and says so.
/// </summary>
public static class RunCommand
{
    /// <summary>The run lock's file name in the selftune home.</summary>
    public const string LockFile = "run.lock";

    /// <summary>Creates the command.</summary>
    public static Command Create(Func<App> app)
    {
        var dryRun = new Option<bool>("--dry-run") { Description = "Sync, measure and pick candidates, but grade, evolve and roll back nothing (shows what a run would do)." };
        var review = new Option<bool>("--review-required") { Description = "Validate proposals but deploy none; they wait for `selftune proposals approve ID` (config run.review_required)." };
        var skill = new Option<string?>("--skill") { Description = "Consider only this skill." };
        var maxSkills = new Option<int?>("--max-skills") { Description = "The most skills evolved in this run (config run.max_skills, default 3)." };
        var loop = new Option<bool>("--loop") { Description = "Run again every --interval until stopped (Ctrl-C); each run prints one JSON line." };
        var interval = new Option<string>("--interval") { Description = "With --loop: time between runs (5m-30m, 1h-12h or 1d).", DefaultValueFactory = _ => "1h" };
        var sample = new Option<bool>("--sample") { Description = "Run on the bundled sample data (in a separate sample home) even when this machine has agent data." };
        var trigger = new Option<RunTrigger>("--trigger") { Description = "Who started the run (recorded in its report).", DefaultValueFactory = _ => RunTrigger.Manual, Hidden = true };
        var command = new Command("run", "The whole loop: sync, status, grade, pick skills by evidence, evolve, watch recent deploys; records a report (`selftune runs`). Uses bundled samples when the machine has no agent data.")
        {
            dryRun, review, skill, maxSkills, loop, interval, sample, trigger,
        };
        command.Aliases.Add("orchestrate");
        return command.Runs(app, async (a, p, ct) =>
        {
            var request = new RunRequest(p.GetValue(trigger), p.GetValue(dryRun), p.GetValue(skill), p.GetValue(sample), p.GetValue(maxSkills), p.GetValue(review));
            request.Configure(a);
            if (request.Trigger == RunTrigger.Signal)
            {
                return await InBackgroundAsync(a, request, ct).ConfigureAwait(false);
            }

            if (!p.GetValue(loop))
            {
                return await OnceAsync(a, request, ct).ConfigureAwait(false);
            }

            var every = TimeSpan.FromSeconds(ScheduleInterval.Parse(p.GetValue(interval)!).Seconds);
            while (true)
            {
                try
                {
                    await OnceAsync(a, request with { Trigger = RunTrigger.Loop }, ct).ConfigureAwait(false);
                }
                catch (SelftuneException ex) when (ex.Code == ErrorCodes.Locked)
                {
                    a.Output.Failure(ex);
                }

                try
                {
                    await Task.Delay(every, ct).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return 0;
                }
            }
        });
    }

    /// <summary>Starts a background <c>selftune run --trigger signal</c> when improvement signals are pending, no run holds the
    /// lock, and the last signal-started run is older than <c>run.signal_interval_minutes</c>. Called by the background hook
    /// drain after a turn or session ends; never waits for the run.</summary>
    /// <param name="a">The application (the drain's).</param>
    /// <param name="store">The store the drain wrote.</param>
    /// <returns>True when a run was started.</returns>
    public static bool StartIfSignalsPending(App a, SelftuneStore store)
    {
        var minutes = a.Config.GetInt(ConfigKeys.RunSignalIntervalMinutes.Key);
        if (minutes <= 0 || PendingSignals.Count(store).Count == 0 || RunLock.ReadHolder(Path.Combine(a.Home.Root, LockFile)) is not null)
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

    /// <summary>A run started by a hook: detached from the agent's session, its outputs appended to <c>logs/run.log</c>.</summary>
    private static async Task<int> InBackgroundAsync(App a, RunRequest request, CancellationToken ct)
    {
        SpoolFile.DetachFromSession();
        Directory.CreateDirectory(a.Home.LogsPath);
        await using var log = new StreamWriter(Path.Combine(a.Home.LogsPath, "run.log"), append: true) { AutoFlush = true };
        using var background = new App(a.Context, new Output(json: true, log, log));
        request.Configure(background);
        try
        {
            return await OnceAsync(background, request, ct).ConfigureAwait(false);
        }
        catch (SelftuneException ex)
        {
            background.Output.Failure(ex);
            return ex.ExitCode;
        }
    }

    /// <summary>One run: lock, choose the data, run the phases, record and print the report.</summary>
    private static async Task<int> OnceAsync(App a, RunRequest request, CancellationToken ct)
    {
        var time = TimeProvider.System;
        var started = time.GetUtcNow();
        var runId = $"run_{started.UtcDateTime:yyyyMMdd'T'HHmmss'Z'}_{Guid.NewGuid().ToString("N")[..6]}";
        a.Home.EnsureExists();
        using var runLock = RunLock.Acquire(Path.Combine(a.Home.Root, LockFile), runId, TimeSpan.FromMinutes(a.Config.GetInt(ConfigKeys.RunLockStaleMinutes.Key)), time);
        using var history = a.OpenStore();
        if (runLock.Recovered is { } crashed)
        {
            RunHistory.MarkCrashed(history, crashed.RunId, started, runLock.RecoveredReason!);
        }

        var sample = request.Sample || !HasAgentData(a, history);
        using var target = sample ? new App(SampleData.Prepare(a.Home, a.Context), a.Output) : null;
        if (target is not null)
        {
            request.Configure(target);
        }

        var run = new Run(target ?? a, request, runId, runLock, time)
        {
            Data = sample
                ? new RunData(true, SampleData.HomeFolder(a.Home), request.Sample
                    ? "--sample: this run used selftune's bundled sample sessions and skills, in a separate sample home; nothing of yours was read or changed."
                    : "No agent sessions were found on this machine, so this run used selftune's bundled sample sessions and skills, in a separate sample home; nothing of yours was read or changed. Use your agents, then run again (or `selftune init` to capture sessions live).")
                : new RunData(false, a.Context.UserHome),
            RecoveredLock = runLock.Recovered is { } r ? $"{r.RunId} (pid {r.Pid} on {r.Hostname}): {runLock.RecoveredReason}" : null,
        };
        RunHistory.Start(history, run.Report(RunStatus.Running), Environment.ProcessId, Environment.MachineName);

        var status = RunStatus.Completed;
        try
        {
            await run.ExecuteAsync(ct).ConfigureAwait(false);
            status = run.Phases.Any(x => x.Status == PhaseStatus.Failed) ? RunStatus.Failed : RunStatus.Completed;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            status = RunStatus.Cancelled;
        }

        var report = run.Report(status);
        var text = RunReportText.Render(report);
        RunHistory.Finish(history, report, text);
        a.Output.Stderr.Write(text);
        a.Output.Result(report, console => console.MarkupLine($"Run [bold]{Markup.Escape(report.RunId)}[/]: {report.Totals.Candidates} candidate(s), {report.Totals.Deployed} deployed, {report.Totals.RolledBack} rolled back. Details: [bold]selftune runs show {Markup.Escape(report.RunId)}[/]"));
        return status switch { RunStatus.Cancelled => 130, RunStatus.Failed => 1, _ => 0 };
    }

    /// <summary>True when the machine has agent data: the store holds sessions, or an ingestor finds a source.</summary>
    private static bool HasAgentData(App a, SelftuneStore store) =>
        (long)store.Scalar("SELECT EXISTS (SELECT 1 FROM sessions)")! != 0
        || a.All<IIngestor>().Any(i => i.Discover(a.Context, (_, _) => { }).Any());

    /// <summary>What was asked of a run.</summary>
    private sealed record RunRequest(RunTrigger Trigger, bool DryRun, string? Skill, bool Sample, int? MaxSkills, bool ReviewRequired)
    {
        /// <summary>Applies the flags that override configuration to an application the run uses.</summary>
        public void Configure(App app)
        {
            app.Flag(ConfigKeys.RunMaxSkills.Key, MaxSkills?.ToString(CultureInfo.InvariantCulture));
            app.Flag(ConfigKeys.RunReviewRequired.Key, ReviewRequired ? "true" : null);
        }
    }

    /// <summary>One run's phases and the report they fill.</summary>
    private sealed class Run(App a, RunRequest request, string runId, RunLock runLock, TimeProvider time)
    {
        private readonly List<SkillCandidate> _candidates = [];
        private readonly List<EvolutionResult> _evolutions = [];
        private readonly List<WatchResult> _watches = [];
        private readonly DateTimeOffset _started = time.GetUtcNow();
        private readonly bool _review = a.Config.GetBool(ConfigKeys.RunReviewRequired.Key);
        private readonly int _maxSkills = (int)Math.Max(0, a.Config.GetInt(ConfigKeys.RunMaxSkills.Key));
        private StatusReport? _status;
        private LlmClient? _llm;
        private string _llmState = "not needed";
        private int _graded;
        private int _signalsConsumed;

        public List<RunPhase> Phases { get; } = [];

        public RunData Data { get; init; } = new(false, string.Empty);

        public string? RecoveredLock { get; init; }

        public async Task ExecuteAsync(CancellationToken ct)
        {
            using var store = a.OpenStore();
            var llm = a.Get<ILlmClientFactory>();
            var llmReady = llm.IsAvailable(out var llmReason);
            _llm = llm.Create(runId);
            var heuristic = _llm.Backend == LlmBackends.Offline;
            _llmState = heuristic ? "offline (heuristic proposals, lexical validation; no grading)" : llmReady ? llmReason : $"none: {llmReason}";
            var noLlm = heuristic || llmReady ? null : llmReason;

            Phase(RunPhases.Sync, () =>
            {
                var sync = SyncCommands.Run(a, new SyncOptions(), ct);
                var read = sync.Platforms.Where(c => c.SourcesRead > 0).Select(c => $"{c.Platform} {c.SourcesRead}");
                return (PhaseStatus.Ok, $"{sync.Platforms.Sum(c => c.SourcesRead)} new or changed sources read ({string.Join(", ", read.DefaultIfEmpty("none"))}), {sync.Platforms.Sum(c => c.Sessions)} sessions, {sync.Platforms.Sum(c => c.ActionablePrompts)} actionable prompts; {sync.Platforms.Sum(c => c.Malformed)} malformed lines skipped", null);
            });

            await PhaseAsync(RunPhases.Discover, async () =>
            {
                var (status, summary, next, _) = await DiscoverPhase.RunAsync(a.Get<MissDiscovery>(), store, SkillLookup.Installed(a), heuristic || noLlm is not null ? null : _llm, request.DryRun, runId, ct).ConfigureAwait(false);
                return (status, summary, next);
            }).ConfigureAwait(false);

            Phase(RunPhases.Status, () =>
            {
                _status = StatusReporter.Build(store, () => SkillLookup.Installed(a), time.GetUtcNow());
                var labels = _status.Skills.GroupBy(s => s.Health).Select(g => $"{g.Count()} {System.Text.Json.JsonNamingPolicy.SnakeCaseLower.ConvertName(g.Key.ToString()).Replace('_', ' ')}");
                return (PhaseStatus.Ok, $"{_status.Skills.Count} skills ({string.Join(", ", labels.DefaultIfEmpty("none"))}); {_status.Unmatched.Count} actionable prompts no skill handled", null);
            });

            await PhaseAsync(RunPhases.Grade, async () =>
            {
                if (request.DryRun)
                {
                    return (PhaseStatus.Skipped, "dry run: nothing graded", null);
                }

                if (heuristic || noLlm is not null)
                {
                    return (PhaseStatus.Skipped, $"grading needs an LLM ({(heuristic ? "the offline backend cannot grade" : noLlm)})", "selftune llm test");
                }

                var (ungraded, graded, skipped, stopped) = await GradeCommands.GradeUngradedAsync(a, store, (int)a.Config.GetInt(ConfigKeys.RunMaxGrade.Key), _llm, ct).ConfigureAwait(false);
                _graded = graded.Count;
                return (PhaseStatus.Ok, $"{_graded} of {ungraded} ungraded sessions graded" + (skipped.Count > 0 ? $", {skipped.Count} skipped (unusable answers)" : string.Empty) + (stopped is { } why ? $"; stopped: {why}" : string.Empty), null);
            }).ConfigureAwait(false);

            Phase(RunPhases.Select, () =>
            {
                if (_status is null)
                {
                    return (PhaseStatus.Skipped, "no status to select from", "selftune status");
                }

                var rules = new SelectionRules(_maxSkills, TimeSpan.FromHours(a.Config.GetDouble(ConfigKeys.RunCooldownHours.Key)), (int)a.Config.GetInt(ConfigKeys.RunMinRealQueries.Key), request.Skill);
                _candidates.AddRange(CandidateSelector.Select(Evidence(store, _status), rules, time.GetUtcNow()));
                var picked = _candidates.Where(c => c.Action == "evolve").Select(c => c.Skill).ToList();
                if (request.Skill is { } only && _candidates.Count == 0)
                {
                    return (PhaseStatus.Skipped, $"'{only}' is neither installed nor seen in any session", "selftune status");
                }

                return (PhaseStatus.Ok, picked.Count == 0 ? $"none of {_candidates.Count} skills needs evolving now" : $"{picked.Count} of {_candidates.Count} skills picked: {string.Join(", ", picked)}", null);
            });

            await PhaseAsync(RunPhases.Evolve, async () =>
            {
                var picked = _candidates.Where(c => c.Action == "evolve").ToList();
                if (picked.Count == 0)
                {
                    return (PhaseStatus.Ok, "nothing to evolve", null);
                }

                if (request.DryRun)
                {
                    return (PhaseStatus.Skipped, $"dry run: would evolve {string.Join(", ", picked.Select(c => c.Skill))}", $"selftune run --review-required{(request.Skill is { } s ? $" --skill {s}" : string.Empty)}");
                }

                if (noLlm is not null)
                {
                    return (PhaseStatus.Skipped, $"evolving needs an LLM ({noLlm}); would evolve {string.Join(", ", picked.Select(c => c.Skill))}", "selftune llm test");
                }

                foreach (var candidate in picked)
                {
                    ct.ThrowIfCancellationRequested();
                    runLock.Heartbeat();
                    if (_evolutions.Any(e => e.Reason.StartsWith(ErrorCodes.BudgetExhausted, StringComparison.Ordinal)))
                    {
                        _evolutions.Add(new EvolutionResult(candidate.Skill, "failed", $"{ErrorCodes.BudgetExhausted}: the run's LLM budget was spent before this skill (config llm.max_calls, llm.max_tokens)."));
                        continue;
                    }

                    _evolutions.Add(await EvolveAsync(store, candidate.Skill, ct).ConfigureAwait(false));
                }

                var outcomes = _evolutions.GroupBy(e => e.Outcome).Select(g => $"{g.Count()} {g.Key.Replace('_', ' ')}");
                return (PhaseStatus.Ok, string.Join(", ", outcomes), _evolutions.Any(e => e.Outcome == "awaiting_review") ? "selftune proposals list" : null);
            }).ConfigureAwait(false);

            Phase(RunPhases.Watch, () =>
            {
                runLock.Heartbeat();
                var fresh = _evolutions.Where(e => e.Outcome == "deployed").Select(e => e.Skill).ToHashSet(StringComparer.OrdinalIgnoreCase);
                var since = time.GetUtcNow().AddDays(-a.Config.GetDouble(ConfigKeys.RunWatchDays.Key));
                var recent = RecentlyDeployed(store, since).Where(s => request.Skill is null || string.Equals(s, request.Skill, StringComparison.OrdinalIgnoreCase)).ToList();
                var options = new WatchOptions((int)a.Config.GetInt(ConfigKeys.WatchMinSessions.Key), (int)a.Config.GetInt(ConfigKeys.WatchWindowSessions.Key), a.Config.GetDouble(ConfigKeys.WatchThreshold.Key));
                foreach (var skill in recent.Where(s => !fresh.Contains(s)))
                {
                    var watch = a.Get<WatchService>().Watch(store, skill, options, autoRollback: !request.DryRun);
                    var verdict = watch.Verdict switch { WatchVerdict.Stable => "stable", WatchVerdict.Regressed => "regressed", _ => "not_enough_data" };
                    _watches.Add(new WatchResult(skill, verdict, watch.Message, watch.RolledBack is not null, watch.ProposalId));
                }

                var deferred = fresh.Count > 0 ? $"; deployed in this run, judged by a later run once new sessions exist: {string.Join(", ", fresh)}" : string.Empty;
                return (PhaseStatus.Ok, (_watches.Count == 0 ? "no deploy to watch" : string.Join(", ", _watches.GroupBy(w => w.Verdict).Select(g => $"{g.Count()} {g.Key.Replace('_', ' ')}"))) + deferred, null);
            });
        }

        public RunReport Report(RunStatus status)
        {
            var ended = status == RunStatus.Running ? (DateTimeOffset?)null : time.GetUtcNow();
            var totals = new RunTotals(
                _candidates.Count,
                _candidates.Count(c => c.Action == "evolve"),
                _graded,
                _evolutions.Count(e => e.Outcome == "deployed"),
                _evolutions.Count(e => e.Outcome == "awaiting_review"),
                _watches.Count,
                _watches.Count(w => w.RolledBack),
                _signalsConsumed,
                _llm?.Usage.Calls ?? 0,
                _llm?.Usage.CostUsd ?? 0);
            var next = Data.Sample ? "selftune init"
                : totals.AwaitingReview > 0 ? "selftune proposals list"
                : Phases.FirstOrDefault(x => x.NextCommand is not null)?.NextCommand;
            return new RunReport(
                runId, _started, ended, (long)((ended ?? time.GetUtcNow()) - _started).TotalMilliseconds, request.Trigger, status, request.DryRun, _review,
                request.Skill, _maxSkills, Data, _llmState, Phases.ToList(), _candidates.ToList(), _evolutions.ToList(), _watches.ToList(), totals, RecoveredLock, next);
        }

        /// <summary>Each status skill's evidence, with its pending signals, grading failures, real prompts and last deploy.</summary>
        private Dictionary<string, CandidateEvidence> Evidence(SelftuneStore store, StatusReport status)
        {
            var signals = PendingSignals.Count(store);
            var grades = a.Get<GradingStore>().Summaries(store).ToDictionary(g => g.Skill, StringComparer.OrdinalIgnoreCase);
            var evidence = EvalEvidence.Summarize(store, status.Skills.Where(s => s.Installed).Select(s => s.Name))
                .GroupBy(e => SkillNames.Bare(e.Skill), StringComparer.OrdinalIgnoreCase)
                .ToDictionary(g => g.Key, g => g.MaxBy(e => e.RealPositives)!, StringComparer.OrdinalIgnoreCase);
            var deploys = store.Query("SELECT skill_name, MAX(occurred_at) FROM evolution_audit WHERE action = 'deployed' GROUP BY skill_name", r => (r.GetString(0), r.GetInt64(1)))
                .ToDictionary(x => x.Item1, x => DateTimeOffset.FromUnixTimeMilliseconds(x.Item2), StringComparer.OrdinalIgnoreCase);
            var result = new Dictionary<string, CandidateEvidence>(StringComparer.OrdinalIgnoreCase);
            foreach (var s in status.Skills)
            {
                var windows = s.Windows;
                result[s.Name] = new CandidateEvidence(
                    s.Triggers,
                    s.Misses,
                    windows.Count >= 2 ? windows[^2].Misses : null,
                    s.Trend,
                    signals.GetValueOrDefault(s.Name),
                    grades.TryGetValue(s.Name, out var g) ? g.OpenFailures : 0,
                    evidence.GetValueOrDefault(SkillNames.Bare(s.Name))?.RealPositives ?? 0,
                    deploys.TryGetValue(s.Name, out var d) ? d : null,
                    System.Text.Json.JsonNamingPolicy.SnakeCaseLower.ConvertName(s.Health.ToString()),
                    s.Installed,
                    s.ReadsNotInvoked,
                    evidence.GetValueOrDefault(SkillNames.Bare(s.Name))?.ExplicitPositives ?? 0,
                    s.MissesByKind?.Sum(k => k.LowConfidence) ?? 0);
            }

            return result;
        }

        private async Task<EvolutionResult> EvolveAsync(SelftuneStore store, string skill, CancellationToken ct)
        {
            try
            {
                RefreshEvalSet(store, skill);
                var result = await EvolutionCommands.EvolveSkillAsync(a, store, skill, null, _review, _llm!, ct).ConfigureAwait(false);
                var winner = result.Candidates.FirstOrDefault(c => c.ProposalId == result.WinnerId);
                var outcome = result.Deployed ? "deployed" : result.WinnerId is not null ? "awaiting_review" : "rejected";
                _signalsConsumed += PendingSignals.Consume(store, skill, runId, time.GetUtcNow());
                return new EvolutionResult(skill, outcome, result.Reason, result.WinnerId, result.Original?.PassRate, winner?.Validation?.After, result.Spend.Calls, result.Spend.CostUsd);
            }
            catch (SelftuneException ex)
            {
                return new EvolutionResult(skill, "failed", $"{ex.Code}: {ex.Message}" + (ex.NextCommand is { } next ? $" (next: {next})" : string.Empty));
            }
        }

        /// <summary>Builds the skill's eval set from the store's real prompts (deterministic under the default seed) and saves it
        /// when it differs from the latest one, so evolution works from the sessions synced since.</summary>
        private void RefreshEvalSet(SelftuneStore store, string skill)
        {
            var generation = a.Get<EvalSetGenerator>().Generate(store, new EvalGenerateOptions(skill), SkillLookup.Find(a, skill, null, store));
            var evalSets = a.Get<EvalSetStore>();
            if (evalSets.Latest(store, skill) is not { } latest || !latest.Entries.SequenceEqual(generation.Set.Entries))
            {
                evalSets.Save(store, generation.Set);
            }
        }

        private static IReadOnlyList<string> RecentlyDeployed(SelftuneStore store, DateTimeOffset since) => store.Query(
            "SELECT DISTINCT skill_name FROM evolution_proposals WHERE status = 'deployed' AND proposal_id IN (SELECT proposal_id FROM evolution_audit WHERE action = 'deployed' AND occurred_at >= $since) ORDER BY skill_name",
            r => r.GetString(0),
            ("$since", since.ToUnixTimeMilliseconds()));


        private void Phase(string name, Func<(PhaseStatus Status, string Summary, string? Next)> work) =>
            PhaseAsync(name, () => Task.FromResult(work())).GetAwaiter().GetResult();

        private async Task PhaseAsync(string name, Func<Task<(PhaseStatus Status, string Summary, string? Next)>> work)
        {
            var clock = Stopwatch.StartNew();
            try
            {
                var (status, summary, next) = await work().ConfigureAwait(false);
                Phases.Add(new RunPhase(name, status, clock.ElapsedMilliseconds, summary, next));
            }
            catch (SelftuneException ex)
            {
                Phases.Add(new RunPhase(name, PhaseStatus.Failed, clock.ElapsedMilliseconds, $"{ex.Code}: {ex.Message}", ex.NextCommand));
            }
        }
    }
}
