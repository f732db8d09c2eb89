using Tomlyn.Parsing;
using Tomlyn.Syntax;

namespace Selftune.Plugin.Codex.Install;

/// <summary>
/// Turns Codex hooks on in <c>config.toml</c> (<c>[features] codex_hooks = true</c>; newer Codex enables hooks by
/// default and reads the key <c>hooks</c>, keeping <c>codex_hooks</c> as an alias) with a line-based edit that keeps
/// every other byte: one line inserted under an existing <c>[features]</c> header, or a <c>[features]</c> table appended.
/// The file is read with Tomlyn 2.11.1's syntax parser (where the header is, what the flag says, whether the file is
/// TOML at all); the edit stays textual because Tomlyn's tree, though it gives the file back byte for byte, writes an
/// inserted key without the trivia (comment, line break) our lines carry, and removing a node takes its neighbours'
/// trivia with it: the line edit is smaller and keeps every byte outside our two lines by construction.
/// Lines selftune adds end with <see cref="Marker"/>, so uninstall removes exactly them. When the file cannot be
/// edited that way (features set as a dotted key or inline table, a duplicate header, unbalanced brackets) or hooks
/// are explicitly off, nothing is changed and a manual step is returned instead.
/// </summary>
internal static class CodexFeatureFlag
{
    /// <summary>The comment on every line selftune adds.</summary>
    public const string Marker = "# added by selftune";

    private const string KeyLine = "codex_hooks = true " + Marker;
    private const string HeaderLine = "[features] " + Marker;

    /// <summary>Plans enabling hooks.</summary>
    /// <param name="text">The current <c>config.toml</c>, or null when it does not exist.</param>
    /// <returns>The new text (null: no change needed or possible) and, when it cannot be done, what the user must do.</returns>
    public static (string? NewText, string? ManualStep) PlanEnable(string? text)
    {
        var lines = Lines(text ?? string.Empty);
        var newline = (text ?? string.Empty).Contains("\r\n", StringComparison.Ordinal) ? "\r\n" : "\n";
        var scan = Scan(text ?? string.Empty);
        if (scan.Problem is { } problem)
        {
            return (null, $"could not edit config.toml safely ({problem}): add `codex_hooks = true` under `[features]` by hand");
        }

        if (scan.FlagValue is "true")
        {
            return (null, null);
        }

        if (scan.FlagValue is not null)
        {
            return (null, $"hooks are turned off in config.toml (`[features] {scan.FlagKey} = {scan.FlagValue}`): set it to true for the selftune hooks to run");
        }

        if (scan.Header is { } header)
        {
            var (content, ending) = lines[header];
            lines[header] = (content, ending.Length > 0 ? ending : newline);
            lines.Insert(header + 1, (KeyLine, ending.Length > 0 ? ending : string.Empty));
            return (Join(lines), null);
        }

        var current = text ?? string.Empty;
        var separator = current.Length == 0 ? string.Empty : (current.EndsWith('\n') ? string.Empty : newline) + newline;
        return (current + separator + HeaderLine + newline + KeyLine + newline, null);
    }

    /// <summary>Plans removing the lines <see cref="PlanEnable"/> added.</summary>
    /// <returns>The new text; empty when nothing else is left.</returns>
    public static string PlanDisable(string text)
    {
        var lines = Lines(text);
        var key = lines.FindIndex(l => l.Content.Trim() == KeyLine);
        if (key >= 0)
        {
            lines.RemoveAt(key);
        }

        var header = lines.FindIndex(l => l.Content.Trim() == HeaderLine);
        if (header >= 0)
        {
            var end = header + 1;
            while (end < lines.Count && !lines[end].Content.TrimStart().StartsWith('['))
            {
                end++;
            }

            var tableIsEmpty = lines.Skip(header + 1).Take(end - header - 1).All(l => l.Content.Trim().Length == 0 || l.Content.TrimStart().StartsWith('#'));
            if (tableIsEmpty)
            {
                lines.RemoveAt(header);
                if (header > 0 && lines[header - 1].Content.Trim().Length == 0)
                {
                    lines.RemoveAt(header - 1); // the blank line added before an appended table
                }
            }
        }

        return Join(lines);
    }

    private sealed record ScanResult(int? Header, string? FlagKey, string? FlagValue, string? Problem);

    /// <summary>Reads the file with Tomlyn's full-fidelity syntax parser (it knows multi-line strings, arrays, inline
    /// tables and quoted keys): where the <c>[features]</c> header is, and what the hooks flag is set to.</summary>
    private static ScanResult Scan(string text)
    {
        var document = SyntaxParser.Parse(text, "config.toml", true);
        if (document.HasErrors)
        {
            var first = document.Diagnostics.First(d => d.Kind == DiagnosticMessageKind.Error);
            return new ScanResult(null, null, null, $"it is not valid TOML: line {first.Span.Start.Line + 1}: {first.Message}");
        }

        int? header = null;
        string? flagKey = null, flagValue = null, dotted = null;
        foreach (var pair in document.KeyValues)
        {
            var key = Key(pair.Key);
            var featureKey = key.StartsWith("features.", StringComparison.Ordinal) ? key["features.".Length..] : null;
            if (featureKey is "codex_hooks" or "hooks")
            {
                (flagKey, flagValue) = (featureKey, Value(pair.Value));
            }
            else if (key == "features" || featureKey is not null)
            {
                dotted ??= $"line {pair.Span.Start.Line + 1} sets features as a dotted key or inline table";
            }
        }

        foreach (var table in document.Tables.OfType<TableSyntax>().Where(t => Key(t.Name) == "features"))
        {
            if (header is not null)
            {
                return new ScanResult(null, null, null, $"[features] appears twice (lines {header + 1} and {table.Span.Start.Line + 1})");
            }

            header = table.Span.Start.Line;
            foreach (var pair in table.Items)
            {
                if (Key(pair.Key) is "codex_hooks" or "hooks")
                {
                    (flagKey, flagValue) = (Key(pair.Key), Value(pair.Value));
                }
            }
        }

        return new ScanResult(header, flagKey, flagValue, flagValue is null ? dotted : null);
    }

    private static string Key(KeySyntax? key) =>
        string.Join('.', (key?.ToString() ?? string.Empty).Split('.').Select(p => p.Trim().Trim('"', '\'')));

    private static string? Value(ValueSyntax? value) => value switch
    {
        BooleanValueSyntax boolean => boolean.Value ? "true" : "false",
        null => null,
        _ => value.ToString()?.Trim(),
    };

    private static List<(string Content, string Ending)> Lines(string text)
    {
        var lines = new List<(string, string)>();
        var start = 0;
        while (start < text.Length)
        {
            var newline = text.IndexOf('\n', start);
            if (newline < 0)
            {
                lines.Add((text[start..], string.Empty));
                break;
            }

            var contentEnd = newline > start && text[newline - 1] == '\r' ? newline - 1 : newline;
            lines.Add((text[start..contentEnd], text[contentEnd..(newline + 1)]));
            start = newline + 1;
        }

        return lines;
    }

    private static string Join(List<(string Content, string Ending)> lines) => string.Concat(lines.Select(l => l.Content + l.Ending));
}
