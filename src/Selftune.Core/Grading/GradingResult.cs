using Selftune.Core.Eval;

namespace Selftune.Core.Grading;

/// <summary>The verdict on one expectation.</summary>
/// <param name="Text">The expectation.</param>
/// <param name="Passed">True when the session meets it.</param>
/// <param name="Score">0..1 (1 = fully met; pre-gates give 1 or 0).</param>
/// <param name="Evidence">What in the session shows it (for pre-gates, the counts checked).</param>
/// <param name="Source"><c>pre-gate:&lt;name&gt;</c> (deterministic) or <c>llm</c>.</param>
internal sealed record ExpectationVerdict(string Text, bool Passed, double Score, string Evidence, string Source);

/// <summary>A claim the grader extracted from the session and checked.</summary>
/// <param name="Claim">The claim.</param>
/// <param name="Type"><c>factual</c>, <c>process</c> or <c>quality</c>.</param>
/// <param name="Verified">True when the session supports it.</param>
/// <param name="Evidence">Why.</param>
internal sealed record GradingClaim(string Claim, string Type, bool Verified, string Evidence);

/// <summary>Feedback on a failure, tied to the user's prompt that the skill failed (what evolution learns from).</summary>
/// <param name="Query">The prompt's text (wrappers stripped, redacted, at most 500 characters).</param>
/// <param name="PromptId">The stored prompt, when resolved.</param>
/// <param name="FailureReason">What went wrong.</param>
/// <param name="ImprovementHint">What the skill (its description or instructions) should change, when the grader says.</param>
/// <param name="InvocationType">How the prompt relates to the skill, when known.</param>
internal sealed record GradingFailure(string Query, string? PromptId, string FailureReason, string? ImprovementHint, InvocationType? InvocationType);

/// <summary>Totals of a grading.</summary>
/// <param name="Passed">Expectations met.</param>
/// <param name="Failed">Expectations not met.</param>
/// <param name="Total">Expectations graded.</param>
/// <param name="PassRate">Passed / total (0..1).</param>
/// <param name="MeanScore">Mean score (0..1, 3 decimals).</param>
internal sealed record GradingSummary(int Passed, int Failed, int Total, double PassRate, double MeanScore);

/// <summary>What the store says about the graded session.</summary>
/// <param name="Platform">The agent platform.</param>
/// <param name="Status">How the session ended (<c>completed</c>, <c>failed</c>, <c>interrupted</c>, <c>unknown</c>).</param>
/// <param name="ActionablePrompts">Prompts the user typed.</param>
/// <param name="ToolCalls">Tool calls.</param>
/// <param name="ToolErrors">Tool calls that failed.</param>
/// <param name="SessionErrors">Errors outside tool results (API errors, aborted turns).</param>
/// <param name="SkillsTriggered">Skills invoked (implicitly or explicitly), in first-use order.</param>
/// <param name="DurationMs">From first to last event, in ms, when known.</param>
/// <param name="InputTokens">Input tokens (cache reads and writes included).</param>
/// <param name="OutputTokens">Output tokens.</param>
/// <param name="CostUsd">Cost in USD, when priced.</param>
internal sealed record SessionMetrics(string Platform, string Status, int ActionablePrompts, int ToolCalls, int ToolErrors, int SessionErrors, IReadOnlyList<string> SkillsTriggered, long? DurationMs, long InputTokens, long OutputTokens, decimal? CostUsd);

/// <summary>The full result of grading one session's use of one skill; stored whole (the grader's answer is never
/// thrown away: selftune-spec §15.2 item 6).</summary>
/// <param name="GradingId">Stable id (<c>gr-</c> + 12 hex digits).</param>
/// <param name="SessionId">The session.</param>
/// <param name="Skill">The skill as stored for the session (may carry a plugin prefix).</param>
/// <param name="GradedAt">When (UTC).</param>
/// <param name="ExpectationsSource">Where the expectations came from: <c>file:&lt;path&gt;</c>, <c>skill_md</c> or <c>generic</c>.</param>
/// <param name="Expectations">A verdict per expectation, in the order given.</param>
/// <param name="Summary">Totals.</param>
/// <param name="Claims">Claims the LLM grader extracted and checked (empty when no LLM was needed).</param>
/// <param name="FailureFeedback">Feedback per failing prompt.</param>
/// <param name="Overall">The grader's one- or two-sentence summary, when an LLM graded.</param>
/// <param name="Metrics">The session's facts.</param>
/// <param name="Backend">The LLM backend that graded; null when the pre-gates resolved everything.</param>
/// <param name="Model">The model asked, when known.</param>
internal sealed record GradingResult(
    string GradingId,
    string SessionId,
    string Skill,
    DateTimeOffset GradedAt,
    string ExpectationsSource,
    IReadOnlyList<ExpectationVerdict> Expectations,
    GradingSummary Summary,
    IReadOnlyList<GradingClaim> Claims,
    IReadOnlyList<GradingFailure> FailureFeedback,
    string? Overall,
    SessionMetrics Metrics,
    string? Backend,
    string? Model);

/// <summary>The latest grades of one skill, for <c>status</c>.</summary>
/// <param name="Skill">The skill.</param>
/// <param name="Graded">Sessions graded in total.</param>
/// <param name="RecentPassRate">Mean pass rate over the most recent gradings (up to the window asked for).</param>
/// <param name="LastPassRate">Pass rate of the newest grading.</param>
/// <param name="LastGradedAt">When the newest grading was made (UTC).</param>
/// <param name="LastSessionId">The session of the newest grading.</param>
/// <param name="OpenFailures">Failure-feedback items in the recent gradings.</param>
internal sealed record SkillGradeSummary(string Skill, int Graded, double RecentPassRate, double LastPassRate, DateTimeOffset LastGradedAt, string LastSessionId, int OpenFailures);
