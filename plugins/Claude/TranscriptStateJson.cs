using System.Text;
using System.Text.Json;
using Selftune.Abstractions;

namespace Selftune.Plugin.Claude;

/// <summary>
/// The JSON of a <see cref="TranscriptState"/>, written and read by hand with <see cref="Utf8JsonWriter"/> and
/// <see cref="Utf8JsonReader"/>: the serializer's metadata (generic over value types of this plugin and of the runtime)
/// cannot be precompiled by ReadyToRun, so using it compiled ~265 methods at run time on the parse thread of every
/// sync (~45–90 ms at the end of its first source). The format is the one <c>JsonSerializer</c> wrote with
/// <c>WhenWritingDefault</c> (states saved in users' <c>source_cursors.state</c> stay readable): properties as
/// declared, in that order; nulls, <c>false</c> and zeros left out, lists always written; the completion status as
/// its number; times as ISO 8601 round-trip text. Reading skips unknown properties and follows the serializer's rules
/// otherwise (case-sensitive names, strict types); anything unreadable gives null. A property added to the state is
/// added here, in both directions.
/// </summary>
internal static class TranscriptStateJson
{
    /// <summary>Writes <paramref name="state"/> as JSON.</summary>
    public static string Write(TranscriptState state)
    {
        using var buffer = new MemoryStream(1024);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            WriteUnlessDefault(json, "V"u8, state.V);
            WriteUnlessDefault(json, "Lines"u8, state.Lines);
            WriteUnlessDefault(json, "Head"u8, state.Head);
            if (state.Main is { } main)
            {
                json.WritePropertyName("Main"u8);
                Write(json, main);
            }

            json.WriteStartArray("Sidechains"u8);
            foreach (var sidechain in state.Sidechains)
            {
                Write(json, sidechain);
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    /// <summary>Reads a state written by <see cref="Write(TranscriptState)"/> (or by the serializer before it).</summary>
    /// <returns>Null when <paramref name="text"/> is not one JSON object of the state's shape, or is <c>null</c>.</returns>
    public static TranscriptState? Read(string text)
    {
        var json = new Utf8JsonReader(Encoding.UTF8.GetBytes(text));
        try
        {
            if (!json.Read() || json.TokenType == JsonTokenType.Null)
            {
                return null;
            }

            Expect(ref json, JsonTokenType.StartObject);
            var state = new TranscriptState();
            while (NextProperty(ref json, out var name))
            {
                switch (name)
                {
                    case "V": state.V = json.GetInt32(); break;
                    case "Lines": state.Lines = json.GetInt64(); break;
                    case "Head": state.Head = json.GetString(); break;
                    case "Main": state.Main = ReadConversation(ref json); break;
                    case "Sidechains":
                        state.Sidechains = [];
                        for (var more = StartArray(ref json); more; more = NextElement(ref json))
                        {
                            state.Sidechains.Add(ReadConversation(ref json) ?? throw new JsonException("a null sidechain"));
                        }

                        break;
                    default: json.Skip(); break;
                }
            }

            return json.Read() ? null : state; // anything after the object is an error (a throw) already
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or FormatException)
        {
            // Malformed JSON, a value of the wrong type, or a number or time out of range.
            return null;
        }
    }

    private static void Write(Utf8JsonWriter json, Conversation c)
    {
        json.WriteStartObject();
        WriteUnlessDefault(json, "SessionId"u8, c.SessionId);
        WriteUnlessDefault(json, "ParentSessionId"u8, c.ParentSessionId);
        WriteUnlessDefault(json, "IsSubagent"u8, c.IsSubagent);
        WriteUnlessDefault(json, "RootUuid"u8, c.RootUuid);
        WriteUnlessDefault(json, "TipUuid"u8, c.TipUuid);
        WriteUnlessDefault(json, "StartedAt"u8, c.StartedAt);
        WriteUnlessDefault(json, "EndedAt"u8, c.EndedAt);
        WriteUnlessDefault(json, "Cwd"u8, c.Cwd);
        WriteUnlessDefault(json, "GitBranch"u8, c.GitBranch);
        WriteUnlessDefault(json, "Version"u8, c.Version);
        WriteStrings(json, "Models"u8, c.Models);
        WriteUnlessDefault(json, "Status"u8, (int)c.Status);
        WriteUnlessDefault(json, "TurnPromptId"u8, c.TurnPromptId);
        WriteStrings(json, "TurnSkills"u8, c.TurnSkills);
        json.WriteStartArray("PendingReads"u8);
        foreach (var read in c.PendingReads)
        {
            Write(json, read);
        }

        json.WriteEndArray();
        if (c.PendingCommand is { } command)
        {
            json.WritePropertyName("PendingCommand"u8);
            Write(json, command);
        }

        if (c.AwaitingBaseDirectory is { } awaiting)
        {
            json.WritePropertyName("AwaitingBaseDirectory"u8);
            Write(json, awaiting);
        }

        json.WriteEndObject();
    }

    private static void Write(Utf8JsonWriter json, PendingInvocation p)
    {
        json.WriteStartObject();
        WriteUnlessDefault(json, "InvocationId"u8, p.InvocationId);
        WriteUnlessDefault(json, "SkillName"u8, p.SkillName);
        WriteUnlessDefault(json, "OccurredAt"u8, p.OccurredAt == default ? null : p.OccurredAt);
        WriteUnlessDefault(json, "Line"u8, p.Line);
        WriteUnlessDefault(json, "PromptId"u8, p.PromptId);
        WriteUnlessDefault(json, "ToolUseId"u8, p.ToolUseId);
        WriteUnlessDefault(json, "SkillPath"u8, p.SkillPath);
        WriteUnlessDefault(json, "Explicit"u8, p.Explicit);
        json.WriteEndObject();
    }

    private static Conversation? ReadConversation(ref Utf8JsonReader json)
    {
        if (json.TokenType == JsonTokenType.Null)
        {
            return null;
        }

        Expect(ref json, JsonTokenType.StartObject);
        string? sessionId = null;
        var c = new Conversation { SessionId = string.Empty };
        while (NextProperty(ref json, out var name))
        {
            switch (name)
            {
                case "SessionId": sessionId = json.GetString(); break;
                case "ParentSessionId": c.ParentSessionId = json.GetString(); break;
                case "IsSubagent": c.IsSubagent = json.GetBoolean(); break;
                case "RootUuid": c.RootUuid = json.GetString(); break;
                case "TipUuid": c.TipUuid = json.GetString(); break;
                case "StartedAt": c.StartedAt = ReadTime(ref json); break;
                case "EndedAt": c.EndedAt = ReadTime(ref json); break;
                case "Cwd": c.Cwd = json.GetString(); break;
                case "GitBranch": c.GitBranch = json.GetString(); break;
                case "Version": c.Version = json.GetString(); break;
                case "Models": c.Models = ReadStrings(ref json); break;
                case "Status": c.Status = (CompletionStatus)json.GetInt32(); break;
                case "TurnPromptId": c.TurnPromptId = json.GetString(); break;
                case "TurnSkills": c.TurnSkills = ReadStrings(ref json); break;
                case "PendingReads":
                    c.PendingReads = [];
                    for (var more = StartArray(ref json); more; more = NextElement(ref json))
                    {
                        c.PendingReads.Add(ReadInvocation(ref json) ?? throw new JsonException("a null pending read"));
                    }

                    break;
                case "PendingCommand": c.PendingCommand = ReadInvocation(ref json); break;
                case "AwaitingBaseDirectory": c.AwaitingBaseDirectory = ReadInvocation(ref json); break;
                default: json.Skip(); break;
            }
        }

        c.SessionId = sessionId ?? throw new JsonException("a conversation without its SessionId");
        return c;
    }

    private static PendingInvocation? ReadInvocation(ref Utf8JsonReader json)
    {
        if (json.TokenType == JsonTokenType.Null)
        {
            return null;
        }

        Expect(ref json, JsonTokenType.StartObject);
        string? invocationId = null, skillName = null, promptId = null, toolUseId = null, skillPath = null;
        DateTimeOffset occurredAt = default;
        long line = 0;
        var isExplicit = false;
        while (NextProperty(ref json, out var name))
        {
            switch (name)
            {
                case "InvocationId": invocationId = json.GetString(); break;
                case "SkillName": skillName = json.GetString(); break;
                case "OccurredAt": occurredAt = json.GetDateTimeOffset(); break;
                case "Line": line = json.GetInt64(); break;
                case "PromptId": promptId = json.GetString(); break;
                case "ToolUseId": toolUseId = json.GetString(); break;
                case "SkillPath": skillPath = json.GetString(); break;
                case "Explicit": isExplicit = json.GetBoolean(); break;
                default: json.Skip(); break;
            }
        }

        if (invocationId is null || skillName is null)
        {
            throw new JsonException("a pending invocation without its InvocationId or SkillName");
        }

        return new PendingInvocation(invocationId, skillName, occurredAt, line, promptId, toolUseId, skillPath, isExplicit);
    }

    private static List<string> ReadStrings(ref Utf8JsonReader json)
    {
        var list = new List<string>();
        for (var more = StartArray(ref json); more; more = NextElement(ref json))
        {
            list.Add(json.GetString() ?? throw new JsonException("a null string in a list"));
        }

        return list;
    }

    private static DateTimeOffset? ReadTime(ref Utf8JsonReader json) => json.TokenType == JsonTokenType.Null ? null : json.GetDateTimeOffset();

    /// <summary>Moves to the next property's value.</summary>
    /// <returns>False at the end of the object.</returns>
    private static bool NextProperty(ref Utf8JsonReader json, out string name)
    {
        if (!json.Read() || json.TokenType != JsonTokenType.PropertyName)
        {
            name = string.Empty;
            return false;
        }

        name = json.GetString()!;
        json.Read();
        return true;
    }

    /// <summary>Checks the reader is on an array and moves to its first element.</summary>
    /// <returns>False when the array is empty.</returns>
    private static bool StartArray(ref Utf8JsonReader json)
    {
        Expect(ref json, JsonTokenType.StartArray);
        return NextElement(ref json);
    }

    /// <summary>Moves to the next element of an array.</summary>
    /// <returns>False at the end of the array.</returns>
    private static bool NextElement(ref Utf8JsonReader json) => json.Read() && json.TokenType != JsonTokenType.EndArray;

    private static void Expect(ref Utf8JsonReader json, JsonTokenType token)
    {
        if (json.TokenType != token)
        {
            throw new JsonException($"expected {token} but found {json.TokenType}");
        }
    }

    private static void WriteUnlessDefault(Utf8JsonWriter json, ReadOnlySpan<byte> name, long value)
    {
        if (value != 0)
        {
            json.WriteNumber(name, value);
        }
    }

    private static void WriteUnlessDefault(Utf8JsonWriter json, ReadOnlySpan<byte> name, bool value)
    {
        if (value)
        {
            json.WriteBoolean(name, value);
        }
    }

    private static void WriteUnlessDefault(Utf8JsonWriter json, ReadOnlySpan<byte> name, string? value)
    {
        if (value is not null)
        {
            json.WriteString(name, value);
        }
    }

    private static void WriteUnlessDefault(Utf8JsonWriter json, ReadOnlySpan<byte> name, DateTimeOffset? value)
    {
        if (value is { } time)
        {
            json.WriteString(name, time);
        }
    }

    private static void WriteStrings(Utf8JsonWriter json, ReadOnlySpan<byte> name, List<string> values)
    {
        json.WriteStartArray(name);
        foreach (var value in values)
        {
            json.WriteStringValue(value);
        }

        json.WriteEndArray();
    }
}
