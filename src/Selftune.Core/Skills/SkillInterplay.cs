using System.Security.Cryptography;
using System.Text;
using Selftune.Core.Store;

namespace Selftune.Core.Skills;

/// <summary>Two skills used in the same sessions, against each used without the other. A session "failed" when its
/// outcome (<c>session_outcomes</c>) is <c>failed</c> or <c>blocked</c>; where its outcome is <c>unknown</c> or not
/// classified, when at least one of its tool calls (sub-agents included) failed.</summary>
/// <param name="SkillA">The first skill (ordinal order).</param>
/// <param name="SkillB">The second skill.</param>
/// <param name="SessionsTogether">Sessions that used both.</param>
/// <param name="FailedTogether">Of those, sessions that failed.</param>
/// <param name="SessionsAAlone">Sessions that used A but not B.</param>
/// <param name="FailedAAlone">Of those, failed.</param>
/// <param name="SessionsBAlone">Sessions that used B but not A.</param>
/// <param name="FailedBAlone">Of those, failed.</param>
/// <param name="FailureRateTogether"><c>FailedTogether / SessionsTogether</c>.</param>
/// <param name="FailureRateAlone"><c>(FailedAAlone + FailedBAlone) / (SessionsAAlone + SessionsBAlone)</c>; null when neither ran alone.</param>
/// <param name="Conflict"><c>max(0, together − alone)</c>: how much more often sessions fail with both (0–1).</param>
/// <param name="Synergy"><c>max(0, alone − together)</c>: how much less often they fail with both (0–1).</param>
/// <param name="Verdict"><c>conflict</c> or <c>synergy</c> when the score is at least <see cref="SkillInterplay.MinScore"/>,
/// else <c>neutral</c>; <c>not_enough_data</c> when neither ran alone.</param>
internal sealed record SkillPair(
    string SkillA,
    string SkillB,
    int SessionsTogether,
    int FailedTogether,
    int SessionsAAlone,
    int FailedAAlone,
    int SessionsBAlone,
    int FailedBAlone,
    double FailureRateTogether,
    double? FailureRateAlone,
    double Conflict,
    double Synergy,
    string Verdict);

/// <summary>An ordered sequence of skills that recurs across sessions: a candidate workflow skill.</summary>
/// <param name="Id">Stable id: <c>wf-</c> and the first 10 hex digits of SHA-256 over the skill names joined by <c>\n</c>.</param>
/// <param name="Skills">The skills, in the order the sessions used them.</param>
/// <param name="Sessions">Sessions whose skill sequence contains it (consecutive, in this order).</param>
/// <param name="Examples">Up to 3 of those sessions' ids.</param>
internal sealed record Workflow(string Id, IReadOnlyList<string> Skills, int Sessions, IReadOnlyList<string> Examples);

/// <summary>The result of <c>selftune skills interplay</c>.</summary>
/// <param name="Sessions">Top-level sessions that used at least one skill.</param>
/// <param name="Pairs">Pairs used together in at least the minimum number of sessions, strongest score first.</param>
/// <param name="Workflows">Recurring skill sequences, most sessions first.</param>
/// <param name="Outcome">What "failed" means here.</param>
/// <param name="SessionsByOutcome">Of <paramref name="Sessions"/>, those judged by their known outcome (success, partial, blocked, failed).</param>
/// <param name="SessionsByToolErrors">Of <paramref name="Sessions"/>, those judged by their tool errors (outcome unknown or not classified).</param>
internal sealed record InterplayReport(int Sessions, IReadOnlyList<SkillPair> Pairs, IReadOnlyList<Workflow> Workflows, string Outcome, int SessionsByOutcome, int SessionsByToolErrors);

/// <summary>
/// Composability of skills, from the store: which skills run in the same sessions and how those sessions fare together
/// against alone (<see cref="SkillPair"/>), and which ordered sequences of skills recur (<see cref="Workflow"/>). A skill
/// counts as used in a session when it was invoked (implicit or explicit; reads do not count), in the session or one of
/// its sub-agents; its position in the sequence is its first use. A session's sequence is its skills by first use; a
/// workflow is a run of 2 to <see cref="MaxWorkflowLength"/> consecutive skills of that sequence found in at least
/// <c>minWorkflowSessions</c> sessions (counted once per session); a workflow contained in a longer one with the same
/// count is dropped.
/// </summary>
internal static class SkillInterplay
{
    /// <summary>The score from which a pair is called a conflict or a synergy.</summary>
    public const double MinScore = 0.2;

