using Selftune.Abstractions;

namespace Selftune.Plugin.Claude;

/// <summary>
/// What a transcript read so far left open, saved in <see cref="SourceCursor.State"/> so an appended file is read
/// from its offset with the same result as a full read: the line count, the sessions of the file and their open turns.
/// Kept small (a few KB): only the newest inline sidechains are remembered. Stored as JSON by <see cref="TranscriptStateJson"/>.
/// </summary>
internal sealed class TranscriptState
{
    /// <summary>The most inline sidechain conversations remembered across reads.</summary>
    public const int MaxSidechains = 16;

    /// <summary>Format version of this state; another version is discarded and the file re-read.</summary>
    public int V { get; set; } = 1;

    /// <summary>Lines consumed so far (for 1-based line numbers of what follows).</summary>
    public long Lines { get; set; }

    /// <summary>A fingerprint of the file's first line, to notice a file rewritten in place.</summary>
    public string? Head { get; set; }

    /// <summary>The file's own conversation (the session, or the sub-agent for an agent file).</summary>
    public Conversation? Main { get; set; }

    /// <summary>Inline sidechain (sub-agent) conversations of a 1.0.x main file, oldest first.</summary>
    public List<Conversation> Sidechains { get; set; } = [];

    /// <summary>Serializes the state (<see cref="TranscriptStateJson"/>).</summary>
    public string Serialize() => TranscriptStateJson.Write(this);

    /// <summary>Reads a saved state; null when it is missing, of another version or unreadable.</summary>
    public static TranscriptState? Deserialize(string? json) =>
        string.IsNullOrEmpty(json) ? null : TranscriptStateJson.Read(json) is { V: 1 } state ? state : null;
}

/// <summary>One conversation of a transcript: a session, a sub-agent's file, or an inline sidechain.</summary>
internal sealed class Conversation
{
    /// <summary>The session id records are stored under.</summary>
    public required string SessionId { get; set; }

    /// <summary>The spawning session, for sub-agents.</summary>
    public string? ParentSessionId { get; set; }

    /// <summary>True for a sub-agent: its prompts come from the parent agent, not a person.</summary>
    public bool IsSubagent { get; set; }

    /// <summary>Inline sidechains: the uuid of the line that started it.</summary>
    public string? RootUuid { get; set; }

    /// <summary>Inline sidechains: the uuid of its latest line (the next line's parentUuid).</summary>
    public string? TipUuid { get; set; }

    /// <summary>First event time.</summary>
    public DateTimeOffset? StartedAt { get; set; }

    /// <summary>Last event time.</summary>
    public DateTimeOffset? EndedAt { get; set; }

    /// <summary>Working directory (first logged).</summary>
    public string? Cwd { get; set; }

    /// <summary>Git branch (first non-empty).</summary>
    public string? GitBranch { get; set; }

    /// <summary>Claude Code version (latest logged).</summary>
    public string? Version { get; set; }

    /// <summary>Models, first-use order.</summary>
    public List<string> Models { get; set; } = [];

    /// <summary>How the latest turn ended.</summary>
    public CompletionStatus Status { get; set; }

    /// <summary>The actionable prompt of the current turn (the one tool calls and triggers are linked to).</summary>
    public string? TurnPromptId { get; set; }

    /// <summary>The current turn's prompt text, lower case, wrappers stripped (a Skill call for a skill it names is explicit).
    /// Kept in memory only, never in the stored state: a turn resumed by a later read treats its Skill calls as implicit.</summary>
    public string? TurnPromptText { get; set; }

    /// <summary>Skills invoked (Skill tool, explicit command) during the current turn.</summary>
    public List<string> TurnSkills { get; set; } = [];

    /// <summary>SKILL.md reads of the current turn, emitted as "read, not invoked" when the turn ends without a
    /// Skill call for the same skill.</summary>
    public List<PendingInvocation> PendingReads { get; set; } = [];

    /// <summary>A <c>/name</c> command waiting for the injected skill body that shows it was a skill.</summary>
    public PendingInvocation? PendingCommand { get; set; }

    /// <summary>The latest Skill tool call whose path is not known yet (the injected "Base directory" follows it).</summary>
    public PendingInvocation? AwaitingBaseDirectory { get; set; }

    /// <summary>True when a line of this conversation was read in the current read (its session record is due); never stored.</summary>
    public bool Touched { get; set; }
}

/// <summary>A skill invocation not emitted yet (or emitted and waiting for its path).</summary>
/// <param name="InvocationId">Its id.</param>
/// <param name="SkillName">Skill name.</param>
/// <param name="OccurredAt">When.</param>
/// <param name="Line">Source line.</param>
/// <param name="PromptId">The prompt it belongs to.</param>
/// <param name="ToolUseId">The tool call that carried it.</param>
/// <param name="SkillPath">The skill folder, when known.</param>
/// <param name="Explicit">True when the user named the skill (the Skill call followed a prompt naming it).</param>
internal sealed record PendingInvocation(string InvocationId, string SkillName, DateTimeOffset OccurredAt, long Line, string? PromptId, string? ToolUseId, string? SkillPath, bool Explicit = false);
