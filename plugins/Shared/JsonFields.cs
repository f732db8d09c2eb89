using System.Globalization;
using System.Text.Json;

namespace Selftune.Plugin.Shared;

/// <summary>Tolerant accessors over <see cref="JsonElement"/>: a missing or mistyped field reads as null (the one copy
/// every plugin links).</summary>
internal static class JsonFields
{
    /// <summary>A field of an object; <c>default</c> (undefined) when absent or when <paramref name="element"/> is not an object.</summary>
    public static JsonElement Child(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) ? value : default;

    /// <summary>A string field; null when absent, not a string, or <paramref name="element"/> is not an object.</summary>
    public static string? Text(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;

    /// <summary>An integer field: a number (a fraction is truncated) or a string of digits; null otherwise.</summary>
    public static long? Number(JsonElement element, string name)
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

    /// <summary>A number field as a decimal; null otherwise.</summary>
    public static decimal? Decimal(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) &&
        value.ValueKind == JsonValueKind.Number && value.TryGetDecimal(out var d)
            ? d
            : null;

    /// <summary>True only when the field is the JSON literal <c>true</c>.</summary>
    public static bool Bool(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.True;
}
