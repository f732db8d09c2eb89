using Selftune.Core.Store;
using Selftune.Core.Skills;

namespace Selftune.Core.Eval;

/// <summary>Eval sets in the store (<c>eval_sets</c> + <c>eval_entries</c>); the JSON files written with <c>--output</c> are exports.</summary>
internal sealed class EvalSetStore
{
    /// <summary>The newest eval set of <paramref name="skill"/>, or null. A plugin prefix may be given or left out, on either
    /// side: <c>hex-docs-search</c> finds a set generated for <c>elixir:hex-docs-search</c> and the other way round.</summary>
    public EvalSet? Latest(SelftuneStore store, string skill) =>
        store.Query("SELECT eval_set_id, skill FROM eval_sets ORDER BY created_at DESC, rowid DESC", r => (Id: r.GetString(0), Skill: r.GetString(1)))
            .FirstOrDefault(x => SkillNames.Same(x.Skill, skill)).Id is { } id ? Get(store, id) : null;

    /// <summary>Stores <paramref name="set"/> (replacing a set with the same id) in one transaction.</summary>
    public void Save(SelftuneStore store, EvalSet set)
    {
        using var tx = store.BeginTransaction();
        store.Execute("DELETE FROM eval_entries WHERE eval_set_id = $id", ("$id", set.Id));
        store.Execute(
            """
            INSERT INTO eval_sets (eval_set_id, skill, created_at, seed, positives, negatives, synthetic) VALUES ($id, $skill, $at, $seed, $pos, $neg, $syn)
            ON CONFLICT(eval_set_id) DO UPDATE SET skill = excluded.skill, created_at = excluded.created_at, seed = excluded.seed,
              positives = excluded.positives, negatives = excluded.negatives, synthetic = excluded.synthetic
            """,
            ("$id", set.Id), ("$skill", set.Skill), ("$at", set.CreatedAt.ToUnixTimeMilliseconds()), ("$seed", set.Seed),
            ("$pos", set.Entries.Count(e => e.ShouldTrigger)), ("$neg", set.Entries.Count(e => !e.ShouldTrigger)), ("$syn", set.Entries.Count(e => e.Synthetic)));
        for (var i = 0; i < set.Entries.Count; i++)
        {
            var e = set.Entries[i];
            store.Execute(
                "INSERT INTO eval_entries (eval_set_id, ordinal, query, should_trigger, invocation_type, session_id, prompt_id, synthetic, split) VALUES ($id, $n, $q, $t, $type, $s, $p, $syn, $split)",
                ("$id", set.Id), ("$n", i), ("$q", e.Query), ("$t", e.ShouldTrigger), ("$type", TypeName(e.Type)), ("$s", e.SessionId), ("$p", e.PromptId),
                ("$syn", e.Synthetic), ("$split", e.Split));
        }

        tx.Commit();
    }

    /// <summary>The eval set with id <paramref name="id"/>, or null.</summary>
    public EvalSet? Get(SelftuneStore store, string id)
    {
        var header = store.Query(
            "SELECT skill, created_at, seed FROM eval_sets WHERE eval_set_id = $id",
            r => (Skill: r.GetString(0), At: r.GetInt64(1), Seed: r.GetInt32(2)),
            ("$id", id));
        if (header.Count == 0)
        {
            return null;
        }

        var entries = store.Query(
            "SELECT query, should_trigger, invocation_type, session_id, prompt_id, synthetic, split FROM eval_entries WHERE eval_set_id = $id ORDER BY ordinal",
            r => new EvalEntry(r.GetString(0), r.GetInt64(1) == 1, Enum.Parse<InvocationType>(r.GetString(2), ignoreCase: true),
                r.IsDBNull(3) ? null : r.GetString(3), r.IsDBNull(4) ? null : r.GetString(4), r.GetInt64(5) == 1, r.GetString(6)),
            ("$id", id));
        return new EvalSet(id, header[0].Skill, DateTimeOffset.FromUnixTimeMilliseconds(header[0].At), header[0].Seed, entries);
    }

    private static string TypeName(InvocationType type) => type.ToString().ToLowerInvariant();
}
