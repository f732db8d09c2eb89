using System.Text.Json;
using Selftune.Plugin.Shared;
using Selftune.Plugin.Codex.Skills;

namespace Selftune.Plugin.Codex.Rollout;

/// <summary>What selftune needs from a tool call's input: a short detail and the SKILL.md files it reads.</summary>
internal sealed record ToolInput(string? Detail, IReadOnlyList<SkillRead> SkillReads)
{
    /// <summary>Reads a tool call's input. <paramref name="input"/> is the <c>arguments</c> of a <c>function_call</c>
    /// (a JSON string, or an object), the <c>input</c> of a <c>custom_tool_call</c> (freeform text such as a patch, or
    /// JSON), or the <c>action</c> of a <c>local_shell_call</c>. Known argument shapes: <c>shell</c>
    /// <c>{command:[argv], workdir}</c>, <c>shell_command</c> <c>{command:"…", workdir}</c>, <c>exec_command</c>
    /// <c>{cmd:"…", workdir}</c>, <c>local_shell_call.action</c> <c>{command:[argv], working_directory}</c>, and tools
    /// taking a <c>path</c>/<c>file_path</c>.</summary>
    /// <param name="toolName">The tool's name.</param>
    /// <param name="input">The raw input.</param>
    /// <param name="workdir">The working directory to resolve relative paths against when the input names none.</param>
    public static ToolInput Read(string toolName, JsonElement input, string? workdir)
    {
        if (input.ValueKind == JsonValueKind.String)
        {
            var text = input.GetString() ?? string.Empty;
            if (text.TrimStart().StartsWith('{'))
            {
                try
                {
                    using var document = JsonDocument.Parse(text);
                    return FromObject(toolName, document.RootElement, workdir);
                }
                catch (JsonException)
                {
                }
            }

            return new ToolInput(FreeformDetail(text), []);
        }

        return input.ValueKind == JsonValueKind.Object ? FromObject(toolName, input, workdir) : new ToolInput(null, []);
    }

    private static ToolInput FromObject(string toolName, JsonElement args, string? workdir)
    {
        var dir = JsonFields.Text(args, "workdir") ?? JsonFields.Text(args, "working_directory") ?? JsonFields.Text(args, "cwd") ?? workdir;
        List<string>? argv = null;
        if (args.TryGetProperty("command", out var command) || args.TryGetProperty("cmd", out command))
        {
            argv = command.ValueKind switch
            {
                JsonValueKind.Array => [.. command.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.String).Select(e => e.GetString()!)],
                JsonValueKind.String => [command.GetString()!],
                _ => null,
            };
        }

        if (argv is { Count: > 0 })
        {
            var shown = argv.Count >= 3 && argv[1] is "-lc" or "-c" ? argv[2] : string.Join(' ', argv);
            return new ToolInput(Shorten(shown), [.. SkillReadDetector.Find(argv, dir)]);
        }

        var path = JsonFields.Text(args, "path") ?? JsonFields.Text(args, "file_path");
        if (path is not null)
        {
            var read = toolName.Contains("read", StringComparison.OrdinalIgnoreCase) || toolName.Contains("view", StringComparison.OrdinalIgnoreCase)
                ? SkillReadDetector.FromPath(path, dir)
                : null;
            return new ToolInput(Shorten(path), read is { } r ? [r] : []);
        }

        if ((JsonFields.Text(args, "query") ?? JsonFields.Text(args, "url") ?? JsonFields.Text(args, "pattern")) is { } query)
        {
            return new ToolInput(Shorten(query), []);
        }

        var first = args.EnumerateObject().FirstOrDefault(p => p.Value.ValueKind == JsonValueKind.String).Value;
        return new ToolInput(first.ValueKind == JsonValueKind.String ? Shorten(first.GetString()) : null, []);
    }

    /// <summary>A patch's first file header (<c>*** Update File: x</c>), else the text's first non-empty line.</summary>
    private static string? FreeformDetail(string text)
    {
        string? firstLine = null;
        foreach (var line in text.AsSpan().EnumerateLines())
        {
            var trimmed = line.Trim();
            if (trimmed.IsEmpty || trimmed.SequenceEqual("*** Begin Patch"))
            {
                continue;
            }

            if (trimmed.StartsWith("*** ") && trimmed.Contains(" File: ", StringComparison.Ordinal))
            {
                return Shorten(trimmed[4..].ToString());
            }

            firstLine ??= trimmed.ToString();
        }

        return Shorten(firstLine);
    }

    /// <summary>The first line of <paramref name="text"/> (uncut: the store redacts it, then shortens it).</summary>
    public static string? Shorten(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        var span = text.AsSpan().Trim();
        var newline = span.IndexOfAny('\r', '\n');
        if (newline >= 0)
        {
            span = span[..newline];
        }

        return span.ToString();
    }
}

