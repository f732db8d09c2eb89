using System.Globalization;
using System.Text;
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

    private const string SaveSql = """
        INSERT INTO session_outcomes (session_id, outcome, confidence, evidence, method, model, lines_added, lines_removed, commits, classified_at)
        VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
        ON CONFLICT (session_id) DO UPDATE SET outcome = excluded.outcome, confidence = excluded.confidence, evidence = excluded.evidence,
            method = excluded.method, model = excluded.model, lines_added = excluded.lines_added, lines_removed = excluded.lines_removed,
            commits = excluded.commits, classified_at = excluded.classified_at
        WHERE excluded.outcome <> 'unknown' OR session_outcomes.method = 'rules' OR excluded.method = 'llm'
        """;

    /// <summary>Classifies the top-level sessions updated at or after <paramref name="sinceMs"/> (all when null) and
    /// stores their outcomes, in one transaction (or the caller's).</summary>
    /// <param name="store">The store.</param>
    /// <param name="sinceMs">Only sessions whose <c>updated_at</c> is at or after this Unix ms time; null for all.</param>
    /// <param name="nowMs">The classification time, Unix ms.</param>
    /// <returns>The sessions classified.</returns>
    public static int ClassifyChanged(SelftuneStore store, long? sinceMs, long nowMs) => Classify(store, LoadFacts(store, sinceMs), nowMs);

    /// <summary>Classifies sessions from their facts (<see cref="LoadFacts"/>, possibly read on another connection) and
    /// stores their outcomes, in one transaction (or the caller's).</summary>
    /// <param name="store">The store.</param>
    /// <param name="facts">The sessions' facts.</param>
    /// <param name="nowMs">The classification time, Unix ms.</param>
    /// <returns>The sessions classified.</returns>
    public static int Classify(SelftuneStore store, List<OutcomeFacts> facts, long nowMs)
    {
        if (facts.Count == 0)
        {
            return 0;
        }

        var own = store.InTransaction ? null : store.BeginTransaction();
        try
        {
            using var save = store.Prepare(SaveSql);
            foreach (var f in facts)
            {
                Save(save, OutcomeRules.Classify(f), nowMs);
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
    public static void Save(SelftuneStore store, SessionOutcome o, long nowMs)
    {
        using var save = store.Prepare(SaveSql);
        Save(save, o, nowMs);
    }

    private static void Save(PreparedStatement save, SessionOutcome o, long nowMs) => save
        .Bind(1, o.SessionId).Bind(2, Json.Name(o.Value)).Bind(3, o.Confidence).Bind(4, EvidenceJson(o.Evidence)).Bind(5, Json.Name(o.Method))
        .Bind(6, o.Model).Bind(7, o.LinesAdded).Bind(8, o.LinesRemoved).Bind(9, o.Commits).Bind(10, nowMs)
        .Execute();

    /// <summary>The stored outcomes of the given sessions (all when null), by session id.</summary>
    public static Dictionary<string, SessionOutcome> Read(SelftuneStore store, IReadOnlyCollection<string>? sessionIds = null)
    {
        // Only the sessions asked for are read (and their evidence parsed), through the primary key.
        var rows = store.Query(
            "SELECT session_id, outcome, confidence, evidence, method, model, lines_added, lines_removed, commits FROM session_outcomes"
                + (sessionIds is null ? string.Empty : " WHERE session_id IN (SELECT value FROM json_each($ids))"),
            r => new SessionOutcome(
                r.GetString(0), Parse<Outcome>(r.GetString(1)), r.GetDouble(2), ReadEvidence(r.GetString(3)), Parse<OutcomeMethod>(r.GetString(4)),
                r.IsDBNull(5) ? null : r.GetString(5), r.IsDBNull(6) ? null : r.GetInt32(6), r.IsDBNull(7) ? null : r.GetInt32(7), r.IsDBNull(8) ? null : r.GetInt32(8)),
            sessionIds is null ? [] : [("$ids", Json.StringArray(sessionIds))]);
        return rows.ToDictionary(o => o.SessionId, StringComparer.Ordinal);
    }

    /// <summary>How many stored outcomes there are of each kind, by its JSON name (<c>success</c>, <c>partial</c>, …), in
    /// ordinal order of the name; kinds no session has are absent. One <c>GROUP BY</c>: no evidence is read.</summary>
    public static Dictionary<string, int> CountByOutcome(SelftuneStore store) =>
        store.Query("SELECT outcome, count(*) FROM session_outcomes GROUP BY outcome ORDER BY outcome", r => (Outcome: r.GetString(0), Count: r.GetInt32(1)))
            .ToDictionary(c => c.Outcome, c => c.Count, StringComparer.Ordinal);

    /// <summary>The facts the rules decide on, for the top-level sessions updated since <paramref name="sinceMs"/> (all when
    /// null), with the lines each session's log states for the whole session (read with the session row). Tool calls are read row by row and folded (<see cref="ToolTrail"/>): a detail is decoded only when the call
    /// failed or <see cref="ToolTrail.Commands"/> finds it may be a test, build or commit command, so the memory taken does not grow with a session's
    /// length, and neither do the prompts' (their count and the last one's text).</summary>
    public static List<OutcomeFacts> LoadFacts(SelftuneStore store, long? sinceMs)
    {
        var parameters = sinceMs is null ? [] : new[] { ("$since", (object?)sinceMs) };
        var sessions = new Dictionary<string, SessionFacts>(StringComparer.Ordinal);
        foreach (var row in store.Query(
            $"SELECT s.session_id, s.status, s.lines_added, s.lines_removed FROM sessions s WHERE {TopLevel}{(sinceMs is null ? string.Empty : " AND s.updated_at >= $since")}",
            r => new SessionFacts(r.GetString(0), r.GetString(1), r.IsDBNull(2) ? null : r.GetInt32(2), r.IsDBNull(3) ? null : r.GetInt32(3)),
            parameters))
        {
            sessions[row.Id] = row;
        }

        if (sessions.Count == 0)
        {
            return [];
        }

        // Records of the sessions updated since the sync started; those of sub-agents are read and left unused. When every
        // session changed (a full classification, a first sync) the join that picks them costs as much as the read itself,
        // so the tables are read whole.
        var everySession = sinceMs is null || Convert.ToInt64(store.Scalar("SELECT count(*) FROM sessions WHERE updated_at < $since", parameters), CultureInfo.InvariantCulture) == 0;
        string Join(string table) => everySession ? string.Empty : $"JOIN sessions s ON s.session_id = {table}.session_id AND s.updated_at >= ?1";
        PreparedStatement Rows(string sql) => everySession ? store.Prepare(sql) : store.Prepare(sql).Bind(1, sinceMs!.Value);

        using (var tools = Rows($"SELECT t.session_id, t.occurred_at, t.is_error, t.detail, t.name, t.lines_added, t.lines_removed FROM tool_calls t {Join("t")} ORDER BY t.session_id, t.occurred_at"))
        {
            var current = new SessionCursor(sessions);
            while (tools.Read())
            {
                if (current.Next(tools.Utf8(0)) is not { } session)
                {
                    continue;
                }

                var isError = tools.Int64(2) != 0;
                var hasDetail = !tools.IsNull(3);
                var commands = hasDetail ? ToolTrail.Commands(tools.Utf8(3)) : CommandKinds.None;
                session.Tools.Add(
                    tools.Int64(1), isError, hasDetail, isError ? tools.Text(4) : null, isError || commands != CommandKinds.None ? tools.Text(3) : null, commands,
                    tools.IsNull(5) ? null : (int)tools.Int64(5), tools.IsNull(6) ? null : (int)tools.Int64(6));
            }
        }

        using (var errors = Rows($"SELECT e.session_id, e.occurred_at, e.kind, e.message FROM session_errors e {Join("e")} WHERE e.kind <> 'tool_error' ORDER BY e.session_id, e.occurred_at"))
        {
            var current = new SessionCursor(sessions);
            while (errors.Read())
            {
                current.Next(errors.Utf8(0))?.Errors.Add(new SessionError(errors.Int64(1), errors.Text(2)!, errors.Text(3)!));
            }
        }

        using (var prompts = Rows($"SELECT p.session_id, p.text FROM prompts p {Join("p")} WHERE p.actionable = 1 ORDER BY p.session_id, p.occurred_at"))
        {
            var current = new SessionCursor(sessions);
            while (prompts.Read())
            {
                if (current.Next(prompts.Utf8(0)) is { } session)
                {
                    // Kept undecoded: only the session's last prompt is read as text.
                    session.Prompts++;
                    session.LastWords = prompts.Utf8(1).ToArray();
                }
            }
        }

        return [.. sessions.Values.Select(s => s.Facts())];
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

    /// <summary>What is read of one top-level session while its records stream by.</summary>
    private sealed class SessionFacts(string id, string status, int? linesAdded, int? linesRemoved)
    {
        public string Id { get; } = id;

        public ToolTrail Tools { get; } = new();

        public List<SessionError> Errors { get; } = [];

        public int Prompts { get; set; }

        /// <summary>The text (UTF-8) of the last actionable prompt read so far.</summary>
        public byte[]? LastWords { get; set; }

        public OutcomeFacts Facts() => new(Id, status, Prompts, LastWords is null ? null : Encoding.UTF8.GetString(LastWords), Tools, Errors, linesAdded, linesRemoved);
    }

    /// <summary>Follows a query ordered by session id: the session of each row (null for a session not classified),
    /// decoding an id only when it changes.</summary>
    private sealed class SessionCursor(Dictionary<string, SessionFacts> sessions)
    {
        private byte[] _id = [];
        private SessionFacts? _session;

        public SessionFacts? Next(ReadOnlySpan<byte> id)
        {
            if (!id.SequenceEqual(_id))
            {
                _id = id.ToArray();
                _session = sessions.GetValueOrDefault(Encoding.UTF8.GetString(id));
            }

            return _session;
        }
    }
}
