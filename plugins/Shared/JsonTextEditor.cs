using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Selftune.Plugin.Shared;

/// <summary>
/// Edits a JSON document as text, so everything outside the edit keeps its bytes: key order, spacing, line breaks,
/// number and string spellings. <see cref="Parse"/> reads the document into nodes that know where they are in the
/// text; <see cref="Insert"/> and <see cref="Remove"/> return a new text, where a removal exactly undoes an insertion
/// (the inserted child and the separator before it go; a container's sole child takes the whitespace inside the
/// brackets with it). New values are written in the document's own style: its indentation unit, line ending, and
/// compact or indented layout. Comments and trailing commas, when allowed, keep their bytes too. Compiled into each
/// plugin that edits an agent's JSON settings (linked source); <see cref="HookSettings"/> merges hook lists with it.
/// </summary>
internal sealed class JsonTextEditor
{
    private static readonly JsonReaderOptions StrictOptions = new() { CommentHandling = JsonCommentHandling.Disallow, AllowTrailingCommas = false };
    private static readonly JsonReaderOptions LenientOptions = new() { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };
    private readonly byte[] _text;

    private JsonTextEditor(byte[] text, Node root)
    {
        _text = text;
        Root = root;
        NewLine = text.AsSpan().IndexOf("\r\n"u8) >= 0 ? "\r\n" : "\n";
        var first = root.Children.FirstOrDefault();
        var lead = first is null ? null : Encoding.UTF8.GetString(Separator(first.Start));
        Compact = lead is not null && !lead.Contains('\n');
        var unit = lead is null ? string.Empty : lead[(lead.LastIndexOf('\n') + 1)..];
        IndentUnit = unit.Length > 0 && (unit.All(c => c == ' ') || unit.All(c => c == '\t')) ? unit : "  ";
    }

    /// <summary>The document's root value.</summary>
    public Node Root { get; }

    /// <summary>True when the document is written on one line (new values are then written compactly).</summary>
    public bool Compact { get; }

    /// <summary>One level of indentation (spaces or tabs), as the document uses it; two spaces when it cannot be told.</summary>
    public string IndentUnit { get; }

    /// <summary>The document's line ending.</summary>
    public string NewLine { get; }

    /// <summary>The current text.</summary>
    public string Text => Encoding.UTF8.GetString(_text);

    /// <summary>Reads a document.</summary>
    /// <param name="text">The JSON text.</param>
    /// <param name="lenient">Accept <c>//</c> and <c>/* */</c> comments and trailing commas (as the agent that reads
    /// the file does); false: strict JSON.</param>
    /// <exception cref="JsonException">The text is not valid JSON; <see cref="JsonException.LineNumber"/> and
    /// <see cref="JsonException.BytePositionInLine"/> say where (0-based).</exception>
    public static JsonTextEditor Parse(string text, bool lenient = false)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        var reader = new Utf8JsonReader(bytes, lenient ? LenientOptions : StrictOptions);
        if (!reader.Read())
        {
            throw new JsonException("The document is empty.", null, 0, 0);
        }

        var root = ReadValue(ref reader, 0);
        while (reader.Read())
        {
            // Reading past the root makes the reader reject anything but whitespace after it.
        }

