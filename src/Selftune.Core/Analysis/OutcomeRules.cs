using System.Text.RegularExpressions;

namespace Selftune.Core.Analysis;

/// <summary>
/// A session's tool calls as the outcome rules weigh them, folded one call at a time in time order, so a session of any
/// length takes the same memory: how many, when the last one succeeded, the last one, the last test or build command,
/// the commits, and the lines the edits added and removed.
/// </summary>
internal sealed class ToolTrail
{
    // What each expression cannot match without (lowercase ASCII): a superset check that spares most details the
    // expressions (most details are paths and other commands).
    private static readonly byte[][] TestWords = Words(" test", "pytest", "unittest", "gradle", "jest", "rspec", "phpunit", "ctest", "tox");
    private static readonly byte[][] BuildWords = Words("dotnet build", "run build", "pnpm build", "yarn build", "cargo build", "cargo check", "go build", "mvn package", "mvn compile", "gradle", "tsc", "make", "mix compile");

    /// <summary>Tool calls folded.</summary>
    public int Count { get; private set; }

    /// <summary>When the last successful call was made, Unix ms; 0 when none succeeded.</summary>
    public long LastSuccessAt { get; private set; }

    /// <summary>The last call's name and detail, when it failed (what an unresolved tool error shows).</summary>
    public ToolFailure? LastFailure { get; private set; }

    /// <summary>Some call has a stored detail (so commands are known and commits can be counted).</summary>
    public bool AnyDetail { get; private set; }

    /// <summary>The last call that ran tests or a build: its command, whether it failed, and whether it ran tests.</summary>
    public CheckRun? LastCheck { get; private set; }

    /// <summary>Successful <c>git … commit</c> commands.</summary>
    public int Commits { get; private set; }

    /// <summary>The last successful commit command.</summary>
    public string? LastCommit { get; private set; }

    /// <summary>Lines the calls' edits added, when some call's log showed them; null otherwise.</summary>
    public int? LinesAdded { get; private set; }

    /// <summary>Lines the calls' edits removed, when some call's log showed them; null otherwise.</summary>
    public int? LinesRemoved { get; private set; }

    /// <summary>Folds the next call (calls come in time order).</summary>
    /// <param name="at">When, Unix ms.</param>
    /// <param name="isError">Its result was an error.</param>
    /// <param name="hasDetail">It has a stored detail.</param>
    /// <param name="name">Tool name; may be null when the call did not fail (only a failed last call shows it).</param>
    /// <param name="detail">The stored detail (a command's first line, a path), redacted; may be null when the call did not
    /// fail and <see cref="Commands"/> finds no test, build or commit command in it.</param>
    /// <param name="commands">What <see cref="Commands"/> says the detail may be.</param>
    /// <param name="linesAdded">Lines its edit added, when the log showed them.</param>
    /// <param name="linesRemoved">Lines its edit removed, when the log showed them.</param>
    public void Add(long at, bool isError, bool hasDetail, string? name, string? detail, CommandKinds commands, int? linesAdded = null, int? linesRemoved = null)
    {
        Count++;
        AnyDetail |= hasDetail;
        LastFailure = isError ? new ToolFailure(name ?? string.Empty, detail) : null;
        if (!isError)
        {
            LastSuccessAt = at;
        }

        if (linesAdded is not null || linesRemoved is not null)
        {
            LinesAdded = (LinesAdded ?? 0) + (linesAdded ?? 0);
            LinesRemoved = (LinesRemoved ?? 0) + (linesRemoved ?? 0);
        }

        if (detail is null || commands == CommandKinds.None)
        {
            return;
        }

        var tests = commands.HasFlag(CommandKinds.Tests) && OutcomeRules.RunsTests(detail);
        if (tests || (commands.HasFlag(CommandKinds.Build) && OutcomeRules.Builds(detail)))
        {
            LastCheck = new CheckRun(detail, isError, tests);
        }

        if (!isError && commands.HasFlag(CommandKinds.Commit) && OutcomeRules.IsCommit(detail))
        {
            Commits++;
            LastCommit = detail;
        }
    }

    /// <summary>What a detail (UTF-8) may be a command of, before the rules' expressions decide (most details are paths
    /// and other commands, which this cheap check spares them): a superset, for ASCII details by the words each expression
    /// cannot match without (in any case), for any other every kind.</summary>
    public static CommandKinds Commands(ReadOnlySpan<byte> utf8)
    {
        if (utf8.Length > 1024 || !System.Text.Ascii.IsValid(utf8))
        {
            // The expressions ignore case beyond ASCII too (e.g. the Kelvin sign matches k): let them decide.
            return CommandKinds.All;
        }

        Span<byte> lower = stackalloc byte[utf8.Length];
        System.Text.Ascii.ToLower(utf8, lower, out _);
        return (Any(lower, TestWords) ? CommandKinds.Tests : 0)
            | (Any(lower, BuildWords) ? CommandKinds.Build : 0)
            | (lower.IndexOf("commit"u8) >= 0 && lower.IndexOf("git"u8) >= 0 ? CommandKinds.Commit : 0);
    }

