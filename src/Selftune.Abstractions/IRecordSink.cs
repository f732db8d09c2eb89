namespace Selftune.Abstractions;

/// <summary>
/// Receives the canonical records a plugin produces. The core's implementation redacts, de-duplicates and
/// stores them; records with the same id are idempotent, so a plugin may emit a record again on re-ingest.
/// A sink is used by one thread at a time.
/// </summary>
public interface IRecordSink
{
    /// <summary>Adds or updates a session (later values of non-null fields win).</summary>
    void Session(SessionRecord session);
    /// <summary>Adds a prompt.</summary>
    void Prompt(PromptRecord prompt);
    /// <summary>Adds a skill invocation (or SKILL.md read).</summary>
    void SkillInvocation(SkillInvocationRecord invocation);
    /// <summary>Adds a tool call; a later call with the same id and <c>IsError = true</c> marks it failed.</summary>
    void ToolCall(ToolCallRecord call);
    /// <summary>Adds token usage of one model response.</summary>
    void Usage(TokenUsageRecord usage);
    /// <summary>Adds a session error.</summary>
    void Error(ErrorRecord error);
    /// <summary>Adds a git commit made in the session (contract 1.3; the default ignores it, for sinks built against 1.2).</summary>
    void Commit(CommitRecord commit)
    {
    }

    /// <summary>Reports an input record that could not be used: skipped and counted, never fatal.</summary>
    /// <param name="path">The file (or database) it is in.</param>
    /// <param name="line">1-based line (or row) number; 0 when not line-oriented.</param>
    /// <param name="reason">What is wrong with it, for a person.</param>
    void Malformed(string path, long line, string reason);
}