        return new JsonTextEditor(bytes, root);
    }

    /// <summary>Adds <paramref name="value"/> as the last child of <paramref name="container"/> (an object member when
    /// <paramref name="name"/> is given, else an array item).</summary>
    /// <returns>The new document text.</returns>
    public string Insert(Node container, string? name, JsonNode value)
    {
        string text;
        int at, end;
        if (container.Children.Count > 0)
        {
            var last = container.Children[^1];
            var separator = Encoding.UTF8.GetString(Separator(last.Start));
            var indent = separator[(separator.LastIndexOf('\n') + 1)..];
            text = "," + separator + Render(name, value, indent);
            at = end = last.End;
        }
        else
        {
            var indent = Indent(container.Depth + 1);
            text = Compact ? Render(name, value, string.Empty) : NewLine + indent + Render(name, value, indent) + NewLine + Indent(container.Depth);
            at = container.ValueStart + 1;
            end = container.End - 1;
        }

        return Splice(at, end, text);
    }

    /// <summary>Removes <paramref name="child"/> (a member or item of <paramref name="container"/>) with the separator that
    /// joined it to its siblings.</summary>
    /// <returns>The new document text.</returns>
    public string Remove(Node container, Node child)
    {
        var index = container.Children.IndexOf(child);
        return index > 0 ? Splice(container.Children[index - 1].End, child.End, string.Empty)
            : container.Children.Count > 1 ? Splice(child.Start, container.Children[1].Start, string.Empty)
            : Splice(container.ValueStart + 1, container.End - 1, string.Empty);
    }

    private string Render(string? name, JsonNode value, string indent)
    {
        var options = new JsonSerializerOptions
        {
            WriteIndented = !Compact,
            IndentCharacter = IndentUnit[0],
            IndentSize = IndentUnit.Length,
            NewLine = NewLine,
            Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        };
        var json = value.ToJsonString(options).Replace(NewLine, NewLine + indent, StringComparison.Ordinal);
        return name is null ? json : JsonSerializer.Serialize(name, options) + (Compact ? ":" : ": ") + json;
    }

    private string Indent(int depth) => string.Concat(Enumerable.Repeat(IndentUnit, depth));

    /// <summary>The whitespace between a child's start and the delimiter (<c>,</c> <c>[</c> <c>{</c>) before it.</summary>
    private ReadOnlySpan<byte> Separator(int childStart)
    {
        var i = childStart;
        while (i > 0 && _text[i - 1] is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')
        {
            i--;
        }

        return _text.AsSpan(i, childStart - i);
    }

    private string Splice(int start, int end, string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        var result = new byte[_text.Length - (end - start) + bytes.Length];
        _text.AsSpan(0, start).CopyTo(result);
        bytes.CopyTo(result.AsSpan(start));
        _text.AsSpan(end).CopyTo(result.AsSpan(start + bytes.Length));
        return Encoding.UTF8.GetString(result);
    }

    private static Node ReadValue(ref Utf8JsonReader reader, int depth)
    {
        var start = (int)reader.TokenStartIndex;
        switch (reader.TokenType)
        {
            case JsonTokenType.StartObject:
            {
                var node = new Node(JsonValueKind.Object, start, depth);
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    var nameStart = (int)reader.TokenStartIndex;
                    var name = reader.GetString()!;
                    reader.Read();
                    var value = ReadValue(ref reader, depth + 1);
                    value.Name = name;
                    value.Start = nameStart;
                    node.Children.Add(value);
                }

                node.End = (int)reader.TokenStartIndex + 1;
                return node;
            }

            case JsonTokenType.StartArray:
            {
                var node = new Node(JsonValueKind.Array, start, depth);
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    node.Children.Add(ReadValue(ref reader, depth + 1));
                }

                node.End = (int)reader.TokenStartIndex + 1;
                return node;
            }

            case JsonTokenType.String:
                return new Node(JsonValueKind.String, start, depth) { End = start + reader.ValueSpan.Length + 2, StringValue = reader.GetString() };
            default:
                var kind = reader.TokenType switch
                {
                    JsonTokenType.Number => JsonValueKind.Number,
                    JsonTokenType.True => JsonValueKind.True,
                    JsonTokenType.False => JsonValueKind.False,
                    _ => JsonValueKind.Null,
                };
                return new Node(kind, start, depth) { End = start + reader.ValueSpan.Length };
        }
    }

    /// <summary>A value in the text. For an object member, <see cref="Start"/> is where its name starts.</summary>
    internal sealed class Node(JsonValueKind kind, int start, int depth)
    {
        /// <summary>The value's kind.</summary>
        public JsonValueKind Kind { get; } = kind;

        /// <summary>Byte offset of the value (of the member's name, for an object member).</summary>
        public int Start { get; set; } = start;

        /// <summary>Byte offset of the value itself (its bracket, for a container), also for an object member.</summary>
        public int ValueStart { get; } = start;

        /// <summary>Byte offset just after the value.</summary>
        public int End { get; set; }

        /// <summary>Nesting depth (the root is 0).</summary>
        public int Depth { get; } = depth;

        /// <summary>The member name, for an object member.</summary>
        public string? Name { get; set; }

        /// <summary>The string's value, for a string.</summary>
        public string? StringValue { get; init; }

        /// <summary>Members (objects) or items (arrays), in document order.</summary>
        public List<Node> Children { get; } = [];

        /// <summary>The member named <paramref name="name"/>, for an object.</summary>
        public Node? this[string name] => Children.FirstOrDefault(c => c.Name == name);
    }
}
