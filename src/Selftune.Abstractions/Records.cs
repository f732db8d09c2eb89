namespace Selftune.Abstractions;

/// <summary>How a record was captured. Transcript records are source truth; hook records are hints that a
/// transcript record of the same event supersedes; repair records are reconstructed after the fact.</summary>
public enum CaptureMode
{
    /// <summary>Read from the agent's own saved session log (source truth).</summary>
    Transcript,
    /// <summary>Captured live from a hook payload (a hint until the transcript confirms it).</summary>
    Hook,
    /// <summary>Reconstructed by a repair pass from indirect evidence.</summary>
    Repair,
}

/// <summary>Where a canonical record came from.</summary>
/// <param name="Platform">Platform id, one of <see cref="Platforms"/> or a third-party plugin's own id.</param>
/// <param name="Mode">How it was captured.</param>
/// <param name="Confidence">0..1: how sure the plugin is that the record describes what happened (1 = read verbatim).</param>
/// <param name="SourcePath">The file (or database) it was read from, when there is one.</param>
/// <param name="SourceLine">1-based line number in <paramref name="SourcePath"/>, when line-oriented.</param>
public sealed record Provenance(string Platform, CaptureMode Mode, double Confidence = 1.0, string? SourcePath = null, long? SourceLine = null);

/// <summary>What a prompt-shaped message really is. Only <see cref="User"/> prompts are actionable.</summary>
public enum PromptKind
{
    /// <summary>Text a person typed: the only actionable kind.</summary>
    User,
    /// <summary>A tool's output delivered in a user-role message.</summary>
    ToolOutput,
    /// <summary>Local command wrappers: caveats, slash-command echoes, command stdout/stderr.</summary>
    Command,
    /// <summary>A compaction summary or "continue where you left off" continuation.</summary>
    Continuation,
    /// <summary>A skill's body injected into the conversation after the skill was invoked.</summary>
    SkillBody,
    /// <summary>A system reminder, automated instruction, interruption marker or hook output.</summary>
    System,
    /// <summary>A task or sub-agent notification, or a message from a teammate agent.</summary>
    Notification,
    /// <summary>A prompt that selftune itself sent to an agent (grading, judging, proposing).</summary>
    Selftune,
}

/// <summary>How a skill came into play.</summary>
public enum InvocationKind
{
    /// <summary>The agent chose the skill itself (a Skill tool call or the platform's equivalent): a trigger.</summary>
    Implicit,
    /// <summary>The user named the skill explicitly (<c>/skill</c>, <c>$skill</c>): a trigger, but not the description's doing.</summary>
    Explicit,
    /// <summary>The agent read the skill's SKILL.md without invoking it: a "read, not invoked" signal.</summary>
    Read,
}

/// <summary>How a session ended, where the log says.</summary>
public enum CompletionStatus
{
    /// <summary>Not known from the log.</summary>
    Unknown,
    /// <summary>The last turn finished normally.</summary>
    Completed,
    /// <summary>The session ended with an error.</summary>
    Failed,
    /// <summary>The user interrupted the last turn.</summary>
    Interrupted,
}

/// <summary>One agent session (a conversation, or a sub-agent's run inside one).</summary>
/// <param name="SessionId">The platform's session id (sub-agents: the agent file's id). Unique per platform.</param>
/// <param name="Provenance">Where it came from.</param>
/// <param name="ParentSessionId">For a sub-agent, the session that spawned it.</param>
/// <param name="StartedAt">First event time (UTC).</param>
/// <param name="EndedAt">Last event time (UTC).</param>
/// <param name="Cwd">Working directory of the session (the project).</param>
/// <param name="GitBranch">Git branch at the start, when logged.</param>
/// <param name="AgentVersion">Version of the agent CLI that wrote the log.</param>
/// <param name="Models">Distinct model ids used, in first-use order.</param>
/// <param name="Status">How it ended.</param>
public sealed record SessionRecord(
    string SessionId,
    Provenance Provenance,
    string? ParentSessionId = null,
    DateTimeOffset? StartedAt = null,
    DateTimeOffset? EndedAt = null,
    string? Cwd = null,
    string? GitBranch = null,
    string? AgentVersion = null,
    IReadOnlyList<string>? Models = null,
    CompletionStatus Status = CompletionStatus.Unknown)
{
    /// <summary>Lines the session's edits added to files, as the log states them for the whole session (e.g. OpenCode's
    /// <c>summary.additions</c>); null when the log does not say. The core uses it only when no tool call of the session
    /// carries <see cref="ToolCallRecord.LinesAdded"/>. Added in contract 1.4.</summary>
    public int? LinesAdded { get; init; }

    /// <summary>Lines the session's edits removed from files, as the log states them for the whole session (e.g. OpenCode's
    /// <c>summary.deletions</c>); null when the log does not say. Added in contract 1.4.</summary>
    public int? LinesRemoved { get; init; }
}

