namespace Selftune.Core;

/// <summary>
/// An error a user (or their agent) can act on. The host prints it as
/// <c>{"error":{"code","message","next_command"}}</c> on stderr in JSON mode, or as text, and exits with
/// <see cref="ExitCode"/>.
/// </summary>
internal class SelftuneException : Exception
{
    /// <summary>Creates the error.</summary>
    /// <param name="code">A stable upper-case code (see <see cref="ErrorCodes"/>).</param>
    /// <param name="message">What went wrong and where (file, line) in one or two sentences.</param>
    /// <param name="nextCommand">The command that fixes or works around it, when there is one.</param>
    /// <param name="exitCode">Process exit code (not 0).</param>
    /// <param name="inner">The underlying exception, if any.</param>
    public SelftuneException(string code, string message, string? nextCommand = null, int exitCode = 1, Exception? inner = null)
        : base(message, inner)
    {
        Code = code;
        NextCommand = nextCommand;
        ExitCode = exitCode == 0 ? 1 : exitCode;
    }

    /// <summary>The stable error code.</summary>
    public string Code { get; }

    /// <summary>The command that fixes or works around it, when there is one.</summary>
    public string? NextCommand { get; }

    /// <summary>The process exit code.</summary>
    public int ExitCode { get; }
}

/// <summary>The error codes selftune emits. Agents branch on these, so they never change meaning.</summary>
internal static class ErrorCodes
{
    /// <summary>A flag or argument is invalid.</summary>
    public const string InvalidArgument = "INVALID_ARGUMENT";
    /// <summary><c>config.json</c> is malformed or has an invalid value.</summary>
    public const string ConfigInvalid = "CONFIG_INVALID";
    /// <summary>The selftune home cannot be created or written.</summary>
    public const string HomeUnwritable = "HOME_UNWRITABLE";
    /// <summary>The database file is corrupt or not a selftune database.</summary>
    public const string StoreCorrupt = "STORE_CORRUPT";
    /// <summary>The database was written by a newer selftune.</summary>
    public const string StoreTooNew = "STORE_TOO_NEW";
    /// <summary>The database is locked by another process for longer than the busy timeout.</summary>
    public const string StoreBusy = "STORE_BUSY";
    /// <summary>A file needed for the command does not exist.</summary>
    public const string FileNotFound = "FILE_NOT_FOUND";
    /// <summary>A skill, session, proposal or other named thing does not exist.</summary>
    public const string NotFound = "NOT_FOUND";
    /// <summary>There is not enough data to do what was asked.</summary>
    public const string NotEnoughData = "NOT_ENOUGH_DATA";
    /// <summary>No LLM backend is configured or reachable.</summary>
    public const string LlmUnavailable = "LLM_UNAVAILABLE";
    /// <summary>The LLM answered with something that could not be used.</summary>
    public const string LlmBadAnswer = "LLM_BAD_ANSWER";
    /// <summary>The run's LLM budget is spent.</summary>
    public const string BudgetExhausted = "BUDGET_EXHAUSTED";
    /// <summary>A SKILL.md cannot be read as a skill (no or invalid frontmatter); the message names file and line.</summary>
    public const string SkillInvalid = "SKILL_INVALID";
    /// <summary>An agent's settings or a SKILL.md cannot be changed safely.</summary>
    public const string UnsafeEdit = "UNSAFE_EDIT";
    /// <summary>Another run holds the lock.</summary>
    public const string Locked = "LOCKED";
    /// <summary>The team database cannot be reached (down, wrong host or port, no such database).</summary>
    public const string TeamUnreachable = "TEAM_UNREACHABLE";
    /// <summary>The team database refused the login (user or password).</summary>
    public const string TeamAuth = "TEAM_AUTH";
    /// <summary>The connection to the team database broke during a push; run it again to finish.</summary>
    public const string TeamConnectionLost = "TEAM_CONNECTION_LOST";
    /// <summary>The team database's schema was written by a newer selftune.</summary>
    public const string TeamSchemaTooNew = "TEAM_SCHEMA_TOO_NEW";
    /// <summary>An unexpected failure (a bug): the message says what to report.</summary>
    public const string Internal = "INTERNAL_ERROR";
}
