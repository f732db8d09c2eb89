using System.Text.RegularExpressions;
using Selftune.Core.Skills;

namespace Selftune.Core.Signals;

/// <summary>What a user's words say about a skill.</summary>
internal enum SignalType
{
    /// <summary>The user corrected the agent for not using the skill ("why didn't you use the X skill?").</summary>
    Correction,
    /// <summary>The user asked for the skill by name ("please use the X skill", "use /X").</summary>
    ExplicitRequest,
}

/// <summary>One improvement signal in a prompt.</summary>
/// <param name="SkillName">The installed skill's name, as installed.</param>
/// <param name="Type">Correction or explicit request.</param>
internal sealed record ImprovementSignal(string SkillName, SignalType Type);

/// <summary>
/// Finds improvement signals in an actionable prompt: phrases in which the user names a skill the agent should have
/// used (a correction: strong evidence of a false negative) or asks for one by name (an explicit request: the
/// description did not make the agent reach for it unasked). A phrase counts only when the name it carries is an
/// installed skill's name (case-insensitive; a <c>plugin:</c> prefix is ignored), so ordinary prose ("use the git
/// command") is not mistaken for a signal. Negated requests ("don't use the X skill") are not signals.
/// </summary>
internal sealed partial class ImprovementSignalDetector
{
    private const string Name = @"(?<skill>/?[A-Za-z0-9][\w:.\-]*)";
    private const string Determiner = @"(?:the\s+|your\s+|my\s+|our\s+|that\s+)?";
    private readonly Lazy<Dictionary<string, string>> _skills;

    /// <summary>Creates a detector.</summary>
    /// <param name="installedSkills">Returns the names of the installed skills; called once, on first use.</param>
    public ImprovementSignalDetector(Func<IReadOnlySet<string>> installedSkills)
    {
        _skills = new Lazy<Dictionary<string, string>>(() =>
        {
            var map = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            foreach (var name in installedSkills())
            {
                map.TryAdd(name, name);
            }

            return map;
        });
    }

    /// <summary>Finds the signals in <paramref name="prompt"/>: at most one per skill, a correction winning over a request.</summary>
    /// <param name="prompt">The text of an actionable prompt.</param>
    public IReadOnlyList<ImprovementSignal> Detect(string prompt)
    {
        if (string.IsNullOrWhiteSpace(prompt) || _skills.Value.Count == 0)
        {
            return [];
        }

        var found = new Dictionary<string, SignalType>(StringComparer.Ordinal);
        Collect(Correction(), prompt, SignalType.Correction, found);
        Collect(Request(), prompt, SignalType.ExplicitRequest, found);
        Collect(SlashRequest(), prompt, SignalType.ExplicitRequest, found);
        return found.Select(f => new ImprovementSignal(f.Key, f.Value)).ToList();
    }

    private void Collect(Regex pattern, string prompt, SignalType type, Dictionary<string, SignalType> found)
    {
        foreach (Match match in pattern.Matches(prompt))
        {
            if (Resolve(match.Groups["skill"].Value) is { } skill)
            {
                found.TryAdd(skill, type);
            }
        }
    }

    private string? Resolve(string captured)
    {
        var name = captured.TrimStart('/').TrimEnd('.', ':', '-', ',');
        if (_skills.Value.TryGetValue(name, out var skill))
        {
            return skill;
        }

        var bare = SkillNames.Bare(name);
        return bare.Length != name.Length && _skills.Value.TryGetValue(bare, out skill) ? skill : null;
    }

    [GeneratedRegex(
        @"\b(?:why\s+(?:didn[’']?t|did\s+not|don[’']?t|do\s+not|wouldn[’']?t|haven[’']?t|have\s+not|wasn[’']?t)\s+(?:you\s+)?(?:use[ds]?|run|ran|invoke[ds]?|call(?:ed)?|trigger(?:ed)?|load(?:ed)?)" +
        @"|you\s+(?:should|could|ought\s+to)\s+have\s+(?:used|run|invoked|called|triggered|loaded)" +
        @"|(?:you\s+)?(?:forgot|failed|neglected)\s+to\s+(?:use|run|invoke|call|trigger|load)" +
        @"|you\s+(?:didn[’']?t|did\s+not)\s+(?:use|run|invoke|call|trigger|load)" +
        @"|next\s+time,?\s+(?:please\s+)?(?:use|run|invoke|call|try))\s+" + Determiner + Name,
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex Correction();

    [GeneratedRegex(
        @"(?<!\b(?:don[’']?t|do\s+not|never|not|no\s+need\s+to|without)\s+(?:please\s+)?)\b(?:use|run|invoke|call|load|apply|try)\s+" + Determiner + Name + @"\s+skill\b",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex Request();

    [GeneratedRegex(
        @"(?<!\b(?:don[’']?t|do\s+not|never|not|no\s+need\s+to|without)\s+(?:please\s+)?)\b(?:use|run|invoke|call|try)\s+(?<skill>/[A-Za-z0-9][\w:.\-]*)",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex SlashRequest();
}
