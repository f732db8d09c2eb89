using System.Text;
using System.Text.RegularExpressions;

namespace Selftune.Core.Skills;

/// <summary>The part of a SKILL.md an evolve rewrites (<c>--target</c>).</summary>
internal enum EvolveTarget
{
    /// <summary>The frontmatter <c>description</c> (decides whether the skill fires).</summary>
    Description,
    /// <summary>The pipe table of the <c>## Workflow Routing</c> section (which workflow the skill sends a request to).</summary>
    Routing,
    /// <summary>Everything below the <c># Title</c> line (how the work is done once the skill fired).</summary>
    Body,
    /// <summary>The description, the routing table and the body together: the part is the whole SKILL.md text, whose
    /// frontmatter may differ from the original only in its <c>description</c> (<c>improve --scope package</c>).</summary>
    Package,
}

/// <summary>
/// Reads and replaces the routing table and the body of a SKILL.md, byte for byte outside the replaced part: the
/// frontmatter and the <c># Title</c> line are never touched, line endings follow the file's. The body is everything
/// after the first level-1 ATX heading (<c># </c>) below the frontmatter (outside code fences); the routing table is the
/// first pipe table of the <c>## Workflow Routing</c> section (up to the next heading of level 1 or 2) in the shape
/// <c>| Trigger | Workflow |</c> / <c>|---|---|</c> / one row or more, each with as many cells as the header.
/// A SKILL.md without what the target needs is refused with the reason and the fix.
/// </summary>
internal static partial class SkillSections
{
    /// <summary>The routing section's heading text (case-insensitive).</summary>
    public const string RoutingHeading = "Workflow Routing";

    /// <summary>The table shape a routing table must have, for messages.</summary>
    public const string RoutingShape = "'| Trigger | Workflow |', then '|---|---|', then one '| … | … |' row per route";

    /// <summary>Characters a body or table may always grow by.</summary>
    public const int MinGrowthAllowance = 2048;

    /// <summary>Share of the original's length a body or table may grow by, when that is more than <see cref="MinGrowthAllowance"/>.</summary>
    public const double GrowthShare = 0.5;

    /// <summary>Most lines a SKILL.md may have (the Agent Skills guidance: keep SKILL.md under 500 lines).</summary>
    public const int MaxLines = 500;

    /// <summary>Where the target part sits in a SKILL.md's text.</summary>
    /// <param name="Text">The whole text (UTF-8 decoded, BOM kept).</param>
    /// <param name="Start">Index of the part's first character.</param>
    /// <param name="End">Index just after it.</param>
    /// <param name="Title">The title line's text (without <c># </c>).</param>
    /// <param name="Newline">The file's line ending.</param>
    internal sealed record Span(string Text, int Start, int End, string Title, string Newline)
    {
        /// <summary>The part's text.</summary>
        public string Content => Text[Start..End];
    }

    /// <summary>The current text of <paramref name="target"/> in <paramref name="file"/>.</summary>
    /// <exception cref="SelftuneException"><see cref="ErrorCodes.SkillInvalid"/> when the file has no <c># Title</c>, no
    /// routing section, or a routing table in another shape (the message names the line and the fix).</exception>
    public static string Read(SkillFile file, EvolveTarget target, string skill) => Locate(file, target, skill).Content;

    /// <summary>The bytes of <paramref name="file"/> with <paramref name="target"/> replaced by <paramref name="content"/>;
    /// every other byte unchanged. Line endings of <paramref name="content"/> are converted to the file's.</summary>
    /// <exception cref="SelftuneException">As <see cref="Read"/>.</exception>
    public static byte[] Replace(SkillFile file, EvolveTarget target, string skill, string content)
    {
        var span = Locate(file, target, skill);
        var normalized = content.Replace("\r\n", "\n", StringComparison.Ordinal);
        if (span.Newline != "\n")
        {
            normalized = normalized.Replace("\n", span.Newline, StringComparison.Ordinal);
        }

        if (target == EvolveTarget.Routing)
        {
            normalized = normalized.TrimEnd('\r', '\n') + (span.Content.EndsWith(span.Newline, StringComparison.Ordinal) ? span.Newline : string.Empty);
        }

        return Encoding.UTF8.GetBytes(string.Concat(span.Text.AsSpan(0, span.Start), normalized, span.Text.AsSpan(span.End)));
    }

