using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Selftune.Plugin.Codex.Install;

/// <summary>A JSON value with the byte range it occupies in its document (containers keep their children).</summary>
internal sealed class LayoutNode
{
    /// <summary>The token that starts the value (<see cref="JsonTokenType.StartObject"/>, <see cref="JsonTokenType.String"/>, …).</summary>
    public required JsonTokenType Kind { get; init; }
    /// <summary>First byte of the value.</summary>
    public required int Start { get; init; }
    /// <summary>Byte after the value.</summary>
    public int End { get; set; }
    /// <summary>Object members, in document order.</summary>
    public List<LayoutMember> Members { get; } = [];
    /// <summary>Array items, in document order.</summary>
    public List<LayoutNode> Items { get; } = [];
    /// <summary>The value of a string.</summary>
    public string? Text { get; set; }

    /// <summary>The member named <paramref name="name"/>, if any.</summary>
    public LayoutMember? Member(string name) => Members.FirstOrDefault(m => m.Name == name);
}

/// <summary>An object member: its name, where the name starts, and its value.</summary>
internal sealed record LayoutMember(string Name, int Start, LayoutNode Value);

/// <summary>
/// Edits a JSON document as text, so that everything not edited keeps its bytes (formatting, key order, unknown
/// keys, comments). New items are appended after the last item of a container, with the container's indentation;
/// removing an item takes the separator before it (or after it, for a first item), so removing what was appended
/// gives back the original bytes.
/// </summary>
internal sealed class JsonLayout
{
    private readonly byte[] _utf8;
    private readonly List<(int Start, int End, string Insert)> _edits = [];

    private JsonLayout(byte[] utf8, LayoutNode root)
    {
        _utf8 = utf8;
        Root = root;
        NewLine = utf8.AsSpan().IndexOf("\r\n"u8) >= 0 ? "\r\n" : "\n";
        var first = root.Members.Select(m => m.Start).Concat(root.Items.Select(i => i.Start)).DefaultIfEmpty(-1).First();
        var (outer, inner) = first >= 0 && OnOwnLine(first) ? (IndentAt(root.Start), IndentAt(first)) : (string.Empty, string.Empty);
        Unit = inner.Length > outer.Length && inner.StartsWith(outer, StringComparison.Ordinal) ? inner[outer.Length..] : "  ";
    }

    /// <summary>The document's top value.</summary>
    public LayoutNode Root { get; }

    /// <summary>The document's line break.</summary>
    public string NewLine { get; }

    /// <summary>One level of the document's indentation.</summary>
    public string Unit { get; }

    /// <summary>Parses <paramref name="text"/> (comments and trailing commas are tolerated).</summary>
    /// <exception cref="JsonException">The text is not JSON; <see cref="JsonException.LineNumber"/> and
    /// <see cref="JsonException.BytePositionInLine"/> say where (0-based).</exception>
    public static JsonLayout Parse(string text)
    {
        var utf8 = Encoding.UTF8.GetBytes(text);
        var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        if (!reader.Read())
        {
            throw new JsonException("The document is empty.", null, 0, 0);
        }

        var root = ReadValue(ref reader);
        if (reader.Read())
        {
            throw new JsonException("Unexpected content after the top-level value.", null, 0, reader.TokenStartIndex);
        }

        return new JsonLayout(utf8, root);
    }

