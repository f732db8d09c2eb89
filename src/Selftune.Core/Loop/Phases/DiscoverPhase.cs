using Selftune.Core.Misses;
using Selftune.Core.Skills;

namespace Selftune.Core.Loop.Phases;

/// <summary>
/// Discovers the misses nobody named among the prompts no skill handled (<see cref="MissDiscovery"/>); it runs after sync
/// and before status, so what it finds feeds status and candidate selection. It spends at most half of the run's LLM call
/// budget (<c>llm.max_calls</c>), leaving the rest to grading and evolution; a dry run, the offline backend or no LLM rank
/// lexically alone (low-confidence misses, to review).
/// </summary>
internal sealed class DiscoverPhase(MissDiscovery discovery, InstalledSkills skills) : IRunPhase
{
    public RunPhaseName Name => RunPhaseName.Discover;

    public async Task<PhaseOutcome> ExecuteAsync(RunState run, CancellationToken ct)
    {
        var installed = skills.All();
        if (!installed.Any(s => s.ShadowedBy is null))
        {
            return new PhaseOutcome(PhaseStatus.Skipped, "no installed skill to discover misses of");
        }

        var llm = run.Request.DryRun || run.Heuristic || run.NoLlm is not null ? null : run.Llm;
        var options = new DiscoveryOptions(RunId: run.RunId, MaxCalls: Math.Max(1, (llm?.Options.MaxCalls ?? 0) / 2));
        var report = await discovery.DiscoverAsync(run.Store, installed, options, llm, ct).ConfigureAwait(false);
        var c = report.Counts;
        var summary = $"{c.Found} miss(es) discovered ({report.Mode}) among {c.UnhandledPrompts} distinct prompt texts no skill handled, {c.Shortlisted} with a plausible skill; {c.LlmCalls} LLM call(s), {c.Cached} answered from the cache";
        return new PhaseOutcome(PhaseStatus.Ok, report.Notes.Count > 0 ? $"{summary}. {report.Notes[0]}" : summary, report.Mode == "offline" && c.Found > 0 ? "selftune misses" : null);
    }
}
