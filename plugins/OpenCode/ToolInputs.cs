using System.Text.Json;
using Selftune.Plugin.Shared;
using Selftune.Plugin.OpenCode.Storage;

namespace Selftune.Plugin.OpenCode;

/// <summary>What selftune reads from an OpenCode tool call's input (the same shape in stored parts, hook payloads
/// and <c>opencode run --format json</c> events): OpenCode's <c>read</c> tool takes <c>filePath</c>, its <c>skill</c>
/// tool <c>name</c>, <c>bash</c> <c>command</c>.</summary>
internal static class ToolInputs
{
    private static readonly string[] DetailFields = ["command", "filePath", "file_path", "path", "pattern", "url", "name", "description", "query"];

    /// <summary>The file a read-like call names.</summary>
    public static string? FilePath(JsonElement input) =>
        JsonFields.Text(input, "filePath") ?? JsonFields.Text(input, "file_path") ?? JsonFields.Text(input, "path");

    /// <summary>A short description of the input: the first of command (first line), file path, pattern, URL, name.</summary>
    public static string? Detail(JsonElement input)
    {
        foreach (var field in DetailFields)
        {
            if (JsonFields.Text(input, field) is { Length: > 0 } value)
            {
                var line = value.AsSpan().Trim();
                var end = line.IndexOfAny('\r', '\n');
                line = end >= 0 ? line[..end] : line;
                return line.ToString(); // uncut: the store redacts it, then shortens it
            }
        }

        return null;
    }

    /// <summary>The skill whose <c>SKILL.md</c> <paramref name="path"/> is (its folder's name), or null when the path is
    /// not a SKILL.md. Both separators are accepted: a log may come from another OS.</summary>
    public static string? SkillOfSkillFile(string? path)
    {
        if (string.IsNullOrEmpty(path))
        {
            return null;
        }

        var parts = path.Split(['/', '\\'], StringSplitOptions.RemoveEmptyEntries);
        return parts.Length >= 2 && parts[^1].Equals("SKILL.md", StringComparison.OrdinalIgnoreCase) ? parts[^2] : null;
    }
}
