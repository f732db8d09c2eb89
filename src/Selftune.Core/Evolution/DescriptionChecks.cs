using Selftune.Core.Skills;

namespace Selftune.Core.Evolution;

/// <summary>
/// Static checks of a candidate description, run before any validation is spent on it: the Agent Skills limits
/// (description 1–1024 characters; no angle brackets, as Anthropic's validator requires; the skill's name unchanged and
/// the file still valid YAML after the edit — peers-and-formats §5), no anchor of the original lost, and bounded
/// growth (an agent lists every skill's description in a small budget — 1 % of the context in Claude Code, with
/// descriptions truncated at 1,536 characters: peers-and-formats §2).
/// </summary>
internal static class DescriptionChecks
{
    /// <summary>Longest description the Agent Skills specification allows (characters).</summary>
    public const int MaxLength = 1024;

    /// <summary>Characters a description may always grow by.</summary>
    public const int MinGrowthAllowance = 200;

    /// <summary>Share of the original's length it may grow by, when that is more than <see cref="MinGrowthAllowance"/>.</summary>
    public const double GrowthShare = 0.5;

    /// <summary>The longest a candidate for <paramref name="original"/> may be.</summary>
    public static int LengthLimit(string original) =>
        Math.Min(MaxLength, original.Length + Math.Max(MinGrowthAllowance, (int)(original.Length * GrowthShare)));

    /// <summary>Checks <paramref name="proposed"/> as a replacement for the description of <paramref name="skill"/>.</summary>
    /// <param name="skill">The SKILL.md as validated.</param>
    /// <param name="proposed">The candidate description.</param>
    /// <param name="anchors">Terms the original wins queries with; each must still appear.</param>
    /// <returns>The failed checks, one sentence each; empty when it passes.</returns>
    public static IReadOnlyList<string> Check(SkillFile skill, string proposed, IReadOnlyList<string> anchors)
    {
        var failures = new List<string>();
        var length = proposed.Trim().Length;
        if (length == 0 || proposed.Length > MaxLength)
        {
            failures.Add($"the description must be 1–{MaxLength} characters; it is {proposed.Length}");
        }

        if (proposed.Trim() == skill.Description.Trim())
        {
            failures.Add("the description is unchanged");
        }

        if (proposed.IndexOfAny(['<', '>']) >= 0)
        {
            failures.Add("the description contains an angle bracket (< or >)");
        }

        var limit = LengthLimit(skill.Description);
        if (proposed.Length > limit)
        {
            failures.Add($"the description grows from {skill.Description.Length} to {proposed.Length} characters, over the limit of {limit} (the agent's skill listing budget is small)");
        }

        var lost = anchors.Where(a => !proposed.Contains(a, StringComparison.OrdinalIgnoreCase)).ToList();
        if (lost.Count > 0)
        {
            failures.Add($"the description drops anchor term(s) the original already wins with: {string.Join(", ", lost)}");
        }

        try
        {
            var edited = DescriptionEditor.Replace(skill, proposed);
            var name = DescriptionEditor.Parse(DescriptionEditor.Decode(edited, skill.Path), skill.Path).Name;
            if (name != skill.Name)
            {
                failures.Add($"the skill's name would change from '{skill.Name}' to '{name}'");
            }
        }
        catch (SelftuneException ex)
        {
            failures.Add(ex.Message);
        }

        return failures;
    }
}
