namespace Selftune.Core.Skills;

/// <summary>
/// How skill names compare across sources: agents prefix plugin skills with the plugin's name
/// (<c>elixir:hex-docs-search</c>) while the skill's own frontmatter and folder say <c>hex-docs-search</c>.
/// </summary>
internal static class SkillNames
{
    /// <summary>The name without a plugin prefix.</summary>
    public static string Bare(string name)
    {
        var colon = name.LastIndexOf(':');
        return colon >= 0 ? name[(colon + 1)..] : name;
    }

    /// <summary>The longest skill name (Agent Skills specification: <c>name</c> is 1–64 characters).</summary>
    public const int MaxLength = 64;

    /// <summary>Why <paramref name="name"/> is not a valid skill name, or null when it is one. Valid, per the Agent Skills
    /// specification: 1–64 lower-case letters, digits and hyphens, no hyphen first or last and no two in a row;
    /// optionally after a plugin prefix of the same form and a colon (<c>elixir:hex-docs-search</c>). Names read from
    /// logs that are not valid are stored as they are but never put into a command (<see cref="ShellCommand"/>).</summary>
    public static string? Problem(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var colon = name.IndexOf(':', StringComparison.Ordinal);
        return (colon < 0 ? IsValidPart(name) : IsValidPart(name[..colon]) && IsValidPart(name[(colon + 1)..]))
            ? null
            : $"{ShellCommand.Quoted(name)} is not a valid skill name (1-{MaxLength} lower-case letters, digits and single hyphens, optionally after a plugin name and a colon), so no command is suggested for it";
    }

    /// <summary>True when <paramref name="part"/> follows the specification's naming rule, length aside: one or more
    /// lower-case letters, digits and hyphens, no hyphen first or last and no two in a row.</summary>
    internal static bool FollowsNamingRule(string part) =>
        part.Length > 0
        && part.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-')
        && part[0] != '-' && part[^1] != '-' && !part.Contains("--", StringComparison.Ordinal);

    private static bool IsValidPart(string part) => part.Length <= MaxLength && FollowsNamingRule(part);

    /// <summary>True when two spellings name the same skill: equal (case-insensitive), or equal once a plugin prefix
    /// that only one of them carries is ignored.</summary>
    public static bool Same(string a, string b) =>
        string.Equals(a, b, StringComparison.OrdinalIgnoreCase)
        || ((!a.Contains(':') || !b.Contains(':')) && string.Equals(Bare(a), Bare(b), StringComparison.OrdinalIgnoreCase));
}

/// <summary>
/// Whether a prompt names a skill: its bare name as written (<c>hex-docs-search</c>) or as words
/// (<c>hex docs search</c>), case-insensitive, as a whole word. Names shorter than <see cref="MinimumLength"/>
/// characters are never matched (too ambiguous).
/// </summary>
internal sealed class SkillMention
{
    /// <summary>The shortest name that is matched.</summary>
    public const int MinimumLength = 3;

    private readonly string[] _phrases;

    /// <summary>Creates the matcher for <paramref name="skillName"/>.</summary>
    public SkillMention(string skillName)
    {
        var bare = SkillNames.Bare(skillName).Trim().ToLowerInvariant();
        if (bare.Length < MinimumLength)
        {
            _phrases = [];
            return;
        }

        var words = string.Join(' ', bare.Split(['-', '_', ' '], StringSplitOptions.RemoveEmptyEntries));
        _phrases = words == bare ? [bare] : [bare, words];
    }

    /// <summary>True when <paramref name="lowerText"/>, already lower-cased (invariant), names the skill.</summary>
    public bool IsInLowerCase(string lowerText)
    {
        foreach (var phrase in _phrases)
        {
            for (var at = lowerText.IndexOf(phrase, StringComparison.Ordinal); at >= 0; at = lowerText.IndexOf(phrase, at + 1, StringComparison.Ordinal))
            {
                var end = at + phrase.Length;
                if ((at == 0 || !IsWordChar(lowerText[at - 1])) && (end == lowerText.Length || !IsWordChar(lowerText[end])))
                {
                    return true;
                }
            }
        }

        return false;
    }

    private static bool IsWordChar(char c) => char.IsLetterOrDigit(c) || c is '-' or '_';
}
