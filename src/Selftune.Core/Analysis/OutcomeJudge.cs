using System.Text;
using Selftune.Core.Configuration;
using Selftune.Core.Llm;
using Selftune.Core.Store;

namespace Selftune.Core.Analysis;

/// <summary>Settings of the LLM pass over sessions the rules left <see cref="Outcome.Unknown"/>.</summary>
/// <param name="Model">The cheap model asked first (<c>outcomes.model</c>); null: the client's model.</param>
/// <param name="EscalationModel">The stronger model asked again for ambiguous answers (<c>outcomes.escalation_model</c>);
/// null or equal to <paramref name="Model"/>: no escalation.</param>
/// <param name="BatchSize">Sessions per request.</param>
/// <param name="EscalateBelow">An answer with a confidence (0..1) below this is ambiguous and goes to <paramref name="EscalationModel"/>.</param>
internal sealed record OutcomeJudgeOptions(string? Model, string? EscalationModel, int BatchSize = OutcomeJudge.DefaultBatchSize, double EscalateBelow = OutcomeJudge.DefaultEscalateBelow)
{
    /// <summary>The options the configuration sets (<c>outcomes.model</c>, <c>outcomes.escalation_model</c>).</summary>
    public static OutcomeJudgeOptions From(SelftuneConfig config) => new(
        config.Get(ConfigKeys.OutcomesModel.Key) is { Length: > 0 } m ? m : null,
        config.Get(ConfigKeys.OutcomesEscalationModel.Key) is { Length: > 0 } e ? e : null);
}

/// <summary>What one LLM pass did.</summary>
/// <param name="Unknown">Sessions the rules left unknown when the pass started that have something to judge (a prompt, a
/// tool call or a session error; the others are not sent).</param>
/// <param name="Asked">Of those, sessions sent to the first model (the rest were left by the budget).</param>
/// <param name="Decided">Sessions now stored with an LLM outcome.</param>
/// <param name="Escalated">Sessions whose first answer was ambiguous and that were sent to the second model.</param>
/// <param name="BadAnswers">Requests whose answer was not the JSON asked for, or entries in it that were invalid; their sessions stay unknown.</param>
/// <param name="BudgetExhausted">The run's LLM budget ran out before every session was asked.</param>
/// <param name="Models">The first and the second model as asked (null: the backend's default).</param>
/// <param name="Notes">What went wrong, one line each (bad answers, the budget).</param>
/// <param name="Usage">LLM calls, tokens (input + output) and cost (USD) of the pass.</param>
internal sealed record OutcomeJudgeReport(int Unknown, int Asked, int Decided, int Escalated, int BadAnswers, bool BudgetExhausted, IReadOnlyList<string?> Models, IReadOnlyList<string> Notes, LlmUsage Usage);

/// <summary>
/// The optional LLM pass of <c>selftune sessions classify --llm</c>: the top-level sessions whose stored outcome is
/// <see cref="Outcome.Unknown"/>, newest first, are sent in batches with compact evidence (how the log says the session
/// ended, its last prompts, its last failed tool calls, its session errors such as rate or permission walls) to a cheap
/// model; the answers whose confidence is below <see cref="OutcomeJudgeOptions.EscalateBelow"/> are asked again of a
/// stronger model. Answers are read strictly (<see cref="JsonAnswer"/>; an entry with an unknown key or outcome, or a
/// confidence outside 0..1, is dropped); a malformed answer leaves its sessions unknown and the pass goes on. Decisions
/// are stored at once (method <c>llm</c> and the model), so a pass the budget stops keeps what it decided.
/// </summary>
internal static class OutcomeJudge
{
    /// <summary>The purpose tag recorded with each call.</summary>
    public const string Purpose = "outcome";

    /// <summary>Default sessions per request.</summary>
    public const int DefaultBatchSize = 10;

