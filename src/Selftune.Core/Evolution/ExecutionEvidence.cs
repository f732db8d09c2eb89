using Selftune.Core.Skills;
using Selftune.Core.Store;

namespace Selftune.Core.Evolution;

/// <summary>How a skill's work went in the sessions where it ran: what a body or routing proposer is shown.</summary>
/// <param name="Sessions">Sessions (newest <see cref="MaxSessions"/>) where the agent invoked the skill.</param>
/// <param name="ToolCalls">Tool calls in them.</param>
/// <param name="ToolErrors">Tool calls that failed.</param>
/// <param name="FailingTools">Tools that failed most, with their failure count (<c>Bash ×3</c>), most first.</param>
/// <param name="AvgTurns">Mean user prompts per session.</param>
/// <param name="AvgTokens">Mean input + output tokens per session.</param>
/// <param name="FailedGradings">Failure feedback of graded sessions of the skill, newest first.</param>
internal sealed record ExecutionEvidence(int Sessions, int ToolCalls, int ToolErrors, IReadOnlyList<string> FailingTools, double AvgTurns, long AvgTokens, IReadOnlyList<string> FailedGradings)
{
    /// <summary>Most recent sessions read.</summary>
    public const int MaxSessions = 200;

    /// <summary>Most failing tools listed.</summary>
    public const int MaxFailingTools = 5;

    /// <summary>Reads the evidence of <paramref name="skill"/> from the store.</summary>
    /// <param name="store">The store.</param>
    /// <param name="skill">The skill (a plugin prefix may be left out).</param>
    /// <param name="failedGradings">Grading failure feedback (<see cref="Grading.GradingStore.FailureFeedback"/>).</param>
    public static ExecutionEvidence Load(SelftuneStore store, string skill, IReadOnlyList<string> failedGradings)
    {
        var sessions = store.Query(
                "SELECT session_id, skill_name, max(occurred_at) FROM skill_invocations WHERE kind <> 'read' GROUP BY session_id, skill_name ORDER BY 3 DESC",
                r => (Session: r.GetString(0), Skill: r.GetString(1)))
            .Where(x => SkillNames.Same(x.Skill, skill))
            .Select(x => x.Session)
            .Distinct(StringComparer.Ordinal)
            .Take(MaxSessions)
            .ToList();
        if (sessions.Count == 0)
        {
            return new ExecutionEvidence(0, 0, 0, [], 0, 0, failedGradings);
        }

        int calls = 0, errors = 0;
        long turns = 0, tokens = 0;
        var failing = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var chunk in sessions.Chunk(500))
        {
            var ids = string.Join(',', chunk.Select((_, i) => $"$s{i}"));
            var args = chunk.Select((id, i) => ($"$s{i}", (object?)id)).ToArray();
            foreach (var (name, count, failed) in store.Query($"SELECT name, count(*), sum(is_error) FROM tool_calls WHERE session_id IN ({ids}) GROUP BY name", r => (r.GetString(0), r.GetInt64(1), r.GetInt64(2)), args))
            {
                calls += (int)count;
                errors += (int)failed;
                if (failed > 0)
                {
                    failing[name] = (int)failed;
                }
            }

            turns += (long)store.Scalar($"SELECT count(*) FROM prompts WHERE actionable = 1 AND session_id IN ({ids})", args)!;
            tokens += store.Scalar($"SELECT coalesce(sum(input_tokens + output_tokens), 0) FROM token_usage WHERE session_id IN ({ids})", args) is long t ? t : 0;
        }

        var top = failing.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key, StringComparer.Ordinal).Take(MaxFailingTools).Select(kv => $"{kv.Key} ×{kv.Value}").ToList();
        return new ExecutionEvidence(sessions.Count, calls, errors, top, Math.Round((double)turns / sessions.Count, 2), tokens / sessions.Count, failedGradings);
    }
}
