using System.Text.RegularExpressions;

namespace Selftune.Core.Analysis;

/// <summary>A tool call as the outcome rules see it.</summary>
/// <param name="At">When, Unix ms.</param>
/// <param name="Name">Tool name.</param>
/// <param name="IsError">Its result was an error.</param>
/// <param name="Detail">The stored detail (a command's first line, a path), redacted.</param>
internal sealed record ToolStep(long At, string Name, bool IsError, string? Detail);

/// <summary>A session error (not a tool result) as the outcome rules see it.</summary>
/// <param name="At">When, Unix ms.</param>
/// <param name="Kind">Its kind (<c>api_error</c>, <c>interrupted</c>, …).</param>
/// <param name="Message">The stored, redacted message.</param>
internal sealed record SessionError(long At, string Kind, string Message);

/// <summary>The facts of one session the outcome rules decide on.</summary>
/// <param name="SessionId">The session.</param>
/// <param name="Status">How it ended as the log says: <c>completed</c>, <c>failed</c>, <c>interrupted</c> or <c>unknown</c>.</param>
/// <param name="ActionablePrompts">Prompts a person typed.</param>
/// <param name="LastWords">The last actionable prompt's text, if any.</param>
/// <param name="Tools">Its tool calls, in time order.</param>
/// <param name="Errors">Its session errors (tool errors excluded), in time order.</param>
internal sealed record OutcomeFacts(string SessionId, string Status, int ActionablePrompts, string? LastWords, IReadOnlyList<ToolStep> Tools, IReadOnlyList<SessionError> Errors);

/// <summary>
/// The deterministic outcome rules, strongest evidence first: a wall at the end (rate or usage limit, permission,
/// context limit) is <see cref="Outcome.Blocked"/>; an error at the end, or tests/build failing last, is
/// <see cref="Outcome.Failed"/>; an interrupted end is <see cref="Outcome.Partial"/> (<see cref="Outcome.Failed"/> with
/// frustrated last words); a completed end is <see cref="Outcome.Partial"/> when the last tool call failed or the last
/// words are frustrated, <see cref="Outcome.Success"/> otherwise (confidence higher with passing tests or build, a
/// commit, or thanks). An end the log does not state is decided by the same evidence at lower confidence (a failed last
/// tool call after passing tests or a commit is <see cref="Outcome.Partial"/>). A session with no prompt and no tool
/// call, or an unknown end with no evidence, is
/// <see cref="Outcome.Unknown"/> (what <c>selftune sessions classify --llm</c> looks at).
/// </summary>
internal static partial class OutcomeRules
{
    /// <summary>Longest evidence detail kept, in characters.</summary>
    public const int MaxDetail = 200;

    /// <summary>Decides one session.</summary>
    public static SessionOutcome Classify(OutcomeFacts facts)
    {
        var evidence = new List<OutcomeEvidence>();
        var lastWords = facts.LastWords?.Trim();
        var frustrated = lastWords is { Length: > 0 } && Frustration().IsMatch(lastWords);
        var thanked = lastWords is { Length: > 0 } && !frustrated && Thanks().IsMatch(lastWords);
        var commits = facts.Tools.Count(t => !t.IsError && IsCommit(t.Detail));
        var outcome = Decide(facts, evidence, frustrated, thanked, commits, lastWords);
        return outcome with { Commits = facts.Tools.Any(t => t.Detail is not null) ? commits : null };
    }

