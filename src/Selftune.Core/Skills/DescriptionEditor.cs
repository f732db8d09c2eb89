using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Selftune.Core.Skills;

/// <summary>A SKILL.md as read from disk: its exact bytes, their hash, and the frontmatter fields evolution uses.</summary>
/// <param name="Path">Absolute path of the SKILL.md.</param>
/// <param name="Bytes">The file's bytes, exactly as on disk.</param>
/// <param name="Sha256">Lower-case hex SHA-256 of <paramref name="Bytes"/>.</param>
/// <param name="Name">The frontmatter <c>name</c>, or null when absent.</param>
/// <param name="Description">The frontmatter <c>description</c> value, as YAML reads it.</param>
internal sealed record SkillFile(string Path, byte[] Bytes, string Sha256, string? Name, string Description)
{
    /// <summary>Reads and parses a SKILL.md.</summary>
    /// <param name="path">The file.</param>
    /// <exception cref="SelftuneException"><see cref="ErrorCodes.FileNotFound"/> when it does not exist;
    /// <see cref="ErrorCodes.UnsafeEdit"/> when it has no frontmatter, invalid YAML or no string description.</exception>
    public static SkillFile Load(string path)
    {
        var full = System.IO.Path.GetFullPath(path);
        if (!File.Exists(full))
        {
            throw new SelftuneException(ErrorCodes.FileNotFound, $"There is no SKILL.md at '{full}'.", "selftune evolve --skill <name> --skill-path <folder or SKILL.md>");
        }

        return Parse(full, File.ReadAllBytes(full));
    }

    /// <summary>The SKILL.md a located <paramref name="document"/> was read from, from the same read (its
    /// <see cref="SkillDocument.Bytes"/>); a document parsed from text is read from disk.</summary>
    /// <exception cref="SelftuneException">As <see cref="Load"/>.</exception>
    public static SkillFile Of(SkillDocument document)
    {
        ArgumentNullException.ThrowIfNull(document);
        return document.Bytes is { } bytes ? Parse(System.IO.Path.GetFullPath(document.Path), bytes) : Load(document.Path);
    }

    /// <summary>Parses <paramref name="bytes"/> as the SKILL.md at <paramref name="path"/> (a staged version, not read from disk).</summary>
    /// <exception cref="SelftuneException"><see cref="ErrorCodes.UnsafeEdit"/> when it is not UTF-8, has no frontmatter,
    /// invalid YAML or no string description.</exception>
    public static SkillFile Parse(string path, byte[] bytes)
    {
        var parsed = DescriptionEditor.Parse(DescriptionEditor.Decode(bytes, path), path);
        return new SkillFile(path, bytes, DescriptionEditor.Hash(bytes), parsed.Name, parsed.Description);
    }
}

/// <summary>
/// Replaces the frontmatter <c>description</c> of a SKILL.md and nothing else: every byte before and after the
/// description's value (other keys, comments, line endings, the body) stays identical. Reads plain, single- and
/// double-quoted, folded (<c>&gt;</c>) and literal (<c>|</c>) values; writes the new value as a plain scalar when that
/// is unambiguous, as a folded block (<c>&gt;-</c>) when the original was a block and the text folds losslessly, and
/// double-quoted otherwise; then re-parses the result and refuses to return it unless the description reads back
/// exactly and every other YAML event is unchanged. Frontmatter follows the Agent Skills specification: a
/// <c>---</c> line at the very top (after an optional BOM), closed by a <c>---</c> or <c>...</c> line.
/// </summary>
internal static class DescriptionEditor
{
    private const int FoldWidth = 80;
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>The frontmatter fields read from a SKILL.md, with where the description's value sits in the text.</summary>
    /// <param name="Name">The <c>name</c>, when present.</param>
    /// <param name="Description">The description as YAML reads it.</param>
    /// <param name="ValueStart">Index (in chars) of the value's first character.</param>
    /// <param name="ValueEnd">Index just after the value's last non-blank character.</param>
    /// <param name="Block">True when the value is a folded or literal block.</param>
    /// <param name="Events">Every YAML event of the frontmatter except the description's value, for comparison.</param>
    internal sealed record ParsedFrontmatter(string? Name, string Description, int ValueStart, int ValueEnd, bool Block, IReadOnlyList<string> Events);

