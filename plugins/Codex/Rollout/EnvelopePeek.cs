using System.Text.Json;

namespace Selftune.Plugin.Codex.Rollout;

/// <summary>
/// Reads the envelope of a rollout line (<c>{"timestamp":…,"type":…,"payload":{"type":…,…}}</c>) without parsing the
/// rest, so lines that yield no record (reasoning with its encrypted content, deltas, snapshots, world state) are
/// skipped after a few dozen bytes.
/// </summary>
internal readonly record struct EnvelopePeek(DateTimeOffset? Timestamp, string? Type, string? PayloadType, bool PayloadSeen)
{
    private static readonly HashSet<string> ResponseItems =
    [
        "message", "function_call", "function_call_output", "custom_tool_call", "custom_tool_call_output",
        "local_shell_call", "web_search_call", "tool_search_call", "image_generation_call",
    ];

    private static readonly HashSet<string> Events =
    [
        "user_message", "token_count", "task_started", "task_complete", "turn_aborted", "error", "stream_error",
        "exec_command_end", "patch_apply_end", "mcp_tool_call_end",
    ];

    /// <summary>Payload types that show the model produced output (they end the window in which a user message's twin
    /// may follow).</summary>
    public bool IsModelOutput => PayloadType is "reasoning" or "agent_reasoning" or "agent_message";

    /// <summary>True when the line can be skipped without a full parse: its envelope is complete and its kind yields
    /// no record. Lines of unknown envelope types with a payload are skipped too (newer Codex versions add kinds).</summary>
    public bool CanSkip => PayloadSeen && Type switch
    {
        "session_meta" or "turn_context" => false,
        "response_item" => PayloadType is not null && !ResponseItems.Contains(PayloadType),
        "event_msg" => PayloadType is not null && !Events.Contains(PayloadType),
        null => false,
        _ => true,
    };

    /// <summary>Reads the envelope of <paramref name="line"/>; stops at the payload's first property.</summary>
    public static EnvelopePeek Read(ReadOnlySpan<byte> line)
    {
        DateTimeOffset? timestamp = null;
        string? type = null;
        try
        {
            var reader = new Utf8JsonReader(line);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return default;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("timestamp"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.String && reader.TryGetDateTimeOffset(out var at))
                    {
                        timestamp = at.ToUniversalTime();
                    }
                }
                else if (reader.ValueTextEquals("type"u8))
                {
                    reader.Read();
                    type = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                }
                else if (reader.ValueTextEquals("payload"u8) && type is not null)
                {
                    reader.Read();
                    if (reader.TokenType != JsonTokenType.StartObject)
                    {
                        return new EnvelopePeek(timestamp, type, null, false);
                    }

                    string? payloadType = null;
                    if (reader.Read() && reader.TokenType == JsonTokenType.PropertyName && reader.ValueTextEquals("type"u8) && reader.Read()
                        && reader.TokenType == JsonTokenType.String)
                    {
                        payloadType = reader.GetString();
                    }

                    return new EnvelopePeek(timestamp, type, payloadType, true);
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }
        }
        catch (JsonException)
        {
        }

        return new EnvelopePeek(timestamp, type, null, false);
    }
}