    /// <summary>Default confidence below which the first model's answer is escalated.</summary>
    public const double DefaultEscalateBelow = 0.6;

    private const int PromptsShown = 3;
    private const int ToolErrorsShown = 3;
    private const int ErrorsShown = 3;
    private const int TextChars = 240;

    private const string System = """
        You judge what coding-agent sessions achieved, from a compact summary of each. For each session answer one of:
        success (the work was done), partial (some of it was done, or it was interrupted), blocked (a wall outside the agent
        stopped it: rate or usage limit, permission, context limit), failed (it ended in an error or with failing tests or
        build), unknown (the summary does not say). Give a confidence from 0 to 1 and a short reason quoting the evidence.
        Answer with JSON only: {"sessions":[{"key":"S1","outcome":"success","confidence":0.8,"reason":"..."}]}, one entry per session.
        """;

    /// <summary>Classifies the sessions left unknown.</summary>
    /// <param name="store">The store.</param>
    /// <param name="llm">The run's client (its budget bounds the pass).</param>
    /// <param name="options">Models, batch size, escalation threshold.</param>
    /// <param name="nowMs">The classification time, Unix ms.</param>
    /// <param name="ct">Cancels the pass; what was stored stays.</param>
    /// <exception cref="SelftuneException"><see cref="ErrorCodes.LlmUnavailable"/> when the backend cannot be called.</exception>
    public static async Task<OutcomeJudgeReport> ClassifyUnknownAsync(SelftuneStore store, LlmClient llm, OutcomeJudgeOptions options, long nowMs, CancellationToken ct)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(options.BatchSize, 1);
        var sessions = LoadEvidence(store);
        var first = options.Model ?? llm.Model;
        var second = options.EscalationModel is { } e && e != first ? e : null;
        var existing = OutcomeStore.Read(store, sessions.Select(s => s.Id).ToList());
        var notes = new List<string>();
        int asked = 0, decided = 0, escalated = 0, bad = 0;
        var budget = false;
        var ambiguous = new List<(SessionEvidence Session, Verdict Verdict)>();

        void Decide(SessionEvidence s, Verdict v, string? model)
        {
            var rules = existing.GetValueOrDefault(s.Id) ?? new SessionOutcome(s.Id, Outcome.Unknown, 0, []);
            OutcomeStore.Save(store, rules with
            {
                Value = v.Value,
                Confidence = v.Confidence,
                Evidence = [new OutcomeEvidence("llm", Clip(v.Reason, OutcomeRules.MaxDetail)), .. rules.Evidence],
                Method = OutcomeMethod.Llm,
                Model = model ?? llm.Backend,
            }, nowMs);
            decided++;
        }

        foreach (var batch in sessions.Chunk(options.BatchSize))
        {
            var verdicts = await AskAsync(llm, batch, first, notes, ct).ConfigureAwait(false);
            if (verdicts is null)
            {
                budget = true;
                break;
            }

            asked += batch.Length;
            bad += verdicts.Bad;
            foreach (var (s, v) in verdicts.Decided)
            {
                if (second is not null && v.Confidence < options.EscalateBelow)
                {
                    ambiguous.Add((s, v));
                }
                else if (v.Value != Outcome.Unknown)
                {
                    Decide(s, v, first);
                }
            }
        }

        foreach (var batch in ambiguous.Chunk(options.BatchSize))
        {
            var verdicts = budget ? null : await AskAsync(llm, batch.Select(b => b.Session).ToArray(), second, notes, ct).ConfigureAwait(false);
            budget |= verdicts is null;
            if (verdicts is not null)
            {
                escalated += batch.Length;
                bad += verdicts.Bad;
                foreach (var (s, v) in verdicts.Decided.Where(d => d.Verdict.Value != Outcome.Unknown))
                {
                    Decide(s, v, second);
                }
            }

            // The second model not answering for a session (budget, bad answer, unknown): the first model's answer stands, at its low confidence.
            var answered = verdicts?.Decided.Where(d => d.Verdict.Value != Outcome.Unknown).Select(d => d.Session.Id).ToHashSet(StringComparer.Ordinal) ?? [];
            foreach (var (s, v) in batch.Where(b => !answered.Contains(b.Session.Id) && b.Verdict.Value != Outcome.Unknown))
            {
                Decide(s, v, first);
            }
        }