    /// <summary>The structural gate of a proposal: the file must still parse with the same frontmatter, name and title,
    /// stay within the growth budget and <see cref="MaxLines"/>, and a routing table must keep the expected shape and header.
    /// Costs no LLM call.</summary>
    /// <param name="file">The SKILL.md as validated.</param>
    /// <param name="target">Routing or body.</param>
    /// <param name="skill">The skill's name.</param>
    /// <param name="proposed">The proposed part.</param>
    /// <returns>The failed checks, one sentence each; empty when it passes.</returns>
    public static IReadOnlyList<string> Check(SkillFile file, EvolveTarget target, string skill, string proposed)
    {
        var failures = new List<string>();
        var original = Read(file, target, skill);
        if (proposed.Trim().Length == 0)
        {
            return [$"the proposed {Name(target)} is empty"];
        }

        if (proposed.Trim() == original.Trim())
        {
            failures.Add($"the {Name(target)} is unchanged");
        }

        var lines = proposed.Split('\n');
        if (target != EvolveTarget.Package && lines[0].TrimEnd('\r').Trim() == "---")
        {
            failures.Add("the proposal starts with a frontmatter ('---'); only the part below the title is replaced, the frontmatter stays");
        }

        if (target == EvolveTarget.Body && lines.Any(l => Title().IsMatch(l.TrimEnd('\r'))))
        {
            failures.Add("the proposed body adds a '# ' title; the title line stays as it is and the body goes below it");
        }

        var limit = LengthLimit(original);
        if (proposed.Length > limit)
        {
            failures.Add($"the {Name(target)} grows from {original.Length} to {proposed.Length} characters, over the budget of {limit}");
        }

        if (target == EvolveTarget.Routing && TableProblem(proposed.Trim('\r', '\n').Split('\n'), 0) is { } problem)
        {
            failures.Add($"the proposed routing table is not in the expected shape ({RoutingShape}): {problem}");
        }
        else if (target == EvolveTarget.Routing && !Cells(proposed.Trim().Split('\n')[0]).SequenceEqual(Cells(original.Trim().Split('\n')[0]), StringComparer.OrdinalIgnoreCase))
        {
            failures.Add("the proposed routing table changes the header row; keep the columns and change the rows");
        }

        if (failures.Count > 0)
        {
            return failures;
        }

        try
        {
            var edited = Replace(file, target, skill, proposed);
            var text = DescriptionEditor.Decode(edited, file.Path);
            var parsed = DescriptionEditor.Parse(text, file.Path);
            var before = DescriptionEditor.Parse(DescriptionEditor.Decode(file.Bytes, file.Path), file.Path);
            if (parsed.Name != before.Name || (target != EvolveTarget.Package && parsed.Description != before.Description) || !parsed.Events.SequenceEqual(before.Events))
            {
                failures.Add(target == EvolveTarget.Package ? "the frontmatter would change beyond its description" : "the frontmatter would change");
            }

            if (target == EvolveTarget.Package)
            {
                failures.AddRange(PackageProblems(file, skill, edited, parsed.Description));
            }

            var title = Locate(file with { Bytes = edited }, EvolveTarget.Body, skill).Title;
            if (title != Locate(file, EvolveTarget.Body, skill).Title)
            {
                failures.Add("the title would change");
            }

            var lineCount = text.Split('\n').Length;
            if (lineCount > MaxLines)
            {
                failures.Add($"the SKILL.md would have {lineCount} lines; keep it under {MaxLines} (move detail into referenced files)");
            }
        }
        catch (SelftuneException ex)
        {
            failures.Add(ex.Message);
        }

        return failures;
    }

    /// <summary>What a whole-package proposal breaks beyond the frontmatter: a description outside the Agent Skills
    /// limits, or a routing table the original had and the proposal lost or reshaped.</summary>
    private static IEnumerable<string> PackageProblems(SkillFile file, string skill, byte[] edited, string description)
    {
        if (description.Trim().Length == 0 || description.Length > Evolution.DescriptionChecks.MaxLength)
        {
            yield return $"the description must be 1–{Evolution.DescriptionChecks.MaxLength} characters; it is {description.Length}";
        }

        if (description.IndexOfAny(['<', '>']) >= 0)
        {
            yield return "the description contains an angle bracket (< or >)";
        }

        if (HasRouting(file, skill) && !HasRouting(file with { Bytes = edited }, skill))
        {
            yield return $"the proposal drops the '## {RoutingHeading}' table or changes its shape ({RoutingShape})";
        }
    }

