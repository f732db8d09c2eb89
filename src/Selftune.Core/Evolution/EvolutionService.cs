using System.Globalization;
using Selftune.Abstractions;
using Selftune.Core.Eval;
using Selftune.Core.Grading;
using Selftune.Core.Llm;
using Selftune.Core.Skills;
using Selftune.Core.Store;

namespace Selftune.Core.Evolution;

/// <summary>What <c>selftune evolve</c> was asked to do.</summary>
/// <param name="Skill">The skill's name.</param>
/// <param name="SkillPath">Its SKILL.md.</param>
/// <param name="Candidates">Proposals to make (each aimed at a different cluster or invocation type; fewer when there are fewer aims).</param>
/// <param name="DryRun">Validate but do not deploy (the winner stays <c>validated</c>).</param>
internal sealed record EvolveOptions(string Skill, string SkillPath, int Candidates = 3, bool DryRun = false);

/// <summary>How a proposal is proved on held-out prompts (<c>evolve.validation</c>, <c>--validation</c>).</summary>
internal enum ValidationMode
{
    /// <summary>Replay through the agent when its runner can, else judge.</summary>
    Auto,
    /// <summary>An LLM votes YES/NO on whether the description would trigger.</summary>
    Judge,
    /// <summary>The real agent, one run per query.</summary>
    Replay,
}

/// <summary>How validation was chosen.</summary>
/// <param name="Requested">The mode asked for.</param>
/// <param name="JudgeRuns">Judge votes per query.</param>
/// <param name="JudgeBatchSize">Queries per judge call.</param>
/// <param name="ReplayTimeout">Wall-clock limit of one replay.</param>
internal sealed record ValidationSettings(ValidationMode Requested = ValidationMode.Auto, int JudgeRuns = 3, int JudgeBatchSize = 25, TimeSpan? ReplayTimeout = null);

/// <summary>What the evolve run may use.</summary>
/// <param name="Llm">The LLM (an offline client in heuristic mode).</param>
/// <param name="Heuristic">True for <c>--llm offline</c>: heuristic proposals, lexical validation.</param>
/// <param name="ReplayRunner">An available runner that can replay for the skill's platform, or null.</param>
/// <param name="UserSkillRoots">Skill folders outside a replay workspace whose same-name skill is shadowed during replays.</param>
/// <param name="ReplayJournal">Where shadowed skills are journaled.</param>
internal sealed record EvolveTools(LlmClient Llm, bool Heuristic, IAgentRunner? ReplayRunner, IReadOnlyList<string> UserSkillRoots, string ReplayJournal);

/// <summary>One candidate's fate.</summary>
/// <param name="ProposalId">Its id, when it was proposed.</param>
/// <param name="Aim">What it targeted.</param>
/// <param name="Description">The proposed text.</param>
/// <param name="Status"><c>rejected</c>, <c>validated</c> (the winner of a dry run), <c>deployed</c>, or <c>failed</c> (no proposal).</param>
/// <param name="ChecksFailed">Static checks it failed (then it was not validated).</param>
/// <param name="Validation">Its comparison with the original on the validation split.</param>
/// <param name="Rationale">The proposer's rationale.</param>
/// <param name="Reason">Why this status, for a person.</param>
internal sealed record CandidateReport(string? ProposalId, string Aim, string? Description, string Status, IReadOnlyList<string> ChecksFailed, Comparison? Validation, string? Rationale, string Reason);

/// <summary>The LLM spend of the run.</summary>
/// <param name="Backend">Backend name.</param>
/// <param name="Model">Model asked for.</param>
/// <param name="Calls">LLM requests made (proposals and judge calls).</param>
/// <param name="InputTokens">Input tokens.</param>
/// <param name="OutputTokens">Output tokens.</param>
/// <param name="CostUsd">Cost in USD, where known.</param>
/// <param name="ElapsedMs">Time spent in calls (ms).</param>
/// <param name="ReplayRuns">Agent runs made by replay validation.</param>
/// <param name="ReplayCostUsd">Their cost in USD, as the agent reported it.</param>
internal sealed record EvolveSpend(string Backend, string? Model, int Calls, long InputTokens, long OutputTokens, decimal CostUsd, long ElapsedMs, int ReplayRuns, decimal ReplayCostUsd);

