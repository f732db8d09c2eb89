using Selftune.Core.Eval;
using Selftune.Core.Evolution;
using Selftune.Core.Signals;
using Selftune.Core.Skills;
using Selftune.Core.Store;

namespace Selftune.Core.Loop.Phases;

/// <summary>Evolves the picked skills: refreshes each one's eval set, proposes, validates and deploys (or leaves the winner
/// for review); stops asking the LLM once the run's budget is spent.</summary>
internal sealed class EvolvePhase(SkillEvolver evolver, EvalSetGenerator generator, EvalSetStore evalSets, InstalledSkills skills, TimeProvider time) : IRunPhase
{
    public RunPhaseName Name => RunPhaseName.Evolve;

    public async Task<PhaseOutcome> ExecuteAsync(RunState run, CancellationToken ct)
    {
        var picked = run.Candidates.Where(c => c.Action == CandidateAction.Evolve).ToList();
        if (picked.Count == 0)
        {
            return new PhaseOutcome(PhaseStatus.Ok, "nothing to evolve");
        }

        if (run.Request.DryRun)
        {
            return new PhaseOutcome(PhaseStatus.Skipped, $"dry run: would evolve {string.Join(", ", picked.Select(c => c.Skill))}", run.Request.Skill is { } s ? ShellCommand.Line($"selftune run --review-required --skill {s:skill}") : "selftune run --review-required");
        }

        if (run.NoLlm is not null)
        {
            return new PhaseOutcome(PhaseStatus.Skipped, $"evolving needs an LLM ({run.NoLlm}); would evolve {string.Join(", ", picked.Select(c => c.Skill))}", "selftune llm test");
        }

        var budgetSpent = false;
        foreach (var candidate in picked)
        {
            ct.ThrowIfCancellationRequested();
            run.Lock.Heartbeat();
            if (budgetSpent)
            {
                run.Evolutions.Add(new EvolutionResult(candidate.Skill, EvolutionOutcome.Failed, $"{ErrorCodes.BudgetExhausted}: the run's LLM budget was spent before this skill (config llm.max_calls, llm.max_tokens)."));
                continue;
            }

            var (result, errorCode) = await EvolveAsync(run, candidate.Skill, ct).ConfigureAwait(false);
            budgetSpent = errorCode == ErrorCodes.BudgetExhausted;
            run.Evolutions.Add(result);
        }

        var outcomes = run.Evolutions.GroupBy(e => e.Outcome).Select(g => $"{g.Count()} {RunReportText.Label(g.Key)}");
        return new PhaseOutcome(PhaseStatus.Ok, string.Join(", ", outcomes), run.Evolutions.Any(e => e.Outcome == EvolutionOutcome.AwaitingReview) ? "selftune proposals list" : null);
    }

    /// <summary>Evolves one skill; a failure is its result (with the error's code), not the phase's.</summary>
    private async Task<(EvolutionResult Result, string? ErrorCode)> EvolveAsync(RunState run, string skill, CancellationToken ct)
    {
        try
        {
            RefreshEvalSet(run.Store, skill);
            var result = await evolver.EvolveAsync(run.Store, skill, null, run.ReviewRequired, run.Llm!, null, ct).ConfigureAwait(false);
            var winner = result.Candidates.FirstOrDefault(c => c.ProposalId == result.WinnerId);
            var outcome = result.Deployed ? EvolutionOutcome.Deployed : result.WinnerId is not null ? EvolutionOutcome.AwaitingReview : EvolutionOutcome.Rejected;
            run.SignalsConsumed += PendingSignals.Consume(run.Store, skill, run.RunId, time.GetUtcNow());
            return (new EvolutionResult(skill, outcome, result.Reason, result.WinnerId, result.Original?.PassRate, winner?.Validation?.After, result.Spend.Calls, result.Spend.CostUsd), null);
        }
        catch (SelftuneException ex)
        {
            return (new EvolutionResult(skill, EvolutionOutcome.Failed, $"{ex.Code}: {ex.Message}" + (ex.NextCommand is { } next ? $" (next: {next})" : string.Empty)), ex.Code);
        }
    }

    /// <summary>Builds the skill's eval set from the store's real prompts (deterministic under the default seed) and saves it
    /// when it differs from the latest one, so evolution works from the sessions synced since.</summary>
    private void RefreshEvalSet(SelftuneStore store, string skill)
    {
        var generation = generator.Generate(store, new EvalGenerateOptions(skill), skills.Find(skill, null, store));
        if (evalSets.Latest(store, skill) is not { } latest || !latest.Entries.SequenceEqual(generation.Set.Entries))
        {
            evalSets.Save(store, generation.Set);
        }
    }
}
