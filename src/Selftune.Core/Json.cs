using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Selftune.Core;

/// <summary>The JSON conventions of everything selftune prints or stores: snake_case names, enums as snake_case
/// strings, nulls omitted, ISO-8601 times.</summary>
internal static class Json
{
    /// <summary>Compact output (stored reports, machine-readable stdout).</summary>
    public static JsonSerializerOptions Options { get; } = Create(indented: false);

    /// <summary>Indented output (files meant to be read by a person too).</summary>
    public static JsonSerializerOptions Indented { get; } = Create(indented: true);

    /// <summary>An enum value as selftune's JSON names it (snake_case, as <see cref="Options"/> writes enums).</summary>
    public static string Name<T>(T value) where T : struct, Enum => JsonNamingPolicy.SnakeCaseLower.ConvertName(value.ToString());

    /// <summary>Writes compact JSON with <see cref="Utf8JsonWriter"/> in these conventions (the hand-written writers of
    /// the reports printed on every <c>sync</c> and <c>status</c>: the serializer's first use costs ~30–70 ms of a fresh
    /// process, the writer's ~10; each writer is pinned to the serializer's output by a test).</summary>
    /// <param name="body">Writes one JSON value.</param>
    public static string Write(Action<Utf8JsonWriter> body)
    {
        var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = true }))
        {
            body(writer);
        }

        return System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    /// <summary>A list of strings as a JSON array, as <c>JsonSerializer.Serialize</c> writes it with default options (what
    /// the store keeps, e.g. a session's models), without the serializer's first-use cost in a hook drain.</summary>
    public static string StringArray(IEnumerable<string> values)
    {
        var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            foreach (var value in values)
            {
                writer.WriteStringValue(value);
            }

            writer.WriteEndArray();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    /// <summary>Reads what <see cref="StringArray"/> wrote.</summary>
    public static IReadOnlyList<string> ReadStringArray(string json)
    {
        using var document = JsonDocument.Parse(json);
        return [.. document.RootElement.EnumerateArray().Select(e => e.GetString() ?? string.Empty)];
    }

    /// <summary>Writes <paramref name="values"/> as the array property <paramref name="name"/>.</summary>
    internal static void WriteStrings(this Utf8JsonWriter writer, string name, IEnumerable<string> values)
    {
        writer.WriteStartArray(name);
        foreach (var value in values)
        {
            writer.WriteStringValue(value);
        }

        writer.WriteEndArray();
    }

    private static JsonSerializerOptions Create(bool indented) => new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DictionaryKeyPolicy = null,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
        WriteIndented = indented,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        TypeInfoResolver = JsonTypeInfoResolver.Combine(CoreJsonContext.Default, new DefaultJsonTypeInfoResolver()),
    };
}