    /// <summary>Lower-case hex SHA-256 of <paramref name="bytes"/>.</summary>
    public static string Hash(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    /// <summary>Returns the bytes of <paramref name="file"/> with its description replaced by <paramref name="newDescription"/>.</summary>
    /// <param name="file">The SKILL.md as it was read when the proposal was validated.</param>
    /// <param name="newDescription">The new description text.</param>
    /// <exception cref="SelftuneException"><see cref="ErrorCodes.UnsafeEdit"/> when the file cannot be edited safely.</exception>
    public static byte[] Replace(SkillFile file, string newDescription)
    {
        var text = Decode(file.Bytes, file.Path);
        var parsed = Parse(text, file.Path);
        var newline = text.Contains("\r\n", StringComparison.Ordinal) ? "\r\n" : "\n";
        foreach (var candidate in Renderings(newDescription, parsed.Block, newline))
        {
            var result = string.Concat(text.AsSpan(0, parsed.ValueStart), candidate, text.AsSpan(parsed.ValueEnd));
            ParsedFrontmatter reread;
            try
            {
                reread = Parse(result, file.Path);
            }
            catch (SelftuneException)
            {
                continue;
            }

            if (reread.Description == newDescription && reread.Events.SequenceEqual(parsed.Events))
            {
                return StrictUtf8.GetBytes(result);
            }
        }

        throw new SelftuneException(ErrorCodes.UnsafeEdit, $"The new description for '{file.Path}' cannot be written as YAML that reads back exactly; nothing was written.");
    }

    /// <summary>Loads the SKILL.md at <paramref name="path"/>, checks it still holds exactly the bytes a proposal was
    /// validated against, and returns it with <paramref name="target"/> replaced by <paramref name="content"/>. Nothing is written.</summary>
    /// <param name="path">The SKILL.md.</param>
    /// <param name="expectedSha256">The hash recorded when the proposal was validated.</param>
    /// <param name="content">The new description, routing table or body.</param>
    /// <param name="target">Which part it replaces.</param>
    /// <param name="skill">The skill's name (for the next command of an error); null: the frontmatter's.</param>
    /// <returns>The file as read now, and its new bytes.</returns>
    /// <exception cref="SelftuneException"><see cref="ErrorCodes.FileNotFound"/>; <see cref="ErrorCodes.UnsafeEdit"/> when the
    /// file changed since validation, has no frontmatter or has invalid YAML; <see cref="ErrorCodes.SkillInvalid"/> when
    /// the target part is gone.</exception>
    public static (SkillFile Current, byte[] NewBytes) Plan(string path, string expectedSha256, string content, EvolveTarget target = EvolveTarget.Description, string? skill = null)
    {
        var current = SkillFile.Load(path);
        if (!string.Equals(current.Sha256, expectedSha256, StringComparison.OrdinalIgnoreCase))
        {
            throw new SelftuneException(
                ErrorCodes.UnsafeEdit,
                $"'{current.Path}' changed on disk since the proposal was validated (sha256 {Short(expectedSha256)} then, {Short(current.Sha256)} now); nothing was written. Evolve again so the proposal is validated against the current file.",
                current.Name is { } skillName ? ShellCommand.Line($"selftune evolve --skill {skillName:skill} --skill-path {current.Path}") : null);
        }

        return (current, target == EvolveTarget.Description ? Replace(current, content) : SkillSections.Replace(current, target, skill ?? current.Name ?? string.Empty, content));
    }

    /// <summary>Decodes UTF-8 strictly, keeping a BOM as a character so re-encoding yields the same bytes.</summary>
    internal static string Decode(byte[] bytes, string path)
    {
        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException ex)
        {
            throw new SelftuneException(ErrorCodes.UnsafeEdit, $"'{path}' is not valid UTF-8 (byte {ex.Index}); nothing was written.", inner: ex);
        }
    }

