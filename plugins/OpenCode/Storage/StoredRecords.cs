using System.Text.Json;
using Selftune.Plugin.Shared;

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

        var cache = JsonFields.Child(tokens, "cache");
        return new TokenCounts(
            JsonFields.Number(tokens, "input") ?? 0,
            JsonFields.Number(tokens, "output") ?? 0,
            JsonFields.Number(tokens, "reasoning") ?? 0,
            JsonFields.Number(cache, "read") ?? 0,
            JsonFields.Number(cache, "write") ?? 0);
    }
}

/// <summary>A session row (db <c>session</c> table) or session JSON (legacy <c>storage/session/&lt;project&gt;/&lt;id&gt;.json</c>).</summary>
/// <param name="Id">The session id.</param>
/// <param name="ParentId">The session that spawned it (sub-agents).</param>
/// <param name="Directory">Its working directory.</param>
/// <param name="Version">The OpenCode version that wrote it.</param>
/// <param name="Created">Created, epoch ms (or s).</param>
/// <param name="Updated">Last updated, epoch ms (or s).</param>
/// <param name="Location">Where it was read.</param>
/// <param name="Additions">Lines the session's edits added (<c>summary.additions</c>; db <c>summary_additions</c>), when stored.</param>
/// <param name="Deletions">Lines the session's edits removed (<c>summary.deletions</c>; db <c>summary_deletions</c>), when stored.</param>
internal sealed record StoredSession(
    string Id,
    string? ParentId,
    string? Directory,
    string? Version,
    long? Created,
    long? Updated,
    RowLocation Location,
    long? Additions = null,
    long? Deletions = null);

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

        if (JsonFields.Text(data, "role") is not { Length: > 0 } role)
        {
            problem = "message has no role";
            return null;
        }

        var time = JsonFields.Child(data, "time");
        var model = JsonFields.Child(data, "model");
        var error = JsonFields.Child(data, "error");
        var path = JsonFields.Child(data, "path");
        return new StoredMessage
        {
            Id = id,
            Role = role,
            Location = location,
            Updated = updated,
            Created = JsonFields.Number(time, "created") ?? updated,
            Completed = JsonFields.Number(time, "completed"),
            ParentId = JsonFields.Text(data, "parentID"),
            ModelId = JsonFields.Text(data, "modelID") ?? JsonFields.Text(model, "modelID"),
            Cwd = path.ValueKind == JsonValueKind.String ? path.GetString() : JsonFields.Text(path, "cwd"),
            Tokens = TokenCounts.From(JsonFields.Child(data, "tokens")),
            Cost = JsonFields.Decimal(data, "cost"),
            ErrorName = error.ValueKind == JsonValueKind.String ? "Error" : JsonFields.Text(error, "name"),
            ErrorMessage = error.ValueKind == JsonValueKind.String
                ? error.GetString()
                : JsonFields.Text(JsonFields.Child(error, "data"), "message"),
            Finish = JsonFields.Text(data, "finish"),
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

        if (JsonFields.Text(data, "type") is not { Length: > 0 } type)
        {
            problem = "part has no type";
            return null;
        }

        var time = JsonFields.Child(data, "time");
        var error = JsonFields.Child(data, "error");
        return new StoredPart
        {
            Id = id,
            Type = type,
            Location = location,
            Start = JsonFields.Number(time, "start") ?? JsonFields.Number(time, "created"),
            Text = type is "text" ? JsonFields.Text(data, "text") : null,
            Synthetic = JsonFields.Bool(data, "synthetic") || JsonFields.Bool(data, "ignored"),
            Tool = type == "tool" ? ToolState.Parse(data) : null,
            Tokens = type == "step-finish" ? TokenCounts.From(JsonFields.Child(data, "tokens")) : null,
            Cost = type == "step-finish" ? JsonFields.Decimal(data, "cost") : null,
            ErrorName = type == "retry" ? JsonFields.Text(error, "name") ?? "Error" : null,
            ErrorMessage = type == "retry" ? JsonFields.Text(JsonFields.Child(error, "data"), "message") : null,
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
        if (JsonFields.Text(part, "tool") is not { Length: > 0 } name)
        {
            return null;
        }

        var state = JsonFields.Child(part, "state");
        var input = JsonFields.Child(state, "input");
        var metadata = JsonFields.Child(state, "metadata");
        var isSkill = name == "skill";
        return new ToolState
        {
            Name = name,
            CallId = JsonFields.Text(part, "callID"),
            Status = JsonFields.Text(state, "status") is "success" ? "completed" : JsonFields.Text(state, "status"),
            Start = JsonFields.Number(JsonFields.Child(state, "time"), "start"),
            Exit = JsonFields.Number(metadata, "exit"),
            SkillName = isSkill ? JsonFields.Text(input, "name") ?? JsonFields.Text(metadata, "name") : null,
            SkillDirectory = isSkill ? JsonFields.Text(metadata, "dir") : null,
            ReadPath = name.Equals("read", StringComparison.OrdinalIgnoreCase) ? ToolInputs.FilePath(input) : null,
            Detail = ToolInputs.Detail(input),
        };
    }
}
