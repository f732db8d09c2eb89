using System.Globalization;
using System.Text;

namespace Selftune.Plugin.Claude;

/// <summary>A <c>tool_use</c> block of an assistant message.</summary>
/// <param name="Id">The call id (<c>toolu_…</c>), or null when missing.</param>
/// <param name="Name">The tool name.</param>
/// <param name="Skill"><c>input.skill</c> (Skill tool).</param>
/// <param name="FilePath"><c>input.file_path</c> / <c>input.path</c> / <c>input.notebook_path</c>.</param>
/// <param name="Detail">A short description of the input (at most 200 characters).</param>
internal sealed record ToolUse(string? Id, string Name, string? Skill, string? FilePath, string? Detail);

/// <summary>The lines an edit tool call's result shows it added and removed.</summary>
internal sealed record EditCount(int Added, int Removed);

/// <summary>A <c>tool_result</c> block of a user message. A class, like <see cref="ToolUse"/>: a list of a struct of this
/// plugin is compiled at run time (ReadyToRun cannot precompile generic code over another assembly's value types).</summary>
/// <param name="ToolUseId">The call it answers.</param>
/// <param name="IsError">The block's <c>is_error</c>.</param>
/// <param name="Output">The block's text when it may report a new git commit (it starts with <c>[</c> or <c>Updating </c>); else null.</param>
/// <param name="ErrorText">For an error, its <c>content</c> when that is a string (the error message); null otherwise.</param>
internal sealed record ToolResult(string ToolUseId, bool IsError, string? Output = null, string? ErrorText = null);

/// <summary>
/// The fields of one transcript line that selftune uses, read with a single forward pass of
/// <see cref="JsonScanner"/> (no DOM): large values it does not need (tool results, <c>toolUseResult</c>, thinking,
/// assistant text) are skipped without being materialized. Reused line after line by one reader.
/// </summary>
internal sealed class TranscriptLine
{
    private static readonly string[] KnownValues =
    [
        "user", "assistant", "system", "summary", "attachment", "text", "tool_use", "tool_result", "thinking", "image",
        "end_turn", "stop_sequence", "max_tokens", "api_error", "compact_boundary", "turn_duration",
        "stop_hook_summary", "local_command", "informational", "error", "warning", "info", "suggestion",
    ];

    private readonly StringBuilder _text = new();
    private readonly RepeatedString _sessionId = new();
    private readonly RepeatedString _cwd = new();
    private readonly RepeatedString _gitBranch = new();
    private readonly RepeatedString _version = new();
    private readonly RepeatedString _model = new();

    public string? Type;
    public string? Subtype;
    public string? Uuid;
    public string? ParentUuid;
    public string? SessionId;
    public string? AgentId;
    /// <summary>The line's <c>timestamp</c>, when it is a time.</summary>
    public DateTimeOffset? At;
    public string? Cwd;
    public string? GitBranch;
    public string? Version;
    public string? RequestId;
    public string? Level;
    public bool IsSidechain;
    public bool IsMeta;
    public bool IsCompactSummary;
    public bool IsApiErrorMessage;
    public decimal? CostUsd;

    public string? Role;
    public string? MessageId;
    public string? Model;
    public string? StopReason;
    /// <summary>The message text: string content, or the <c>text</c> blocks joined by newlines (user messages, API error
    /// messages, and the top-level <c>content</c> of system lines); null when there is none.</summary>
    public string? Text;
    public readonly List<ToolUse> ToolUses = [];
    public readonly List<ToolResult> ToolResults = [];

    /// <summary>The ids of edit tool calls (<c>Edit</c>, <c>MultiEdit</c>, <c>Write</c>) awaiting their result, kept by the
    /// interpreter: only the <c>toolUseResult</c> of such a result is read (every other is skipped unread).</summary>
    public HashSet<string>? PendingEdits;

    /// <summary>Lines the edit of this line's tool result added and removed (its <c>toolUseResult.structuredPatch</c>, or
    /// every line of a file written new); null when the line has none.</summary>
    public EditCount? EditLines;

    public bool HasUsage;
    public long InputTokens;
    public long OutputTokens;
    public long CacheWriteTokens;
    public long CacheReadTokens;
    public long CacheWrite1hTokens;

