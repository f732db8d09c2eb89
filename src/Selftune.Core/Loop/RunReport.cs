using Selftune.Core.Monitoring;

namespace Selftune.Core.Loop;

/// <summary>The phases of a run, in the order they run (JSON: their lower-case names).</summary>
internal enum RunPhaseName
{
    /// <summary>Read every agent's new sessions into the store.</summary>
    Sync,
    /// <summary>Discover the misses nobody named among the prompts no skill handled.</summary>
    Discover,
    /// <summary>Compute each skill's health.</summary>
    Status,
    /// <summary>Grade ungraded sessions within the budget (needs an LLM).</summary>
    Grade,
    /// <summary>Pick the skills to evolve by evidence.</summary>
    Select,
    /// <summary>Propose, validate and deploy (needs an LLM).</summary>
    Evolve,
    /// <summary>Compare traffic after recent deploys with before; roll back regressions.</summary>
    Watch,
}

/// <summary>What the select phase decided for a skill (JSON: <c>evolve</c>, <c>review</c>, <c>skip</c>).</summary>
internal enum CandidateAction
{
    /// <summary>This run evolves it.</summary>
    Evolve,
    /// <summary>Only low-confidence misses: a person or the agent confirms or rejects them first (<c>selftune misses --skill S</c>).</summary>
    Review,
    /// <summary>This run leaves it; the candidate's reason says why.</summary>
    Skip,
}

/// <summary>What the evolve phase did for a candidate (JSON: snake_case).</summary>
internal enum EvolutionOutcome
{
    /// <summary>A validated proposal was deployed.</summary>
    Deployed,
    /// <summary>Validated; <c>selftune proposals approve ID</c> deploys it.</summary>
    AwaitingReview,
    /// <summary>Validated in a dry run: not deployed.</summary>
    Validated,
    /// <summary>No proposal beat the original.</summary>
    Rejected,
    /// <summary>Evolution failed; the reason names the error code.</summary>
    Failed,
}

/// <summary>Who started a run.</summary>
internal enum RunTrigger
{
    /// <summary>A person or their agent typed <c>selftune run</c>.</summary>
    Manual,
    /// <summary>The scheduler (<c>selftune schedule install</c>).</summary>
    Schedule,
    /// <summary>A hook, after a session ended with pending improvement signals.</summary>
    Signal,
    /// <summary><c>selftune run --loop</c>.</summary>
    Loop,
}

/// <summary>How a run ended.</summary>
internal enum RunStatus
{
    /// <summary>Still going (or it crashed and no later run has noticed yet).</summary>
    Running,
    /// <summary>Every phase ran or was skipped for a stated reason.</summary>
    Completed,
    /// <summary>A phase failed; the report says which and why.</summary>
    Failed,
    /// <summary>Stopped by the user (Ctrl-C, SIGTERM).</summary>
    Cancelled,
    /// <summary>It died without finishing; a later run found its stale lock.</summary>
    Crashed,
}

/// <summary>How a phase ended.</summary>
internal enum PhaseStatus
{
    /// <summary>It ran.</summary>
    Ok,
    /// <summary>It did not run; <see cref="RunPhase.Summary"/> says why and <see cref="RunPhase.NextCommand"/> how to enable it.</summary>
    Skipped,
    /// <summary>It failed; later phases that need it were skipped.</summary>
    Failed,
    /// <summary>The run was stopped (Ctrl-C, SIGTERM) while it ran; what it stored so far is kept.</summary>
    Abandoned,
}

/// <summary>One phase of a run (sync, status, grade, select, evolve, watch).</summary>
/// <param name="Name">The phase.</param>
/// <param name="Status">How it ended.</param>
/// <param name="ElapsedMs">Wall-clock duration (ms).</param>
/// <param name="Summary">What it did, or why it was skipped or failed, in one line.</param>
/// <param name="NextCommand">The command that enables a skipped phase or fixes a failed one.</param>
internal sealed record RunPhase(RunPhaseName Name, PhaseStatus Status, long ElapsedMs, string Summary, string? NextCommand = null);

