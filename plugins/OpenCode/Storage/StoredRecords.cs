using System.Globalization;
using System.Text.Json;

namespace Selftune.Plugin.OpenCode.Storage;

/// <summary>Where a stored row came from: the file (or database) and, for a database, the row's <c>rowid</c>.</summary>
internal readonly record struct RowLocation(string Path, long? Row);

/// <summary>Token counts as OpenCode logs them (<c>tokens{input, output, reasoning, cache{read, write}}</c>); input
/// excludes cached tokens.</summary>
internal readonly record struct TokenCounts(long Input, long Output, long Reasoning, long CacheRead, long CacheWrite)
{
    public bool IsEmpty => Input == 0 && Output == 0 && Reasoning == 0 && CacheRead == 0 && CacheWrite == 0;

    public static TokenCounts? From(JsonElement tokens)
    {
        if (tokens.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        var cache = Json.Child(tokens, "cache");
        return new TokenCounts(
            Json.Long(tokens, "input") ?? 0,
            Json.Long(tokens, "output") ?? 0,
            Json.Long(tokens, "reasoning") ?? 0,
            Json.Long(cache, "read") ?? 0,
            Json.Long(cache, "write") ?? 0);
    }
}

/// <summary>A session row (db <c>session</c> table) or session JSON (legacy <c>storage/session/&lt;project&gt;/&lt;id&gt;.json</c>).</summary>
internal sealed record StoredSession(
    string Id,
    string? ParentId,
    string? Directory,
    string? Version,
    long? Created,
    long? Updated,
    RowLocation Location);

/// <summary>One message (<c>role</c> user or assistant) without its parts. Fields follow OpenCode's MessageV2.Info
/// (corpus FORMAT.md); 0.x logs put <c>providerID</c>/<c>modelID</c> at the top level, 1.x user messages use <c>model{}</c>.</summary>
internal sealed class StoredMessage
{
    public required string Id { get; init; }
    public required string Role { get; init; }
    public required RowLocation Location { get; init; }
    /// <summary>When the row last changed (db <c>time_updated</c>, or the files' modification time), ms.</summary>
    public long Updated { get; init; }
    public long Created { get; init; }
    public long? Completed { get; init; }
    /// <summary>Assistant messages: the user message that started the turn.</summary>
    public string? ParentId { get; init; }
    public string? ModelId { get; init; }
    public string? Cwd { get; init; }
    public TokenCounts? Tokens { get; init; }
    public decimal? Cost { get; init; }
    public string? ErrorName { get; init; }
    public string? ErrorMessage { get; init; }
    public string? Finish { get; init; }

    public bool IsUser => Role == "user";
    public bool IsAssistant => Role == "assistant";

    /// <summary>Reads a message's JSON (<paramref name="id"/> comes from the row or file name, as OpenCode's own
    /// migration does). Returns null with a reason when it is not a message.</summary>
    public static StoredMessage? Parse(JsonElement data, string id, long updated, RowLocation location, out string? problem)
    {
        problem = null;
        if (data.ValueKind != JsonValueKind.Object)
        {
            problem = "message data is not a JSON object";
            return null;
        }

        if (Json.String(data, "role") is not { Length: > 0 } role)
        {
            problem = "message has no role";
            return null;
        }

        var time = Json.Child(data, "time");
        var model = Json.Child(data, "model");
        var error = Json.Child(data, "error");
        var path = Json.Child(data, "path");
        return new StoredMessage
        {
            Id = id,
            Role = role,
            Location = location,
            Updated = updated,
            Created = Json.Long(time, "created") ?? updated,
            Completed = Json.Long(time, "completed"),
            ParentId = Json.String(data, "parentID"),
            ModelId = Json.String(data, "modelID") ?? Json.String(model, "modelID"),
            Cwd = path.ValueKind == JsonValueKind.String ? path.GetString() : Json.String(path, "cwd"),
            Tokens = TokenCounts.From(Json.Child(data, "tokens")),
            Cost = Json.Decimal(data, "cost"),
            ErrorName = error.ValueKind == JsonValueKind.String ? "Error" : Json.String(error, "name"),
            ErrorMessage = error.ValueKind == JsonValueKind.String
                ? error.GetString()
                : Json.String(Json.Child(error, "data"), "message"),
            Finish = Json.String(data, "finish"),
        };
    }
}

/// <summary>The parts of a message this plugin uses: text, tool calls, step finishes (usage) and retries (API errors).
/// Shapes follow OpenCode's MessageV2.Part (corpus FORMAT.md); other part types keep only their type.</summary>
internal sealed class StoredPart
{
    public required string Id { get; init; }
    public required string Type { get; init; }
    public required RowLocation Location { get; init; }
    public long? Start { get; init; }
    public string? Text { get; init; }
    /// <summary>Text OpenCode added itself (file contents, continuation nudges), not typed by the user.</summary>
    public bool Synthetic { get; init; }
    public ToolState? Tool { get; init; }
    public TokenCounts? Tokens { get; init; }
    public decimal? Cost { get; init; }
    public string? ErrorName { get; init; }
    public string? ErrorMessage { get; init; }

    /// <summary>Reads a part's JSON; null with a reason when it is not a part.</summary>
    public static StoredPart? Parse(JsonElement data, string id, RowLocation location, out string? problem)
    {
        problem = null;
        if (data.ValueKind != JsonValueKind.Object)
        {
            problem = "part data is not a JSON object";
            return null;
        }

        if (Json.String(data, "type") is not { Length: > 0 } type)
        {
            problem = "part has no type";
            return null;
        }

        var time = Json.Child(data, "time");
        var error = Json.Child(data, "error");
        return new StoredPart
        {
            Id = id,
            Type = type,
            Location = location,
            Start = Json.Long(time, "start") ?? Json.Long(time, "created"),
            Text = type is "text" ? Json.String(data, "text") : null,
            Synthetic = Json.Bool(data, "synthetic") || Json.Bool(data, "ignored"),
            Tool = type == "tool" ? ToolState.Parse(data) : null,
            Tokens = type == "step-finish" ? TokenCounts.From(Json.Child(data, "tokens")) : null,
            Cost = type == "step-finish" ? Json.Decimal(data, "cost") : null,
            ErrorName = type == "retry" ? Json.String(error, "name") ?? "Error" : null,
            ErrorMessage = type == "retry" ? Json.String(Json.Child(error, "data"), "message") : null,
        };
    }
}

/// <summary>A tool part's call: <c>tool</c>, <c>callID</c> and <c>state{status, input, metadata, time}</c>.</summary>
internal sealed class ToolState
{
    public required string Name { get; init; }
    public string? CallId { get; init; }
    /// <summary>pending | running | completed | error (0.x logs: success).</summary>
    public string? Status { get; init; }
    public long? Start { get; init; }
    /// <summary>Exit code in <c>state.metadata.exit</c> (bash).</summary>
    public long? Exit { get; init; }
    /// <summary>The skill a <c>skill</c> call loaded (<c>input.name</c>, else <c>metadata.name</c>).</summary>
    public string? SkillName { get; init; }
    /// <summary>The skill's folder (<c>metadata.dir</c>), when the call completed.</summary>
    public string? SkillDirectory { get; init; }
    /// <summary>The file a read call read (<c>input.filePath</c>).</summary>
    public string? ReadPath { get; init; }
    public string? Detail { get; init; }

    /// <summary>True when the call failed: status <c>error</c>, or a command that exited non-zero (which Claude Code
    /// logs as an error result too, so tool-error counts compare across platforms).</summary>
    public bool IsError => Status == "error" || Exit is not null and not 0;

    public static ToolState? Parse(JsonElement part)
    {
        if (Json.String(part, "tool") is not { Length: > 0 } name)
        {
            return null;
        }

        var state = Json.Child(part, "state");
        var input = Json.Child(state, "input");
        var metadata = Json.Child(state, "metadata");
        var isSkill = name == "skill";
        return new ToolState
        {
            Name = name,
            CallId = Json.String(part, "callID"),
            Status = Json.String(state, "status") is "success" ? "completed" : Json.String(state, "status"),
            Start = Json.Long(Json.Child(state, "time"), "start"),
            Exit = Json.Long(metadata, "exit"),
            SkillName = isSkill ? Json.String(input, "name") ?? Json.String(metadata, "name") : null,
            SkillDirectory = isSkill ? Json.String(metadata, "dir") : null,
            ReadPath = name.Equals("read", StringComparison.OrdinalIgnoreCase) ? ToolInputs.FilePath(input) : null,
            Detail = ToolInputs.Detail(input),
        };
    }
}

/// <summary>Tolerant accessors over <see cref="JsonElement"/>: a missing or mistyped field reads as null.</summary>
internal static class Json
{
    /// <summary>A field of an object; <c>default</c> (undefined) when absent or when <paramref name="element"/> is not an object.</summary>
    public static JsonElement Child(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) ? value : default;

    public static string? String(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;

    public static long? Long(JsonElement element, string name)
    {
        if (element.ValueKind != JsonValueKind.Object || !element.TryGetProperty(name, out var value))
        {
            return null;
        }

        return value.ValueKind switch
        {
            JsonValueKind.Number when value.TryGetInt64(out var l) => l,
            JsonValueKind.Number when value.TryGetDouble(out var d) && double.IsFinite(d) => (long)d,
            JsonValueKind.String when long.TryParse(value.GetString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var l) => l,
            _ => null,
        };
    }

    public static decimal? Decimal(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) &&
        value.ValueKind == JsonValueKind.Number && value.TryGetDecimal(out var d)
            ? d
            : null;

    public static bool Bool(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.True;
}