    /// <summary>Parses one line (without its newline).</summary>
    /// <param name="line">The line's bytes.</param>
    /// <param name="error">Why the line could not be read, for the malformed report.</param>
    /// <returns>False when the line is not one valid JSON object.</returns>
    public bool TryParse(ReadOnlySpan<byte> line, out string? error)
    {
        Reset();
        try
        {
            var json = new JsonScanner(line);
            if (json.Peek() != (byte)'{')
            {
                error = "not a JSON object";
                return false;
            }

            ReadEnvelope(ref json);
            if (!json.AtEnd())
            {
                error = "unexpected data after the JSON object";
                return false;
            }

            error = null;
            return true;
        }
        catch (JsonScanException ex)
        {
            error = "invalid JSON: " + ex.Message;
            return false;
        }
    }

    /// <summary>Parses an ISO-8601 timestamp as logged (<c>2026-02-12T14:13:05.185Z</c>) to UTC; null when it is not a time.</summary>
    public static DateTimeOffset? ParseTimestamp(ReadOnlySpan<byte> s)
    {
        // Fast path for the shape Claude Code writes: yyyy-MM-ddTHH:mm:ss[.fraction]Z.
        if (s.Length >= 20 && s[^1] == (byte)'Z' && s[4] == (byte)'-' && s[7] == (byte)'-' && s[10] == (byte)'T' && s[13] == (byte)':' && s[16] == (byte)':'
            && Digits(s[..4], out var year) && Digits(s[5..7], out var month) && Digits(s[8..10], out var day)
            && Digits(s[11..13], out var hour) && Digits(s[14..16], out var minute) && Digits(s[17..19], out var second)
            && year >= 1 && month is >= 1 and <= 12 && day >= 1 && day <= DateTime.DaysInMonth(year, month) && hour < 24 && minute < 60 && second < 60)
        {
            var ticks = 0L;
            if (s.Length > 21 && s[19] == (byte)'.')
            {
                var scale = TimeSpan.TicksPerSecond;
                foreach (var c in s[20..^1])
                {
                    if (!char.IsAsciiDigit((char)c))
                    {
                        return Slow(s);
                    }

                    scale /= 10;
                    ticks += (c - '0') * scale;
                }
            }
            else if (s.Length != 20)
            {
                return Slow(s);
            }

            return new DateTimeOffset(new DateTime(year, month, day, hour, minute, second, DateTimeKind.Utc).AddTicks(ticks));
        }

        return Slow(s);

        static DateTimeOffset? Slow(ReadOnlySpan<byte> s) =>
            DateTimeOffset.TryParse(Encoding.UTF8.GetString(s), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var at) ? at : null;

        static bool Digits(ReadOnlySpan<byte> digits, out int value)
        {
            value = 0;
            foreach (var d in digits)
            {
                if (d is < (byte)'0' or > (byte)'9')
                {
                    return false;
                }

                value = (value * 10) + (d - '0');
            }

            return true;
        }
    }

    private void Reset()
    {
        Type = Subtype = Uuid = ParentUuid = SessionId = AgentId = Cwd = GitBranch = Version = RequestId = Level = null;
        At = null;
        Role = MessageId = Model = StopReason = Text = null;
        IsSidechain = IsMeta = IsCompactSummary = IsApiErrorMessage = HasUsage = false;
        CostUsd = null;
        InputTokens = OutputTokens = CacheWriteTokens = CacheReadTokens = CacheWrite1hTokens = 0;
        ToolUses.Clear();
        ToolResults.Clear();
        EditLines = null;
    }

