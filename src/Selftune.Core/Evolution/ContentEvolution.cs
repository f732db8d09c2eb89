using System.Globalization;
using System.Text;
using System.Text.Json;
using Selftune.Abstractions;
using Selftune.Core.Eval;
using Selftune.Core.Grading;
using Selftune.Core.Llm;
using Selftune.Core.Skills;
using Selftune.Core.Store;

namespace Selftune.Core.Evolution;

/// <summary>The gates of a body or routing evolve beyond structure and triggering.</summary>
/// <param name="QualityModel">The second model that judges quality (<c>evolve.quality_model</c>); null: the LLM's own.</param>
/// <param name="QualityThreshold">Score (0..1) a proposal needs from the quality judge (<c>evolve.quality_threshold</c>).</param>
/// <param name="Reviewer">The agent CLI that reviews the winner (<c>evolve.review</c>), or null for no review gate.</param>
/// <param name="ReviewTimeout">Wall-clock limit of the review.</param>
internal sealed record ContentGates(string? QualityModel, double QualityThreshold, IAgentRunner? Reviewer, TimeSpan ReviewTimeout);

/// <summary>A body or routing candidate's fate.</summary>
/// <param name="ProposalId">Its id.</param>
/// <param name="Status"><c>rejected</c>, <c>validated</c> (the winner of a dry run) or <c>deployed</c>.</param>
/// <param name="Gate">The gate it failed (<c>structure</c>, <c>trigger</c>, <c>quality</c>, <c>review</c>), or null when it passed every gate.</param>
/// <param name="ChecksFailed">Structural checks it failed (then nothing was spent validating it).</param>
/// <param name="Trigger">Its trigger results against the original's on the held-out split.</param>
/// <param name="Quality">The quality judge's score (0..1).</param>
/// <param name="QualityReason">The judge's reason.</param>
/// <param name="Review">The reviewer's verdict (<c>approve</c> or <c>reject</c>) when the review gate ran.</param>
/// <param name="Content">The proposed text.</param>
/// <param name="Rationale">The proposer's rationale.</param>
/// <param name="Reason">Why this status, for a person.</param>
/// <param name="Fingerprint">SHA-256 of the whole SKILL.md with the candidate in place: a candidate equal to the original or
/// to an earlier one is evaluated once (gate <c>duplicate</c>).</param>
internal sealed record ContentCandidate(string ProposalId, string Status, string? Gate, IReadOnlyList<string> ChecksFailed, Comparison? Trigger, double? Quality, string? QualityReason, string? Review, string Content, string? Rationale, string Reason, string? Fingerprint = null);

/// <summary>The result of <c>selftune evolve --target routing|body</c>.</summary>
/// <param name="Skill">The skill.</param>
/// <param name="SkillPath">Its SKILL.md.</param>
/// <param name="Target"><c>routing</c> or <c>body</c>.</param>
/// <param name="RunId">This run's id.</param>
/// <param name="ValidationMethod"><c>judge</c> or <c>replay</c>; null when no candidate reached the trigger gate.</param>
/// <param name="ValidationNote">How the method was chosen.</param>
/// <param name="EvalSetId">The eval set.</param>
/// <param name="ValidationEntries">Its held-out entries.</param>
/// <param name="Evidence">The execution evidence the proposer was shown.</param>
/// <param name="OriginalTrigger">The original's trigger results on the held-out split (computed once).</param>
/// <param name="OriginalQuality">The quality judge's score of the original (0..1).</param>
/// <param name="QualityThreshold">The score a candidate needed.</param>
/// <param name="Candidates">Every candidate.</param>
/// <param name="WinnerId">The candidate that passed every gate with the best quality.</param>
/// <param name="Deployed">True when it was written into the SKILL.md.</param>
/// <param name="DryRun">True when deploying was not asked for.</param>
/// <param name="Deploy">The deploy, when there was one.</param>
/// <param name="Spend">LLM calls, tokens, cost, replays.</param>
/// <param name="Reason">The outcome in one sentence.</param>
/// <param name="NextCommand">What to run next.</param>
internal sealed record ContentEvolveResult(
    string Skill,
    string SkillPath,
    string Target,
    string RunId,
    string? ValidationMethod,
    string? ValidationNote,
    string EvalSetId,
    int ValidationEntries,
    ExecutionEvidence Evidence,
    DescriptionScore? OriginalTrigger,
    double? OriginalQuality,
    double QualityThreshold,
    IReadOnlyList<ContentCandidate> Candidates,
    string? WinnerId,
    bool Deployed,
    bool DryRun,
    DeployResult? Deploy,
    EvolveSpend Spend,
    string Reason,
    string? NextCommand);

