using System.Text;
using System.Text.Json;

namespace Selftune.Plugin.Cline;

/// <summary>
/// Reads the elements of a JSON array one by one, each with the line it starts on, so that a file Cline was still
/// writing (or that was cut short) yields every complete element before the break, and the break is reported with its
/// line instead of losing the whole file. The array is the document's root or, for an object root, the value of one
/// named property; the object's other top-level string properties are kept too.
/// </summary>
internal sealed class JsonArrayElements
{
    private JsonArrayElements(List<(JsonElement Element, long Line)> elements, Dictionary<string, string> strings, (long Line, string Reason)? error)
    {
        Elements = elements;
        Strings = strings;
        Error = error;
    }

    /// <summary>The complete elements, in order, with their 1-based start lines.</summary>
    public IReadOnlyList<(JsonElement Element, long Line)> Elements { get; }

    /// <summary>Top-level string properties of an object root (e.g. <c>sessionId</c>, <c>updated_at</c>).</summary>
    public IReadOnlyDictionary<string, string> Strings { get; }

    /// <summary>Where and why reading stopped early; null when the whole document was read.</summary>
    public (long Line, string Reason)? Error { get; }

    /// <summary>Reads <paramref name="bytes"/>.</summary>
    /// <param name="bytes">The file's content (UTF-8; a BOM is skipped).</param>
    /// <param name="arrayProperty">For an object root, the property holding the array (e.g. <c>messages</c>).</param>
    public static JsonArrayElements Read(ReadOnlySpan<byte> bytes, string arrayProperty)
    {
        if (bytes.StartsWith(Encoding.UTF8.Preamble))
        {
            bytes = bytes[3..];
        }

        var elements = new List<(JsonElement, long)>();
        var strings = new Dictionary<string, string>(StringComparer.Ordinal);
        var reader = new Utf8JsonReader(bytes, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        long line = 1;
        var counted = 0;
        long LineAt(ReadOnlySpan<byte> all, long index)
        {
            line += all[counted..(int)index].Count((byte)'\n');
            counted = (int)index;
            return line;
        }

        try
        {
            if (!reader.Read())
            {
                return new JsonArrayElements(elements, strings, (1, "the file is empty"));
            }

            if (reader.TokenType == JsonTokenType.StartObject)
            {
                var found = false;
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    var name = reader.GetString()!;
                    reader.Read();
                    if (name == arrayProperty && reader.TokenType == JsonTokenType.StartArray)
                    {
                        found = true;
                        ReadArray(ref reader, bytes, elements, LineAt);
                    }
                    else if (reader.TokenType == JsonTokenType.String)
                    {
                        strings[name] = reader.GetString()!;
                    }
                    else
                    {
                        reader.Skip();
                    }
                }

                return new JsonArrayElements(elements, strings, found ? null : (1, $"no \"{arrayProperty}\" array"));
            }

            if (reader.TokenType != JsonTokenType.StartArray)
            {
                return new JsonArrayElements(elements, strings, (1, $"expected a JSON array, found {reader.TokenType}"));
            }

            ReadArray(ref reader, bytes, elements, LineAt);
            return new JsonArrayElements(elements, strings, null);
        }
        catch (JsonException ex)
        {
            // Half-written: the element being read when the text broke off (or went wrong) is reported at its start.
            var at = LineAt(bytes, Math.Min(reader.TokenStartIndex, bytes.Length));
            return new JsonArrayElements(elements, strings, (at, $"not valid JSON ({ex.Message.Split(" LineNumber:")[0]}); the elements before it were read"));
        }
    }

    private delegate long LineOf(ReadOnlySpan<byte> bytes, long index);

    private static void ReadArray(ref Utf8JsonReader reader, ReadOnlySpan<byte> bytes, List<(JsonElement, long)> elements, LineOf lineAt)
    {
        while (true)
        {
            if (!reader.Read())
            {
                throw new JsonException("the array is not closed");
            }

            if (reader.TokenType == JsonTokenType.EndArray)
            {
                return;
            }

            var start = lineAt(bytes, reader.TokenStartIndex);
            elements.Add((JsonElement.ParseValue(ref reader), start));
        }
    }
}