/// <summary>The failure analysis, summarized.</summary>
/// <param name="Missed">Missed train queries.</param>
/// <param name="Clusters">Their clusters: type and queries.</param>
/// <param name="Anchors">Anchor terms every candidate must keep.</param>
/// <param name="Feedback">Grading failure feedback used.</param>
internal sealed record FailureSummary(int Missed, IReadOnlyList<FailureCluster> Clusters, IReadOnlyList<string> Anchors, IReadOnlyList<string> Feedback);

/// <summary>The result of <c>selftune evolve</c>.</summary>
/// <param name="Skill">The skill.</param>
/// <param name="SkillPath">Its SKILL.md.</param>
/// <param name="RunId">This run's id (proposal ids extend it).</param>
/// <param name="Heuristic">True when no LLM was used (<c>--llm offline</c>): proposals and validation are heuristic.</param>
/// <param name="ValidationMethod"><c>judge</c>, <c>replay</c> or <c>lexical</c>; null when validation never started.</param>
/// <param name="ValidationNote">How the method was chosen (e.g. why auto picked it).</param>
/// <param name="EvalSetId">The eval set used.</param>
/// <param name="TrainEntries">Its train entries (the proposer's evidence).</param>
/// <param name="ValidationEntries">Its held-out entries.</param>
/// <param name="Failures">The failure analysis.</param>
/// <param name="Original">The original description's results on the validation split, computed once.</param>
/// <param name="Candidates">Every candidate.</param>
/// <param name="WinnerId">The accepted candidate chosen (highest pass rate, then shortest).</param>
/// <param name="Deployed">True when the winner was written into the SKILL.md.</param>
/// <param name="DryRun">True when deploying was not asked for.</param>
/// <param name="Deploy">The deploy, when there was one.</param>
/// <param name="Spend">LLM calls, tokens, cost, replays.</param>
/// <param name="Reason">The outcome in one sentence.</param>
/// <param name="NextCommand">What to run next, when anything.</param>
internal sealed record EvolveResult(
    string Skill,
    string SkillPath,
    string RunId,
    bool Heuristic,
    string? ValidationMethod,
    string? ValidationNote,
    string? EvalSetId,
    int TrainEntries,
    int ValidationEntries,
    FailureSummary? Failures,
    DescriptionScore? Original,
    IReadOnlyList<CandidateReport> Candidates,
    string? WinnerId,
    bool Deployed,
    bool DryRun,
    DeployResult? Deploy,
    EvolveSpend Spend,
    string Reason,
    string? NextCommand);

/// <summary>
/// The evolution pipeline for one skill's description: failure analysis of the train split → N proposals, each aimed
/// at a different cluster or invocation type → static checks before any validation spend → validation on the held-out
/// split, with the original's results computed once and reused for every candidate → acceptance
/// (<see cref="Acceptance"/>) → deploy of the best accepted candidate (unless dry run). Every step is an audit row
/// with its evidence.
/// </summary>
internal sealed class EvolutionService
{
    /// <summary>Fewest held-out entries worth validating on.</summary>
    public const int MinValidationEntries = 4;

    /// <summary>Most grading failure-feedback lines given to the proposer.</summary>
    public const int MaxFeedback = 6;

    private readonly EvalSetStore _evalSets;
    private readonly GradingStore _grading;
    private readonly SkillDeployer _deployer;
    private readonly TimeProvider _time;

    /// <summary>Creates the service.</summary>
    public EvolutionService(EvalSetStore evalSets, GradingStore grading, SkillDeployer deployer, TimeProvider time)
    {
        _evalSets = evalSets;
        _grading = grading;
        _deployer = deployer;
        _time = time;
    }

    /// <summary>The available runner that can replay for <paramref name="skill"/>: its platform is where the skill was used
    /// most; runners that cannot replay, or whose agent is not installed, are skipped.</summary>
    public static IAgentRunner? ReplayRunner(SelftuneStore store, string skill, IEnumerable<IAgentRunner> runners, PlatformContext context)
    {
        var usage = store.Query("SELECT platform, skill_name, count(*) FROM skill_invocations GROUP BY platform, skill_name", r => (r.GetString(0), r.GetString(1), r.GetInt64(2)))
            .Where(x => SkillNames.Same(x.Item2, skill))
            .GroupBy(x => x.Item1)
            .ToDictionary(g => g.Key, g => g.Sum(x => x.Item3), StringComparer.Ordinal);
        return runners.Where(r => r.ProjectSkillFolder is not null && r.IsAvailable(context))
            .OrderByDescending(r => usage.GetValueOrDefault(r.Platform))
            .ThenBy(r => r.Platform, StringComparer.Ordinal)
            .FirstOrDefault();
    }