    /// <summary>Longest workflow proposed.</summary>
    public const int MaxWorkflowLength = 4;

    /// <summary>Builds the report.</summary>
    /// <param name="store">The store (read only).</param>
    /// <param name="minPairSessions">Pairs used together in fewer sessions are left out.</param>
    /// <param name="minWorkflowSessions">Sequences recurring in fewer sessions are left out (the feature asks for 3).</param>
    /// <param name="since">Only sessions that ended (or started) at or after this.</param>
    public static InterplayReport Analyze(SelftuneStore store, int minPairSessions = 2, int minWorkflowSessions = 3, DateTimeOffset? since = null)
    {
        var sessions = Sessions(store, since);
        var pairs = new List<SkillPair>();
        var skills = sessions.SelectMany(s => s.Skills).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        for (var i = 0; i < skills.Count; i++)
        {
            for (var j = i + 1; j < skills.Count; j++)
            {
                var (a, b) = (skills[i], skills[j]);
                var together = sessions.Where(s => s.Skills.Contains(a) && s.Skills.Contains(b)).ToList();
                if (together.Count < Math.Max(1, minPairSessions))
                {
                    continue;
                }

                var aAlone = sessions.Where(s => s.Skills.Contains(a) && !s.Skills.Contains(b)).ToList();
                var bAlone = sessions.Where(s => s.Skills.Contains(b) && !s.Skills.Contains(a)).ToList();
                var failedTogether = together.Count(s => s.Failed);
                var (failedA, failedB) = (aAlone.Count(s => s.Failed), bAlone.Count(s => s.Failed));
                var rateTogether = (double)failedTogether / together.Count;
                double? rateAlone = aAlone.Count + bAlone.Count > 0 ? (double)(failedA + failedB) / (aAlone.Count + bAlone.Count) : null;
                var conflict = rateAlone is { } r1 ? Math.Max(0, rateTogether - r1) : 0;
                var synergy = rateAlone is { } r2 ? Math.Max(0, r2 - rateTogether) : 0;
                var verdict = rateAlone is null ? "not_enough_data" : conflict >= MinScore ? "conflict" : synergy >= MinScore ? "synergy" : "neutral";
                pairs.Add(new SkillPair(a, b, together.Count, failedTogether, aAlone.Count, failedA, bAlone.Count, failedB,
                    Round(rateTogether), rateAlone is { } r ? Round(r) : null, Round(conflict), Round(synergy), verdict));
            }
        }

        return new InterplayReport(
            sessions.Count,
            [.. pairs.OrderByDescending(p => Math.Max(p.Conflict, p.Synergy)).ThenByDescending(p => p.SessionsTogether).ThenBy(p => p.SkillA, StringComparer.Ordinal).ThenBy(p => p.SkillB, StringComparer.Ordinal)],
            Workflows(sessions, minWorkflowSessions),
            "a session failed when its outcome is failed or blocked; where its outcome is unknown (or not classified yet), when one of its tool calls (sub-agents included) failed",
            sessions.Count(s => s.ByOutcome),
            sessions.Count(s => !s.ByOutcome));
    }

    /// <summary>The workflow with <paramref name="id"/> among those recurring in at least <paramref name="minWorkflowSessions"/>
    /// sessions; null when there is none (the entry point of <c>selftune create --from-workflow ID</c>).</summary>
    public static Workflow? FindWorkflow(SelftuneStore store, string id, int minWorkflowSessions = 3) =>
        Workflows(Sessions(store, null), minWorkflowSessions).FirstOrDefault(w => w.Id == id);

    /// <summary>The id of a workflow over <paramref name="skills"/>.</summary>
    public static string WorkflowId(IReadOnlyList<string> skills) =>
        "wf-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join("\n", skills))))[..10];

