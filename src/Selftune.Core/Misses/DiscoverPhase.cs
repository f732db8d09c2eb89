using Selftune.Core.Llm;
using Selftune.Core.Loop;
using Selftune.Core.Skills;
using Selftune.Core.Store;

namespace Selftune.Core.Misses;

/// <summary>
/// The <c>discover</c> phase of <c>selftune run</c> (after sync, before status, so what it finds feeds status and candidate
/// selection): <see cref="MissDiscovery"/> over the prompts no skill handled. It spends at most half of the run's LLM call
/// budget (<c>llm.max_calls</c>), leaving the rest to grading and evolution; a dry run, the offline backend or no LLM rank
/// lexically alone (low-confidence misses, to review).
/// </summary>
public static class DiscoverPhase
{
    /// <summary>Runs the phase.</summary>
    /// <param name="discovery">The discovery.</param>
    /// <param name="store">The store.</param>
    /// <param name="installed">The installed skills.</param>
    /// <param name="llm">The run's LLM client, or null when none is usable.</param>
    /// <param name="dryRun">True for a dry run (no LLM call).</param>
    /// <param name="runId">The run.</param>
    /// <param name="ct">Cancellation.</param>
    /// <returns>The phase's status, its one-line summary, the next command, and the discovery report.</returns>
    public static async Task<(PhaseStatus Status, string Summary, string? Next, DiscoveryReport? Report)> RunAsync(
        MissDiscovery discovery, SelftuneStore store, IReadOnlyList<InstalledSkill> installed, LlmClient? llm, bool dryRun, string runId, CancellationToken ct)
    {
        if (!installed.Any(s => s.ShadowedBy is null))
        {
            return (PhaseStatus.Skipped, "no installed skill to discover misses of", null, null);
        }

        var useLlm = dryRun ? null : llm;
        var options = new DiscoveryOptions(RunId: runId, MaxCalls: Math.Max(1, (useLlm?.Options.MaxCalls ?? 0) / 2));
        var report = await discovery.DiscoverAsync(store, installed, options, useLlm, ct).ConfigureAwait(false);
        var c = report.Counts;
        var summary = $"{c.Found} miss(es) discovered ({report.Mode}) among {c.UnhandledPrompts} prompts no skill handled, {c.Shortlisted} with a plausible skill; {c.LlmCalls} LLM call(s), {c.Cached} answered from the cache";
        var next = report.Mode == "offline" && c.Found > 0 ? "selftune misses" : null;
        return (PhaseStatus.Ok, report.Notes.Count > 0 ? $"{summary}. {report.Notes[0]}" : summary, next, report);
    }
}
