using Selftune.Core.Store;

namespace Selftune.Core.Misses;

/// <summary>
/// Settles a miss (<c>selftune misses confirm|reject ID</c>). Confirming makes it a <see cref="MissKind.Confirmed"/> miss
/// (confidence 1.0: evidence). Rejecting records that the skill should not have triggered for the prompt: the prompt is
/// never a miss of that skill again, in any kind, and it becomes a known negative of the skill's eval set. Any miss can be
/// rejected (a named or read-not-invoked one too); confirming is for discovered misses, the others are already certain
/// or can only be rejected.
/// </summary>
internal static class MissReview
{
    /// <summary>Confirms or rejects the miss <paramref name="id"/>.</summary>
    /// <param name="store">The store.</param>
    /// <param name="id">The miss id (<c>m-</c> + 12 hex digits, from <c>selftune misses</c>).</param>
    /// <param name="confirm">True to confirm, false to reject.</param>
    /// <param name="at">When.</param>
    /// <returns>The miss as it was before the review.</returns>
    /// <exception cref="SelftuneException"><see cref="ErrorCodes.NotFound"/> when no miss has that id;
    /// <see cref="ErrorCodes.InvalidArgument"/> when confirming a miss that is not a discovered one.</exception>
    public static Miss Decide(SelftuneStore store, string id, bool confirm, DateTimeOffset at)
    {
        var miss = MissFinder.Find(store).All.FirstOrDefault(m => m.Id == id)
            ?? throw new SelftuneException(ErrorCodes.NotFound, $"No open miss has the id '{id}' (a rejected one is gone; ids come from selftune misses).", "selftune misses", exitCode: 2);
        if (confirm && miss.Kind is not (MissKind.Discovered or MissKind.Confirmed))
        {
            throw new SelftuneException(ErrorCodes.InvalidArgument, $"Miss {id} is {miss.Kind.ToString().ToLowerInvariant()}, already certain; only discovered misses are confirmed (any miss can be rejected).", "selftune misses", exitCode: 2);
        }

        store.Execute(
            """
            INSERT INTO misses (miss_id, prompt_id, skill_name, method, confidence, score, status, found_at, decided_at)
            VALUES ($id, $p, $s, 'review', $c, 0, $status, $at, $at)
            ON CONFLICT (miss_id) DO UPDATE SET status = excluded.status, decided_at = excluded.decided_at
            """,
            ("$id", id), ("$p", miss.PromptId), ("$s", miss.Skill), ("$c", miss.Confidence), ("$status", confirm ? "confirmed" : "rejected"), ("$at", at.ToUnixTimeMilliseconds()));
        return miss;
    }
}
