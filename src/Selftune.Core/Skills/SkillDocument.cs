using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Selftune.Core.Skills;

/// <summary>A SKILL.md that cannot be read as a skill: no frontmatter, an unclosed one, or YAML that does not parse.</summary>
internal sealed class SkillDocumentException : SelftuneException
{
    /// <summary>Creates the error.</summary>
    /// <param name="path">The SKILL.md.</param>
    /// <param name="line">1-based line of the problem.</param>
    /// <param name="problem">What is wrong there.</param>
    /// <param name="inner">The YAML parser's error, if any.</param>
    public SkillDocumentException(string path, int line, string problem, Exception? inner = null)
        : base(ErrorCodes.SkillInvalid, $"{path}:{line}: {problem}", $"$EDITOR '{path}'", inner: inner)
    {
        Path = path;
        Line = line;
    }

    /// <summary>The SKILL.md.</summary>
    public string Path { get; }

    /// <summary>1-based line of the problem.</summary>
    public int Line { get; }
}

/// <summary>
/// A parsed SKILL.md (Agent Skills format, agentskills.io/specification): YAML frontmatter between <c>---</c> lines at
/// the very top, then a markdown body. Reading is lenient where the spec's reference loaders are (a missing
/// description, a name that breaks the naming rule or differs from the folder, unknown keys: each is a
/// <see cref="Warnings"/> entry) and strict where nothing can be trusted (no frontmatter, unclosed frontmatter,
/// invalid YAML, a frontmatter that is not a mapping: <see cref="SkillDocumentException"/> with file and line).
/// Reading only; the evolution code edits descriptions byte-preservingly with its own editor.
/// </summary>
internal sealed partial class SkillDocument
{
    /// <summary>Longest name the spec allows.</summary>
    public const int MaxNameLength = SkillNames.MaxLength;

    /// <summary>Longest description the spec allows.</summary>
    public const int MaxDescriptionLength = 1024;

    /// <summary>Keys of the Agent Skills spec and Claude Code's documented extensions.</summary>
    public static readonly IReadOnlySet<string> KnownKeys = new HashSet<string>(StringComparer.Ordinal)
    {
        "name", "description", "license", "compatibility", "metadata", "allowed-tools",
        "when_to_use", "argument-hint", "arguments", "disable-model-invocation", "user-invocable", "disallowed-tools",
        "model", "effort", "context", "agent", "paths", "shell", "hooks",
    };

    private SkillDocument(string path, string name, string? description, IReadOnlyDictionary<string, object?> frontmatter, string body, int bodyLine, IReadOnlyList<string> warnings)
    {
        Path = path;
        Name = name;
        Description = description;
        Frontmatter = frontmatter;
        Body = body;
        BodyLine = bodyLine;
        Warnings = warnings;
    }

    /// <summary>The SKILL.md path.</summary>
    public string Path { get; }

    /// <summary>The frontmatter <c>name</c>, or the folder's name when it has none.</summary>
    public string Name { get; }

    /// <summary>The frontmatter <c>description</c> as YAML gives it (block scalars keep their newlines); null when missing.</summary>
    public string? Description { get; }

    /// <summary>The description on one line: runs of whitespace collapsed to one space, trimmed.</summary>
    public string? DescriptionOneLine => Description is null ? null : Whitespace().Replace(Description, " ").Trim();

    /// <summary>Every frontmatter key with its value: strings for scalars, lists and string-keyed dictionaries for
    /// sequences and mappings, null for empty values.</summary>
    public IReadOnlyDictionary<string, object?> Frontmatter { get; }

    /// <summary>The markdown after the frontmatter.</summary>
    public string Body { get; }

    /// <summary>1-based line where <see cref="Body"/> starts.</summary>
    public int BodyLine { get; }

    /// <summary>Deviations from the spec that do not stop the skill from being used, for a person.</summary>
    public IReadOnlyList<string> Warnings { get; }

    /// <summary>The file's bytes exactly as <see cref="Load"/> read them (for <see cref="SkillFile.Of"/>: the hash and the
    /// byte-preserving editor work on the same read); null for a document parsed from text.</summary>
    public byte[]? Bytes { get; private set; }