    /// <summary>Runs the pipeline.</summary>
    /// <param name="store">The store.</param>
    /// <param name="options">What to evolve.</param>
    /// <param name="validation">How to validate.</param>
    /// <param name="tools">LLM and runners.</param>
    /// <param name="progress">Receives one line per step, for a person.</param>
    /// <param name="ct">Cancellation.</param>
    /// <exception cref="SelftuneException"><see cref="ErrorCodes.NotEnoughData"/> without an eval set or held-out entries;
    /// <see cref="ErrorCodes.InvalidArgument"/> for a SKILL.md of another skill or an impossible validation method;
    /// <see cref="ErrorCodes.UnsafeEdit"/> for an unparseable SKILL.md; LLM errors other than an unusable answer.</exception>
    public async Task<EvolveResult> EvolveAsync(SelftuneStore store, EvolveOptions options, ValidationSettings validation, EvolveTools tools, IProgress<string>? progress, CancellationToken ct)
    {
        var (runId, skill) = Begin(options, _time);

        var evalSet = _evalSets.Latest(store, options.Skill)
            ?? throw new SelftuneException(ErrorCodes.NotEnoughData, $"There is no eval set for {ShellCommand.Quoted(options.Skill)} yet; evolve needs one to find misses and to prove a proposal.", ShellCommand.Line($"selftune eval generate --skill {options.Skill:skill}"));
        var train = evalSet.Train.ToList();
        var held = evalSet.Validation.ToList();
        if (held.Count < MinValidationEntries || !held.Any(e => e.ShouldTrigger))
        {
            throw new SelftuneException(ErrorCodes.NotEnoughData,
                $"Eval set {evalSet.Id} holds {held.Count} validation entries ({held.Count(e => e.ShouldTrigger)} positive); at least {MinValidationEntries} with one positive are needed to prove a proposal.",
                ShellCommand.Line($"selftune eval generate --skill {options.Skill:skill} --synthetic"));
        }

        var run = new Run(this, store, options, tools, runId, skill, evalSet, held, progress);
        var failures = FailureAnalysis.Analyze(store, options.Skill, skill.Description, train, _grading.FailureFeedback(store, options.Skill, MaxFeedback));
        var summary = new FailureSummary(failures.Missed.Count, failures.Clusters, failures.Anchors, failures.Feedback);
        progress?.Report($"{failures.Missed.Count} of {train.Count(e => e.ShouldTrigger)} should-trigger train queries were missed, in {failures.Clusters.Count} cluster(s).");
        if (failures.Missed.Count == 0)
        {
            return run.Result(summary, null, [], null, null, $"Nothing to improve: the skill triggered by itself on every should-trigger train query of eval set {evalSet.Id}.", null);
        }

        var (validator, note) = Choose(validation, tools);
        progress?.Report($"Validating on {held.Count} held-out entries with {validator.Method} ({note}).");
        DescriptionScore original;
        try
        {
            original = DescriptionScore.Of(held, await run.ScoreAsync(validator, skill.Description, null, ct).ConfigureAwait(false));
        }
        catch (SelftuneException ex) when (validator is ReplayValidator && validation.Requested == ValidationMode.Auto && ex.Code == ErrorCodes.LlmUnavailable && tools.Llm.IsAvailable)
        {
            (validator, note) = (Judge(validation, tools), $"auto: replay failed ({ex.Message}); used the judge");
            progress?.Report(note);
            original = DescriptionScore.Of(held, await run.ScoreAsync(validator, skill.Description, null, ct).ConfigureAwait(false));
        }

        run.Method = (validator.Method, note);
        if (original.PassCount == held.Count)
        {
            return run.Result(summary, original, [], null, null, $"The original already passes all {held.Count} validation entries; no candidate could prove itself better.", null);
        }

        var proposer = tools.Heuristic ? new HeuristicDescriptionProposer() : (IDescriptionProposer)new LlmDescriptionProposer(tools.Llm);
        var candidates = new List<(CandidateReport Report, DescriptionScore? Score)>();
        var aims = failures.Aims(Math.Max(1, options.Candidates));
        for (var i = 0; i < aims.Count; i++)
        {
            candidates.Add(await run.CandidateAsync(i + 1, aims[i], failures, proposer, validator, original, ct).ConfigureAwait(false));
            if (run.BudgetSpent)
            {
                break;
            }
        }

        var winner = candidates.Where(c => c.Report.Validation?.Accepted == true)
            .OrderByDescending(c => c.Score!.PassCount)
            .ThenBy(c => c.Report.Description!.Length)
            .Select(c => c.Report)
            .FirstOrDefault();
        var trail = new AuditTrail(store);
        var reports = new List<CandidateReport>();
        foreach (var (report, _) in candidates)
        {
            if (report.Validation?.Accepted == true && report != winner)
            {
                trail.Record(options.Skill, report.ProposalId, AuditActions.Rejected, tools.Heuristic, $"Validated, but {winner!.ProposalId} won: higher pass rate or shorter.", null, _time.GetUtcNow());
                reports.Add(report with { Status = AuditActions.Rejected, Reason = $"another candidate won ({winner.ProposalId})" });
            }
            else
            {
                reports.Add(report);
            }
        }

        if (winner is null)
        {
            return run.Result(summary, original, reports, null, null, $"No candidate was accepted: {candidates.Count} proposed, none beat the original on the validation split by the required margin.", null);
        }

        if (options.DryRun)
        {
            return run.Result(summary, original, reports, winner.ProposalId, null,
                $"Dry run: {winner.ProposalId} was validated ({winner.Validation!.Reason}) and not deployed.", ShellCommand.Line($"selftune evolve --skill {options.Skill:skill}"));
        }

        var deploy = _deployer.Deploy(trail, trail.Proposal(winner.ProposalId!)!);
        progress?.Report($"Deployed {winner.ProposalId} to {deploy.SkillPath} (backup {deploy.BackupPath}).");
        reports = reports.Select(r => r == winner ? r with { Status = AuditActions.Deployed } : r).ToList();
        return run.Result(summary, original, reports, winner.ProposalId, deploy,
            $"Deployed {winner.ProposalId}: {winner.Validation!.Reason}.", ShellCommand.Line($"selftune watch --skill {options.Skill:skill}"));
    }