/// <summary>A user-role message. The core redacts <paramref name="Text"/> before storing it.</summary>
/// <param name="PromptId">Stable id within the platform (e.g. the message uuid): re-ingesting yields the same id.</param>
/// <param name="SessionId">The session it belongs to.</param>
/// <param name="OccurredAt">When it was sent (UTC).</param>
/// <param name="Text">The text, unredacted as read (the core redacts).</param>
/// <param name="Kind">What it really is; see <see cref="PromptClassifier"/>.</param>
/// <param name="Provenance">Where it came from.</param>
public sealed record PromptRecord(string PromptId, string SessionId, DateTimeOffset OccurredAt, string Text, PromptKind Kind, Provenance Provenance)
{
    /// <summary>True when a person typed it and it asks for something: the prompts eval sets are made of.</summary>
    public bool IsActionable => Kind == PromptKind.User;
}

/// <summary>A skill coming into play in a session.</summary>
/// <param name="InvocationId">Stable id (e.g. the tool-use id, or prompt id + skill for explicit use).</param>
/// <param name="SessionId">The session.</param>
/// <param name="OccurredAt">When (UTC).</param>
/// <param name="SkillName">The skill's name as the agent used it (may carry a plugin prefix, e.g. <c>elixir:hex-docs-search</c>).</param>
/// <param name="Kind">Trigger, explicit use, or a read of its SKILL.md.</param>
/// <param name="Provenance">Where it came from.</param>
/// <param name="PromptId">The actionable prompt that led to it, when known.</param>
/// <param name="SkillPath">Absolute path of the skill's folder or SKILL.md, when resolved.</param>
/// <param name="ToolUseId">The tool call that carried it, when there was one.</param>
public sealed record SkillInvocationRecord(
    string InvocationId,
    string SessionId,
    DateTimeOffset OccurredAt,
    string SkillName,
    InvocationKind Kind,
    Provenance Provenance,
    string? PromptId = null,
    string? SkillPath = null,
    string? ToolUseId = null);

/// <summary>One tool call by the agent.</summary>
/// <param name="ToolUseId">The platform's call id (unique within the session).</param>
/// <param name="SessionId">The session.</param>
/// <param name="OccurredAt">When it was requested (UTC).</param>
/// <param name="Name">Tool name (<c>Bash</c>, <c>Read</c>, <c>Skill</c>, <c>shell</c>, …).</param>
/// <param name="Provenance">Where it came from.</param>
/// <param name="IsError">True when its result was an error (<c>is_error</c> or the platform's equivalent).</param>
/// <param name="PromptId">The actionable prompt of the turn it belongs to, when known.</param>
/// <param name="Detail">A short description of the input (a file path, the first line of a command), uncut: the store
/// redacts it, then keeps its first 200 characters (cutting first could leave a secret's prefix unrecognized).</param>
public sealed record ToolCallRecord(
    string ToolUseId,
    string SessionId,
    DateTimeOffset OccurredAt,
    string Name,
    Provenance Provenance,
    bool IsError = false,
    string? PromptId = null,
    string? Detail = null)
{
    /// <summary>Lines the call's edit added to files, as the log shows them (e.g. the <c>+</c> lines of a patch, every line of
    /// a file written new); null when the call is no edit or the log does not say. A record of the same call that comes
    /// with its result may carry it alone. Added in contract 1.4.</summary>
    public int? LinesAdded { get; init; }

    /// <summary>Lines the call's edit removed from files (the <c>-</c> lines of a patch); null when the call is no edit or the
    /// log does not say. Added in contract 1.4.</summary>
    public int? LinesRemoved { get; init; }
}