    private static List<Workflow> Workflows(IReadOnlyList<SessionSkills> sessions, int minSessions)
    {
        var counts = new Dictionary<string, (List<string> Skills, List<string> Sessions)>(StringComparer.Ordinal);
        foreach (var session in sessions)
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            for (var length = 2; length <= MaxWorkflowLength; length++)
            {
                for (var start = 0; start + length <= session.Sequence.Count; start++)
                {
                    var run = session.Sequence.Skip(start).Take(length).ToList();
                    var key = string.Join("\n", run);
                    if (!seen.Add(key))
                    {
                        continue;
                    }

                    if (!counts.TryGetValue(key, out var entry))
                    {
                        counts[key] = entry = (run, []);
                    }

                    entry.Sessions.Add(session.Id);
                }
            }
        }

        var recurring = counts.Values.Where(v => v.Sessions.Count >= Math.Max(2, minSessions)).ToList();
        return [.. recurring
            .Where(w => !recurring.Any(longer => longer.Skills.Count > w.Skills.Count && longer.Sessions.Count == w.Sessions.Count && Contains(longer.Skills, w.Skills)))
            .OrderByDescending(w => w.Sessions.Count).ThenByDescending(w => w.Skills.Count).ThenBy(w => string.Join("\n", w.Skills), StringComparer.Ordinal)
            .Select(w => new Workflow(WorkflowId(w.Skills), w.Skills, w.Sessions.Count, [.. w.Sessions.Order(StringComparer.Ordinal).Take(3)]))];
    }

    private static bool Contains(List<string> longer, List<string> run)
    {
        for (var start = 0; start + run.Count <= longer.Count; start++)
        {
            if (longer.Skip(start).Take(run.Count).SequenceEqual(run, StringComparer.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Top-level sessions that used a skill: their skills by first use, and whether they failed (by their known
    /// outcome, else by a failed tool call).</summary>
    private static List<SessionSkills> Sessions(SelftuneStore store, DateTimeOffset? since)
    {
        var parents = store.Query("SELECT session_id, parent_session_id, coalesce(ended_at, started_at) FROM sessions",
            r => (Id: r.GetString(0), Parent: r.IsDBNull(1) ? null : r.GetString(1), At: r.IsDBNull(2) ? (long?)null : r.GetInt64(2)))
            .ToDictionary(s => s.Id, StringComparer.Ordinal);
        string Root(string id)
        {
            var current = id;
            for (var depth = 0; depth < 8 && parents.TryGetValue(current, out var s) && s.Parent is { } p && parents.ContainsKey(p); depth++)
            {
                current = p;
            }

            return current;
        }

        var uses = new Dictionary<string, List<(long At, string Skill)>>(StringComparer.Ordinal);
        foreach (var (session, at, skill) in store.Query(
            "SELECT session_id, min(occurred_at), skill_name FROM skill_invocations WHERE kind <> 'read' GROUP BY session_id, skill_name",
            r => (r.GetString(0), r.GetInt64(1), r.GetString(2))))
        {
            var root = Root(session);
            (uses.TryGetValue(root, out var list) ? list : uses[root] = []).Add((at, skill));
        }

        var toolErrors = store.Query("SELECT DISTINCT session_id FROM tool_calls WHERE is_error = 1", r => r.GetString(0)).Select(Root).ToHashSet(StringComparer.Ordinal);
        var outcomes = store.Query("SELECT session_id, outcome FROM session_outcomes WHERE outcome <> 'unknown'", r => (r.GetString(0), r.GetString(1)))
            .ToDictionary(o => o.Item1, o => o.Item2 is "failed" or "blocked", StringComparer.Ordinal);
        var from = since?.ToUnixTimeMilliseconds();
        return [.. uses
            .Where(u => from is null || (parents.TryGetValue(u.Key, out var s) && s.At >= from))
            .OrderBy(u => u.Key, StringComparer.Ordinal)
            .Select(u =>
            {
                var sequence = u.Value.GroupBy(v => v.Skill, StringComparer.Ordinal).Select(g => (At: g.Min(v => v.At), Skill: g.Key))
                    .OrderBy(v => v.At).ThenBy(v => v.Skill, StringComparer.Ordinal).Select(v => v.Skill).ToList();
                var byOutcome = outcomes.TryGetValue(u.Key, out var failed);
                return new SessionSkills(u.Key, sequence, [.. sequence], byOutcome ? failed : toolErrors.Contains(u.Key), byOutcome);
            })];
    }

    private static double Round(double value) => Math.Round(value, 4);

    private sealed record SessionSkills(string Id, List<string> Sequence, HashSet<string> Skills, bool Failed, bool ByOutcome);
}