/// <summary>Whose agent data a run used.</summary>
/// <param name="Sample">True when the machine had no agent data and the run used selftune's bundled samples instead.</param>
/// <param name="Home">The home whose agent data was read (the user's, or the sample copy).</param>
/// <param name="Note">For a sample run: what that means and how to use real data.</param>
internal sealed record RunData(bool Sample, string Home, string? Note = null);

/// <summary>The evidence that makes a skill a candidate for evolution (or not).</summary>
/// <param name="Triggers">Times the skill was triggered in the status window.</param>
/// <param name="Misses">Actionable prompts that should have triggered it and did not (false negatives) in the window.</param>
/// <param name="MissesBefore">False negatives in the window before it (for the trend), when known.</param>
/// <param name="Trend"><c>up</c>, <c>down</c>, <c>flat</c> or <c>unknown</c>: the direction of the skill's health.</param>
/// <param name="Signals">Pending improvement signals naming the skill ("why didn't you use X").</param>
/// <param name="GradingFailures">Graded sessions of the skill that failed an expectation.</param>
/// <param name="RealQueries">Real (not synthetic) prompts available to build its eval set from.</param>
/// <param name="LastDeployAt">When a proposal for it was last deployed, if ever.</param>
/// <param name="Health">The status label (as <c>selftune status</c> shows it).</param>
/// <param name="Installed">True when its SKILL.md is installed on this machine (only those can be evolved).</param>
/// <param name="ReadsNotInvoked">Times the agent read its SKILL.md without invoking it (a near miss; reported, not scored).</param>
/// <param name="ExplicitOnly">Real prompts on which the user had to invoke it by name because the agent did not pick it by
/// itself (named misses; already counted in <paramref name="Misses"/>, shown apart).</param>
/// <param name="LowConfidenceMisses">Misses found by lexical ranking alone and not yet reviewed: a lead, not evidence.</param>
internal sealed record CandidateEvidence(int Triggers, int Misses, int? MissesBefore, string Trend, int Signals, int GradingFailures, int RealQueries, DateTimeOffset? LastDeployAt, string? Health, bool Installed = true, int ReadsNotInvoked = 0, int ExplicitOnly = 0, int LowConfidenceMisses = 0);

/// <summary>A skill the run considered, and what it decided.</summary>
/// <param name="Skill">The skill's name.</param>
/// <param name="Action"><c>evolve</c>, <c>review</c> (only low-confidence misses: confirm or reject them first,
/// <c>selftune misses --skill S</c>) or <c>skip</c>.</param>
/// <param name="Reason">Why, in one line (the rule that decided it).</param>
/// <param name="Priority">The evidence score candidates are ordered by (higher first).</param>
/// <param name="Evidence">The evidence.</param>
internal sealed record SkillCandidate(string Skill, CandidateAction Action, string Reason, double Priority, CandidateEvidence Evidence);

/// <summary>What the evolve phase did for one candidate.</summary>
/// <param name="Skill">The skill.</param>
/// <param name="Outcome">What happened.</param>
/// <param name="Reason">Why, in one line.</param>
/// <param name="ProposalId">The proposal, when one was made.</param>
/// <param name="PassRateBefore">The original description's pass rate on the validation split (0–1).</param>
/// <param name="PassRateAfter">The proposal's pass rate on the validation split (0–1).</param>
/// <param name="LlmCalls">LLM calls spent.</param>
/// <param name="CostUsd">Their cost (USD), when known.</param>
internal sealed record EvolutionResult(string Skill, EvolutionOutcome Outcome, string Reason, string? ProposalId = null, double? PassRateBefore = null, double? PassRateAfter = null, int LlmCalls = 0, decimal? CostUsd = null);

/// <summary>What the watch phase found for one recently deployed skill.</summary>
/// <param name="Skill">The skill.</param>
/// <param name="Verdict">Stable, regressed or not enough data.</param>
/// <param name="Reason">The measures compared, in one line.</param>
/// <param name="RolledBack">True when the regression was rolled back.</param>
/// <param name="ProposalId">The deployed proposal watched.</param>
internal sealed record WatchResult(string Skill, WatchVerdict Verdict, string Reason, bool RolledBack, string? ProposalId = null);

