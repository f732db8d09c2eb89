namespace Selftune.Core.Analysis;

/// <summary>What a session achieved, as selftune judges it (stored in <c>session_outcomes.outcome</c>, snake_case).</summary>
internal enum Outcome
{
    /// <summary>The evidence does not say.</summary>
    Unknown,
    /// <summary>The work was done (tests or build passed, a commit, thanks, a clean end).</summary>
    Success,
    /// <summary>Some of it was done: interrupted, unresolved tool errors at the end, or the user's last words unhappy.</summary>
    Partial,
    /// <summary>A wall outside the agent stopped it: a rate or usage limit, a permission, the context limit.</summary>
    Blocked,
    /// <summary>It ended in an error or with failing tests or build.</summary>
    Failed,
}

/// <summary>How an outcome was decided (stored in <c>session_outcomes.method</c>).</summary>
internal enum OutcomeMethod
{
    /// <summary>The deterministic rules (<see cref="OutcomeRules"/>).</summary>
    Rules,
    /// <summary>An LLM, for a session the rules left <see cref="Outcome.Unknown"/>.</summary>
    Llm,
}

/// <summary>One piece of evidence behind an outcome.</summary>
/// <param name="Signal">What it is: <c>end</c>, <c>api_error</c>, <c>rate_limit</c>, <c>permission</c>,
/// <c>context_limit</c>, <c>tests_failed</c>, <c>tests_passed</c>, <c>build_failed</c>, <c>build_passed</c>,
/// <c>commit</c>, <c>unresolved_tool_error</c>, <c>frustration</c>, <c>thanks</c>, <c>no_prompts</c>, <c>llm</c>.</param>
/// <param name="Detail">The text that showed it (a command, an error message, the user's words), at most 200 characters.</param>
internal sealed record OutcomeEvidence(string Signal, string Detail);

/// <summary>The outcome of one session.</summary>
/// <param name="SessionId">The top-level session.</param>
/// <param name="Value">The outcome.</param>
/// <param name="Confidence">0..1.</param>
/// <param name="Evidence">What decided it, strongest first.</param>
/// <param name="Method">Rules or LLM.</param>
/// <param name="Model">The model that decided, for <see cref="OutcomeMethod.Llm"/>.</param>
/// <param name="LinesAdded">Lines added, when the log shows them (null otherwise).</param>
/// <param name="LinesRemoved">Lines removed, when the log shows them (null otherwise).</param>
/// <param name="Commits">Commits made (successful <c>git commit</c> commands), when the log shows commands.</param>
internal sealed record SessionOutcome(
    string SessionId,
    Outcome Value,
    double Confidence,
    IReadOnlyList<OutcomeEvidence> Evidence,
    OutcomeMethod Method = OutcomeMethod.Rules,
    string? Model = null,
    int? LinesAdded = null,
    int? LinesRemoved = null,
    int? Commits = null);
