using Selftune.Abstractions;

namespace Selftune.Plugin.OpenCode;

/// <summary>
/// Classifies OpenCode user-message text: <see cref="PromptClassifier"/> first, plus the continuation nudges OpenCode
/// writes as user messages after a compaction, and sub-agent sessions, whose "user" messages are prompts written by
/// the parent agent's <c>task</c> tool, never by a person.
/// </summary>
internal static class OpenCodePrompts
{
    private static readonly string[] Continuations =
    [
        "Use the above summary generated from your last session to resume from where you left off.",
        "Continue if you have next steps, or stop and ask for clarification if you are unsure how to proceed.",
    ];

    /// <summary>The kind of a user message's text.</summary>
    /// <param name="text">The user-typed text parts, joined.</param>
    /// <param name="inSubAgentSession">True when the session has a parent session.</param>
    public static PromptKind Classify(string text, bool inSubAgentSession)
    {
        var kind = PromptClassifier.Classify(text);
        if (kind != PromptKind.User)
        {
            return kind;
        }

        var rest = PromptClassifier.StripWrappers(text);
        if (Continuations.Any(c => rest.StartsWith(c, StringComparison.Ordinal)))
        {
            return PromptKind.Continuation;
        }

        return inSubAgentSession ? PromptKind.Notification : PromptKind.User;
    }
}