/// <summary>Tokens used by one model response. The core de-duplicates on (<paramref name="MessageId"/>,
/// <paramref name="RequestId"/>) keeping the largest usage, and prices it from its pricing table.</summary>
/// <param name="MessageId">The response's message id.</param>
/// <param name="RequestId">The API request id, when logged (empty otherwise).</param>
/// <param name="SessionId">The session.</param>
/// <param name="OccurredAt">When (UTC).</param>
/// <param name="Model">Model id as logged.</param>
/// <param name="InputTokens">Uncached input tokens.</param>
/// <param name="OutputTokens">Output tokens (including reasoning where the platform counts it there).</param>
/// <param name="CacheWriteTokens">Tokens written to the prompt cache.</param>
/// <param name="CacheReadTokens">Tokens read from the prompt cache.</param>
/// <param name="Provenance">Where it came from.</param>
/// <param name="CostUsd">Cost in USD when the log states it; null to let the core price it.</param>
/// <param name="CacheWrite1hTokens">Of <paramref name="CacheWriteTokens"/>, those written to the 1-hour prompt cache (priced
/// higher than the default 5-minute cache); 0 when the log does not split cache writes.</param>
public sealed record TokenUsageRecord(
    string MessageId,
    string RequestId,
    string SessionId,
    DateTimeOffset OccurredAt,
    string Model,
    long InputTokens,
    long OutputTokens,
    long CacheWriteTokens,
    long CacheReadTokens,
    Provenance Provenance,
    decimal? CostUsd = null,
    long CacheWrite1hTokens = 0);

/// <summary>An error the session ran into that is not a tool result (API errors, aborted turns, crashes).</summary>
/// <param name="ErrorId">Stable id within the session.</param>
/// <param name="SessionId">The session.</param>
/// <param name="OccurredAt">When (UTC).</param>
/// <param name="Kind">A short category (<c>api_error</c>, <c>interrupted</c>, …).</param>
/// <param name="Message">The message, uncut: the store redacts it, then keeps its first 500 characters.</param>
/// <param name="Provenance">Where it came from.</param>
public sealed record ErrorRecord(string ErrorId, string SessionId, DateTimeOffset OccurredAt, string Kind, string Message, Provenance Provenance);

/// <summary>A git commit the agent made in a session (<c>git commit</c>, <c>merge</c>, <c>cherry-pick</c> or <c>revert</c> whose
/// output names the new commit), linking the commit to the session and the skills it used. Added in contract 1.3.</summary>
/// <param name="SessionId">The session.</param>
/// <param name="Sha">The commit's (abbreviated) hash as git printed it.</param>
/// <param name="OccurredAt">When the tool call returned (UTC).</param>
/// <param name="Command">The git subcommand: <c>commit</c>, <c>merge</c>, <c>cherry-pick</c> or <c>revert</c>.</param>
/// <param name="Provenance">Where it came from.</param>
/// <param name="Branch">The branch git printed (<c>[main 1a2b3c4] …</c>), when it did.</param>
/// <param name="Repository">The repository's folder (the tool call's or session's working directory), when known.</param>
/// <param name="Title">The commit's subject line, when git printed it.</param>
/// <param name="ToolUseId">The tool call whose output showed it.</param>
public sealed record CommitRecord(
    string SessionId,
    string Sha,
    DateTimeOffset OccurredAt,
    string Command,
    Provenance Provenance,
    string? Branch = null,
    string? Repository = null,
    string? Title = null,
    string? ToolUseId = null);