    private static bool HasRouting(SkillFile file, string skill)
    {
        try
        {
            Locate(file, EvolveTarget.Routing, skill);
            return true;
        }
        catch (SelftuneException)
        {
            return false;
        }
    }

    /// <summary>The longest a replacement for <paramref name="original"/> may be (characters).</summary>
    public static int LengthLimit(string original) => original.Length + Math.Max(MinGrowthAllowance, (int)(original.Length * GrowthShare));

    /// <summary>The target's name for messages: <c>description</c>, <c>routing table</c> or <c>body</c>.</summary>
    public static string Name(EvolveTarget target) => target switch
    {
        EvolveTarget.Routing => "routing table",
        EvolveTarget.Body => "body",
        EvolveTarget.Package => "package (description, routing table and body)",
        _ => "description",
    };

    /// <summary>The target's value as stored and on the command line: <c>description</c>, <c>routing</c> or <c>body</c>.</summary>
    public static string Value(EvolveTarget target) => target.ToString().ToLowerInvariant();

    /// <summary>The target named <paramref name="value"/>.</summary>
    /// <exception cref="SelftuneException"><see cref="ErrorCodes.InvalidArgument"/> for any other value.</exception>
    public static EvolveTarget Parse(string? value) => value switch
    {
        null or "description" => EvolveTarget.Description,
        "routing" => EvolveTarget.Routing,
        "body" => EvolveTarget.Body,
        "package" => EvolveTarget.Package,
        _ => throw new SelftuneException(ErrorCodes.InvalidArgument, $"Target '{value}' is not one of description, routing, body, package.", "selftune evolve --skill <name> --target body", exitCode: 2),
    };

    /// <summary>Locates <paramref name="target"/> (routing or body) in <paramref name="file"/>.</summary>
    /// <exception cref="SelftuneException">As <see cref="Read"/>.</exception>
    internal static Span Locate(SkillFile file, EvolveTarget target, string skill)
    {
        var text = DescriptionEditor.Decode(file.Bytes, file.Path);
        var newline = text.Contains("\r\n", StringComparison.Ordinal) ? "\r\n" : "\n";
        var lines = Lines(text);
        var close = lines.FindIndex(1, l => l.Text.TrimEnd('\r', ' ', '\t') is "---" or "...");
        if (lines.Count == 0 || lines[0].Text.TrimStart('\uFEFF').TrimEnd('\r', ' ', '\t') != "---" || close < 0)
        {
            throw Refusal(file, 1, "it has no closed YAML frontmatter", "add a '---' frontmatter with name and description at the top", skill, target);
        }

        var fenced = false;
        int title = -1;
        for (var i = close + 1; i < lines.Count && title < 0; i++)
        {
            fenced ^= Fence().IsMatch(lines[i].Text);
            if (!fenced && Title().IsMatch(lines[i].Text.TrimEnd('\r')))
            {
                title = i;
            }
        }

        if (title < 0)
        {
            throw Refusal(file, close + 2, "it has no '# Title' line below the frontmatter, so there is no body to rewrite",
                "add a '# <Title>' line right after the frontmatter", skill, target);
        }

        var titleText = Title().Match(lines[title].Text.TrimEnd('\r')).Groups[1].Value.Trim();
        if (target == EvolveTarget.Package)
        {
            return new Span(text, 0, text.Length, titleText, newline);
        }

        if (target == EvolveTarget.Body)
        {
            var start = title + 1 < lines.Count ? lines[title + 1].Start : text.Length;
            return new Span(text, start, text.Length, titleText, newline);
        }

        fenced = false;
        var heading = -1;
        for (var i = title + 1; i < lines.Count && heading < 0; i++)
        {
            fenced ^= Fence().IsMatch(lines[i].Text);
            if (!fenced && RoutingHeadingLine().IsMatch(lines[i].Text.TrimEnd('\r')))
            {
                heading = i;
            }
        }

        if (heading < 0)
        {
            throw Refusal(file, title + 1, $"it has no '## {RoutingHeading}' section",
                $"evolve the whole body with --target body, or add a '## {RoutingHeading}' section with a table: {RoutingShape}", skill, target, bodyInstead: true);
        }

        var end = lines.FindIndex(heading + 1, l => SectionEnd().IsMatch(l.Text.TrimEnd('\r')));
        end = end < 0 ? lines.Count : end;
        var first = lines.FindIndex(heading + 1, end - heading - 1, l => l.Text.TrimStart().StartsWith('|'));
        if (first < 0)
        {
            throw Refusal(file, heading + 1, $"its '## {RoutingHeading}' section holds no table",
                $"put a table in the shape {RoutingShape} under the heading, or evolve the whole body with --target body", skill, target, bodyInstead: true);
        }

        var last = first;
        while (last + 1 < end && lines[last + 1].Text.TrimStart().StartsWith('|'))
        {
            last++;
        }

        var rows = lines.Skip(first).Take(last - first + 1).Select(l => l.Text.TrimEnd('\r')).ToList();
        if (TableProblem(rows, first + 1) is { } problem)
        {
            throw Refusal(file, first + 1, $"its '## {RoutingHeading}' table is in another shape: {problem}",
                $"rewrite it in the shape {RoutingShape}, or evolve the whole body with --target body", skill, target, bodyInstead: true);
        }

        var tableEnd = last + 1 < lines.Count ? lines[last + 1].Start : text.Length;
        return new Span(text, lines[first].Start, tableEnd, titleText, newline);
    }

