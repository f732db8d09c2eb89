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
/// </summary>
internal sealed class ContentEvolutionService(EvalSetStore evalSets, GradingStore grading, SkillDeployer deployer, TimeProvider time)
{
    /// <summary>Most characters of a section or body shown in one prompt.</summary>
    public const int MaxShown = 12_000;

    private const string ProposeSystem =
        PromptClassifier.SelftuneMarker + " You improve agent skills (SKILL.md files). An AI coding agent picks a skill by its description, then " +
        "follows the skill's markdown body. You are shown one part of a skill to rewrite, the rest of it for context, and evidence of how the " +
        "agent's work went in sessions where the skill ran: tool errors, failed gradings, turns and tokens, and requests the skill missed. " +
        "Rewrite the part so that the agent does the work better and routes requests to the right workflow, without making the skill take " +
        "requests it should leave alone. Keep what works; keep the same markdown conventions. Never include the YAML frontmatter or the " +
        "'# Title' line. Answer with JSON only: {\"candidates\": [{\"content\": \"…\", \"rationale\": \"one sentence\"}]}.";

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
        var runId = $"evo-{options.Skill}-{time.GetUtcNow().UtcDateTime.ToString("yyyyMMdd'T'HHmmssfff'Z'", CultureInfo.InvariantCulture)}";
        var skill = SkillFile.Load(options.SkillPath);
        if (skill.Name is { } name && !SkillNames.Same(options.Skill, name))
        {
            throw new SelftuneException(ErrorCodes.InvalidArgument, $"'{skill.Path}' is the SKILL.md of {ShellCommand.Quoted(name)}, not of {ShellCommand.Quoted(options.Skill)}.", ShellCommand.Line($"selftune evolve --skill {name:skill} --skill-path {skill.Path}"), exitCode: 2);
        }

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
        progress?.Report($"Proposing {options.Candidates} {SkillSections.Name(target)} candidate(s) from {evidence.Sessions} session(s) of evidence ({evidence.ToolErrors} tool error(s), {feedback.Count} failed grading(s)).");
        var proposed = await ProposeAsync(state, original, failures, ct).ConfigureAwait(false);