    private void ReadEnvelope(ref JsonScanner json)
    {
        json.StartObject();
        var first = true;
        while (json.NextProperty(out var name, ref first))
        {
            switch (name.Length)
            {
                // The structured copy of a tool result repeats the tool output and holds nothing selftune needs; Claude
                // Code writes it after the fields that matter, so a complete line is not read any further.
                case 13 when name.SequenceEqual("toolUseResult"u8) && ResultOfPendingEdit(): ReadEditResult(ref json); break;
                case 13 when name.SequenceEqual("toolUseResult"u8) && At is not null && json.SkipRestIfClosed(): return;
                case 3 when name.SequenceEqual("cwd"u8): Cwd = _cwd.Read(ref json); break;
                case 4 when name.SequenceEqual("type"u8): Type = Known(ref json); break;
                case 4 when name.SequenceEqual("uuid"u8): Uuid = json.ReadString(); break;
                case 4 when name.SequenceEqual("role"u8): Role = Known(ref json); break;
                case 5 when name.SequenceEqual("level"u8): Level = Known(ref json); break;
                case 6 when name.SequenceEqual("isMeta"u8): IsMeta = json.ReadTrue(); break;
                case 7 when name.SequenceEqual("subtype"u8): Subtype = Known(ref json); break;
                case 7 when name.SequenceEqual("agentId"u8): AgentId = json.ReadString(); break;
                case 7 when name.SequenceEqual("version"u8): Version = _version.Read(ref json); break;
                case 7 when name.SequenceEqual("costUSD"u8): CostUsd = json.ReadDecimal(); break;
                case 7 when name.SequenceEqual("message"u8): ReadMessage(ref json); break;
                case 7 when name.SequenceEqual("content"u8): ReadContent(ref json); break;
                case 9 when name.SequenceEqual("sessionId"u8): SessionId = _sessionId.Read(ref json); break;
                case 9 when name.SequenceEqual("timestamp"u8): At = json.TryReadRawString(out var time, out _) ? ParseTimestamp(time) : null; break;
                case 9 when name.SequenceEqual("gitBranch"u8): GitBranch = _gitBranch.Read(ref json); break;
                case 9 when name.SequenceEqual("requestId"u8): RequestId = json.ReadString(); break;
                case 10 when name.SequenceEqual("parentUuid"u8): ParentUuid = json.ReadString(); break;
                case 11 when name.SequenceEqual("isSidechain"u8): IsSidechain = json.ReadTrue(); break;
                case 16 when name.SequenceEqual("isCompactSummary"u8): IsCompactSummary = json.ReadTrue(); break;
                case 17 when name.SequenceEqual("isApiErrorMessage"u8): IsApiErrorMessage = json.ReadTrue(); break;
                default: json.SkipValue(); break;
            }
        }
    }

    private bool ResultOfPendingEdit() =>
        PendingEdits is { Count: > 0 } && ToolResults.Count == 1 && !ToolResults[0].IsError && PendingEdits.Contains(ToolResults[0].ToolUseId);

    /// <summary>Counts an edit result's changed lines: the <c>+</c> and <c>-</c> lines of its <c>structuredPatch</c> hunks,
    /// or, for a file written new (<c>"type":"create"</c>, an empty patch), the lines of its <c>content</c>.</summary>
    private void ReadEditResult(ref JsonScanner json)
    {
        if (!json.TryStartObject())
        {
            return;
        }

        int added = 0, removed = 0, created = 0;
        var create = false;
        var first = true;
        while (json.NextProperty(out var name, ref first))
        {
            switch (name.Length)
            {
                case 4 when name.SequenceEqual("type"u8): create = json.TryReadRawString(out var type, out _) && type.SequenceEqual("create"u8); break;
                case 7 when name.SequenceEqual("content"u8): created = json.ReadString() is { Length: > 0 } text ? text.Count(c => c == '\n') + (text[^1] == '\n' ? 0 : 1) : 0; break;
                case 15 when name.SequenceEqual("structuredPatch"u8): CountPatch(ref json, ref added, ref removed); break;
                default: json.SkipValue(); break;
            }
        }

        EditLines = added + removed == 0 && create ? new EditCount(created, 0) : new EditCount(added, removed);
    }

    private static void CountPatch(ref JsonScanner json, ref int added, ref int removed)
    {
        if (json.Peek() != (byte)'[')
        {
            json.SkipValue();
            return;
        }

        json.StartArray();
        var firstHunk = true;
        while (json.NextElement(ref firstHunk))
        {
            if (!json.TryStartObject())
            {
                continue;
            }

            var first = true;
            while (json.NextProperty(out var name, ref first))
            {
                if (!name.SequenceEqual("lines"u8) || json.Peek() != (byte)'[')
                {
                    json.SkipValue();
                    continue;
                }

                json.StartArray();
                var firstLine = true;
                while (json.NextElement(ref firstLine))
                {
                    if (json.TryReadRawString(out var line, out _) && line.Length > 0)
                    {
                        added += line[0] == (byte)'+' ? 1 : 0;
                        removed += line[0] == (byte)'-' ? 1 : 0;
                    }
                }
            }
        }
    }

