namespace Selftune.Plugin.Codex.Install;

/// <summary>
/// Turns Codex hooks on in <c>config.toml</c> (<c>[features] codex_hooks = true</c>; newer Codex enables hooks by
/// default and reads the key <c>hooks</c>, keeping <c>codex_hooks</c> as an alias) with a line-based edit that keeps
/// every other byte: one line inserted under an existing <c>[features]</c> header, or a <c>[features]</c> table appended.
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
        var scan = Scan(lines);
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

    private static ScanResult Scan(List<(string Content, string Ending)> lines)
    {
        int? header = null;
        string? flagKey = null, flagValue = null, dotted = null;
        var table = string.Empty;
        string? openString = null;
        var depth = 0;
        for (var i = 0; i < lines.Count; i++)
        {
            var line = lines[i].Content;
            if (openString is not null)
            {
                if (Count(line, openString) % 2 == 1)
                {
                    openString = null;
                }

                continue;
            }

            if (depth > 0)
            {
                depth += Depth(line);
                continue;
            }

            var trimmed = line.Trim();
            if (trimmed.Length == 0 || trimmed.StartsWith('#'))
            {
                continue;
            }

            if (trimmed.StartsWith('['))
            {
                var close = trimmed.IndexOf(']', StringComparison.Ordinal);
                if (close < 0)
                {
                    return new ScanResult(null, null, null, $"line {i + 1} is an unterminated table header");
                }

                table = trimmed.StartsWith("[[", StringComparison.Ordinal) ? "[[array]]" : Unquote(trimmed[1..close]);
                if (table == "features")
                {
                    if (header is not null)
                    {
                        return new ScanResult(null, null, null, $"[features] appears twice (lines {header + 1} and {i + 1})");
                    }

                    header = i;
                }

                continue;
            }

            var equals = trimmed.IndexOf('=', StringComparison.Ordinal);
            if (equals < 0)
            {
                continue;
            }

            var key = Unquote(trimmed[..equals]);
            var value = StripComment(trimmed[(equals + 1)..]).Trim();
            var featureKey = table == "features" ? key : table.Length == 0 && key.StartsWith("features.", StringComparison.Ordinal) ? key["features.".Length..] : null;
            if (featureKey is "codex_hooks" or "hooks")
            {
                (flagKey, flagValue) = (featureKey, value);
            }
            else if (table.Length == 0 && (key == "features" || featureKey is not null))
            {
                dotted ??= $"line {i + 1} sets features as a dotted key or inline table";
            }

            foreach (var quotes in (string[])["\"\"\"", "'''"])
            {
                if (Count(value, quotes) % 2 == 1)
                {
                    openString = quotes;
                }
            }

            depth = Depth(value);
        }

        if (openString is not null || depth != 0)
        {
            return new ScanResult(null, null, null, "a string or array is not closed");
        }

        return new ScanResult(header, flagKey, flagValue, flagValue is null ? dotted : null);
    }

    private static int Depth(string text)
    {
        var depth = 0;
        char quote = '\0';
        foreach (var c in text)
        {
            if (quote != '\0')
            {
                quote = c == quote ? '\0' : quote;
            }
            else if (c is '"' or '\'')
            {
                quote = c;
            }
            else if (c == '#')
            {
                break;
            }
            else if (c is '[' or '{')
            {
                depth++;
            }
            else if (c is ']' or '}')
            {
                depth--;
            }
        }

        return depth;
    }

    private static string StripComment(string value)
    {
        char quote = '\0';
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (quote != '\0')
            {
                quote = c == quote ? '\0' : quote;
            }
            else if (c is '"' or '\'')
            {
                quote = c;
            }
            else if (c == '#')
            {
                return value[..i];
            }
        }

        return value;
    }

    private static string Unquote(string key) => string.Join('.', key.Split('.').Select(p => p.Trim().Trim('"', '\'')));

    private static int Count(string text, string token)
    {
        var count = 0;
        for (var i = text.IndexOf(token, StringComparison.Ordinal); i >= 0; i = text.IndexOf(token, i + token.Length, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }

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