/// <summary>
/// Decides whether a tool's output reports a failure. Codex has no <c>is_error</c> flag; the output text says it:
/// 0.45 wraps it as a JSON string <c>{"output":…,"metadata":{"exit_code":N}}</c>; 0.66+ writes
/// <c>Exit code: N</c> (or <c>Process exited with code N</c> for <c>exec_command</c>); sandbox and patch failures are
/// prefixed <c>failed in sandbox</c>, <c>execution error</c>, <c>apply_patch verification failed</c>, or
/// <c>aborted</c>; long outputs may start with <c>Total output lines: N</c>. Newest outputs are content arrays
/// whose text is read the same way. Source: the corpus rollouts (corpus/codex/FORMAT.md). Outputs can be large, so
/// the check reads the string's raw JSON bytes (escapes intact) and never decodes or re-parses the whole text.
/// </summary>
internal static class ToolOutputs
{
    private static readonly byte[][] FailurePrefixes =
    [
        "failed in sandbox"u8.ToArray(), "execution error"u8.ToArray(), "apply_patch verification failed"u8.ToArray(),
        "aborted"u8.ToArray(), "sandbox error"u8.ToArray(),
    ];

    /// <summary>True when <paramref name="output"/> reports a failure.</summary>
    public static bool IsError(JsonElement output) => output.ValueKind switch
    {
        JsonValueKind.String => IsErrorText(System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(output)),
        JsonValueKind.Object => (output.TryGetProperty("success", out var success) && success.ValueKind == JsonValueKind.False)
            || (output.TryGetProperty("text", out var text) && text.ValueKind == JsonValueKind.String && IsError(text)),
        JsonValueKind.Array => output.EnumerateArray().Any(IsError),
        _ => false,
    };

    /// <summary>Checks a JSON string's raw bytes (with its quotes; <c>\n</c> and <c>\"</c> still escaped).</summary>
    private static bool IsErrorText(ReadOnlySpan<byte> raw)
    {
        var text = raw.Length >= 2 ? raw[1..^1] : raw;
        while (text.StartsWith(" "u8) || text.StartsWith("\\n"u8) || text.StartsWith("\\r"u8) || text.StartsWith("\\t"u8))
        {
            text = text[(text[0] == (byte)' ' ? 1 : 2)..];
        }

        if (text.StartsWith("Total output lines:"u8))
        {
            var blank = text.IndexOf("\\n\\n"u8);
            text = blank >= 0 ? text[(blank + 4)..] : [];
        }

        if (text.StartsWith("{"u8))
        {
            var exit = text.LastIndexOf("\\\"exit_code\\\":"u8);
            return exit >= 0 && ExitCode(text[(exit + 14)..]) is { } code && code != 0;
        }

        foreach (var prefix in FailurePrefixes)
        {
            if (text.StartsWith(prefix))
            {
                return true;
            }
        }

        if (text.StartsWith("Exit code:"u8))
        {
            return ExitCode(text[10..]) is { } code && code != 0;
        }

        var head = text[..Math.Min(text.Length, 1024)];
        var exited = head.IndexOf("Process exited with code"u8);
        return exited >= 0 && ExitCode(head[(exited + 24)..]) is { } exitCode && exitCode != 0;
    }

    private static int? ExitCode(ReadOnlySpan<byte> text)
    {
        text = text.TrimStart(" "u8);
        var length = 0;
        while (length < text.Length && length < 11 && (char.IsAsciiDigit((char)text[length]) || (length == 0 && text[0] == (byte)'-')))
        {
            length++;
        }

        return System.Buffers.Text.Utf8Parser.TryParse(text[..length], out int code, out _) ? code : null;
    }
}

/// <summary>
/// The lines an <c>apply_patch</c> call's patch adds and removes. Its <c>input</c> is Codex's patch format
/// (<c>*** Begin Patch</c>, <c>*** Add File: …</c> / <c>*** Update File: …</c> / <c>*** Delete File: …</c>, <c>@@</c>
/// hunks of <c>+</c>, <c>-</c> and context lines, <c>*** End Patch</c>; corpus/codex/FORMAT.md): the <c>+</c> and <c>-</c>
/// lines are counted (<see cref="ChangedLines"/>; a deleted file's lines are not in the patch, so they are not).
/// </summary>
internal static class PatchLines
{
    /// <summary>The patch's added and removed lines; null when <paramref name="patch"/> is no patch.</summary>
    public static (int Added, int Removed)? Count(string patch) =>
        patch.TrimStart().StartsWith("*** Begin Patch", StringComparison.Ordinal) ? ChangedLines.Count(patch) : null;
}