        var candidates = new List<ContentCandidate>();
        for (var i = 0; i < proposed.Count; i++)
        {
            var id = $"{runId}-{i + 1}";
            var (content, rationale) = proposed[i];
            trail.Add(new Proposal(id, runId, options.Skill, skill.Path, time.GetUtcNow(), false, $"{SkillSections.Value(target)} candidate {i + 1}", original, content, skill.Sha256, rationale, AuditActions.Created, SkillSections.Value(target)));
            trail.Record(options.Skill, id, AuditActions.Created, false, $"Proposed a new {SkillSections.Name(target)}.",
                new { target = SkillSections.Value(target), evidence, proposer = tools.Llm.Backend, model = tools.Llm.Model, rationale }, time.GetUtcNow());
            var checks = SkillSections.Check(skill, target, options.Skill, content);
            var fingerprint = checks.Count > 0 ? null : DescriptionEditor.Hash(SkillSections.Replace(skill, target, options.Skill, content));
            var twin = candidates.FirstOrDefault(c => c.Fingerprint is not null && c.Fingerprint == fingerprint);
            candidates.Add(checks.Count > 0
                ? Reject(trail, state, new ContentCandidate(id, AuditActions.Rejected, "structure", checks, null, null, null, null, content, rationale, "failed the structural gate: " + string.Join("; ", checks)))
                : twin is not null
                    ? Reject(trail, state, new ContentCandidate(id, AuditActions.Rejected, "duplicate", [], null, null, null, null, content, rationale, $"the same SKILL.md as {twin.ProposalId} (fingerprint {fingerprint![..12]}), evaluated once", fingerprint))
                    : new ContentCandidate(id, AuditActions.Created, null, [], null, null, null, null, content, rationale, "passed the structural gate", fingerprint));
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
                    candidates[i] = await TriggerGateAsync(trail, state, method.Value.Validator, originalTrigger, candidates[i], ct).ConfigureAwait(false);
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

        var winner = candidates.Where(c => c.Gate is null)
            .OrderByDescending(c => c.Quality)
            .ThenByDescending(c => c.Trigger!.After)
            .ThenBy(c => c.Content.Length)
            .FirstOrDefault();
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

    private static void Replace(List<ContentCandidate> list, ContentCandidate c) => list[list.FindIndex(x => x.ProposalId == c.ProposalId)] = c;

    private ContentCandidate Reject(AuditTrail trail, State state, ContentCandidate c)
    {
        trail.Record(state.Options.Skill, c.ProposalId, AuditActions.Rejected, false, $"Rejected{(c.Gate is null ? string.Empty : $" at the {c.Gate} gate")}: {c.Reason}.",
            c.Trigger is null ? new { gate = c.Gate, checks = c.ChecksFailed, quality = c.Quality } : new { gate = c.Gate, checks = c.ChecksFailed, quality = c.Quality, trigger = c.Trigger },
            time.GetUtcNow());
        return c with { Status = AuditActions.Rejected };
    }

    private async Task<ContentCandidate> TriggerGateAsync(AuditTrail trail, State state, ITriggerValidator validator, DescriptionScore original, ContentCandidate c, CancellationToken ct)
    {
        var bytes = SkillSections.Replace(state.Skill, state.Target, state.Options.Skill, c.Content);
        var staged = state.Skill with { Bytes = bytes, Sha256 = DescriptionEditor.Hash(bytes) };
        var score = DescriptionScore.Of(state.Held, await validator.TriggersAsync(staged, staged.Description, state.Held, null, ct).ConfigureAwait(false));
        var comparison = Acceptance.Compare(original, score);
        var notWorse = score.PassCount >= original.PassCount;
        var reason = $"trigger pass rate {original.PassRate:0.00} → {score.PassRate:0.00} ({comparison.NewPasses.Count} new pass(es), {comparison.Regressions.Count} regression(s))";
        var gated = c with { Trigger = comparison with { Accepted = notWorse, Reason = reason }, Reason = reason };
        return notWorse ? gated : Reject(trail, state, gated with { Gate = "trigger", Reason = "failed the trigger gate, it makes triggering worse: " + reason });
    }

    private static async Task<IReadOnlyList<(string Content, string? Rationale)>> ProposeAsync(State s, string original, FailureReport failures, CancellationToken ct)
    {
        var e = s.Evidence;
        var user = new StringBuilder()
            .Append("Skill name: ").AppendLine(s.Options.Skill)
            .Append("Description: ").AppendLine(s.Skill.Description)
            .Append(CultureInfo.InvariantCulture, $"Part to rewrite: the {SkillSections.Name(s.Target)}").AppendLine(s.Target == EvolveTarget.Routing ? $" (keep the table shape {SkillSections.RoutingShape} and its header row)" : " (everything below the '# Title' line)")
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

        user.AppendLine().AppendLine(CultureInfo.InvariantCulture, $"Write {s.Options.Candidates} different candidate(s), each at most {SkillSections.LengthLimit(original)} characters.");
        var answer = await s.Tools.Llm.CompleteJsonAsync<JsonElement>(new LlmRequest($"evolve.{SkillSections.Value(s.Target)}.propose", ProposeSystem, user.ToString(), MaxOutputTokens: 8192), ct).ConfigureAwait(false);
        var list = Items(answer, "candidates").Select(c => (Content: Text(c, "content"), Rationale: Text(c, "rationale")?.Trim()))
            .Where(c => !string.IsNullOrWhiteSpace(c.Content)).Take(s.Options.Candidates).Select(c => (c.Content!, c.Rationale)).ToList();
        return list.Count > 0 ? list : throw new SelftuneException(ErrorCodes.LlmBadAnswer, $"The {s.Tools.Llm.Backend} LLM proposed no {SkillSections.Name(s.Target)} candidate.", "selftune llm test");
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
