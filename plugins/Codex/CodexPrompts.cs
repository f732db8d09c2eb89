using System.Text.RegularExpressions;
using Selftune.Abstractions;

namespace Selftune.Plugin.Codex;

/// <summary>
/// Classifies Codex user-role messages. Codex injects context as user messages — <c>&lt;environment_context&gt;</c>,
/// <c>&lt;user_instructions&gt;</c>, <c># AGENTS.md instructions for …</c>, <c>&lt;INSTRUCTIONS&gt;</c>, the body of an
/// explicitly mentioned skill (<c>&lt;skill&gt;</c>), output of a <c>!command</c> (<c>&lt;user_shell_command&gt;</c>) — which
/// are checked here first; everything else goes to <see cref="PromptClassifier.Classify"/>.
/// </summary>
internal static partial class CodexPrompts
{
    private static readonly (string Prefix, PromptKind Kind)[] Injected =
    [
        ("<environment_context", PromptKind.System),
        ("<user_instructions", PromptKind.System),
        ("# AGENTS.md instructions for", PromptKind.System),
        ("<INSTRUCTIONS>", PromptKind.System),
        ("<permissions instructions>", PromptKind.System),
        ("<collaboration_mode>", PromptKind.System),
        ("<turn_aborted>", PromptKind.System),
        ("<model_switch>", PromptKind.System),
        ("<user_shell_command>", PromptKind.Command),
        ("<skill>", PromptKind.SkillBody),
        ("<subagent_notification>", PromptKind.Notification),
    ];

    /// <summary>Classifies a user message.</summary>
    /// <param name="text">The text as logged.</param>
    /// <param name="inSubagent">True in a sub-agent's rollout: its prompts are written by the parent agent, not typed
    /// by a person, so what would be a user prompt is a <see cref="PromptKind.Notification"/>.</param>
    public static PromptKind Classify(string text, bool inSubagent)
    {
        var trimmed = text.AsSpan().TrimStart();
        foreach (var (prefix, kind) in Injected)
        {
            if (trimmed.StartsWith(prefix, StringComparison.Ordinal))
            {
                return kind;
            }
        }

        var kindOf = PromptClassifier.Classify(text);
        return kindOf == PromptKind.User && inSubagent ? PromptKind.Notification : kindOf;
    }

    /// <summary>Skill names mentioned explicitly as <c>$name</c> (Codex's mention syntax; a plugin skill as
    /// <c>$plugin:name</c>), distinct, in order. Names follow the Agent Skills rule (lower-case letters, digits and
    /// hyphens), which keeps <c>$HOME</c>-style variables out.</summary>
    public static IReadOnlyList<string> ExplicitSkills(string text) =>
        text.Contains('$', StringComparison.Ordinal)
            ? [.. MentionPattern().Matches(text).Select(m => m.Groups[1].Value).Where(n => n.Any(char.IsLetter)).Distinct(StringComparer.Ordinal)]
            : [];

    [GeneratedRegex(@"(?<![\w$\\])\$((?:[a-z0-9]+(?:-[a-z0-9]+)*:)?[a-z0-9]+(?:-[a-z0-9]+)*)(?![\w-])", RegexOptions.CultureInvariant)]
    private static partial Regex MentionPattern();
}
