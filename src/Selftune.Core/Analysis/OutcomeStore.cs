using System.Globalization;
using System.Text.Json;
using Selftune.Core.Store;

namespace Selftune.Core.Analysis;

/// <summary>
/// Session outcomes in the store (<c>session_outcomes</c>): classifies top-level sessions with <see cref="OutcomeRules"/>
/// from their canonical records (at the end of every sync, only the sessions that sync touched), keeps a decision an LLM
/// made when the rules still say <see cref="Outcome.Unknown"/>, and reads outcomes back.
/// </summary>
internal static class OutcomeStore
{
    private const string TopLevel = "(s.parent_session_id IS NULL OR s.parent_session_id NOT IN (SELECT session_id FROM sessions))";

    /// <summary>Classifies the top-level sessions updated at or after <paramref name="sinceMs"/> (all when null) and
    /// stores their outcomes, in one transaction (or the caller's).</summary>
    /// <param name="store">The store.</param>
    /// <param name="sinceMs">Only sessions whose <c>updated_at</c> is at or after this Unix ms time; null for all.</param>
    /// <param name="nowMs">The classification time, Unix ms.</param>
    /// <returns>The sessions classified.</returns>
    public static int ClassifyChanged(SelftuneStore store, long? sinceMs, long nowMs)
    {
        var facts = LoadFacts(store, sinceMs);
        if (facts.Count == 0)
        {
            return 0;
        }

        var own = store.InTransaction ? null : store.BeginTransaction();
        try
        {
            foreach (var f in facts)
            {
                Save(store, OutcomeRules.Classify(f), nowMs);
            }

            own?.Commit();
        }
        finally
        {
            own?.Dispose();
        }

        return facts.Count;
    }

    /// <summary>Stores one outcome. A rules outcome of <see cref="Outcome.Unknown"/> does not replace an LLM's decision.</summary>
    public static void Save(SelftuneStore store, SessionOutcome o, long nowMs) =>
        store.Execute(
            """
            INSERT INTO session_outcomes (session_id, outcome, confidence, evidence, method, model, lines_added, lines_removed, commits, classified_at)
            VALUES ($s, $o, $c, $e, $m, $model, $la, $lr, $commits, $t)
            ON CONFLICT (session_id) DO UPDATE SET outcome = excluded.outcome, confidence = excluded.confidence, evidence = excluded.evidence,
                method = excluded.method, model = excluded.model, lines_added = excluded.lines_added, lines_removed = excluded.lines_removed,
                commits = excluded.commits, classified_at = excluded.classified_at
            WHERE excluded.outcome <> 'unknown' OR session_outcomes.method = 'rules' OR excluded.method = 'llm'
            """,
            ("$s", o.SessionId), ("$o", Json.Name(o.Value)), ("$c", o.Confidence), ("$e", EvidenceJson(o.Evidence)), ("$m", Json.Name(o.Method)),
            ("$model", o.Model), ("$la", o.LinesAdded), ("$lr", o.LinesRemoved), ("$commits", o.Commits), ("$t", nowMs));

    /// <summary>The stored outcomes of the given sessions (all when null), by session id.</summary>
    public static Dictionary<string, SessionOutcome> Read(SelftuneStore store, IReadOnlyCollection<string>? sessionIds = null)
    {
        var rows = store.Query(
            "SELECT session_id, outcome, confidence, evidence, method, model, lines_added, lines_removed, commits FROM session_outcomes",
            r => new SessionOutcome(
                r.GetString(0), Parse<Outcome>(r.GetString(1)), r.GetDouble(2), ReadEvidence(r.GetString(3)), Parse<OutcomeMethod>(r.GetString(4)),
                r.IsDBNull(5) ? null : r.GetString(5), r.IsDBNull(6) ? null : r.GetInt32(6), r.IsDBNull(7) ? null : r.GetInt32(7), r.IsDBNull(8) ? null : r.GetInt32(8)));
        var wanted = sessionIds is null ? null : new HashSet<string>(sessionIds, StringComparer.Ordinal);
        return rows.Where(o => wanted is null || wanted.Contains(o.SessionId)).ToDictionary(o => o.SessionId, StringComparer.Ordinal);
    }

