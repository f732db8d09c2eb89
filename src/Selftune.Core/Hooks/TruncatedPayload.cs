using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Selftune.Core.Hooks;

/// <summary>
/// Turns the first bytes of a JSON object payload, cut by the hook at <see cref="HookSpool.MaxPayloadBytes"/>, back into
/// a valid JSON object a plugin can read: every top-level property that arrived whole is kept as it was, and a string
/// value that was cut (a long prompt) is kept up to the cut with <see cref="Marker"/> appended; a property cut inside
/// an object or array, and anything after the cut, is left out.
/// </summary>
internal static class TruncatedPayload
{
    /// <summary>Appended to the text that was cut; <c>{0}</c> is the payload's full size in bytes.</summary>
    public const string Marker = " [… cut by selftune: the hook payload was {0} bytes, over the limit]";

    /// <summary>Closes a cut payload.</summary>
    /// <param name="prefix">The payload's first bytes, as text.</param>
    /// <param name="fullBytes">The payload's full size (bytes), named in the marker.</param>
    /// <returns>A valid JSON object, or null when <paramref name="prefix"/> does not start one.</returns>
    public static string? Close(string prefix, long fullBytes)
    {
        var bytes = Encoding.UTF8.GetBytes(prefix);
        var reader = new Utf8JsonReader(bytes, isFinalBlock: false, state: default);
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return null;
            }

            var output = new ArrayBufferWriter<byte>(bytes.Length + 128);
            using (var writer = new Utf8JsonWriter(output))
            {
                writer.WriteStartObject();
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    var name = reader.GetString()!;
                    var afterName = (int)reader.BytesConsumed;
                    var value = reader;
                    if (value.Read() && (int)value.TokenStartIndex is var start && value.TrySkip())
                    {
                        writer.WritePropertyName(name);
                        writer.WriteRawValue(bytes.AsSpan(start, (int)value.BytesConsumed - start));
                        reader = value;
                        continue;
                    }

                    if (CutString(bytes, ValueStart(bytes, afterName)) is { } text)
                    {
                        writer.WriteString(name, text + string.Format(CultureInfo.InvariantCulture, Marker, fullBytes));
                    }

                    break;
                }

                writer.WriteEndObject();
            }

            return Encoding.UTF8.GetString(output.WrittenSpan);
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            return null; // not a JSON object's beginning, or a string cut inside a surrogate pair's escape
        }
    }

    /// <summary>Where the value after a property name starts (past the colon and white space).</summary>
    private static int ValueStart(byte[] bytes, int afterName)
    {
        var i = afterName;
        while (i < bytes.Length && (bytes[i] is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n' or (byte)':'))
        {
            i++;
        }

        return i;
    }

    /// <summary>The text of a string value cut before its closing quote, or null when the value is not a string.</summary>
    private static string? CutString(byte[] bytes, int start)
    {
        if (start >= bytes.Length || bytes[start] != (byte)'"')
        {
            return null;
        }

        var end = bytes.Length;
        // Drop an escape sequence cut in the middle (a lone backslash, or \u with fewer than four digits).
        for (var i = end - 1; i > start && i >= end - 6; i--)
        {
            if (bytes[i] == (byte)'\\')
            {
                var escapes = Backslashes(bytes, i, start) % 2 == 1;
                var whole = i + 1 < end && (bytes[i + 1] != (byte)'u' || i + 6 <= end);
                end = escapes && !whole ? i : end;
                break;
            }
        }

        var quoted = new byte[end - start + 1];
        bytes.AsSpan(start, end - start).CopyTo(quoted);
        quoted[^1] = (byte)'"';
        var reader = new Utf8JsonReader(quoted);
        return reader.Read() ? reader.GetString() : null;
    }

    /// <summary>How many backslashes end at <paramref name="at"/> (inclusive): an odd count means the last one escapes.</summary>
    private static int Backslashes(byte[] bytes, int at, int start)
    {
        var n = 0;
        while (at > start && bytes[at] == (byte)'\\')
        {
            n++;
            at--;
        }

        return n;
    }
}