    private void ReadMessage(ref JsonScanner json)
    {
        if (!json.TryStartObject())
        {
            return;
        }

        var first = true;
        while (json.NextProperty(out var name, ref first))
        {
            switch (name.Length)
            {
                case 2 when name.SequenceEqual("id"u8): MessageId = json.ReadString(); break;
                case 4 when name.SequenceEqual("role"u8): Role = Known(ref json); break;
                case 5 when name.SequenceEqual("model"u8): Model = _model.Read(ref json); break;
                case 5 when name.SequenceEqual("usage"u8): ReadUsage(ref json); break;
                case 7 when name.SequenceEqual("content"u8): ReadContent(ref json); break;
                case 11 when name.SequenceEqual("stop_reason"u8): StopReason = Known(ref json); break;
                default: json.SkipValue(); break;
            }
        }
    }

    private void ReadContent(ref JsonScanner json)
    {
        var start = json.Peek();
        if (start == (byte)'"')
        {
            Text = json.ReadString();
            return;
        }

        if (start != (byte)'[')
        {
            json.SkipValue();
            return;
        }

        // Text is kept for user messages (prompts) and API error messages; assistant text is not needed.
        var keepText = Role != "assistant" || IsApiErrorMessage;
        _text.Clear();
        var texts = 0;
        json.StartArray();
        var firstBlock = true;
        while (json.NextElement(ref firstBlock))
        {
            if (!json.TryStartObject())
            {
                continue;
            }

            string? type = null, text = null, id = null, toolName = null, toolUseId = null;
            string? skill = null, filePath = null, detail = null;
            var isError = false;
            ReadOnlySpan<byte> content = default;
            bool contentIsString = false, contentEscaped = false;
            var first = true;
            while (json.NextProperty(out var name, ref first))
            {
                switch (name.Length)
                {
                    case 2 when name.SequenceEqual("id"u8): id = json.ReadString(); break;
                    case 4 when name.SequenceEqual("type"u8): type = Known(ref json); break;
                    case 4 when name.SequenceEqual("text"u8) && keepText: text = json.ReadString(); break;
                    case 4 when name.SequenceEqual("name"u8): toolName = json.ReadString(); break;
                    case 5 when name.SequenceEqual("input"u8): ReadInput(ref json, out skill, out filePath, out detail); break;
                    case 7 when name.SequenceEqual("content"u8): contentIsString = json.TryReadRawString(out content, out contentEscaped); break;
                    case 8 when name.SequenceEqual("is_error"u8): isError = json.ReadTrue(); break;
                    case 11 when name.SequenceEqual("tool_use_id"u8): toolUseId = json.ReadString(); break;
                    default: json.SkipValue(); break;
                }
            }

            switch (type)
            {
                case "text" when text is not null:
                    if (texts++ > 0)
                    {
                        _text.Append('\n');
                    }

                    _text.Append(text);
                    break;
                case "tool_use" when toolName is not null:
                    ToolUses.Add(new ToolUse(id, toolName, skill, filePath, detail));
                    break;
                case "tool_result" when toolUseId is not null:
                    var mayReportCommit = contentIsString && (content.StartsWith("["u8) || content.StartsWith("Updating "u8));
                    var decoded = mayReportCommit || (isError && contentIsString) ? Decoded(content, contentEscaped) : null; // decoded once for both uses
                    ToolResults.Add(new ToolResult(toolUseId, isError, mayReportCommit ? decoded : null, isError ? decoded : null));
                    break;
            }
        }

        if (texts > 0)
        {
            Text = _text.ToString();
        }
    }

    /// <summary>A tool result's string <c>content</c> decoded; null when its escapes or UTF-8 are invalid (the result still
    /// counts, as failed or not).</summary>
    private static string? Decoded(ReadOnlySpan<byte> raw, bool escaped)
    {
        try
        {
            return JsonScanner.Decode(raw, escaped);
        }
        catch (JsonScanException)
        {
            return null;
        }
    }