    /// <summary>The facts the rules decide on, for the top-level sessions updated since <paramref name="sinceMs"/> (all when null).</summary>
    public static List<OutcomeFacts> LoadFacts(SelftuneStore store, long? sinceMs)
    {
        var parameters = sinceMs is null ? [] : new[] { ("$since", (object?)sinceMs) };
        // Rows are reference types (arrays, Tuple, records): the store's generic Query over a value type is compiled at run
        // time in every sync (ReadyToRun cannot precompile it across assemblies; bench/RESULTS.md, issue 19).
        var sessions = store.Query($"SELECT s.session_id, s.status FROM sessions s WHERE {TopLevel}{(sinceMs is null ? string.Empty : " AND s.updated_at >= $since")}", r => new[] { r.GetString(0), r.GetString(1) }, parameters);
        if (sessions.Count == 0)
        {
            return [];
        }

        // Records of the sessions updated since the sync started; those of sub-agents are read and left unused. When every
        // session changed (a full classification, a first sync) the join that picks them costs as much as the read itself,
        // so the tables are read whole.
        var everySession = sinceMs is null || Convert.ToInt64(store.Scalar("SELECT count(*) FROM sessions WHERE updated_at < $since", parameters), CultureInfo.InvariantCulture) == 0;
        var join = everySession ? string.Empty : "JOIN sessions s ON s.session_id = {0}.session_id AND s.updated_at >= $since";
        var joinParameters = everySession ? [] : parameters;

        var tools = new Dictionary<string, List<ToolStep>>(StringComparer.Ordinal);
        foreach (var (id, step) in store.Query(
            $"SELECT t.session_id, t.occurred_at, t.name, t.is_error, t.detail FROM tool_calls t {string.Format(CultureInfo.InvariantCulture, join, "t")} ORDER BY t.session_id, t.occurred_at",
            r => Tuple.Create(r.GetString(0), new ToolStep(r.GetInt64(1), r.GetString(2), r.GetInt64(3) != 0, r.IsDBNull(4) ? null : r.GetString(4))), joinParameters))
        {
            (tools.TryGetValue(id, out var list) ? list : tools[id] = []).Add(step);
        }

        var errors = new Dictionary<string, List<SessionError>>(StringComparer.Ordinal);
        foreach (var (id, error) in store.Query(
            $"SELECT e.session_id, e.occurred_at, e.kind, e.message FROM session_errors e {string.Format(CultureInfo.InvariantCulture, join, "e")} WHERE e.kind <> 'tool_error' ORDER BY e.session_id, e.occurred_at",
            r => Tuple.Create(r.GetString(0), new SessionError(r.GetInt64(1), r.GetString(2), r.GetString(3))), joinParameters))
        {
            (errors.TryGetValue(id, out var list) ? list : errors[id] = []).Add(error);
        }

        var prompts = new Dictionary<string, PromptTail>(StringComparer.Ordinal);
        foreach (var (id, text) in store.Query(
            $"SELECT p.session_id, p.text FROM prompts p {string.Format(CultureInfo.InvariantCulture, join, "p")} WHERE p.actionable = 1 ORDER BY p.session_id, p.occurred_at",
            r => Tuple.Create(r.GetString(0), r.GetString(1)), joinParameters))
        {
            var tail = prompts.TryGetValue(id, out var seen) ? seen : prompts[id] = new PromptTail();
            tail.Count++;
            tail.Last = text;
        }

        return sessions.Select(s => new OutcomeFacts(
            s[0], s[1], prompts.TryGetValue(s[0], out var p) ? p.Count : 0, p?.Last,
            tools.GetValueOrDefault(s[0]) ?? [], errors.GetValueOrDefault(s[0]) ?? [])).ToList();
    }

    /// <summary>Evidence as stored: a JSON array of <c>{"signal","detail"}</c>.</summary>
    public static string EvidenceJson(IReadOnlyList<OutcomeEvidence> evidence) => Json.Write(w =>
    {
        w.WriteStartArray();
        foreach (var e in evidence)
        {
            w.WriteStartObject();
            w.WriteString("signal", e.Signal);
            w.WriteString("detail", e.Detail);
            w.WriteEndObject();
        }

        w.WriteEndArray();
    });

    private static List<OutcomeEvidence> ReadEvidence(string json)
    {
        using var document = JsonDocument.Parse(json);
        return [.. document.RootElement.EnumerateArray().Select(e => new OutcomeEvidence(e.GetProperty("signal").GetString() ?? string.Empty, e.GetProperty("detail").GetString() ?? string.Empty))];
    }

    private static T Parse<T>(string name) where T : struct, Enum =>
        Enum.TryParse<T>(name.Replace("_", string.Empty, StringComparison.Ordinal), ignoreCase: true, out var value) ? value : default;

    /// <summary>A session's actionable prompts: how many, and the text of the last one.</summary>
    private sealed class PromptTail
    {
        public int Count;
        public string? Last;
    }
}