    /// <summary>The run id of an evolve started now, and the SKILL.md at <see cref="EvolveOptions.SkillPath"/>, checked to be
    /// the skill's own.</summary>
    /// <param name="options">The skill and its SKILL.md.</param>
    /// <param name="time">The clock of the run id.</param>
    /// <exception cref="SelftuneException"><see cref="ErrorCodes.InvalidArgument"/> for a SKILL.md of another skill.</exception>
    internal static (string RunId, SkillFile Skill) Begin(EvolveOptions options, TimeProvider time)
    {
        var runId = $"evo-{options.Skill}-{time.GetUtcNow().UtcDateTime.ToString("yyyyMMdd'T'HHmmssfff'Z'", CultureInfo.InvariantCulture)}";
        var skill = SkillFile.Load(options.SkillPath);
        if (skill.Name is { } name && !SkillNames.Same(options.Skill, name))
        {
            throw new SelftuneException(ErrorCodes.InvalidArgument, $"'{skill.Path}' is the SKILL.md of {ShellCommand.Quoted(name)}, not of {ShellCommand.Quoted(options.Skill)}.", ShellCommand.Line($"selftune evolve --skill {name:skill} --skill-path {skill.Path}"), exitCode: 2);
        }

        return (runId, skill);
    }

    /// <summary>The trigger validator for <paramref name="settings"/> and why it was chosen.</summary>
    /// <param name="settings">What was asked.</param>
    /// <param name="tools">The LLM and the replay runner.</param>
    /// <param name="showBody">A judge also sees the SKILL.md's body (body and routing evolution).</param>
    /// <exception cref="SelftuneException"><see cref="ErrorCodes.InvalidArgument"/> for replay without a runner that can replay.</exception>
    internal static (ITriggerValidator Validator, string Note) Choose(ValidationSettings settings, EvolveTools tools, bool showBody = false)
    {
        if (tools.Heuristic)
        {
            return (new LexicalValidator(), "heuristic: --llm offline validates with a lexical matcher, not the agent");
        }

        ITriggerValidator Replay() => new ReplayValidator(tools.ReplayRunner!, tools.UserSkillRoots, tools.ReplayJournal, settings.ReplayTimeout ?? TimeSpan.FromMinutes(2));
        return settings.Requested switch
        {
            ValidationMode.Judge => (Judge(settings, tools, showBody), "judge, as asked"),
            ValidationMode.Replay when tools.ReplayRunner is null => throw new SelftuneException(ErrorCodes.InvalidArgument,
                "--validation replay needs an installed agent whose runner can replay (its CLI on PATH; see selftune plugins); none is available.", "selftune evolve --validation judge", exitCode: 2),
            ValidationMode.Replay => (Replay(), $"replay through {tools.ReplayRunner!.Executable}, as asked"),
            _ when tools.ReplayRunner is not null => (Replay(), $"auto: replay through {tools.ReplayRunner.Executable} (its runner supports replay)"),
            _ => (Judge(settings, tools, showBody), "auto: judge (no available agent runner can replay)"),
        };
    }