/// <summary>
/// Evolution of a skill's routing table or body: one LLM call proposes N candidates from the execution evidence of the
/// skill's sessions (tool errors, failed gradings, turns and tokens) and the train split's misses; then the gates, cheapest
/// first — structure (<see cref="SkillSections.Check"/>: no LLM call), trigger accuracy on the held-out split (a candidate
/// must not trigger worse than the original, whose results are computed once), quality judged by a second model in one
/// call for all survivors (a score at or over the threshold and above the original's), and an optional review by the agent
/// CLI — then the deploy of the best with the same backup, byte-exact rollback and audit rows as descriptions
/// (<see cref="SkillDeployer"/>, <see cref="AuditTrail"/>). LLM calls with judge validation: 1 + (runs × batches) × (1 + candidates) + 1.
/// The package search (<see cref="SearchPackageAsync"/>) runs the same gates in rounds over whole-SKILL.md variants.
/// </summary>
internal sealed class ContentEvolutionService(EvalSetStore evalSets, GradingStore grading, SkillDeployer deployer, TimeProvider time)
{
    /// <summary>Most characters of a section or body shown in one prompt.</summary>
    public const int MaxShown = 12_000;

    private const string ProposeIntro =
        PromptClassifier.SelftuneMarker + " You improve agent skills (SKILL.md files). An AI coding agent picks a skill by its description, then " +
        "follows the skill's markdown body. You are shown one part of a skill to rewrite, the rest of it for context, and evidence of how the " +
        "agent's work went in sessions where the skill ran: tool errors, failed gradings, turns and tokens, and requests the skill missed. " +
        "Rewrite the part so that the agent does the work better and routes requests to the right workflow, without making the skill take " +
        "requests it should leave alone. Keep what works; keep the same markdown conventions. ";

    private const string ProposeSystem = ProposeIntro +
        "Never include the YAML frontmatter or the '# Title' line. Answer with JSON only: {\"candidates\": [{\"content\": \"…\", \"rationale\": \"one sentence\"}]}.";

    private const string PackageProposeSystem = ProposeIntro +
        "The part is the whole package: the description, the routing table and the body, changed together so they agree. The body is " +
        "everything below the '# Title' line; never include the YAML frontmatter or the title in it. Answer with JSON only: " +
        "{\"candidates\": [{\"description\": \"…\", \"body\": \"…\", \"rationale\": \"one sentence\"}]}.";

    private const string QualitySystem =
        PromptClassifier.SelftuneMarker + " You review rewrites of one part of an agent skill (a SKILL.md). Score each version from 0 to 1 for " +
        "clarity, completeness, structure and routing accuracy: how well an AI coding agent following it would do the work the skill is for, " +
        "given the evidence of past sessions. Answer with JSON only: {\"original\": {\"score\": 0.0, \"reason\": \"…\"}, " +
        "\"candidates\": [{\"id\": 1, \"score\": 0.0, \"reason\": \"…\"}]}.";

    private const string ReviewSystem =
        "You review a proposed change to an agent skill (SKILL.md) before it is deployed. Read the original and the proposed text. Answer " +
        "APPROVE when the change is safe and an improvement, REJECT otherwise, then one sentence why.";