/// <summary>The run's counts.</summary>
/// <param name="Skills">Skills considered.</param>
/// <param name="Candidates">Skills picked for evolution.</param>
/// <param name="Graded">Sessions graded.</param>
/// <param name="Deployed">Proposals deployed.</param>
/// <param name="AwaitingReview">Proposals validated and waiting for approval.</param>
/// <param name="Watched">Deployed skills watched.</param>
/// <param name="RolledBack">Deploys rolled back.</param>
/// <param name="SignalsConsumed">Improvement signals this run acted on.</param>
/// <param name="LlmCalls">LLM calls spent.</param>
/// <param name="CostUsd">Their cost (USD).</param>
internal sealed record RunTotals(int Skills, int Candidates, int Graded, int Deployed, int AwaitingReview, int Watched, int RolledBack, int SignalsConsumed, int LlmCalls, decimal CostUsd);

/// <summary>
/// The report of one <c>selftune run</c>: printed as JSON on stdout for agents and as phased text on stderr for
/// people, and stored in the <c>runs</c> table (<c>selftune runs</c>).
/// </summary>
/// <param name="RunId">The run's id (<c>run_yyyyMMddTHHmmssZ_xxxx</c>).</param>
/// <param name="StartedAt">When it started (UTC).</param>
/// <param name="EndedAt">When it ended (UTC).</param>
/// <param name="ElapsedMs">Wall-clock duration (ms).</param>
/// <param name="Trigger">Who started it.</param>
/// <param name="Status">How it ended.</param>
/// <param name="DryRun">True when it changed no skill.</param>
/// <param name="ReviewRequired">True when validated proposals wait for approval instead of being deployed.</param>
/// <param name="Skill">The only skill considered (<c>--skill</c>), if any.</param>
/// <param name="MaxSkills">The most skills evolved in one run.</param>
/// <param name="Data">Whose agent data it used.</param>
/// <param name="Llm">The LLM backend used, or why there was none.</param>
/// <param name="Phases">Every phase in order, including skipped ones.</param>
/// <param name="Candidates">Every skill considered, candidates first.</param>
/// <param name="Evolutions">What the evolve phase did per candidate.</param>
/// <param name="Watches">What the watch phase found per recent deploy.</param>
/// <param name="Totals">Counts.</param>
/// <param name="RecoveredLock">The stale lock of a crashed run this run took over, if any.</param>
/// <param name="NextCommand">What to do next, when there is something obvious.</param>
/// <param name="NewErrorPatterns">Recurring error patterns (<c>selftune errors</c>) no earlier run had named.</param>
/// <param name="TeamPush">The push to the team database at the end of the run, when <c>team.push</c> is on and
/// <c>team.database</c> set (not for a dry, sample or cancelled run); null otherwise.</param>
internal sealed record RunReport(
    string RunId,
    DateTimeOffset StartedAt,
    DateTimeOffset? EndedAt,
    long ElapsedMs,
    RunTrigger Trigger,
    RunStatus Status,
    bool DryRun,
    bool ReviewRequired,
    string? Skill,
    int MaxSkills,
    RunData Data,
    string Llm,
    IReadOnlyList<RunPhase> Phases,
    IReadOnlyList<SkillCandidate> Candidates,
    IReadOnlyList<EvolutionResult> Evolutions,
    IReadOnlyList<WatchResult> Watches,
    RunTotals Totals,
    string? RecoveredLock = null,
    string? NextCommand = null,
    IReadOnlyList<Analysis.ErrorPattern>? NewErrorPatterns = null,
    RunTeamPush? TeamPush = null);

/// <summary>The push to the team database at the end of a run. A failed push does not fail the run: the next run or
/// <c>selftune team push</c> completes it (pushes are incremental).</summary>
/// <param name="Database">The team database without its password (host:port/database), when it was reached.</param>
/// <param name="Changed">Rows the server inserted, updated or deleted; null when the push failed.</param>
/// <param name="ElapsedMs">Wall-clock time of the push (ms); null when it failed.</param>
/// <param name="ErrorCode">Why it failed: the error code (e.g. <c>TEAM_UNREACHABLE</c>); null when it succeeded.</param>
/// <param name="Error">Why it failed: the message; null when it succeeded.</param>
/// <param name="NextCommand">What fixes a failed push.</param>
internal sealed record RunTeamPush(string? Database, int? Changed, long? ElapsedMs, string? ErrorCode = null, string? Error = null, string? NextCommand = null);