    /// <summary>Writes a JSON value with the document's line break and indentation, its lines after the first
    /// indented by <paramref name="indent"/>.</summary>
    public string Render(Action<Utf8JsonWriter> write, string indent)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions
        {
            Indented = true,
            IndentCharacter = Unit[0] == '\t' ? '\t' : ' ',
            IndentSize = Unit.Length,
            NewLine = NewLine,
            Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        }))
        {
            write(writer);
        }

        return Encoding.UTF8.GetString(buffer.ToArray()).Replace(NewLine, NewLine + indent, StringComparison.Ordinal);
    }

    /// <summary>Plans appending items (array) or members (object, each <c>"name": value</c>) to a container.</summary>
    /// <param name="container">An object or array of this document.</param>
    /// <param name="render">Renders one new item given its indentation.</param>
    /// <param name="count">How many items to append.</param>
    public void Append(LayoutNode container, Func<int, string, string> render, int count)
    {
        var starts = container.Kind == JsonTokenType.StartObject ? container.Members.Select(m => m.Start).ToList() : container.Items.Select(i => i.Start).ToList();
        var text = new StringBuilder();
        int at;
        if (starts.Count > 0)
        {
            var last = container.Kind == JsonTokenType.StartObject ? container.Members[^1].Value.End : container.Items[^1].End;
            var ownLine = OnOwnLine(starts[^1]);
            var indent = ownLine ? IndentAt(starts[^1]) : string.Empty;
            for (var i = 0; i < count; i++)
            {
                text.Append(',').Append(ownLine ? NewLine + indent : " ").Append(render(i, indent));
            }

            at = last;
        }
        else
        {
            var closeIndent = IndentAt(container.Start);
            var indent = closeIndent + Unit;
            for (var i = 0; i < count; i++)
            {
                text.Append(i == 0 ? string.Empty : ",").Append(NewLine).Append(indent).Append(render(i, indent));
            }

            at = container.Start + 1;
            if (at == container.End - 1)
            {
                text.Append(NewLine).Append(closeIndent);
            }
        }

        _edits.Add((at, at, text.ToString()));
    }

    /// <summary>Plans removing some items (array) or members (object) of a container that keeps at least one.</summary>
    public void Remove(LayoutNode container, IReadOnlySet<int> indices)
    {
        var spans = container.Kind == JsonTokenType.StartObject
            ? container.Members.Select(m => (m.Start, m.Value.End)).ToList()
            : container.Items.Select(i => (i.Start, i.End)).ToList();
        var firstKept = Enumerable.Range(0, spans.Count).First(i => !indices.Contains(i));
        foreach (var i in indices.Order())
        {
            _edits.Add(i < firstKept ? (spans[i].Start, spans[i + 1].Start, string.Empty) : (spans[i - 1].End, spans[i].End, string.Empty));
        }
    }

    /// <summary>Plans replacing everything between a container's brackets.</summary>
    public void Clear(LayoutNode container) => _edits.Add((container.Start + 1, container.End - 1, string.Empty));

    /// <summary>True when any edit is planned.</summary>
    public bool Changed => _edits.Count > 0;

    /// <summary>The document with the planned edits applied.</summary>
    public string Apply()
    {
        var result = new List<byte>(_utf8.Length + 1024);
        var position = 0;
        foreach (var (start, end, insert) in MergedEdits())
        {
            result.AddRange(_utf8.AsSpan(position, start - position));
            result.AddRange(Encoding.UTF8.GetBytes(insert));
            position = end;
        }

        result.AddRange(_utf8.AsSpan(position));
        return Encoding.UTF8.GetString([.. result]);
    }

    private IEnumerable<(int Start, int End, string Insert)> MergedEdits()
    {
        (int Start, int End, string Insert)? current = null;
        foreach (var edit in _edits.OrderBy(e => e.Start).ThenBy(e => e.End))
        {
            if (current is { } c && edit.Start < c.End)
            {
                current = (c.Start, Math.Max(c.End, edit.End), c.Insert + edit.Insert); // removals chained over adjacent items
                continue;
            }

            if (current is { } done)
            {
                yield return done;
            }

            current = edit;
        }

        if (current is { } last)
        {
            yield return last;
        }
    }

    private bool OnOwnLine(int position)
    {
        for (var i = position - 1; i >= 0; i--)
        {
            if (_utf8[i] == (byte)'\n')
            {
                return true;
            }

            if (_utf8[i] is not ((byte)' ' or (byte)'\t' or (byte)'\r'))
            {
                return false;
            }
        }

        return true;
    }

    private string IndentAt(int position)
    {
        var lineStart = position;
        while (lineStart > 0 && _utf8[lineStart - 1] != (byte)'\n')
        {
            lineStart--;
        }

        var end = lineStart;
        while (end < _utf8.Length && _utf8[end] is (byte)' ' or (byte)'\t')
        {
            end++;
        }

        return Encoding.UTF8.GetString(_utf8, lineStart, end - lineStart);
    }

    private static LayoutNode ReadValue(ref Utf8JsonReader reader)
    {
        var node = new LayoutNode { Kind = reader.TokenType, Start = (int)reader.TokenStartIndex };
        switch (reader.TokenType)
        {
            case JsonTokenType.StartObject:
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    var name = reader.GetString()!;
                    var nameStart = (int)reader.TokenStartIndex;
                    reader.Read();
                    node.Members.Add(new LayoutMember(name, nameStart, ReadValue(ref reader)));
                }

                node.End = (int)reader.TokenStartIndex + 1;
                break;
            case JsonTokenType.StartArray:
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    node.Items.Add(ReadValue(ref reader));
                }

                node.End = (int)reader.TokenStartIndex + 1;
                break;
            default:
                node.Text = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                node.End = (int)reader.BytesConsumed;
                break;
        }

        return node;
    }
}
