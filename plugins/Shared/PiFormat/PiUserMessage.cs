using System.Text.RegularExpressions;
using Selftune.Abstractions;

namespace Selftune.Plugin.Shared.PiFormat;

/// <summary>What a user-role message of an OpenClaw / Pi transcript says.</summary>
/// <param name="Text">The prompt as the person typed it: channel envelopes removed and, for an explicit skill command,
/// only the request that followed the skill.</param>
/// <param name="Kind">Its kind (<see cref="PromptClassifier"/> plus the platform's own conventions).</param>
/// <param name="ExplicitSkill">The skill the user named with a skill command, when there was one.</param>
/// <param name="ExplicitSkillPath">The SKILL.md path Pi recorded for that skill, when it did.</param>
internal sealed record PiUserMessage(string Text, PromptKind Kind, string? ExplicitSkill = null, string? ExplicitSkillPath = null)
{
    // Pi's `/skill:name args` expands to `<skill name="…" location="…/SKILL.md">…body…</skill>\n\nargs`
    // (pi-mono coding-agent agent-session.ts, _expandSkillCommand).
    private static readonly Regex PiSkillBlock = new(
        "^<skill name=\"(?<name>[^\"]+)\" location=\"(?<location>[^\"]*)\">.*?</skill>(?<args>.*)$",
        RegexOptions.Singleline | RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));

    // OpenClaw's `/skill name args` and `/<skill-command> args` rewrite the body to
    // `Use the "name" skill for this request.\n\nUser input:\nargs` (src/auto-reply/reply/get-reply-inline-actions.ts).
    private static readonly Regex OpenClawSkillCommand = new(
        "^Use the \"(?<name>[^\"\\n]+)\" skill for this request\\.(?:\\s*User input:\\s*(?<args>.*))?$",
        RegexOptions.Singleline | RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));

    // Channel messages start with "<Label> (untrusted metadata):" + a fenced JSON block, and/or "[Mon 2026-03-02 10:00 GMT+8] "
    // (corpus openclaw/FORMAT.md).
    private static readonly Regex Envelope = new(
        "^(?:[A-Za-z][A-Za-z ]{0,40} \\(untrusted metadata\\):\\s*```[a-z]*\\n.*?\\n```\\s*)+|^\\[[A-Z][a-z]{2} \\d{4}-\\d{2}-\\d{2} [^\\]\\n]{0,40}\\]\\s*",
        RegexOptions.Singleline | RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));

    private static readonly Regex SlashCommand = new("^/[^\\s/]+$", RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));

    /// <summary>Reads a user message's text.</summary>
    /// <param name="text">The text blocks of the message, joined.</param>
    /// <param name="interSession">True when OpenClaw marked the message as sent by another session (<c>provenance.kind = inter_session</c>).</param>
    public static PiUserMessage Read(string text, bool interSession)
    {
        if (interSession)
        {
            return new PiUserMessage(text, PromptKind.Notification);
        }

        var body = StripEnvelope(text.Trim());
        if (PiSkillBlock.Match(body) is { Success: true } pi)
        {
            var args = pi.Groups["args"].Value.Trim();
            return args.Length == 0
                ? new PiUserMessage(body, PromptKind.SkillBody, pi.Groups["name"].Value, pi.Groups["location"].Value)
                : new PiUserMessage(args, Classify(args), pi.Groups["name"].Value, pi.Groups["location"].Value);
        }

        if (OpenClawSkillCommand.Match(body) is { Success: true } command)
        {
            var args = command.Groups["args"].Value.Trim();
            return args.Length == 0
                ? new PiUserMessage(body, PromptKind.Command, command.Groups["name"].Value)
                : new PiUserMessage(args, Classify(args), command.Groups["name"].Value);
        }

        return new PiUserMessage(body, Classify(body));
    }

    /// <summary>Removes the channel envelope OpenClaw puts before a message that arrived through a chat channel.</summary>
    public static string StripEnvelope(string text)
    {
        var rest = text;
        for (var i = 0; i < 3; i++)
        {
            var match = Envelope.Match(rest);
            if (!match.Success || match.Length == 0)
            {
                break;
            }

            rest = rest[match.Length..];
        }

        return rest.Trim();
    }

    /// <summary>The shared classification, plus two platform conventions: a lone unrecognized slash command
    /// (<c>/mode</c>) is a <see cref="PromptKind.Command"/>, and OpenClaw's heartbeat poll
    /// ("Read HEARTBEAT.md if it exists…") is <see cref="PromptKind.System"/>.</summary>
    private static PromptKind Classify(string text)
    {
        var kind = PromptClassifier.Classify(text);
        if (kind != PromptKind.User)
        {
            return kind;
        }

        return SlashCommand.IsMatch(text) ? PromptKind.Command
            : text.StartsWith("Read HEARTBEAT.md", StringComparison.Ordinal) ? PromptKind.System
            : PromptKind.User;
    }
}