    /// <summary>Runs the pipeline for <paramref name="target"/> (routing or body).</summary>
    /// <param name="store">The store.</param>
    /// <param name="options">The skill, its SKILL.md, the candidates to propose, dry run.</param>
    /// <param name="target"><see cref="EvolveTarget.Routing"/> or <see cref="EvolveTarget.Body"/>.</param>
    /// <param name="validation">How to prove triggering.</param>
    /// <param name="gates">The quality and review gates.</param>
    /// <param name="tools">The LLM and the replay runner.</param>
    /// <param name="progress">One line per step, for a person.</param>
    /// <param name="ct">Cancellation.</param>
    /// <exception cref="SelftuneException"><see cref="ErrorCodes.SkillInvalid"/> when the SKILL.md lacks what the target needs
    /// (no <c># Title</c>, no routing table, a table in another shape: the reason and the fix); <see cref="ErrorCodes.LlmUnavailable"/>
    /// in offline mode; <see cref="ErrorCodes.NotEnoughData"/> without an eval set or held-out entries; LLM errors.</exception>
    public async Task<ContentEvolveResult> EvolveAsync(SelftuneStore store, EvolveOptions options, EvolveTarget target, ValidationSettings validation, ContentGates gates, EvolveTools tools, IProgress<string>? progress, CancellationToken ct)
    {
        var (state, original, failures, trail) = Start(store, options, target, gates, tools);
        var (skill, held) = (state.Skill, state.Held);
        progress?.Report($"Proposing {options.Candidates} {SkillSections.Name(target)} candidate(s) from {state.Evidence.Sessions} session(s) of evidence ({state.Evidence.ToolErrors} tool error(s), {failures.Feedback.Count} failed grading(s)).");
        var proposed = await ProposeAsync(state, original, failures, options.Candidates, ct).ConfigureAwait(false);

        var candidates = new List<ContentCandidate>();
        for (var i = 0; i < proposed.Count; i++)
        {
            candidates.Add(Stage(trail, state, original, i + 1, proposed[i], candidates));
        }

        progress?.Report($"{candidates.Count(c => c.Gate is null)} of {candidates.Count} candidate(s) passed the structural gate.");
        DescriptionScore? originalTrigger = null;
        (ITriggerValidator Validator, string Note)? method = null;
        if (candidates.Any(c => c.Gate is null))
        {
            method = EvolutionService.Choose(validation, tools, showBody: true);
            progress?.Report($"Trigger gate on {held.Count} held-out entries with {method.Value.Validator.Method} ({method.Value.Note}).");
            originalTrigger = DescriptionScore.Of(held, await method.Value.Validator.TriggersAsync(skill, skill.Description, held, null, ct).ConfigureAwait(false));
            for (var i = 0; i < candidates.Count; i++)
            {
                if (candidates[i].Gate is null)
                {
                    (candidates[i], _) = await TriggerGateAsync(trail, state, method.Value.Validator, originalTrigger, candidates[i], ct).ConfigureAwait(false);
                }
            }
        }

        double? originalQuality = null;
        if (candidates.Any(c => c.Gate is null))
        {
            (originalQuality, var scored) = await QualityGateAsync(state, original, candidates.Where(c => c.Gate is null).ToList(), ct).ConfigureAwait(false);
            for (var i = 0; i < candidates.Count; i++)
            {
                if (candidates[i].Gate is null)
                {
                    var (score, why) = scored[candidates[i].ProposalId];
                    var passed = score >= gates.QualityThreshold - 1e-9 && score > originalQuality;
                    var reason = $"quality {score:0.00} (original {originalQuality:0.00}, threshold {gates.QualityThreshold:0.00}): {why}";
                    candidates[i] = candidates[i] with { Quality = score, QualityReason = why, Reason = reason };
                    if (!passed)
                    {
                        candidates[i] = Reject(trail, state, candidates[i] with { Gate = "quality", Reason = "failed the quality gate: " + reason });
                    }
                }
            }
        }

        var winner = Best(candidates);
        return await FinishAsync(trail, state, original, method, originalTrigger, originalQuality, candidates, winner, progress, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// <c>improve --scope package</c>: a bounded search over whole-package variants (description, routing table and body
    /// changed together). Rounds of proposals from the accepted parent (first the original) until
    /// <see cref="EvolveOptions.Candidates"/> candidates were considered or a round accepts none. Each candidate passes the
    /// structural gate, is fingerprinted (SHA-256 of its SKILL.md) and evaluated once: a fingerprint seen before reuses that
    /// evaluation (gate <c>duplicate</c>). It is accepted only when no metric regressed against its parent (trigger pass count
    /// on the held-out split, quality score, structure) and at least one improved; the best accepted becomes the next parent.
    /// The last parent passes the optional review and is deployed as for the other targets (backup, byte-exact rollback,
    /// an audit row per step). LLM calls with judge validation: per round 1 + (runs × batches) × new candidates + 1, plus the
    /// original's runs × batches once.
    /// </summary>
    /// <param name="store">The store.</param>
    /// <param name="options">The skill, its SKILL.md, the most candidates to consider (<c>improve.max_candidates</c>), dry run.</param>
    /// <param name="validation">How to prove triggering.</param>
    /// <param name="gates">The quality model and the review gate (the quality threshold does not apply: a candidate must beat its parent).</param>
    /// <param name="tools">The LLM and the replay runner.</param>
    /// <param name="progress">One line per step, for a person.</param>
    /// <param name="ct">Cancellation.</param>
    /// <exception cref="SelftuneException">As <see cref="EvolveAsync"/>.</exception>
    public async Task<ContentEvolveResult> SearchPackageAsync(SelftuneStore store, EvolveOptions options, ValidationSettings validation, ContentGates gates, EvolveTools tools, IProgress<string>? progress, CancellationToken ct)
    {
        var (state, original, failures, trail) = Start(store, options, EvolveTarget.Package, gates, tools);
        var (skill, held, max) = (state.Skill, state.Held, Math.Max(1, options.Candidates));
        (ITriggerValidator Validator, string Note)? method = EvolutionService.Choose(validation, tools, showBody: true);
        var validator = method.Value.Validator;
        progress?.Report($"Package search over at most {max} candidate(s); trigger gate on {held.Count} held-out entries with {validator.Method} ({method.Value.Note}).");
        var originalTrigger = DescriptionScore.Of(held, await validator.TriggersAsync(skill, skill.Description, held, null, ct).ConfigureAwait(false));
        var triggers = new Dictionary<string, DescriptionScore>(StringComparer.Ordinal);
        var candidates = new List<ContentCandidate>();
        double? originalQuality = null;
        ContentCandidate? parent = null;
        for (var round = 1; candidates.Count < max; round++)
        {
            var from = parent is null ? state : state with { Skill = SkillFile.Parse(skill.Path, SkillSections.Replace(skill, EvolveTarget.Package, options.Skill, parent.Content)) };
            var parentText = parent?.Content ?? original;
            IReadOnlyList<(string Content, string? Rationale, string? Problem)> proposed;
            try
            {
                proposed = await ProposeAsync(from, parentText, failures, max - candidates.Count, ct).ConfigureAwait(false);
            }
            catch (SelftuneException ex) when (parent is not null && ex.Code is ErrorCodes.LlmBadAnswer or ErrorCodes.BudgetExhausted)
            {
                progress?.Report($"Round {round}: no more proposals ({ex.Message}); keeping {parent.ProposalId}.");
                break;
            }

            var fresh = new List<int>();
            foreach (var p in proposed)
            {
                candidates.Add(Stage(trail, state, original, candidates.Count + 1, p, candidates));
                if (candidates[^1].Gate is null)
                {
                    fresh.Add(candidates.Count - 1);
                }
            }

            var survivors = new List<int>();
            try
            {
                var parentTrigger = parent is null ? originalTrigger : triggers[parent.Fingerprint!];
                foreach (var i in fresh)
                {
                    (candidates[i], triggers[candidates[i].Fingerprint!]) = await TriggerGateAsync(trail, state, validator, parentTrigger, candidates[i], ct).ConfigureAwait(false);
                }

                survivors = fresh.Where(i => candidates[i].Gate is null).ToList();
                if (survivors.Count > 0)
                {
                    var (judged, scored) = await QualityGateAsync(from, parentText, survivors.Select(i => candidates[i]).ToList(), ct).ConfigureAwait(false);
                    originalQuality ??= judged;
                    var parentQuality = parent?.Quality ?? originalQuality.Value;
                    foreach (var i in survivors)
                    {
                        var c = candidates[i];
                        var (score, why) = scored[c.ProposalId];
                        var reason = $"quality {score:0.00} (parent {parentQuality:0.00}), {c.Trigger!.Reason}: {why}";
                        c = c with { Quality = score, QualityReason = why, Reason = reason };
                        candidates[i] = score < parentQuality - 1e-9
                            ? Reject(trail, state, c with { Gate = "quality", Reason = "a metric regressed, quality: " + reason })
                            : score <= parentQuality + 1e-9 && c.Trigger.After <= c.Trigger.Before
                                ? Reject(trail, state, c with { Gate = "no_improvement", Reason = "no metric improved: " + reason })
                                : c;
                    }
                }
            }
            catch (SelftuneException ex) when (parent is not null && ex.Code == ErrorCodes.BudgetExhausted)
            {
                foreach (var i in fresh.Where(i => candidates[i].Gate is null))
                {
                    candidates[i] = Reject(trail, state, candidates[i] with { Gate = "budget", Reason = $"not evaluated: {ex.Message.TrimEnd('.')}" });
                }

                progress?.Report($"Round {round}: the LLM budget ran out; keeping {parent.ProposalId}.");
                break;
            }

            var best = Best(survivors.Select(i => candidates[i]));
            if (best is null)
            {
                break;
            }

            progress?.Report($"Round {round}: {best.ProposalId} accepted ({best.Reason}); {candidates.Count} of {max} candidate(s) considered.");
            parent = best;
        }

        return await FinishAsync(trail, state, original, method, originalTrigger, originalQuality, candidates, parent, progress, ct).ConfigureAwait(false);
    }

    /// <summary>The best of the candidates that passed every gate: highest quality, then trigger pass rate, then shortest.</summary>
    private static ContentCandidate? Best(IEnumerable<ContentCandidate> candidates) =>
        candidates.Where(c => c.Gate is null).OrderByDescending(c => c.Quality).ThenByDescending(c => c.Trigger!.After).ThenBy(c => c.Content.Length).FirstOrDefault();

    /// <summary>The last steps of every run: the optional review of <paramref name="winner"/>, the other gate-passing
    /// candidates rejected, then the winner validated and (unless a dry run) deployed.</summary>
    private async Task<ContentEvolveResult> FinishAsync(AuditTrail trail, State state, string original, (ITriggerValidator Validator, string Note)? method, DescriptionScore? originalTrigger, double? originalQuality, List<ContentCandidate> candidates, ContentCandidate? winner, IProgress<string>? progress, CancellationToken ct)
    {
        var (options, gates, target) = (state.Options, state.Gates, state.Target);
        if (winner is not null && gates.Reviewer is { } reviewer)
        {
            var (approved, verdict) = await ReviewAsync(reviewer, state, original, winner, ct).ConfigureAwait(false);
            winner = winner with { Review = approved ? "approve" : "reject" };
            if (!approved)
            {
                Replace(candidates, Reject(trail, state, winner with { Gate = "review", Reason = "the reviewer rejected it: " + verdict }));
                winner = null;
            }
        }

        foreach (var c in candidates.Where(c => c.Gate is null && c.ProposalId != winner?.ProposalId).ToList())
        {
            Replace(candidates, Reject(trail, state, c with { Reason = $"passed every gate, but {winner!.ProposalId} scored higher" }));
        }

        if (winner is null)
        {
            return state.Result(method, originalTrigger, originalQuality, candidates, null, null,
                $"No {SkillSections.Name(target)} candidate passed every gate ({string.Join(", ", candidates.GroupBy(c => c.Gate).Select(g => $"{g.Count()} at {g.Key}"))}).", null);
        }

        trail.Record(options.Skill, winner.ProposalId, AuditActions.Validated, false, $"Validated: {winner.Reason}.", state.ValidationEvidence(originalTrigger!, winner, originalQuality), time.GetUtcNow());
        if (options.DryRun)
        {
            Replace(candidates, winner with { Status = AuditActions.Validated });
            return state.Result(method, originalTrigger, originalQuality, candidates, winner.ProposalId, null,
                $"Dry run: {winner.ProposalId} passed every gate ({winner.Reason}) and was not deployed.", ShellCommand.Line($"selftune proposals approve {winner.ProposalId}"));
        }

        var deploy = deployer.Deploy(trail, trail.Proposal(winner.ProposalId)!);
        progress?.Report($"Deployed {winner.ProposalId} to {deploy.SkillPath} (backup {deploy.BackupPath}).");
        Replace(candidates, winner with { Status = AuditActions.Deployed });
        return state.Result(method, originalTrigger, originalQuality, candidates, winner.ProposalId, deploy,
            $"Deployed {winner.ProposalId}: {winner.Reason}.", ShellCommand.Line($"selftune watch --skill {options.Skill:skill}"));
    }

    /// <summary>What every run starts from: the SKILL.md (of this skill, with what the target needs), the eval set's
    /// held-out split, the execution evidence and the failure analysis of the train split.</summary>
    private (State State, string Original, FailureReport Failures, AuditTrail Trail) Start(SelftuneStore store, EvolveOptions options, EvolveTarget target, ContentGates gates, EvolveTools tools)
    {
        var (runId, skill) = EvolutionService.Begin(options, time);

        var original = SkillSections.Read(skill, target, options.Skill);
        if (tools.Heuristic)
        {
            throw new SelftuneException(ErrorCodes.LlmUnavailable, $"Evolving a skill's {SkillSections.Name(target)} needs an LLM; --llm offline only evolves descriptions.", ShellCommand.Line($"selftune evolve --skill {options.Skill:skill} --target description --llm offline"));
        }

        var evalSet = evalSets.Latest(store, options.Skill)
            ?? throw new SelftuneException(ErrorCodes.NotEnoughData, $"There is no eval set for {ShellCommand.Quoted(options.Skill)} yet; evolve needs one to prove a proposal does not make triggering worse.", ShellCommand.Line($"selftune eval generate --skill {options.Skill:skill}"));
        var held = evalSet.Validation.ToList();
        if (held.Count < EvolutionService.MinValidationEntries)
        {
            throw new SelftuneException(ErrorCodes.NotEnoughData, $"Eval set {evalSet.Id} holds {held.Count} validation entries; at least {EvolutionService.MinValidationEntries} are needed to prove a proposal.", ShellCommand.Line($"selftune eval generate --skill {options.Skill:skill} --synthetic"));
        }

        var feedback = grading.FailureFeedback(store, options.Skill, EvolutionService.MaxFeedback);
        var evidence = ExecutionEvidence.Load(store, options.Skill, feedback);
        var failures = FailureAnalysis.Analyze(store, options.Skill, skill.Description, evalSet.Train.ToList(), feedback);
        var trail = new AuditTrail(store);
        var state = new State(options, target, skill, evalSet, held, evidence, gates, tools, runId);
        return (state, original, failures, trail);
    }

    /// <summary>Records proposal number <paramref name="number"/> and passes it through the structural gate and the
    /// fingerprint cache: a candidate whose SKILL.md (SHA-256 of the file with it in place) equals an earlier one's in
    /// <paramref name="earlier"/> is rejected as a <c>duplicate</c> and never evaluated again. No LLM call.</summary>
    private ContentCandidate Stage(AuditTrail trail, State state, string original, int number, (string Content, string? Rationale, string? Problem) proposed, IReadOnlyList<ContentCandidate> earlier)
    {
        var (skill, target, name) = (state.Skill, state.Target, state.Options.Skill);
        var id = $"{state.RunId}-{number}";
        var (content, rationale, problem) = proposed;
        trail.Add(new Proposal(id, state.RunId, name, skill.Path, time.GetUtcNow(), false, $"{SkillSections.Value(target)} candidate {number}", original, content, skill.Sha256, rationale, AuditActions.Created, SkillSections.Value(target)));
        trail.Record(name, id, AuditActions.Created, false, $"Proposed a new {SkillSections.Name(target)}.",
            new { target = SkillSections.Value(target), evidence = state.Evidence, proposer = state.Tools.Llm.Backend, model = state.Tools.Llm.Model, rationale }, time.GetUtcNow());
        var checks = problem is not null ? [problem] : SkillSections.Check(skill, target, name, content);
        var fingerprint = checks.Count > 0 ? null : DescriptionEditor.Hash(SkillSections.Replace(skill, target, name, content));
        var twin = earlier.FirstOrDefault(c => c.Fingerprint is not null && c.Fingerprint == fingerprint);
        return checks.Count > 0
            ? Reject(trail, state, new ContentCandidate(id, AuditActions.Rejected, "structure", checks, null, null, null, null, content, rationale, "failed the structural gate: " + string.Join("; ", checks)))
            : twin is not null
                ? Reject(trail, state, new ContentCandidate(id, AuditActions.Rejected, "duplicate", [], twin.Trigger, twin.Quality, twin.QualityReason, null, content, rationale, $"the same SKILL.md as {twin.ProposalId} (fingerprint {fingerprint![..12]}), evaluated once", fingerprint))
                : new ContentCandidate(id, AuditActions.Created, null, [], null, null, null, null, content, rationale, "passed the structural gate", fingerprint);
    }

    private static void Replace(List<ContentCandidate> list, ContentCandidate c) => list[list.FindIndex(x => x.ProposalId == c.ProposalId)] = c;

    private ContentCandidate Reject(AuditTrail trail, State state, ContentCandidate c)
    {
        trail.Record(state.Options.Skill, c.ProposalId, AuditActions.Rejected, false, $"Rejected{(c.Gate is null ? string.Empty : $" at the {c.Gate} gate")}: {c.Reason}.",
            c.Trigger is null ? new { gate = c.Gate, checks = c.ChecksFailed, quality = c.Quality } : new { gate = c.Gate, checks = c.ChecksFailed, quality = c.Quality, trigger = c.Trigger },
            time.GetUtcNow());
        return c with { Status = AuditActions.Rejected };
    }

    private async Task<(ContentCandidate Candidate, DescriptionScore Score)> TriggerGateAsync(AuditTrail trail, State state, ITriggerValidator validator, DescriptionScore original, ContentCandidate c, CancellationToken ct)
    {
        var bytes = SkillSections.Replace(state.Skill, state.Target, state.Options.Skill, c.Content);
        var staged = SkillFile.Parse(state.Skill.Path, bytes);
        var score = DescriptionScore.Of(state.Held, await validator.TriggersAsync(staged, staged.Description, state.Held, null, ct).ConfigureAwait(false));
        var comparison = Acceptance.Compare(original, score);
        var notWorse = score.PassCount >= original.PassCount;
        var reason = $"trigger pass rate {original.PassRate:0.00} → {score.PassRate:0.00} ({comparison.NewPasses.Count} new pass(es), {comparison.Regressions.Count} regression(s))";
        var gated = c with { Trigger = comparison with { Accepted = notWorse, Reason = reason }, Reason = reason };
        return (notWorse ? gated : Reject(trail, state, gated with { Gate = "trigger", Reason = "failed the trigger gate, it makes triggering worse: " + reason }), score);
    }

    /// <summary>One LLM call for up to <paramref name="count"/> candidates of the target. A package candidate is asked for as
    /// a description and a body and composed into the whole SKILL.md (the frontmatter's other bytes kept); one that cannot
    /// be composed carries the reason as its problem (it fails the structural gate).</summary>
    /// <exception cref="SelftuneException"><see cref="ErrorCodes.LlmBadAnswer"/> when the answer holds no candidate; LLM errors.</exception>
    private static async Task<IReadOnlyList<(string Content, string? Rationale, string? Problem)>> ProposeAsync(State s, string original, FailureReport failures, int count, CancellationToken ct)
    {
        var package = s.Target == EvolveTarget.Package;
        var e = s.Evidence;
        var user = new StringBuilder()
            .Append("Skill name: ").AppendLine(s.Options.Skill)
            .Append("Description: ").AppendLine(s.Skill.Description)
            .Append(CultureInfo.InvariantCulture, $"Part to rewrite: the {SkillSections.Name(s.Target)}").AppendLine(s.Target switch
            {
                EvolveTarget.Routing => $" (keep the table shape {SkillSections.RoutingShape} and its header row)",
                EvolveTarget.Package => $" (the whole SKILL.md below; answer with its new description and its new body, everything below the '# Title' line, keeping any '## {SkillSections.RoutingHeading}' table in its shape)",
                _ => " (everything below the '# Title' line)",
            })
            .AppendLine("<<<").AppendLine(Cut(original)).AppendLine(">>>").AppendLine();
        if (s.Target == EvolveTarget.Routing)
        {
            user.AppendLine("The whole body, for context:").AppendLine("[[[").AppendLine(Cut(SkillSections.Read(s.Skill, EvolveTarget.Body, s.Options.Skill))).AppendLine("]]]").AppendLine();
        }

        user.AppendLine("Evidence from sessions where the skill ran:")
            .AppendLine(CultureInfo.InvariantCulture, $"- {e.Sessions} session(s); {e.ToolCalls} tool call(s), {e.ToolErrors} failed{(e.FailingTools.Count > 0 ? " (" + string.Join(", ", e.FailingTools) + ")" : string.Empty)}; {e.AvgTurns} turn(s) and {e.AvgTokens} token(s) per session on average.");
        foreach (var f in e.FailedGradings)
        {
            user.Append("- failed grading: ").AppendLine(f);
        }

        foreach (var m in failures.Missed.Take(10))
        {
            user.Append("- missed request: ").AppendLine(m.Query.ReplaceLineEndings(" "));
        }

        user.AppendLine().AppendLine(package
            ? string.Create(CultureInfo.InvariantCulture, $"Write {count} different candidate(s), each description at most {DescriptionChecks.LengthLimit(s.Skill.Description)} characters and each body at most {SkillSections.LengthLimit(SkillSections.Read(s.Skill, EvolveTarget.Body, s.Options.Skill))}.")
            : string.Create(CultureInfo.InvariantCulture, $"Write {count} different candidate(s), each at most {SkillSections.LengthLimit(original)} characters."));
        var answer = await s.Tools.Llm.CompleteJsonAsync<JsonElement>(new LlmRequest($"evolve.{SkillSections.Value(s.Target)}.propose", package ? PackageProposeSystem : ProposeSystem, user.ToString(), MaxOutputTokens: 8192), ct).ConfigureAwait(false);
        var list = Items(answer, "candidates")
            .Select(c => package ? Compose(s, Text(c, "description"), Text(c, "body"), Text(c, "rationale")) : (Content: Text(c, "content"), Rationale: Text(c, "rationale")?.Trim(), Problem: null))
            .Where(c => !string.IsNullOrWhiteSpace(c.Content)).Take(count).Select(c => (c.Content!, c.Rationale, c.Problem)).ToList();
        return list.Count > 0 ? list : throw new SelftuneException(ErrorCodes.LlmBadAnswer, $"The {s.Tools.Llm.Backend} LLM proposed no {SkillSections.Name(s.Target)} candidate.", "selftune llm test");
    }

    /// <summary>The whole SKILL.md of a package candidate: <paramref name="description"/> written into the frontmatter
    /// (<see cref="DescriptionEditor"/>), <paramref name="body"/> below the title (<see cref="SkillSections"/>); a part
    /// left out stays as it is.</summary>
    private static (string? Content, string? Rationale, string? Problem) Compose(State s, string? description, string? body, string? rationale)
    {
        if (string.IsNullOrWhiteSpace(description) && string.IsNullOrWhiteSpace(body))
        {
            return (null, null, null);
        }

        try
        {
            var file = string.IsNullOrWhiteSpace(description) || description.Trim() == s.Skill.Description.Trim()
                ? s.Skill
                : SkillFile.Parse(s.Skill.Path, DescriptionEditor.Replace(s.Skill, description.Trim()));
            var bytes = string.IsNullOrWhiteSpace(body) ? file.Bytes : SkillSections.Replace(file, EvolveTarget.Body, s.Options.Skill, body);
            return (DescriptionEditor.Decode(bytes, s.Skill.Path), rationale?.Trim(), null);
        }
        catch (SelftuneException ex)
        {
            return ($"description: {description}\n\n{body}", rationale?.Trim(), "the candidate cannot be written into the SKILL.md: " + ex.Message);
        }
    }

    private static async Task<(double Original, Dictionary<string, (double Score, string Reason)> Candidates)> QualityGateAsync(State s, string original, IReadOnlyList<ContentCandidate> survivors, CancellationToken ct)
    {
        var e = s.Evidence;
        var user = new StringBuilder()
            .Append("Skill name: ").AppendLine(s.Options.Skill)
            .Append("Description: ").AppendLine(s.Skill.Description)
            .Append("Part: the ").AppendLine(SkillSections.Name(s.Target))
            .AppendLine(CultureInfo.InvariantCulture, $"Evidence: {e.Sessions} session(s), {e.ToolErrors} of {e.ToolCalls} tool call(s) failed, {e.FailedGradings.Count} failed grading(s).");
        foreach (var f in e.FailedGradings)
        {
            user.Append("- ").AppendLine(f);
        }

        user.AppendLine().AppendLine("Original:").AppendLine("<<<").AppendLine(Cut(original)).AppendLine(">>>");
        for (var i = 0; i < survivors.Count; i++)
        {
            user.AppendLine(CultureInfo.InvariantCulture, $"Candidate {i + 1}:").AppendLine("<<<").AppendLine(Cut(survivors[i].Content)).AppendLine(">>>");
        }

        var answer = await s.Tools.Llm.CompleteJsonAsync<JsonElement>(new LlmRequest($"evolve.{SkillSections.Value(s.Target)}.quality", QualitySystem, user.ToString(), MaxOutputTokens: 256 + 128 * survivors.Count, Model: s.Gates.QualityModel), ct).ConfigureAwait(false);
        var scores = new Dictionary<string, (double, string)>(StringComparer.Ordinal);
        var verdicts = Items(answer, "candidates").ToList();
        for (var i = 0; i < survivors.Count; i++)
        {
            var verdict = verdicts.FirstOrDefault(c => Number(c, "id") == i + 1);
            scores[survivors[i].ProposalId] = verdict.ValueKind == JsonValueKind.Object ? (Math.Clamp(Number(verdict, "score") ?? 0, 0, 1), Text(verdict, "reason") ?? string.Empty) : (0, "the judge gave no score");
        }

        var before = answer.ValueKind == JsonValueKind.Object && answer.TryGetProperty("original", out var o) ? Number(o, "score") : null;
        return (Math.Clamp(before ?? 0, 0, 1), scores);
    }

    private static async Task<(bool Approved, string Verdict)> ReviewAsync(IAgentRunner reviewer, State s, string original, ContentCandidate winner, CancellationToken ct)
    {
        var user = $"Skill: {s.Options.Skill}\nPart: the {SkillSections.Name(s.Target)}\n\nOriginal:\n<<<\n{Cut(original)}\n>>>\n\nProposed:\n<<<\n{Cut(winner.Content)}\n>>>\n";
        try
        {
            var answer = await reviewer.CompleteAsync(new AgentCompletionRequest(ReviewSystem, user, null, s.Gates.ReviewTimeout), ct).ConfigureAwait(false);
            var text = answer.Text.Trim();
            var rejected = text.Contains("REJECT", StringComparison.Ordinal) && !text.Contains("APPROVE", StringComparison.Ordinal);
            return (!rejected, text.Length <= 300 ? text : text[..300] + "…");
        }
        catch (AgentRunnerException ex)
        {
            return (false, $"the review through {reviewer.Executable} failed ({ex.Message}); nothing is deployed without it");
        }
    }

    private static string Cut(string text) => text.Length <= MaxShown ? text.TrimEnd() : text[..MaxShown] + "\n…";

    /// <summary>The objects of the array <paramref name="name"/> of an answer (none when it is missing or not an array).</summary>
    private static IEnumerable<JsonElement> Items(JsonElement answer, string name) =>
        answer.ValueKind == JsonValueKind.Object && answer.TryGetProperty(name, out var list) && list.ValueKind == JsonValueKind.Array
            ? list.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.Object)
            : [];

    private static string? Text(JsonElement item, string name) => item.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static double? Number(JsonElement item, string name) =>
        item.ValueKind == JsonValueKind.Object && item.TryGetProperty(name, out var v)
            ? v.ValueKind == JsonValueKind.Number ? v.GetDouble() : v.ValueKind == JsonValueKind.String && double.TryParse(v.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d : null
            : null;

    /// <summary>The inputs of one run.</summary>
    private sealed record State(EvolveOptions Options, EvolveTarget Target, SkillFile Skill, EvalSet EvalSet, List<EvalEntry> Held, ExecutionEvidence Evidence, ContentGates Gates, EvolveTools Tools, string RunId)
    {
        public object ValidationEvidence(DescriptionScore originalTrigger, ContentCandidate winner, double? originalQuality)
        {
            var usage = Tools.Llm.Usage;
            return new
            {
                target = SkillSections.Value(Target),
                eval_set_id = EvalSet.Id,
                eval_snapshot = Held.Select(e => new { e.Query, e.ShouldTrigger, e.Type, e.Synthetic, e.PromptId }),
                before = new { originalTrigger.PassRate, originalTrigger.PassCount, quality = originalQuality },
                after = new { winner.Trigger!.After, quality = winner.Quality },
                trigger = winner.Trigger,
                quality_reason = winner.QualityReason,
                quality_model = Gates.QualityModel ?? Tools.Llm.Model,
                quality_threshold = Gates.QualityThreshold,
                review = winner.Review,
                llm = new { Tools.Llm.Backend, Tools.Llm.Model, calls_so_far = usage.Calls, cost_usd_so_far = usage.CostUsd },
            };
        }

        public ContentEvolveResult Result((ITriggerValidator Validator, string Note)? method, DescriptionScore? originalTrigger, double? originalQuality, IReadOnlyList<ContentCandidate> candidates, string? winner, DeployResult? deploy, string reason, string? next)
        {
            var usage = Tools.Llm.Usage;
            var replay = method?.Validator is ReplayValidator r ? (r.Runs, r.CostUsd) : (0, 0m);
            return new ContentEvolveResult(Options.Skill, Skill.Path, SkillSections.Value(Target), RunId, method?.Validator.Method, method?.Note, EvalSet.Id, Held.Count, Evidence,
                originalTrigger, originalQuality, Gates.QualityThreshold, candidates, winner, deploy is not null, Options.DryRun, deploy,
                new EvolveSpend(Tools.Llm.Backend, Tools.Llm.Model, usage.Calls, usage.InputTokens, usage.OutputTokens, usage.CostUsd, usage.ElapsedMs, replay.Item1, replay.Item2),
                reason, next);
        }
    }
}
