using Selftune.Core.Eval;

namespace Selftune.Core.Evolution;

/// <summary>Pass counts of one invocation type.</summary>
/// <param name="Passed">Entries passed.</param>
/// <param name="Total">Entries.</param>
internal sealed record TypeScore(int Passed, int Total);

/// <summary>How one description did on a list of eval entries.</summary>
/// <param name="Triggered">Per entry: did the skill trigger.</param>
/// <param name="Passed">Per entry: <c>Triggered == ShouldTrigger</c>.</param>
/// <param name="PassCount">Entries passed.</param>
/// <param name="PassRate">PassCount / entries (0..1, 4 decimals).</param>
/// <param name="ByType">Pass counts per invocation type (snake_case names).</param>
internal sealed record DescriptionScore(IReadOnlyList<bool> Triggered, IReadOnlyList<bool> Passed, int PassCount, double PassRate, IReadOnlyDictionary<string, TypeScore> ByType)
{
    /// <summary>Scores <paramref name="triggered"/> against <paramref name="entries"/>.</summary>
    public static DescriptionScore Of(IReadOnlyList<EvalEntry> entries, IReadOnlyList<bool> triggered)
    {
        var passed = entries.Select((e, i) => triggered[i] == e.ShouldTrigger).ToList();
        var byType = entries.Select((e, i) => (Type: Json.Options.PropertyNamingPolicy!.ConvertName(e.Type.ToString()), Passed: passed[i]))
            .GroupBy(x => x.Type, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => new TypeScore(g.Count(x => x.Passed), g.Count()), StringComparer.Ordinal);
        var count = passed.Count(p => p);
        return new DescriptionScore(triggered, passed, count, entries.Count == 0 ? 0 : Math.Round((double)count / entries.Count, 4), byType);
    }
}

/// <summary>A candidate's validation against the original, on the same held-out entries.</summary>
/// <param name="Before">The original's pass rate.</param>
/// <param name="After">The candidate's pass rate.</param>
/// <param name="NetChange">After − before.</param>
/// <param name="Regressions">Indexes of entries the original passed and the candidate fails.</param>
/// <param name="NewPasses">Indexes of entries the original failed and the candidate passes.</param>
/// <param name="Accepted">True when the candidate meets every rule of <see cref="Acceptance"/>.</param>
/// <param name="Reason">Why it was accepted or not, for a person.</param>
internal sealed record Comparison(double Before, double After, double NetChange, IReadOnlyList<int> Regressions, IReadOnlyList<int> NewPasses, bool Accepted, string Reason);

/// <summary>
/// The acceptance rule, on the validation split only (selftune-spec §7.3, written anew): a candidate is accepted when
/// its pass rate is higher than the original's, its regressions are fewer than 5 % of the entries, and it gains at
/// least 0.10 in pass rate or passes at least 2 entries the original failed.
/// </summary>
internal static class Acceptance
{
    /// <summary>Largest share of entries that may regress (exclusive).</summary>
    public const double MaxRegressionShare = 0.05;

    /// <summary>Smallest pass-rate gain that counts on its own.</summary>
    public const double MinGain = 0.10;

    /// <summary>Smallest number of new passes that counts on its own.</summary>
    public const int MinNewPasses = 2;

    /// <summary>Compares a candidate with the original on the same entries.</summary>
    public static Comparison Compare(DescriptionScore original, DescriptionScore candidate)
    {
        var n = original.Passed.Count;
        var regressions = Enumerable.Range(0, n).Where(i => original.Passed[i] && !candidate.Passed[i]).ToList();
        var newPasses = Enumerable.Range(0, n).Where(i => !original.Passed[i] && candidate.Passed[i]).ToList();
        var net = Math.Round(candidate.PassRate - original.PassRate, 4);
        string? failed = null;
        if (candidate.PassCount <= original.PassCount)
        {
            failed = $"pass rate {candidate.PassRate:0.00} is not above the original's {original.PassRate:0.00}";
        }
        else if (regressions.Count >= MaxRegressionShare * n)
        {
            failed = $"{regressions.Count} regression(s) is not under 5% of {n} entries";
        }
        else if (net < MinGain - 1e-9 && newPasses.Count < MinNewPasses)
        {
            failed = $"gain {net:+0.00;-0.00} is under {MinGain:0.00} and {newPasses.Count} new pass(es) is under {MinNewPasses}";
        }

        var reason = failed is null
            ? $"pass rate {original.PassRate:0.00} → {candidate.PassRate:0.00} ({newPasses.Count} new pass(es), {regressions.Count} regression(s))"
            : failed;
        return new Comparison(original.PassRate, candidate.PassRate, net, regressions, newPasses, failed is null, reason);
    }

    /// <summary>Why a candidate whose first results are <paramref name="triggered"/> can no longer be accepted, whatever
    /// the remaining entries give; null while it still can. Lets validation that runs one query at a time stop early.</summary>
    /// <param name="original">The original's results on all entries.</param>
    /// <param name="entries">All entries.</param>
    /// <param name="triggered">The candidate's results on the first entries.</param>
    public static string? Hopeless(DescriptionScore original, IReadOnlyList<EvalEntry> entries, IReadOnlyList<bool> triggered)
    {
        var n = entries.Count;
        var passes = Enumerable.Range(0, triggered.Count).Count(i => triggered[i] == entries[i].ShouldTrigger);
        var regressions = Enumerable.Range(0, triggered.Count).Count(i => original.Passed[i] && triggered[i] != entries[i].ShouldTrigger);
        if (regressions >= MaxRegressionShare * n)
        {
            return $"stopped after {triggered.Count} of {n} entries: {regressions} regression(s) already reach 5% of {n} entries";
        }

        return passes + (n - triggered.Count) <= original.PassCount
            ? $"stopped after {triggered.Count} of {n} entries: even passing every remaining entry it cannot beat the original's {original.PassCount}"
            : null;
    }
}
