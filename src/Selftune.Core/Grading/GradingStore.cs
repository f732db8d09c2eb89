using System.Text.Json;
using Selftune.Core.Eval;
using Selftune.Core.Store;
using Selftune.Core.Skills;

namespace Selftune.Core.Grading;

/// <summary>Gradings in the store (<c>grading_results</c> with the full result as JSON, and <c>grading_failures</c>, one
/// row per failing prompt), and the queries <c>status</c> and evolution read.</summary>
internal sealed class GradingStore
{
    /// <summary>Stores a result (replacing one with the same id) in one transaction.</summary>
    public void Save(SelftuneStore store, GradingResult result)
    {
        using var tx = store.BeginTransaction();
        var at = result.GradedAt.ToUnixTimeMilliseconds();
        store.Execute("DELETE FROM grading_failures WHERE grading_id = $id", ("$id", result.GradingId));
        store.Execute(
            """
            INSERT OR REPLACE INTO grading_results (grading_id, session_id, skill, graded_at, passed, failed, total, pass_rate, mean_score, backend, model, result_json)
            VALUES ($id, $session, $skill, $at, $passed, $failed, $total, $rate, $mean, $backend, $model, $json)
            """,
            ("$id", result.GradingId), ("$session", result.SessionId), ("$skill", result.Skill), ("$at", at),
            ("$passed", result.Summary.Passed), ("$failed", result.Summary.Failed), ("$total", result.Summary.Total),
            ("$rate", result.Summary.PassRate), ("$mean", result.Summary.MeanScore), ("$backend", result.Backend), ("$model", result.Model),
            ("$json", JsonSerializer.Serialize(result, Json.Options)));
        for (var i = 0; i < result.FailureFeedback.Count; i++)
        {
            var f = result.FailureFeedback[i];
            store.Execute(
                """
                INSERT INTO grading_failures (grading_id, ordinal, skill, session_id, prompt_id, query, failure_reason, improvement_hint, invocation_type, graded_at)
                VALUES ($id, $n, $skill, $session, $prompt, $query, $reason, $hint, $type, $at)
                """,
                ("$id", result.GradingId), ("$n", i), ("$skill", result.Skill), ("$session", result.SessionId), ("$prompt", f.PromptId),
                ("$query", f.Query), ("$reason", f.FailureReason), ("$hint", f.ImprovementHint), ("$type", f.InvocationType?.ToString().ToLowerInvariant()), ("$at", at));
        }

        tx.Commit();
    }

    /// <summary>The newest grading of <paramref name="skill"/> (a plugin prefix may be left out), optionally of one session; null when none.</summary>
    public GradingResult? Latest(SelftuneStore store, string skill, string? sessionId = null) => store.Query(
            "SELECT skill, result_json FROM grading_results WHERE ($s IS NULL OR session_id = $s) ORDER BY graded_at DESC, rowid DESC",
            r => (Skill: r.GetString(0), Json: r.GetString(1)),
            ("$s", sessionId))
        .Where(x => SkillNames.Same(x.Skill, skill))
        .Select(x => JsonSerializer.Deserialize<GradingResult>(x.Json, Json.Options))
        .FirstOrDefault();

    /// <summary>The newest failure feedback for <paramref name="skill"/>, newest first, each as one line for a proposer:
    /// the failure reason, the prompt that failed, and the improvement hint when there is one.</summary>
    /// <param name="store">The store.</param>
    /// <param name="skill">The skill (a plugin prefix may be left out).</param>
    /// <param name="max">Most lines returned.</param>
    public IReadOnlyList<string> FailureFeedback(SelftuneStore store, string skill, int max) =>
        RecentFailures(store, skill, max)
            .Select(f => $"{f.FailureReason} (prompt: \"{f.Query.ReplaceLineEndings(" ")}\")" + (f.ImprovementHint is { } hint ? $" Hint: {hint}" : string.Empty))
            .ToList();

    /// <summary>The newest failure-feedback items for <paramref name="skill"/>, newest first, at most <paramref name="max"/>.</summary>
    public IReadOnlyList<GradingFailure> RecentFailures(SelftuneStore store, string skill, int max) => store.Query(
            "SELECT skill, query, prompt_id, failure_reason, improvement_hint, invocation_type FROM grading_failures ORDER BY graded_at DESC, grading_id, ordinal",
            r => (Skill: r.GetString(0), Failure: new GradingFailure(
                r.GetString(1), r.IsDBNull(2) ? null : r.GetString(2), r.GetString(3), r.IsDBNull(4) ? null : r.GetString(4),
                r.IsDBNull(5) ? null : Enum.Parse<InvocationType>(r.GetString(5), ignoreCase: true))))
        .Where(x => SkillNames.Same(x.Skill, skill))
        .Select(x => x.Failure)
        .Take(Math.Max(0, max))
        .ToList();

    /// <summary>Per graded skill: how many sessions were graded, the mean pass rate of the newest <paramref name="window"/>
    /// gradings, the newest grading's pass rate and time, and the failure items in that window — for <c>status</c>.</summary>
    public IReadOnlyList<SkillGradeSummary> Summaries(SelftuneStore store, int window = 10)
    {
        var rows = store.Query(
            """
            SELECT g.skill, g.session_id, g.graded_at, g.pass_rate, (SELECT count(*) FROM grading_failures f WHERE f.grading_id = g.grading_id)
            FROM grading_results g ORDER BY g.skill, g.graded_at DESC, g.rowid DESC
            """,
            r => new GradingRow(r.GetString(0), r.GetString(1), r.GetInt64(2), r.GetDouble(3), r.GetInt32(4)));
        return rows.GroupBy(r => r.Skill, StringComparer.Ordinal).Select(g =>
        {
            var recent = g.Take(Math.Max(1, window)).ToList();
            return new SkillGradeSummary(g.Key, g.Count(), Math.Round(recent.Average(r => r.Rate), 3), recent[0].Rate,
                DateTimeOffset.FromUnixTimeMilliseconds(recent[0].At), recent[0].Session, recent.Sum(r => r.Failures));
        }).ToList();
    }

    // A class, not a value tuple: generic code over value tuples is compiled at run time on every status (ReadyToRun
    // cannot precompile it across assemblies).
    private sealed record GradingRow(string Skill, string Session, long At, double Rate, int Failures);
}