    /// <summary>The judge for <paramref name="settings"/>.</summary>
    internal static JudgeValidator Judge(ValidationSettings settings, EvolveTools tools, bool showBody = false) => new(tools.Llm, settings.JudgeRuns, settings.JudgeBatchSize, showBody);

    /// <summary>The state of one evolve run.</summary>
    private sealed class Run(EvolutionService service, SelftuneStore store, EvolveOptions options, EvolveTools tools, string runId, SkillFile skill, EvalSet evalSet, List<EvalEntry> held, IProgress<string>? progress)
    {
        private readonly AuditTrail _trail = new(store);

        public (string Name, string Note)? Method { get; set; }

        /// <summary>True once the LLM budget ran out: no further candidate is tried.</summary>
        public bool BudgetSpent { get; private set; }

        private int ReplayRuns { get; set; }

        private decimal ReplayCost { get; set; }

        public async Task<IReadOnlyList<bool>> ScoreAsync(ITriggerValidator validator, string description, Func<IReadOnlyList<bool>, bool>? giveUp, CancellationToken ct)
        {
            var triggered = await validator.TriggersAsync(skill, description, held, giveUp, ct).ConfigureAwait(false);
            if (validator is ReplayValidator replay)
            {
                (ReplayRuns, ReplayCost) = (replay.Runs, replay.CostUsd);
            }

            return triggered;
        }

