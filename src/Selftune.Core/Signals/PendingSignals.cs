using Selftune.Core.Store;

namespace Selftune.Core.Signals;

/// <summary>Improvement signals no run has acted on yet (<c>improvement_signals.consumed = 0</c>): the loop boosts the
/// skills they name, and marks them consumed once it has evolved that skill.</summary>
internal static class PendingSignals
{
    /// <summary>Pending signals per skill name (case-insensitive).</summary>
    public static IReadOnlyDictionary<string, int> Count(SelftuneStore store)
    {
        var counts = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        foreach (var (skill, n) in store.Query("SELECT skill_name, COUNT(*) FROM improvement_signals WHERE consumed = 0 GROUP BY skill_name", r => (r.GetString(0), (int)r.GetInt64(1))))
        {
            counts[skill] = counts.GetValueOrDefault(skill) + n;
        }

        return counts;
    }

    /// <summary>Marks <paramref name="skill"/>'s pending signals consumed by <paramref name="runId"/>.</summary>
    /// <returns>How many were marked.</returns>
    public static int Consume(SelftuneStore store, string skill, string runId, DateTimeOffset at) => store.Execute(
        "UPDATE improvement_signals SET consumed = 1, consumed_at = $at, consumed_by = $run WHERE consumed = 0 AND skill_name = $skill COLLATE NOCASE",
        ("$at", at.ToUnixTimeMilliseconds()),
        ("$run", runId),
        ("$skill", skill));
}
