namespace Selftune.Plugin.OpenCode;

/// <summary>
/// Record ids. OpenCode's own ids (<c>ses_…</c>, <c>msg_…</c>, <c>prt_…</c>) are time-ordered and random, but tool
/// call ids come from the model provider and fixture ids are not unique, so every id is qualified by its session:
/// the transcript, the database and the hook payloads all yield the same id for the same event.
/// </summary>
internal static class RecordIds
{
    /// <summary>A prompt, or a message's usage: <c>&lt;session&gt;/&lt;message&gt;</c>.</summary>
    public static string Message(string sessionId, string messageId) => $"{sessionId}/{messageId}";

    /// <summary>A skill tool call's invocation: <c>&lt;session&gt;/&lt;call&gt;</c>.</summary>
    public static string SkillCall(string sessionId, string toolUseId) => $"{sessionId}/{toolUseId}";

    /// <summary>A read of a SKILL.md: <c>&lt;session&gt;/&lt;call&gt;/read</c>.</summary>
    public static string SkillRead(string sessionId, string toolUseId) => $"{sessionId}/{toolUseId}/read";
}