    /// <summary>Finds the frontmatter, parses it and locates the description's value.</summary>
    internal static ParsedFrontmatter Parse(string text, string path)
    {
        var start = text.StartsWith('\uFEFF') ? 1 : 0;
        var firstEnd = LineEnd(text, start);
        if (text.AsSpan(start, firstEnd - start).TrimEnd() is not "---")
        {
            throw new SelftuneException(ErrorCodes.UnsafeEdit, $"'{path}' has no YAML frontmatter (line 1 must be '---'); nothing was written. Add a frontmatter with name and description.");
        }

        var bodyStart = NextLine(text, firstEnd);
        var end = -1;
        for (var i = bodyStart; i < text.Length; i = NextLine(text, LineEnd(text, i)))
        {
            var line = text.AsSpan(i, LineEnd(text, i) - i).TrimEnd();
            if (line is "---" or "...")
            {
                end = i;
                break;
            }
        }

        if (end < 0)
        {
            throw new SelftuneException(ErrorCodes.UnsafeEdit, $"'{path}' opens a YAML frontmatter on line 1 but never closes it with '---'; nothing was written.");
        }

        var yaml = text[bodyStart..end];
        var events = new List<string>();
        string? name = null;
        Scalar? description = null;
        var all = new List<ParsingEvent>();
        try
        {
            var parser = new Parser(new StringReader(yaml));
            while (parser.MoveNext())
            {
                all.Add(parser.Current!);
            }
        }
        catch (YamlException ex)
        {
            var line = ex.Start.Line + LineOf(text, bodyStart) - 1;
            throw new SelftuneException(ErrorCodes.UnsafeEdit, $"'{path}' line {line.ToString(CultureInfo.InvariantCulture)}: the frontmatter is not valid YAML ({ex.Message}); nothing was written. Fix the frontmatter first.", inner: ex);
        }
        catch (InvalidOperationException ex)
        {
            throw new SelftuneException(ErrorCodes.UnsafeEdit, $"'{path}': the frontmatter is not valid YAML ({ex.Message}); nothing was written. Fix the frontmatter first.", inner: ex);
        }

        var depth = 0;
        var atKey = true;
        var nestedIsKey = false;
        string? key = null;
        foreach (var e in all)
        {
            var opens = e is MappingStart or SequenceStart;
            if (depth == 0)
            {
                if (e is Scalar or SequenceStart or AnchorAlias)
                {
                    throw new SelftuneException(ErrorCodes.UnsafeEdit, $"'{path}': the frontmatter must be a YAML mapping (name: …, description: …); nothing was written.");
                }

                events.Add(Describe(e));
                depth += e is MappingStart ? 1 : 0;
                continue;
            }

            if (depth == 1 && e is MappingEnd)
            {
                events.Add(Describe(e));
                depth = 0;
                continue;
            }

            if (depth > 1)
            {
                events.Add(Describe(e));
                depth += opens ? 1 : e is MappingEnd or SequenceEnd ? -1 : 0;
                if (depth == 1)
                {
                    atKey = !nestedIsKey;
                }

                continue;
            }

            // depth 1: alternating keys and values of the top-level mapping
            if (atKey)
            {
                events.Add(Describe(e));
                key = (e as Scalar)?.Value;
                atKey = false;
                nestedIsKey = opens;
                depth += opens ? 1 : 0;
                continue;
            }

            if (key == "description")
            {
                if (description is not null || e is not Scalar s)
                {
                    throw new SelftuneException(ErrorCodes.UnsafeEdit, $"'{path}': the frontmatter 'description' must be given once, as a single text value; nothing was written.");
                }

                description = s;
                events.Add("description-value");
            }
            else
            {
                events.Add(Describe(e));
                if (key == "name" && e is Scalar n)
                {
                    name = n.Value;
                }
            }

            atKey = true;
            nestedIsKey = false;
            depth += opens ? 1 : 0;
        }

        if (description is null)
        {
            throw new SelftuneException(ErrorCodes.UnsafeEdit, $"'{path}': the frontmatter has no 'description'; nothing was written. Add one (the Agent Skills specification requires it).");
        }

        var valueStart = bodyStart + (int)description.Start.Index;
        var valueEnd = bodyStart + (int)description.End.Index;
        while (valueEnd > valueStart && char.IsWhiteSpace(text[valueEnd - 1]))
        {
            valueEnd--;
        }

        var block = description.Style is ScalarStyle.Folded or ScalarStyle.Literal;
        return new ParsedFrontmatter(name, description.Value, valueStart, valueEnd, block, events);
    }