    private static bool Any(ReadOnlySpan<byte> text, byte[][] words)
    {
        foreach (var word in words)
        {
            if (text.IndexOf(word) >= 0)
            {
                return true;
            }
        }

        return false;
    }

    private static byte[][] Words(params string[] words) => [.. words.Select(System.Text.Encoding.ASCII.GetBytes)];
}

/// <summary>The commands a tool call's detail may be (<see cref="ToolTrail.Commands"/>).</summary>
[Flags]
internal enum CommandKinds
{
    /// <summary>None of them.</summary>
    None = 0,
    /// <summary>Running tests.</summary>
    Tests = 1,
    /// <summary>A build or type check.</summary>
    Build = 2,
    /// <summary>A git commit.</summary>
    Commit = 4,
    /// <summary>Any of them.</summary>
    All = Tests | Build | Commit,
}

/// <summary>A failed tool call.</summary>
/// <param name="Name">Tool name.</param>
/// <param name="Detail">Its stored detail, redacted.</param>
internal sealed record ToolFailure(string Name, string? Detail);

/// <summary>A tool call that ran tests or a build.</summary>
/// <param name="Command">Its command (the stored detail).</param>
/// <param name="Failed">Its result was an error.</param>
/// <param name="Tests">It ran tests (else a build).</param>
internal sealed record CheckRun(string Command, bool Failed, bool Tests);

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
/// <param name="Tools">Its tool calls, folded in time order.</param>
/// <param name="Errors">Its session errors (tool errors excluded), in time order.</param>
/// <param name="LinesAdded">Lines added as the log states them for the whole session (<c>sessions.lines_added</c>), when it does.</param>
/// <param name="LinesRemoved">Lines removed as the log states them for the whole session, when it does.</param>
internal sealed record OutcomeFacts(
    string SessionId, string Status, int ActionablePrompts, string? LastWords, ToolTrail Tools, IReadOnlyList<SessionError> Errors,
    int? LinesAdded = null, int? LinesRemoved = null);

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
        var outcome = Decide(facts, evidence, frustrated, thanked, lastWords);
        var tools = facts.Tools;
        // The tool calls' lines when any call shows them, else the session's own figures (logs that show lines per session only).
        var (added, removed) = tools.LinesAdded is not null ? (tools.LinesAdded, tools.LinesRemoved) : (facts.LinesAdded, facts.LinesRemoved);
        return outcome with { Commits = tools.AnyDetail ? tools.Commits : null, LinesAdded = added, LinesRemoved = removed };
    }

    private static SessionOutcome Decide(OutcomeFacts facts, List<OutcomeEvidence> evidence, bool frustrated, bool thanked, string? lastWords)
    {
        var tools = facts.Tools;
        SessionOutcome Result(Outcome value, double confidence) => new(facts.SessionId, value, confidence, evidence);

        if (facts.ActionablePrompts == 0 && tools.Count == 0)
        {
            evidence.Add(new("no_prompts", "no prompt a person typed and no tool call"));
            return Result(Outcome.Unknown, 0.2);
        }

        var lastSuccess = tools.LastSuccessAt;
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

        var check = tools.LastCheck;
        if (check is not null)
        {
            evidence.Add(new((check.Tests ? "tests" : "build") + (check.Failed ? "_failed" : "_passed"), Cut(check.Command)));
        }

        if (tools.LastCommit is { } commit)
        {
            evidence.Add(new("commit", Cut(commit)));
        }

        if (frustrated)
        {
            evidence.Add(new("frustration", Cut(lastWords!)));
        }
        else if (thanked)
        {
            evidence.Add(new("thanks", Cut(lastWords!)));
        }

        var unresolved = tools.LastFailure is not null;
        if (tools.LastFailure is { } failure)
        {
            evidence.Add(new("unresolved_tool_error", failure.Name + (failure.Detail is { } d ? ": " + Cut(d) : string.Empty)));
        }

        var checkFailed = check is { Failed: true };
        var positive = check is { Failed: false } || tools.Commits > 0 || thanked;
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

    /// <summary>True when a command line builds (or type-checks) the project.</summary>
    public static bool Builds(string command) => Build().IsMatch(command);

    /// <summary>True when a command line makes a git commit.</summary>
    public static bool IsCommit(string command) =>
        command.Contains("commit", StringComparison.OrdinalIgnoreCase) && Commit().IsMatch(command);

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