    private static SessionOutcome Decide(OutcomeFacts facts, List<OutcomeEvidence> evidence, bool frustrated, bool thanked, int commits, string? lastWords)
    {
        SessionOutcome Result(Outcome value, double confidence) => new(facts.SessionId, value, confidence, evidence);

        if (facts.ActionablePrompts == 0 && facts.Tools.Count == 0)
        {
            evidence.Add(new("no_prompts", "no prompt a person typed and no tool call"));
            return Result(Outcome.Unknown, 0.2);
        }

        var lastSuccess = facts.Tools.LastOrDefault(t => !t.IsError)?.At ?? 0;
        var wall = facts.Errors.LastOrDefault(e => e.Kind != "interrupted" && e.At >= lastSuccess && Wall(e.Message) is not null);
        if (wall is not null)
        {
            evidence.Add(new(Wall(wall.Message)!, Cut(wall.Message)));
            return Result(Outcome.Blocked, 0.8);
        }

        if (facts.Status == "failed")
        {
            var last = facts.Errors.LastOrDefault(e => e.Kind != "interrupted");
            evidence.Add(new("end", "failed" + (last is null ? string.Empty : ": " + Cut(last.Message))));
            return Result(Outcome.Failed, 0.75);
        }

        var check = facts.Tools.LastOrDefault(t => t.Detail is { } d && (Tests().IsMatch(d) || Build().IsMatch(d)));
        if (check?.Detail is { } command)
        {
            var kind = Tests().IsMatch(command) ? "tests" : "build";
            evidence.Add(new(kind + (check.IsError ? "_failed" : "_passed"), Cut(command)));
        }

        if (commits > 0)
        {
            evidence.Add(new("commit", Cut(facts.Tools.Last(t => !t.IsError && IsCommit(t.Detail)).Detail!)));
        }

        if (frustrated)
        {
            evidence.Add(new("frustration", Cut(lastWords!)));
        }
        else if (thanked)
        {
            evidence.Add(new("thanks", Cut(lastWords!)));
        }

        var unresolved = facts.Tools.Count > 0 && facts.Tools[^1].IsError;
        if (unresolved)
        {
            evidence.Add(new("unresolved_tool_error", facts.Tools[^1].Name + (facts.Tools[^1].Detail is { } d ? ": " + Cut(d) : string.Empty)));
        }

        var checkFailed = check?.Detail is not null && check.IsError;
        var positive = (check?.Detail is not null && !check.IsError) || commits > 0 || thanked;
        switch (facts.Status)
        {
            case "interrupted":
                evidence.Insert(0, new("end", "interrupted by the user"));
                return frustrated ? Result(Outcome.Failed, 0.65) : Result(Outcome.Partial, 0.6);
            case "completed":
                evidence.Insert(0, new("end", "completed"));
                return checkFailed ? Result(Outcome.Failed, 0.7)
                    : frustrated ? Result(Outcome.Partial, 0.65)
                    : unresolved ? Result(Outcome.Partial, 0.6)
                    : positive ? Result(Outcome.Success, 0.85)
                    : Result(Outcome.Success, 0.6);
            default:
                evidence.Insert(0, new("end", "not logged"));
                return checkFailed ? Result(Outcome.Failed, 0.6)
                    : frustrated ? Result(Outcome.Partial, 0.55)
                    : positive ? unresolved ? Result(Outcome.Partial, 0.5) : Result(Outcome.Success, 0.6)
                    : Result(Outcome.Unknown, 0.3);
        }
    }

    /// <summary>The wall an error message names (<c>rate_limit</c>, <c>permission</c>, <c>context_limit</c>), or null.</summary>
    public static string? Wall(string message) =>
        RateLimit().IsMatch(message) ? "rate_limit"
        : ContextLimit().IsMatch(message) ? "context_limit"
        : Permission().IsMatch(message) ? "permission"
        : null;

    /// <summary>True when a command line runs tests.</summary>
    public static bool RunsTests(string command) => Tests().IsMatch(command);

    private static bool IsCommit(string? detail) =>
        detail is not null && detail.Contains("commit", StringComparison.OrdinalIgnoreCase) && Commit().IsMatch(detail);

    private static string Cut(string text) => text.Length <= MaxDetail ? text : text[..MaxDetail];

    [GeneratedRegex(@"rate[ _-]?limit|\b429\b|overloaded|usage limit|quota|too many requests", RegexOptions.IgnoreCase)]
    private static partial Regex RateLimit();

    [GeneratedRegex(@"prompt is too long|context (window|length|limit)|maximum context|too many tokens", RegexOptions.IgnoreCase)]
    private static partial Regex ContextLimit();

    [GeneratedRegex(@"permission|not permitted|access denied|\b403\b|unauthori[sz]ed|authentication|invalid api key", RegexOptions.IgnoreCase)]
    private static partial Regex Permission();

    [GeneratedRegex(@"\b(dotnet test|npm (run )?test|pnpm (run )?test|yarn test|bun test|pytest|python3? -m (pytest|unittest)|cargo test|go test|mvn test|gradle\w* test|jest|vitest|mix test|rspec|phpunit|make test|ctest|tox)\b", RegexOptions.IgnoreCase)]
    private static partial Regex Tests();

    [GeneratedRegex(@"\b(dotnet build|npm run build|pnpm (run )?build|yarn build|cargo (build|check)|go build|mvn (package|compile)|gradle\w* build|tsc|make|cmake --build|mix compile)\b", RegexOptions.IgnoreCase)]
    private static partial Regex Build();

    [GeneratedRegex(@"\bgit\b[^|;&]*\bcommit\b", RegexOptions.IgnoreCase)]
    private static partial Regex Commit();

    [GeneratedRegex(@"\b(still (not|doesn'?t|broken|failing|wrong)|doesn'?t work|does not work|not working|isn'?t working|broken|wtf|useless|give up|you (broke|messed)|that'?s wrong|this is wrong|revert (it|that|this)|undo (it|that|this))\b", RegexOptions.IgnoreCase)]
    private static partial Regex Frustration();

    [GeneratedRegex(@"^\W*(thanks|thank you|thx|ty|perfect|great|awesome|nice|lgtm|looks good|works( now)?|that works|excellent)\b", RegexOptions.IgnoreCase)]
    private static partial Regex Thanks();
}