    /// <summary>The ways to write <paramref name="value"/>, best first: plain or folded block, then double-quoted.</summary>
    private static IEnumerable<string> Renderings(string value, bool block, string newline)
    {
        if (block && FoldsLosslessly(value))
        {
            yield return Folded(value, newline);
        }
        else if (IsPlainSafe(value))
        {
            yield return value;
        }

        yield return DoubleQuoted(value);
    }

    private static bool FoldsLosslessly(string value) =>
        value.Length > 0 && !char.IsWhiteSpace(value[0]) && !char.IsWhiteSpace(value[^1])
        && !value.Contains("  ", StringComparison.Ordinal) && value.All(c => c == ' ' || !char.IsControl(c) && !char.IsWhiteSpace(c));

    private static string Folded(string value, string newline)
    {
        var builder = new StringBuilder(">-");
        var line = new StringBuilder();
        foreach (var word in value.Split(' '))
        {
            if (line.Length > 0 && line.Length + 1 + word.Length > FoldWidth - 2)
            {
                builder.Append(newline).Append("  ").Append(line);
                line.Clear();
            }

            if (line.Length > 0)
            {
                line.Append(' ');
            }

            line.Append(word);
        }

        builder.Append(newline).Append("  ").Append(line);
        return builder.ToString();
    }

    /// <summary>Conservative: letters, digits, spaces and punctuation that never start an indicator or comment,
    /// not a YAML 1.1 boolean/null/number, one line.</summary>
    private static bool IsPlainSafe(string value)
    {
        if (value.Length == 0 || char.IsWhiteSpace(value[0]) || char.IsWhiteSpace(value[^1]) || "-?:,[]{}#&*!|>'\"%@`".Contains(value[0], StringComparison.Ordinal))
        {
            return false;
        }

        if (value.Contains(": ", StringComparison.Ordinal) || value.EndsWith(':') || value.Contains(" #", StringComparison.Ordinal)
            || value.Any(c => char.IsControl(c) || c == '\u2028' || c == '\u2029' || c == '\uFEFF'))
        {
            return false;
        }

        var lower = value.ToLowerInvariant();
        if (lower is "y" or "n" or "yes" or "no" or "true" or "false" or "on" or "off" or "null" or "~")
        {
            return false;
        }

        return !double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out _);
    }

    private static string DoubleQuoted(string value)
    {
        var builder = new StringBuilder("\"");
        foreach (var c in value)
        {
            switch (c)
            {
                case '"': builder.Append("\\\""); break;
                case '\\': builder.Append("\\\\"); break;
                case '\n': builder.Append("\\n"); break;
                case '\r': builder.Append("\\r"); break;
                case '\t': builder.Append("\\t"); break;
                default:
                    if (char.IsControl(c) || c is '\u2028' or '\u2029' or '\uFEFF' or '\u0085')
                    {
                        builder.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        builder.Append(c);
                    }

                    break;
            }
        }

        return builder.Append('"').ToString();
    }

    private static string Describe(ParsingEvent e) => e switch
    {
        Scalar s => $"scalar:{s.Style}:{s.Tag}:{s.Anchor}:{s.Value}",
        MappingStart m => $"map:{m.Style}:{m.Tag}:{m.Anchor}",
        SequenceStart q => $"seq:{q.Style}:{q.Tag}:{q.Anchor}",
        AnchorAlias a => $"alias:{a.Value}",
        _ => e.GetType().Name,
    };

    private static int LineEnd(string text, int from)
    {
        var i = text.IndexOf('\n', from);
        return i < 0 ? text.Length : (i > from && text[i - 1] == '\r' ? i - 1 : i);
    }

    private static int NextLine(string text, int lineEnd) =>
        lineEnd >= text.Length ? text.Length : lineEnd + (text[lineEnd] == '\r' ? 2 : 1);

    private static int LineOf(string text, int index)
    {
        var line = 1;
        for (var i = 0; i < index && i < text.Length; i++)
        {
            line += text[i] == '\n' ? 1 : 0;
        }

        return line;
    }

    private static string Short(string sha) => sha.Length > 12 ? sha[..12] : sha;
}
