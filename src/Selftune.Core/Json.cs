using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Selftune.Core;

/// <summary>The JSON conventions of everything selftune prints or stores: snake_case names, enums as snake_case
/// strings, nulls omitted, ISO-8601 times.</summary>
public static class Json
{
    /// <summary>Compact output (stored reports, machine-readable stdout).</summary>
    public static JsonSerializerOptions Options { get; } = Create(indented: false);

    /// <summary>Indented output (files meant to be read by a person too).</summary>
    public static JsonSerializerOptions Indented { get; } = Create(indented: true);

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
