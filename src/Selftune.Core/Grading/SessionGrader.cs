using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Selftune.Core.Eval;
using Selftune.Core.Llm;
using Selftune.Core.Skills;
using Selftune.Core.Store;

namespace Selftune.Core.Grading;

/// <summary>One expectation to grade.</summary>
/// <param name="Text">What the session should show.</param>
/// <param name="LlmOnly">True to skip the pre-gates (for expectations whose wording could match a gate by accident).</param>
internal sealed record Expectation(string Text, bool LlmOnly = false);

/// <summary>What to grade.</summary>
/// <param name="Skill">The skill (a plugin prefix may be left out).</param>
/// <param name="SessionId">The session.</param>
/// <param name="Expectations">What the session should show, in order.</param>
/// <param name="ExpectationsSource">Where they came from (<c>file:&lt;path&gt;</c>, <c>skill_md</c>, <c>generic</c>).</param>
/// <param name="SkillDescription">The skill's description, when known (context for the grader).</param>
internal sealed record GradeRequest(string Skill, string SessionId, IReadOnlyList<Expectation> Expectations, string ExpectationsSource, string? SkillDescription = null);

/// <summary>
/// Grades a session's use of a skill: deterministic pre-gates first (<see cref="PreGates"/>), then one LLM call for the
/// expectations left, which returns a verdict, evidence and score per expectation, claims, and failure feedback tied to
/// the prompt that failed. Every part of the answer is kept in the <see cref="GradingResult"/>.
/// </summary>
internal sealed partial class SessionGrader
{
    /// <summary>Most expectations derived from a SKILL.md.</summary>
    public const int MaxDerivedExpectations = 5;

    private readonly TimeProvider _time;

    /// <summary>Creates the grader.</summary>
    public SessionGrader(TimeProvider time) => _time = time;

    /// <summary>Expectations derived from the skill's SKILL.md (or generic ones without it), at most
    /// <see cref="MaxDerivedExpectations"/>: it triggered; it did what its description says (LLM); the user did not have to
    /// repeat or correct the request (LLM); errors within <see cref="PreGates.DefaultErrorBound"/>; the session completed.</summary>
    public static IReadOnlyList<Expectation> DeriveExpectations(string skill, SkillDocument? document)
    {
        var purpose = document?.DescriptionOneLine is { Length: > 10 } description
            ? new Expectation($"The skill did what it is for: {FirstSentence(description, 200)}", LlmOnly: true)
            : new Expectation("The skill's work served what the user asked for", LlmOnly: true);
        return
        [
            new Expectation($"The \"{SkillNames.Bare(skill)}\" skill was triggered during the session"),
            purpose,
            new Expectation("The user did not have to repeat, correct or abandon the request the skill served", LlmOnly: true),
            new Expectation($"No more than {PreGates.DefaultErrorBound} errors were encountered"),
            new Expectation("The session completed"),
        ];
    }