        if (budget)
        {
            notes.Add($"The run's LLM budget (llm.max_calls, llm.max_tokens) ran out: {sessions.Count - asked} session(s) were not asked; run again to go on.");
        }

        return new OutcomeJudgeReport(sessions.Count, asked, decided, escalated, bad, budget, [first, second], notes, llm.Usage);
    }

    /// <summary>One request; null when the budget is spent (no call made). A malformed answer counts the batch as bad.</summary>
    private static async Task<Answered?> AskAsync(LlmClient llm, IReadOnlyList<SessionEvidence> batch, string? model, List<string> notes, CancellationToken ct)
    {
        var user = new StringBuilder();
        for (var i = 0; i < batch.Count; i++)
        {
            batch[i].Describe(user, $"S{i + 1}");
        }

        Answer answer;
        try
        {
            answer = await llm.CompleteJsonAsync<Answer>(new LlmRequest(Purpose, System, user.ToString(), 120 + 80 * batch.Count, model), ct).ConfigureAwait(false);
        }
        catch (SelftuneException ex) when (ex.Code == ErrorCodes.BudgetExhausted)
        {
            return null;
        }
        catch (SelftuneException ex) when (ex.Code == ErrorCodes.LlmBadAnswer)
        {
            notes.Add($"{batch.Count} session(s) left unknown: {ex.Message}");
            return new Answered([], batch.Count);
        }

        var decided = new List<(SessionEvidence, Verdict)>();
        var seen = new HashSet<int>();
        foreach (var entry in answer.Sessions)
        {
            if (entry.Key is { } key && key.StartsWith('S') && int.TryParse(key.AsSpan(1), out var n) && n >= 1 && n <= batch.Count && seen.Add(n)
                && ParseOutcome(entry.Outcome) is { } value && entry.Confidence is double confidence and >= 0 and <= 1)
            {
                decided.Add((batch[n - 1], new Verdict(value, confidence, entry.Reason ?? string.Empty)));
            }
        }

        var invalid = batch.Count - decided.Count;
        if (invalid > 0)
        {
            notes.Add($"{invalid} session(s) left unknown: the {model ?? llm.Backend} answer had no valid entry for them (key S1..S{batch.Count}, outcome success|partial|blocked|failed|unknown, confidence 0..1).");
        }

        return new Answered(decided, invalid);
    }

    private static Outcome? ParseOutcome(string? text) => text?.Trim().ToLowerInvariant() switch
    {
        "success" => Outcome.Success,
        "partial" => Outcome.Partial,
        "blocked" => Outcome.Blocked,
        "failed" => Outcome.Failed,
        "unknown" => Outcome.Unknown,
        _ => null,
    };

    /// <summary>The evidence of every top-level session whose stored outcome is unknown and that has a prompt, a tool call
    /// or a session error, newest first: five queries.</summary>
    private static List<SessionEvidence> LoadEvidence(SelftuneStore store)
    {
        const string Unknown = "SELECT o.session_id FROM session_outcomes o WHERE o.outcome = 'unknown'";
        var sessions = store.Query(
            $"""
            SELECT s.session_id, s.status, s.started_at, s.ended_at, (SELECT count(*) FROM tool_calls t WHERE t.session_id = s.session_id)
            FROM sessions s WHERE s.session_id IN ({Unknown}) ORDER BY coalesce(s.ended_at, s.started_at, s.updated_at) DESC, s.session_id
            """,
            r => new SessionEvidence(r.GetString(0), r.GetString(1), r.IsDBNull(2) || r.IsDBNull(3) ? null : (r.GetInt64(3) - r.GetInt64(2)) / 60_000, r.GetInt32(4)));
        var byId = sessions.ToDictionary(s => s.Id, StringComparer.Ordinal);
        foreach (var (id, text) in store.Query(
            $"SELECT session_id, text FROM prompts WHERE actionable = 1 AND session_id IN ({Unknown}) ORDER BY session_id, occurred_at",
            r => (r.GetString(0), r.GetString(1))))
        {
            Keep(byId[id].Prompts, text, PromptsShown);
        }

        foreach (var (id, text) in store.Query(
            $"SELECT session_id, name || coalesce(': ' || detail, '') FROM tool_calls WHERE is_error = 1 AND session_id IN ({Unknown}) ORDER BY session_id, occurred_at",
            r => (r.GetString(0), r.GetString(1))))
        {
            Keep(byId[id].ToolErrors, text, ToolErrorsShown);
        }

        foreach (var (id, text) in store.Query(
            $"SELECT session_id, kind || ': ' || message FROM session_errors WHERE kind <> 'tool_error' AND session_id IN ({Unknown}) ORDER BY session_id, occurred_at",
            r => (r.GetString(0), r.GetString(1))))
        {
            Keep(byId[id].Errors, text, ErrorsShown);
        }

        foreach (var (id, name) in store.Query(
            $"SELECT session_id, name || CASE WHEN is_error = 1 THEN ' (failed)' ELSE ' (ok)' END FROM tool_calls WHERE session_id IN ({Unknown}) ORDER BY session_id, occurred_at",
            r => (r.GetString(0), r.GetString(1))))
        {
            byId[id].LastTool = name;
        }

        // A session with no prompt, tool call or error gives a model nothing to judge.
        return sessions.Where(s => s.Prompts.Count > 0 || s.LastTool is not null || s.Errors.Count > 0).ToList();
    }

    private static void Keep(List<string> list, string text, int most)
    {
        list.Add(Clip(text, TextChars));
        if (list.Count > most)
        {
            list.RemoveAt(0);
        }
    }

    private static string Clip(string text, int most)
    {
        var flat = text.ReplaceLineEndings(" ").Trim();
        return flat.Length <= most ? flat : flat[..(most - 1)] + "…";
    }

    /// <summary>The compact evidence of one session sent to the LLM.</summary>
    private sealed class SessionEvidence(string id, string status, long? minutes, int toolCalls)
    {
        public string Id { get; } = id;

        public List<string> Prompts { get; } = [];

        public List<string> ToolErrors { get; } = [];

        public List<string> Errors { get; } = [];

        public string? LastTool { get; set; }

        public void Describe(StringBuilder to, string key)
        {
            to.Append(key).Append(": end state ").Append(status).Append(minutes is { } m ? $", {m} min" : string.Empty)
              .Append($", {toolCalls} tool calls").Append(LastTool is { } t ? $", last tool {t}" : string.Empty).Append('\n');
            foreach (var p in Prompts)
            {
                to.Append("  user: ").Append(p).Append('\n');
            }

            foreach (var e in ToolErrors)
            {
                to.Append("  tool error: ").Append(e).Append('\n');
            }

            foreach (var e in Errors)
            {
                to.Append("  session error: ").Append(e).Append('\n');
            }
        }
    }

    private sealed record Verdict(Outcome Value, double Confidence, string Reason);

    private sealed record Answered(IReadOnlyList<(SessionEvidence Session, Verdict Verdict)> Decided, int Bad);

    /// <summary>The answer's shape.</summary>
    private sealed record Answer(IReadOnlyList<AnswerEntry> Sessions);

    /// <summary>One entry of the answer.</summary>
    private sealed record AnswerEntry(string? Key = null, string? Outcome = null, double? Confidence = null, string? Reason = null);
}