    private static void ReadInput(ref JsonScanner json, out string? skill, out string? filePath, out string? detail)
    {
        skill = filePath = detail = null;
        if (!json.TryStartObject())
        {
            return;
        }

        string? other = null;
        var first = true;
        while (json.NextProperty(out var name, ref first))
        {
            switch (name.Length)
            {
                case 4 when name.SequenceEqual("path"u8): filePath ??= json.ReadString(); break;
                case 5 when name.SequenceEqual("skill"u8): skill = json.ReadString(); break;
                case 9 when name.SequenceEqual("file_path"u8): filePath = json.ReadString(); break;
                case 13 when name.SequenceEqual("notebook_path"u8): filePath ??= json.ReadString(); break;
                case 3 when name.SequenceEqual("url"u8):
                case 5 when name.SequenceEqual("query"u8):
                case 7 when name.SequenceEqual("command"u8):
                case 7 when name.SequenceEqual("pattern"u8):
                case 11 when name.SequenceEqual("description"u8):
                    if (other is null && json.TryReadRawString(out var raw, out var escaped))
                    {
                        other = Shorten(raw, escaped);
                    }
                    else
                    {
                        json.SkipValue();
                    }

                    break;
                default: json.SkipValue(); break;
            }
        }

        detail = skill ?? filePath ?? other; // uncut: the store redacts it, then keeps its first 200 characters
    }

    private void ReadUsage(ref JsonScanner json)
    {
        if (!json.TryStartObject())
        {
            return;
        }

        HasUsage = true;
        var first = true;
        while (json.NextProperty(out var name, ref first))
        {
            switch (name.Length)
            {
                case 12 when name.SequenceEqual("input_tokens"u8): InputTokens = json.ReadInt64(); break;
                case 13 when name.SequenceEqual("output_tokens"u8): OutputTokens = json.ReadInt64(); break;
                case 14 when name.SequenceEqual("cache_creation"u8): ReadCacheCreation(ref json); break;
                case 23 when name.SequenceEqual("cache_read_input_tokens"u8): CacheReadTokens = json.ReadInt64(); break;
                case 27 when name.SequenceEqual("cache_creation_input_tokens"u8): CacheWriteTokens = json.ReadInt64(); break;
                default: json.SkipValue(); break;
            }
        }
    }

    private void ReadCacheCreation(ref JsonScanner json)
    {
        if (!json.TryStartObject())
        {
            return;
        }

        var first = true;
        while (json.NextProperty(out var name, ref first))
        {
            if (name.SequenceEqual("ephemeral_1h_input_tokens"u8))
            {
                CacheWrite1hTokens = json.ReadInt64();
            }
            else
            {
                json.SkipValue();
            }
        }
    }

    /// <summary>A string value from a small vocabulary (types, roles, stop reasons) without allocating; other values are decoded.</summary>
    private static string? Known(ref JsonScanner json)
    {
        if (!json.TryReadRawString(out var raw, out var escaped))
        {
            return null;
        }

        if (!escaped)
        {
            foreach (var known in KnownValues)
            {
                if (raw.Length == known.Length && Ascii.Equals(raw, known))
                {
                    return known;
                }
            }
        }

        return JsonScanner.Decode(raw, escaped);
    }

    /// <summary>The first line of a string value (uncut: the store redacts it before it shortens it).</summary>
    private static string Shorten(ReadOnlySpan<byte> raw, bool escaped)
    {
        var newline = escaped ? raw.IndexOf("\\n"u8) : raw.IndexOf((byte)'\n');
        string text;
        try
        {
            text = JsonScanner.Decode(newline >= 0 ? raw[..newline] : raw, escaped);
        }
        catch (JsonScanException) when (newline >= 0)
        {
            // The cut fell inside an escape ("\\n"): decode the whole value.
            text = JsonScanner.Decode(raw, escaped);
            var cut = text.IndexOf('\n');
            text = cut >= 0 ? text[..cut] : text;
        }

        return text;
    }
}

/// <summary>A string field that repeats line after line (session id, cwd, version): decoded once, reused while its bytes
/// do not change.</summary>
internal sealed class RepeatedString
{
    private byte[] _raw = [];
    private string? _value;

    /// <summary>Reads the field's string value (null when it is not a string).</summary>
    public string? Read(ref JsonScanner json)
    {
        if (!json.TryReadRawString(out var raw, out var escaped))
        {
            return null;
        }

        if (_value is null || !raw.SequenceEqual(_raw))
        {
            _value = JsonScanner.Decode(raw, escaped);
            _raw = raw.ToArray();
        }

        return _value;
    }
}
