using System.Globalization;

namespace Selftune.Core.Loop;

/// <summary>The rules candidate selection applies.</summary>
/// <param name="MaxSkills">The most skills evolved in one run.</param>
/// <param name="Cooldown">A skill deployed more recently than this is left alone (its deploy is being watched).</param>
/// <param name="MinRealQueries">The fewest real prompts (positives in its eval set) a skill needs before it is touched,
/// unless the user asked for it through an improvement signal.</param>
/// <param name="Skill">Consider only this skill (<c>--skill</c>).</param>
internal sealed record SelectionRules(int MaxSkills, TimeSpan Cooldown, int MinRealQueries, string? Skill = null);

/// <summary>
/// Picks the skills a run evolves, by evidence. Each skill is scored: misses that are evidence (<see cref="Misses.MissFinder"/>:
/// named, read-not-invoked, discovered by the LLM, confirmed) count most, a rising miss trend adds to them, each pending improvement signal (the user
/// asked "why didn't you use X") adds a large boost, and failed gradings add to it. A skill is skipped — with the rule
/// that skipped it — when it is not installed here, when it was deployed within the cooldown, when there is too little real evidence to prove a change
/// on, or when there is nothing to fix; a skill whose only evidence is low-confidence misses (lexical discovery) is marked
/// <c>review</c>: proposed for a person to confirm, never evolved blind. The rest are taken in score order up to
/// <see cref="SelectionRules.MaxSkills"/>.
/// </summary>
internal static class CandidateSelector
{
    /// <summary>Score per miss (capped at 50 misses).</summary>
    public const double MissWeight = 2;

    /// <summary>Score added when misses are rising.</summary>
    public const double RisingTrendBoost = 30;

    /// <summary>Score per pending improvement signal (capped at 3 signals).</summary>
    public const double SignalWeight = 150;

    /// <summary>Score per failed grading (capped at 10).</summary>
    public const double GradingFailureWeight = 10;

    /// <summary>The evidence score of one skill.</summary>
    public static double Priority(CandidateEvidence e) =>
        (Math.Min(e.Misses, 50) * MissWeight)
        + (e.Trend == "down" ? RisingTrendBoost : 0)
        + (Math.Min(e.Signals, 3) * SignalWeight)
        + (Math.Min(e.GradingFailures, 10) * GradingFailureWeight);

    /// <summary>Decides, for every skill, whether this run evolves it.</summary>
    /// <param name="evidence">Each skill's evidence, by name.</param>
    /// <param name="rules">The rules.</param>
    /// <param name="now">The run's time (for the cooldown).</param>
    /// <returns>Every skill considered: those to evolve first (highest score first), then the skipped ones by score.</returns>
    public static IReadOnlyList<SkillCandidate> Select(IReadOnlyDictionary<string, CandidateEvidence> evidence, SelectionRules rules, DateTimeOffset now)
    {
        var decided = new List<SkillCandidate>();
        foreach (var (skill, e) in evidence)
        {
            if (rules.Skill is not null && !string.Equals(skill, rules.Skill, StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            var priority = Priority(e);
            var skip = SkipReason(e, rules, now);
            var review = skip is not null && e.Installed && e.LowConfidenceMisses > 0 && e.Misses == 0 && e.Signals == 0 && e.GradingFailures == 0;
            decided.Add(review
                ? new SkillCandidate(skill, CandidateAction.Review, $"only {e.LowConfidenceMisses} low-confidence miss(es) from lexical discovery: confirm or reject them ({ShellCommand.Line($"selftune misses --skill {skill:skill}") ?? "selftune misses"}) before evolving", priority, e)
                : new SkillCandidate(skill, skip is null ? CandidateAction.Evolve : CandidateAction.Skip, skip ?? Because(e), priority, e));
        }

        var chosen = decided.Where(c => c.Action == CandidateAction.Evolve).OrderByDescending(c => c.Priority).ThenBy(c => c.Skill, StringComparer.Ordinal).ToList();
        var capped = chosen.Skip(rules.MaxSkills).Select(c => c with { Action = CandidateAction.Skip, Reason = $"capped by --max-skills {rules.MaxSkills} (would evolve: {c.Reason})" });
        return chosen.Take(rules.MaxSkills)
            .Concat(capped.Concat(decided.Where(c => c.Action != CandidateAction.Evolve)).OrderByDescending(c => c.Priority).ThenBy(c => c.Skill, StringComparer.Ordinal))
            .ToList();
    }

    private static string? SkipReason(CandidateEvidence e, SelectionRules rules, DateTimeOffset now)
    {
        if (!e.Installed)
        {
            return "not installed on this machine: there is no SKILL.md to improve";
        }

        if (e.LastDeployAt is { } deployed && now - deployed < rules.Cooldown)
        {
            return $"cooldown: deployed {Hours(now - deployed)} ago (cooldown {Hours(rules.Cooldown)}); watch judges it first";
        }

        if (e.Misses == 0 && e.Signals == 0 && e.GradingFailures == 0)
        {
            return "nothing to fix: no misses, no improvement signals, no failed gradings";
        }

        if (e.RealQueries < rules.MinRealQueries && e.Signals == 0)
        {
            return $"not enough real evidence: {e.RealQueries} real prompts (needs {rules.MinRealQueries}) and no improvement signal";
        }

        return null;
    }

    private static string Because(CandidateEvidence e)
    {
        var parts = new List<string>();
        if (e.Signals > 0)
        {
            parts.Add($"{e.Signals} improvement signal{(e.Signals == 1 ? string.Empty : "s")}");
        }

        if (e.Misses > 0)
        {
            parts.Add($"{e.Misses} missed prompt{(e.Misses == 1 ? string.Empty : "s")}" + (e.Trend == "down" ? ", rising" : string.Empty));
        }

        if (e.ExplicitOnly > 0)
        {
            parts.Add($"of which {e.ExplicitOnly} where it had to be named");
        }

        if (e.GradingFailures > 0)
        {
            parts.Add($"{e.GradingFailures} failed grading{(e.GradingFailures == 1 ? string.Empty : "s")}");
        }

        return string.Join("; ", parts);
    }

    private static string Hours(TimeSpan span) => span.TotalHours >= 1
        ? string.Create(CultureInfo.InvariantCulture, $"{span.TotalHours:0} h")
        : string.Create(CultureInfo.InvariantCulture, $"{Math.Max(0, span.TotalMinutes):0} min");
}