    /// <summary>Reads and parses a SKILL.md (decoded as <see cref="File.ReadAllText(string)"/> does: UTF-8, or the encoding
    /// its byte order mark names).</summary>
    /// <exception cref="SkillDocumentException">The frontmatter is missing or invalid.</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static SkillDocument Load(string path)
    {
        var bytes = File.ReadAllBytes(path);
        using var reader = new StreamReader(new MemoryStream(bytes), System.Text.Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        var document = Parse(path, reader.ReadToEnd());
        document.Bytes = bytes;
        return document;
    }

    /// <summary>Parses the text of a SKILL.md.</summary>
    /// <param name="path">Where it is (for messages, and the folder name the skill's name should match).</param>
    /// <param name="text">Its text.</param>
    /// <exception cref="SkillDocumentException">The frontmatter is missing or invalid.</exception>
    public static SkillDocument Parse(string path, string text)
    {
        var lines = text.TrimStart('\uFEFF').Split('\n');
        if (lines.Length == 0 || lines[0].TrimEnd('\r', ' ', '\t') != "---")
        {
            throw new SkillDocumentException(path, 1, "no YAML frontmatter: a SKILL.md starts with a '---' line, then 'name:' and 'description:', then a closing '---' line.");
        }

        var close = Array.FindIndex(lines, 1, l => l.TrimEnd('\r', ' ', '\t') is "---" or "...");
        if (close < 0)
        {
            throw new SkillDocumentException(path, 1, "the frontmatter opened here is never closed: add a '---' line after its last key.");
        }

        var yaml = string.Join('\n', lines[1..close]) + '\n';
        YamlMappingNode mapping;
        try
        {
            var stream = new YamlStream();
            stream.Load(new StringReader(yaml));
            if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is YamlScalarNode { Value: null or "" })
            {
                mapping = new YamlMappingNode();
            }
            else if (stream.Documents[0].RootNode is YamlMappingNode m)
            {
                mapping = m;
            }
            else
            {
                throw new SkillDocumentException(path, 2, "the frontmatter is not a list of 'key: value' lines.");
            }
        }
        catch (YamlException ex)
        {
            var line = 1 + (int)Math.Max(1, ex.Start.Line);
            throw new SkillDocumentException(path, line, $"invalid YAML in the frontmatter: {ex.Message} (quote values that contain ': ', '[', '{{' or '#').", ex);
        }

        var frontmatter = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var (key, value) in mapping.Children)
        {
            if (key is YamlScalarNode { Value: { } name })
            {
                frontmatter[name] = Convert(value);
            }
        }

        var warnings = new List<string>();
        var folder = System.IO.Path.GetFileName(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))) ?? string.Empty;
        var skillName = frontmatter.GetValueOrDefault("name") as string;
        if (string.IsNullOrWhiteSpace(skillName))
        {
            warnings.Add($"no 'name': the folder name '{folder}' is used.");
            skillName = folder;
        }
        else
        {
            if (skillName != folder)
            {
                warnings.Add($"name '{skillName}' differs from its folder '{folder}'.");
            }

            if (skillName.Length > MaxNameLength)
            {
                warnings.Add($"name is {skillName.Length} characters; the limit is {MaxNameLength}.");
            }

            if (!SkillNames.FollowsNamingRule(skillName))
            {
                warnings.Add($"name '{skillName}' breaks the naming rule (lower-case letters, digits and single hyphens).");
            }
        }

        var description = frontmatter.GetValueOrDefault("description") as string;
        if (string.IsNullOrWhiteSpace(description))
        {
            warnings.Add("no 'description': agents cannot know when to use this skill.");
            description = null;
        }
        else if (description.Length > MaxDescriptionLength)
        {
            warnings.Add($"description is {description.Length} characters; the limit is {MaxDescriptionLength}.");
        }

        foreach (var key in frontmatter.Keys.Where(k => !KnownKeys.Contains(k)))
        {
            warnings.Add($"unknown frontmatter key '{key}'.");
        }

        var body = string.Join('\n', lines[(close + 1)..]);
        return new SkillDocument(path, skillName.Trim(), description, frontmatter, body, close + 2, warnings);
    }

    private static object? Convert(YamlNode node) => node switch
    {
        YamlScalarNode scalar => string.IsNullOrEmpty(scalar.Value) && scalar.Style == ScalarStyle.Plain ? null : scalar.Value,
        YamlSequenceNode sequence => sequence.Children.Select(Convert).ToList(),
        YamlMappingNode map => map.Children
            .Where(c => c.Key is YamlScalarNode { Value: not null })
            .ToDictionary(c => ((YamlScalarNode)c.Key).Value!, c => Convert(c.Value), StringComparer.Ordinal),
        _ => null,
    };

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();
}