    /// <summary>Reads expectations from a file: a JSON array of strings, a JSON object with an <c>expectations</c> array of
    /// strings, or plain text with one expectation per line (blank lines and <c>#</c> comments skipped, leading <c>- </c> dropped).</summary>
    /// <exception cref="SelftuneException"><see cref="ErrorCodes.FileNotFound"/>; <see cref="ErrorCodes.InvalidArgument"/> for
    /// malformed JSON (with line) or a file with no expectation.</exception>
    public static IReadOnlyList<Expectation> LoadExpectations(string path)
    {
        if (!File.Exists(path))
        {
            throw new SelftuneException(ErrorCodes.FileNotFound, $"The expectations file '{path}' does not exist.", "selftune grade --help");
        }

        var text = File.ReadAllText(path);
        var trimmed = text.TrimStart();
        List<string> items;
        if (trimmed.StartsWith('[') || trimmed.StartsWith('{'))
        {
            try
            {
                using var doc = JsonDocument.Parse(text, new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
                var array = doc.RootElement.ValueKind == JsonValueKind.Array ? doc.RootElement
                    : doc.RootElement.TryGetProperty("expectations", out var e) && e.ValueKind == JsonValueKind.Array ? e
                    : throw new SelftuneException(ErrorCodes.InvalidArgument, $"'{path}' is JSON but neither an array of strings nor an object with an \"expectations\" array.", "selftune grade --help", exitCode: 2);
                items = array.EnumerateArray().Where(x => x.ValueKind == JsonValueKind.String).Select(x => x.GetString()!.Trim()).ToList();
            }
            catch (JsonException ex)
            {
                throw new SelftuneException(ErrorCodes.InvalidArgument, $"'{path}' is not valid JSON (line {(ex.LineNumber ?? 0) + 1}): {ex.Message}", "selftune grade --help", exitCode: 2, inner: ex);
            }
        }
        else
        {
            items = text.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')).Select(l => l.StartsWith("- ", StringComparison.Ordinal) ? l[2..].Trim() : l).ToList();
        }

        items.RemoveAll(string.IsNullOrWhiteSpace);
        return items.Count > 0
            ? items.Select(i => new Expectation(i)).ToList()
            : throw new SelftuneException(ErrorCodes.InvalidArgument, $"'{path}' holds no expectation.", "selftune grade --help", exitCode: 2);
    }

    /// <summary>The newest session (by its last event) in which <paramref name="skill"/> triggered and the user typed at least
    /// one actionable prompt (selftune's own replay sessions have none); null when there is none.</summary>
    public static string? LatestSession(SelftuneStore store, string skill) => store.Query(
        """
        SELECT i.session_id, i.skill_name FROM skill_invocations i JOIN sessions s ON s.session_id = i.session_id
        WHERE i.kind <> 'read' AND EXISTS (SELECT 1 FROM prompts p WHERE p.session_id = i.session_id AND p.actionable = 1)
        ORDER BY coalesce(s.ended_at, s.started_at, i.occurred_at) DESC, i.occurred_at DESC
        """,
        r => (Session: r.GetString(0), Skill: r.GetString(1))).FirstOrDefault(x => SkillNames.Same(x.Skill, skill)).Session;

    /// <summary>Sessions with a skill trigger and no grading of that skill yet, newest first (by last event), at most
    /// <paramref name="max"/>; sessions without an actionable prompt are skipped.</summary>
    public static IReadOnlyList<(string SessionId, string Skill)> UngradedSessions(SelftuneStore store, int max) => store.Query(
        """
        SELECT i.session_id, i.skill_name, max(coalesce(s.ended_at, s.started_at, i.occurred_at)) AS last
        FROM skill_invocations i JOIN sessions s ON s.session_id = i.session_id
        WHERE i.kind <> 'read'
          AND EXISTS (SELECT 1 FROM prompts p WHERE p.session_id = i.session_id AND p.actionable = 1)
          AND NOT EXISTS (SELECT 1 FROM grading_results g WHERE g.session_id = i.session_id AND g.skill = i.skill_name)
        GROUP BY i.session_id, i.skill_name
        ORDER BY last DESC, i.session_id, i.skill_name
        LIMIT $max
        """,
        r => (r.GetString(0), r.GetString(1)),
        ("$max", max));

    /// <summary>Grades one session.</summary>
    /// <param name="store">The store.</param>
    /// <param name="request">What to grade.</param>
    /// <param name="llm">The LLM for the expectations the pre-gates leave; not called when they resolve all.</param>
    /// <param name="ct">Cancellation.</param>
    /// <exception cref="SelftuneException"><see cref="ErrorCodes.NotFound"/> for an unknown session; the LLM's errors
    /// (<see cref="ErrorCodes.LlmBadAnswer"/> also when the answer skips an expectation).</exception>
    public async Task<GradingResult> GradeAsync(SelftuneStore store, GradeRequest request, LlmClient llm, CancellationToken ct)
    {
        var facts = SessionFacts.Load(store, request.SessionId);
        var skill = facts.Invocations.FirstOrDefault(i => i.Kind != "read" && SkillNames.Same(i.Skill, request.Skill)).Skill ?? request.Skill;
        var verdicts = new ExpectationVerdict?[request.Expectations.Count];
        for (var i = 0; i < verdicts.Length; i++)
        {
            verdicts[i] = request.Expectations[i].LlmOnly ? null : PreGates.Evaluate(request.Expectations[i].Text, facts, skill);
        }

        var open = Enumerable.Range(0, verdicts.Length).Where(i => verdicts[i] is null).ToList();
        IReadOnlyList<GradingClaim> claims = [];
        IReadOnlyList<GradingFailure> failures = [];
        string? overall = null;
        string? backend = null;
        string? model = null;
        if (open.Count > 0)
        {
            var answer = await llm.CompleteJsonAsync<GraderAnswer>(Prompt(request, skill, facts, open), ct).ConfigureAwait(false);
            backend = llm.Backend;
            model = llm.Model;
            var byNumber = new Dictionary<int, GraderVerdict>();
            for (var k = 0; k < answer.Expectations.Count; k++)
            {
                byNumber.TryAdd(Number(answer.Expectations[k].Id) ?? k + 1, answer.Expectations[k]);
            }

            var missing = Enumerable.Range(1, open.Count).Where(n => !byNumber.ContainsKey(n)).Select(n => $"E{n}").ToList();
            if (missing.Count > 0)
            {
                throw new SelftuneException(ErrorCodes.LlmBadAnswer, $"The {llm.Backend} grader skipped expectation(s) {string.Join(", ", missing)} of session '{request.SessionId}'.", "selftune grade --help");
            }

            for (var k = 0; k < open.Count; k++)
            {
                var v = byNumber[k + 1];
                var score = Math.Round(Math.Clamp(v.Score ?? (v.Passed ? 1 : 0), 0, 1), 3);
                verdicts[open[k]] = new ExpectationVerdict(request.Expectations[open[k]].Text, v.Passed, score, v.Evidence?.Trim() ?? string.Empty, "llm");
            }

            claims = (answer.Claims ?? []).Where(c => !string.IsNullOrWhiteSpace(c.Claim))
                .Select(c => new GradingClaim(c.Claim.Trim(), c.Type?.Trim().ToLowerInvariant() ?? "factual", c.Verified, c.Evidence?.Trim() ?? string.Empty)).ToList();
            failures = (answer.FailureFeedback ?? []).Where(f => !string.IsNullOrWhiteSpace(f.FailureReason)).Select(f => Failure(f, facts, skill)).ToList();
            overall = answer.Summary?.Trim();
        }

        var final = verdicts.Select(v => v!).ToList();
        var passed = final.Count(v => v.Passed);
        var summary = new GradingSummary(passed, final.Count - passed, final.Count, final.Count == 0 ? 0 : Math.Round(passed / (double)final.Count, 3), final.Count == 0 ? 0 : Math.Round(final.Average(v => v.Score), 3));
        var gradedAt = _time.GetUtcNow();
        var id = "gr-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{request.SessionId}\n{skill}\n{gradedAt.ToUnixTimeMilliseconds()}")))[..12];
        return new GradingResult(id, request.SessionId, skill, gradedAt, request.ExpectationsSource, final, summary, claims, failures, overall, facts.Metrics(), backend, model);
    }

    private static GradingFailure Failure(GraderFailure f, SessionFacts facts, string skill)
    {
        var prompt = f.Prompt is { } p && Number(p) is { } n && n >= 1 && n <= facts.Prompts.Count
            ? facts.Prompts[n - 1]
            : f.Prompt is { Length: > 0 } quoted && facts.Prompts.FirstOrDefault(x => QueryText.Key(x.Text).Contains(QueryText.Key(quoted), StringComparison.Ordinal)) is { } match
                ? match
                : TriggeringPrompt(facts, skill);
        var query = prompt is null ? f.Prompt ?? string.Empty : QueryText.ForEntry(prompt.Text, EvalSetGenerator.MaxQueryLength);
        InvocationType? type = Enum.TryParse<InvocationType>(f.InvocationType, ignoreCase: true, out var t) ? t : prompt is null ? null : QueryText.Classify(query, skill);
        return new GradingFailure(query, prompt?.PromptId, f.FailureReason!.Trim(), string.IsNullOrWhiteSpace(f.ImprovementHint) ? null : f.ImprovementHint.Trim(), type);
    }

    private static FactPrompt? TriggeringPrompt(SessionFacts facts, string skill)
    {
        var id = facts.Invocations.FirstOrDefault(i => i.Kind != "read" && SkillNames.Same(i.Skill, skill)).PromptId;
        return facts.Prompts.FirstOrDefault(p => p.PromptId == id) ?? facts.Prompts.FirstOrDefault();
    }

    private static LlmRequest Prompt(GradeRequest request, string skill, SessionFacts facts, List<int> open)
    {
        const string system = """
            You grade how well an AI coding agent used one of its skills in a recorded session. You see the session as
            a timeline of the user's prompts (P1, P2, …), skill invocations, tool calls (with errors) and session
            errors; the agent's prose is not recorded, so judge from what was done. Grade each expectation strictly
            against that evidence: passed only when the timeline shows it; cite the events that decide it. Score 1.0
            when fully met, 0.7–0.9 mostly, 0.4–0.6 partly, 0.1–0.3 barely, 0.0 not at all. Extract 2–4 claims the
            session makes checkable (what was done, how, how well) and say whether the timeline verifies each. For
            every failed expectation, give failure feedback naming the user prompt (P-number) that the skill failed,
            why, and what the skill's description or instructions should change. Answer with JSON only.
            """;
        var user = new StringBuilder();
        user.AppendLine(CultureInfo.InvariantCulture, $"Skill: {skill}");
        if (!string.IsNullOrWhiteSpace(request.SkillDescription))
        {
            user.AppendLine(CultureInfo.InvariantCulture, $"Skill description: {request.SkillDescription}");
        }

        var m = facts.Metrics();
        user.AppendLine(CultureInfo.InvariantCulture, $"Session: {facts.SessionId} on {m.Platform}; ended {m.Status}; {m.ActionablePrompts} user prompt(s), {m.ToolCalls} tool call(s) ({m.ToolErrors} failed), {m.SessionErrors} session error(s); skills invoked: {(m.SkillsTriggered.Count == 0 ? "none" : string.Join(", ", m.SkillsTriggered))}.");
        user.AppendLine().AppendLine("TIMELINE").AppendLine(facts.Excerpt()).AppendLine();
        user.AppendLine("EXPECTATIONS");
        for (var k = 0; k < open.Count; k++)
        {
            user.AppendLine(CultureInfo.InvariantCulture, $"E{k + 1}. {request.Expectations[open[k]].Text}");
        }

        user.AppendLine().AppendLine("""
            JSON shape: {"expectations":[{"id":"E1","passed":true,"score":0.9,"evidence":"..."}],
            "claims":[{"claim":"...","type":"factual|process|quality","verified":true,"evidence":"..."}],
            "failure_feedback":[{"prompt":"P1","failure_reason":"...","improvement_hint":"...","invocation_type":"explicit|implicit|contextual"}],
            "summary":"one or two sentences"}
            """);
        return new LlmRequest("grade", system, user.ToString(), 4000);
    }

    private static int? Number(string? label) =>
        label is not null && Digits().Match(label) is { Success: true } d && int.TryParse(d.Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : null;

    private static string FirstSentence(string text, int max)
    {
        var line = text.ReplaceLineEndings(" ").Trim();
        var end = line.IndexOfAny(['.', '!', '?']);
        var sentence = end > 10 ? line[..(end + 1)] : line;
        return sentence.Length <= max ? sentence : sentence[..max].TrimEnd() + "…";
    }

    [GeneratedRegex(@"\d+")]
    private static partial Regex Digits();
}

/// <summary>The grader's answer as asked for.</summary>
internal sealed record GraderAnswer(IReadOnlyList<GraderVerdict> Expectations, IReadOnlyList<GraderClaim>? Claims = null, IReadOnlyList<GraderFailure>? FailureFeedback = null, string? Summary = null);

/// <summary>One verdict of the grader.</summary>
internal sealed record GraderVerdict(bool Passed, string? Id = null, double? Score = null, string? Evidence = null);

/// <summary>One claim of the grader.</summary>
internal sealed record GraderClaim(string Claim, string? Type = null, bool Verified = false, string? Evidence = null);

/// <summary>One failure-feedback item of the grader.</summary>
internal sealed record GraderFailure(string? Prompt = null, string? FailureReason = null, string? ImprovementHint = null, string? InvocationType = null);
