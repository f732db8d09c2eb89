namespace Selftune.Core.Skills;

/// <summary>
/// How skill names compare across sources: agents prefix plugin skills with the plugin's name
/// (<c>elixir:hex-docs-search</c>) while the skill's own frontmatter and folder say <c>hex-docs-search</c>.
/// </summary>
public static class SkillNames
{
    /// <summary>The name without a plugin prefix.</summary>
    public static string Bare(string name)
    {
        var colon = name.LastIndexOf(':');
        return colon >= 0 ? name[(colon + 1)..] : name;
    }

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
public sealed class SkillMention
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