    /// <summary>Why <paramref name="rows"/> is not a routing table, or null when it is.</summary>
    private static string? TableProblem(IReadOnlyList<string> rows, int firstLine)
    {
        string At(int i) => firstLine > 0 ? $"line {firstLine + i}" : $"row {i + 1}";
        if (rows.Count < 3)
        {
            return $"a header row, a separator row and at least one route are needed; it has {rows.Count} row(s)";
        }

        var header = Cells(rows[0]);
        if (header.Count < 2)
        {
            return $"{At(0)}: the header has {header.Count} column(s); at least 2 are needed (trigger and workflow)";
        }

        for (var i = 0; i < rows.Count; i++)
        {
            var row = rows[i].Trim();
            if (!row.StartsWith('|') || !row.EndsWith('|'))
            {
                return $"{At(i)}: a row must start and end with '|'";
            }

            var cells = Cells(rows[i]);
            if (cells.Count != header.Count)
            {
                return $"{At(i)}: {cells.Count} cell(s), but the header has {header.Count}";
            }

            if (i == 1 && !cells.All(c => SeparatorCell().IsMatch(c)))
            {
                return $"{At(i)}: the second row must be the separator ('|---|---|')";
            }
        }

        return null;
    }

    private static List<string> Cells(string row)
    {
        var t = row.Trim();
        if (t.StartsWith('|'))
        {
            t = t[1..];
        }

        if (t.EndsWith('|'))
        {
            t = t[..^1];
        }

        return t.Split('|').Select(c => c.Trim()).ToList();
    }

    private static SelftuneException Refusal(SkillFile file, int line, string reason, string fix, string skill, EvolveTarget target, bool bodyInstead = false) =>
        new(ErrorCodes.SkillInvalid, $"{file.Path}:{line}: cannot evolve the {Name(target)} of this SKILL.md: {reason}. Fix: {fix}.",
            bodyInstead
                ? ShellCommand.Line($"selftune evolve --skill {skill:skill} --target body")
                : $"$EDITOR '{file.Path}'");

    private static List<(int Start, string Text)> Lines(string text)
    {
        var lines = new List<(int, string)>();
        var start = 0;
        while (start < text.Length)
        {
            var nl = text.IndexOf('\n', start);
            var end = nl < 0 ? text.Length : nl + 1;
            lines.Add((start, text[start..(nl < 0 ? text.Length : nl)]));
            start = end;
        }

        return lines;
    }

    [GeneratedRegex(@"^#[ \t]+(\S.*)$")]
    private static partial Regex Title();

    [GeneratedRegex(@"^\s*(```|~~~)")]
    private static partial Regex Fence();

    [GeneratedRegex(@"^##[ \t]+Workflow Routing[ \t]*#*[ \t]*$", RegexOptions.IgnoreCase)]
    private static partial Regex RoutingHeadingLine();

    [GeneratedRegex(@"^#{1,2}[ \t]")]
    private static partial Regex SectionEnd();

    [GeneratedRegex(@"^:?-{3,}:?$")]
    private static partial Regex SeparatorCell();
}