        public async Task<(CandidateReport, DescriptionScore?)> CandidateAsync(
            int n, ProposalAim aim, FailureReport failures, IDescriptionProposer proposer, ITriggerValidator validator, DescriptionScore original, CancellationToken ct)
        {
            var limit = DescriptionChecks.LengthLimit(skill.Description);
            ProposedDescription proposed;
            try
            {
                proposed = await proposer.ProposeAsync(new ProposalRequest(options.Skill, skill.Description, aim, failures, limit), ct).ConfigureAwait(false);
            }
            catch (SelftuneException ex) when (ex.Code is ErrorCodes.LlmBadAnswer or ErrorCodes.BudgetExhausted)
            {
                BudgetSpent = ex.Code == ErrorCodes.BudgetExhausted;
                progress?.Report($"Candidate {n} ({aim.Label}): no usable proposal: {ex.Message}");
                return (new CandidateReport(null, aim.Label, null, "failed", [], null, null, ex.Message), null);
            }

            var id = $"{runId}-{n}";
            var proposal = new Proposal(id, runId, options.Skill, skill.Path, service._time.GetUtcNow(), tools.Heuristic, aim.Label, skill.Description, proposed.Description, skill.Sha256, proposed.Rationale, AuditActions.Created);
            _trail.Add(proposal);
            _trail.Record(options.Skill, id, AuditActions.Created, tools.Heuristic, $"Proposed for {aim.Label}.",
                new { aim = aim.Label, focus = aim.Focus, anchors = failures.Anchors, proposer = tools.Heuristic ? "heuristic" : tools.Llm.Backend, model = tools.Heuristic ? null : tools.Llm.Model, proposed.Rationale },
                service._time.GetUtcNow());

            var checks = DescriptionChecks.Check(skill, proposed.Description, failures.Anchors);
            if (checks.Count > 0)
            {
                var why = "failed static checks: " + string.Join("; ", checks);
                _trail.Record(options.Skill, id, AuditActions.Rejected, tools.Heuristic, $"Rejected before validation: {string.Join("; ", checks)}.", new { checks }, service._time.GetUtcNow());
                progress?.Report($"Candidate {n} ({aim.Label}): {why}");
                return (new CandidateReport(id, aim.Label, proposed.Description, AuditActions.Rejected, checks, null, proposed.Rationale, why), null);
            }

            IReadOnlyList<bool> triggered;
            try
            {
                triggered = await ScoreAsync(validator, proposed.Description, t => Acceptance.Hopeless(original, held, t) is not null, ct).ConfigureAwait(false);
            }
            catch (SelftuneException ex)
            {
                _trail.Record(options.Skill, id, AuditActions.Rejected, tools.Heuristic, $"Validation did not finish: {ex.Message}", null, service._time.GetUtcNow());
                BudgetSpent = ex.Code == ErrorCodes.BudgetExhausted;
                if (!BudgetSpent && ex.Code != ErrorCodes.LlmBadAnswer && !(ex.Code == ErrorCodes.LlmUnavailable && validator is ReplayValidator))
                {
                    throw;
                }

                return (new CandidateReport(id, aim.Label, proposed.Description, AuditActions.Rejected, [], null, proposed.Rationale, "validation failed: " + ex.Message), null);
            }

            if (triggered.Count < held.Count)
            {
                var why = Acceptance.Hopeless(original, held, triggered)!;
                _trail.Record(options.Skill, id, AuditActions.Rejected, tools.Heuristic, $"Rejected: {why}.", Evidence(original, triggered, null, null), service._time.GetUtcNow());
                progress?.Report($"Candidate {n} ({aim.Label}): rejected: {why}");
                return (new CandidateReport(id, aim.Label, proposed.Description, AuditActions.Rejected, [], null, proposed.Rationale, why), null);
            }

            var score = DescriptionScore.Of(held, triggered);
            var comparison = Acceptance.Compare(original, score);
            var action = comparison.Accepted ? AuditActions.Validated : AuditActions.Rejected;
            _trail.Record(options.Skill, id, action, tools.Heuristic, (comparison.Accepted ? "Validated: " : "Rejected: ") + comparison.Reason + ".", Evidence(original, triggered, score, comparison), service._time.GetUtcNow());
            progress?.Report($"Candidate {n} ({aim.Label}): {action}: {comparison.Reason}");
            return (new CandidateReport(id, aim.Label, proposed.Description, action, [], comparison, proposed.Rationale, comparison.Reason), score);
        }

        public EvolveResult Result(FailureSummary summary, DescriptionScore? original, IReadOnlyList<CandidateReport> candidates, string? winner, DeployResult? deploy, string reason, string? next)
        {
            var usage = tools.Llm.Usage;
            var spend = new EvolveSpend(tools.Llm.Backend, tools.Llm.Model, usage.Calls, usage.InputTokens, usage.OutputTokens, usage.CostUsd, usage.ElapsedMs, ReplayRuns, ReplayCost);
            return new EvolveResult(
                options.Skill, skill.Path, runId, tools.Heuristic, Method?.Name, Method?.Note, evalSet.Id, evalSet.Train.Count(), held.Count, summary, original,
                candidates, winner, deploy is not null, options.DryRun, deploy, spend, tools.Heuristic ? "[heuristic] " + reason : reason, next);
        }

        /// <summary>The evidence of a validation: the eval snapshot, per-entry results (only the entries run, when it stopped
        /// early), the pass rates, the comparison and the spend so far.</summary>
        private object Evidence(DescriptionScore original, IReadOnlyList<bool> triggered, DescriptionScore? candidate, Comparison? comparison)
        {
            var usage = tools.Llm.Usage;
            return new
            {
                method = Method?.Name,
                note = Method?.Note,
                heuristic = tools.Heuristic,
                eval_set_id = evalSet.Id,
                eval_snapshot = held.Select(e => new { e.Query, e.ShouldTrigger, e.Type, e.Synthetic, e.PromptId }),
                per_entry = triggered.Select((t, i) => new { index = i, expected = held[i].ShouldTrigger, before = original.Triggered[i], after = t }),
                before = new { original.PassRate, original.PassCount, original.ByType },
                after = candidate is null ? null : new { candidate.PassRate, candidate.PassCount, candidate.ByType },
                comparison,
                llm = new { tools.Llm.Backend, tools.Llm.Model, calls_so_far = usage.Calls, cost_usd_so_far = usage.CostUsd, replay_runs_so_far = ReplayRuns, replay_cost_usd_so_far = ReplayCost },
            };
        }
    }
}
