using System.Buffers;
using System.Buffers.Text;
using System.Text;

namespace Selftune.Plugin.Claude;

/// <summary>Raised by <see cref="JsonScanner"/> when a line is not well-formed JSON where it was read.</summary>
internal sealed class JsonScanException(string message, int position) : Exception($"{message} at byte {position + 1}")
{
}

/// <summary>
/// A minimal forward-only JSON scanner over one line, built for transcripts where most bytes sit in values selftune
/// does not need (tool output, <c>toolUseResult</c>, thinking): skipping a value finds quotes, backslashes and brackets
/// with vectorized searches instead of visiting every byte, which is several times faster than a validating reader
/// on escape-heavy text. Structure is checked where it is read (objects, arrays, strings must close); skipped values
/// are checked only for balance. Strings are decoded on request, strictly (invalid UTF-8 is an error).
/// </summary>
internal ref struct JsonScanner
{
    private static readonly SearchValues<byte> Structural = SearchValues.Create("\"{}[]"u8);
    private static readonly SearchValues<byte> ValueEnd = SearchValues.Create(",}] \t\r\n"u8);
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly ReadOnlySpan<byte> _json;
    private int _pos;

    /// <summary>Scans <paramref name="json"/>.</summary>
    public JsonScanner(ReadOnlySpan<byte> json)
    {
        _json = json;
        _pos = 0;
    }

    /// <summary>The next significant byte (after whitespace), or 0 at the end.</summary>
    public byte Peek()
    {
        SkipWhitespace();
        return _pos < _json.Length ? _json[_pos] : (byte)0;
    }

    /// <summary>True when only whitespace is left.</summary>
    public bool AtEnd() => Peek() == 0;

    /// <summary>Starts reading an object: consumes <c>{</c>.</summary>
    public void StartObject() => Expect((byte)'{');

    /// <summary>Starts reading an object when the next value is one; otherwise skips the value.</summary>
    /// <returns>False when the value was not an object (and was skipped).</returns>
    public bool TryStartObject()
    {
        if (Peek() != (byte)'{')
        {
            SkipValue();
            return false;
        }

        _pos++;
        return true;
    }

    /// <summary>Starts reading an array: consumes <c>[</c>.</summary>
    public void StartArray() => Expect((byte)'[');

    /// <summary>Moves to the next property of the current object.</summary>
    /// <param name="name">The property name's raw bytes (escapes not decoded).</param>
    /// <param name="first">True before the first property (set false by the call).</param>
    /// <returns>False at the closing <c>}</c> (consumed).</returns>
    public bool NextProperty(out ReadOnlySpan<byte> name, ref bool first)
    {
        if (!NextItem((byte)'}', ref first))
        {
            name = default;
            return false;
        }

        name = RawString();
        Expect((byte)':');
        return true;
    }

    /// <summary>Moves to the next element of the current array.</summary>
    /// <param name="first">True before the first element (set false by the call).</param>
    /// <returns>False at the closing <c>]</c> (consumed).</returns>
    public bool NextElement(ref bool first) => NextItem((byte)']', ref first);

    /// <summary>Reads a string value (null for <c>null</c>; other values are skipped and give null).</summary>
    public string? ReadString()
    {
        var b = Peek();
        if (b != (byte)'"')
        {
            SkipValue();
            return null;
        }

        var raw = RawString();
        return Decode(raw, raw.IndexOf((byte)'\\') >= 0);
    }

    /// <summary>Reads a string value's raw bytes (escapes not decoded); false (value skipped) when it is not a string.</summary>
    public bool TryReadRawString(out ReadOnlySpan<byte> raw, out bool escaped)
    {
        if (Peek() != (byte)'"')
        {
            SkipValue();
            raw = default;
            escaped = false;
            return false;
        }

        raw = RawString();
        escaped = raw.IndexOf((byte)'\\') >= 0;
        return true;
    }

    /// <summary>Reads <c>true</c>; any other value (skipped) gives false.</summary>
    public bool ReadTrue()
    {
        if (Peek() == (byte)'t' && _json[_pos..].StartsWith("true"u8))
        {
            _pos += 4;
            return true;
        }

        SkipValue();
        return false;
    }

    /// <summary>Reads a non-negative integer; anything else (skipped) gives 0.</summary>
    public long ReadInt64()
    {
        var token = RawValue();
        return Utf8Parser.TryParse(token, out long value, out var consumed) && consumed == token.Length && value > 0 ? value : 0;
    }

    /// <summary>Reads a number as decimal; null when it is not a number.</summary>
    public decimal? ReadDecimal()
    {
        var token = RawValue();
        return Utf8Parser.TryParse(token, out decimal value, out var consumed, 'E') && consumed == token.Length ? value
            : Utf8Parser.TryParse(token, out value, out consumed) && consumed == token.Length ? value
            : null;
    }

    /// <summary>Gives up reading the rest of the line when it ends with the <c>}</c> that closes the top-level object
    /// (a line cut short ends elsewhere): the rest is neither read nor checked. The caller stops reading after this.</summary>
    /// <returns>False (nothing skipped) when the line does not end with <c>}</c>.</returns>
    public bool SkipRestIfClosed()
    {
        var end = _json.Length;
        while (end > 0 && IsWhitespace(_json[end - 1]))
        {
            end--;
        }

        if (end == 0 || _json[end - 1] != (byte)'}')
        {
            return false;
        }

        _pos = _json.Length;
        return true;
    }

    /// <summary>Skips one value of any kind.</summary>
    public void SkipValue()
    {
        var b = Peek();
        switch (b)
        {
            case (byte)'"':
                RawString();
                return;
            case (byte)'{':
            case (byte)'[':
                SkipContainer();
                return;
            case 0:
                throw new JsonScanException("unexpected end of line", _pos);
            default:
                var end = _json[_pos..].IndexOfAny(ValueEnd);
                var length = end < 0 ? _json.Length - _pos : end;
                if (length == 0)
                {
                    throw new JsonScanException($"unexpected '{(char)b}'", _pos);
                }

                _pos += length;
                return;
        }
    }

    /// <summary>Decodes a raw string (JSON escapes, strict UTF-8).</summary>
    /// <exception cref="JsonScanException">An invalid escape or invalid UTF-8.</exception>
    public static string Decode(ReadOnlySpan<byte> raw, bool escaped)
    {
        try
        {
            if (!escaped)
            {
                return StrictUtf8.GetString(raw);
            }

            var bytes = ArrayPool<byte>.Shared.Rent(raw.Length);
            try
            {
                var length = Unescape(raw, bytes);
                return StrictUtf8.GetString(bytes, 0, length);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(bytes);
            }
        }
        catch (DecoderFallbackException ex)
        {
            throw new JsonScanException($"text is not valid UTF-8 ({ex.Message})", ex.Index);
        }
    }

    private bool NextItem(byte close, ref bool first)
    {
        var b = Peek();
        if (b == close)
        {
            _pos++;
            return false;
        }

        if (!first)
        {
            if (b != (byte)',')
            {
                throw new JsonScanException(b == 0 ? "unexpected end of line" : $"expected ',' or '{(char)close}' but found '{(char)b}'", _pos);
            }

            _pos++;
        }

        first = false;
        return true;
    }

    private void Expect(byte expected)
    {
        var b = Peek();
        if (b != expected)
        {
            throw new JsonScanException(b == 0 ? $"unexpected end of line (expected '{(char)expected}')" : $"expected '{(char)expected}' but found '{(char)b}'", _pos);
        }

        _pos++;
    }

    private ReadOnlySpan<byte> RawString()
    {
        if (Peek() != (byte)'"')
        {
            throw new JsonScanException("expected a string", _pos);
        }

        // Find the closing quote: the next quote not preceded by an odd number of backslashes. Backslashes elsewhere
        // (escaped newlines, common in tool output) do not interrupt the vectorized search.
        var start = ++_pos;
        while (true)
        {
            var next = _json[_pos..].IndexOf((byte)'"');
            if (next < 0)
            {
                throw new JsonScanException("unterminated string", start - 1);
            }

            _pos += next;
            var backslashes = 0;
            while (_pos - backslashes - 1 >= start && _json[_pos - backslashes - 1] == (byte)'\\')
            {
                backslashes++;
            }

            if ((backslashes & 1) == 0)
            {
                var raw = _json[start.._pos];
                _pos++;
                return raw;
            }

            _pos++;
        }
    }

    private void SkipContainer()
    {
        var depth = 0;
        var start = _pos;
        while (true)
        {
            var next = _json[_pos..].IndexOfAny(Structural);
            if (next < 0)
            {
                throw new JsonScanException("unterminated object or array", start);
            }

            _pos += next;
            switch (_json[_pos])
            {
                case (byte)'"':
                    RawString();
                    continue;
                case (byte)'{':
                case (byte)'[':
                    depth++;
                    break;
                default:
                    depth--;
                    break;
            }

            _pos++;
            if (depth == 0)
            {
                return;
            }
        }
    }

    private void SkipWhitespace()
    {
        while (_pos < _json.Length && IsWhitespace(_json[_pos]))
        {
            _pos++;
        }
    }

    private static bool IsWhitespace(byte b) => b is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n';

    /// <summary>Skips one value and returns its bytes (without the whitespace around it).</summary>
    private ReadOnlySpan<byte> RawValue()
    {
        Peek();
        var start = _pos;
        SkipValue();
        return _json[start.._pos];
    }

    /// <summary>Decodes JSON escapes from <paramref name="raw"/> into UTF-8 <paramref name="output"/> (never longer).</summary>
    private static int Unescape(ReadOnlySpan<byte> raw, Span<byte> output)
    {
        var o = 0;
        for (var i = 0; i < raw.Length; i++)
        {
            var b = raw[i];
            if (b != (byte)'\\')
            {
                output[o++] = b;
                continue;
            }

            if (++i >= raw.Length)
            {
                throw new JsonScanException("invalid escape", i);
            }

            switch (raw[i])
            {
                case (byte)'"': output[o++] = (byte)'"'; break;
                case (byte)'\\': output[o++] = (byte)'\\'; break;
                case (byte)'/': output[o++] = (byte)'/'; break;
                case (byte)'b': output[o++] = (byte)'\b'; break;
                case (byte)'f': output[o++] = (byte)'\f'; break;
                case (byte)'n': output[o++] = (byte)'\n'; break;
                case (byte)'r': output[o++] = (byte)'\r'; break;
                case (byte)'t': output[o++] = (byte)'\t'; break;
                case (byte)'u':
                    var code = Hex4(raw, i + 1);
                    i += 4;
                    if (code is >= 0xD800 and <= 0xDBFF && i + 6 < raw.Length && raw[i + 1] == (byte)'\\' && raw[i + 2] == (byte)'u')
                    {
                        var low = Hex4(raw, i + 3);
                        if (low is >= 0xDC00 and <= 0xDFFF)
                        {
                            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
                            i += 6;
                        }
                    }

                    if (code is >= 0xD800 and <= 0xDFFF)
                    {
                        code = 0xFFFD; // a lone surrogate: keep the text readable
                    }

                    o += new Rune(code).EncodeToUtf8(output[o..]);
                    break;
                default:
                    throw new JsonScanException($"invalid escape '\\{(char)raw[i]}'", i);
            }
        }

        return o;
    }

    private static int Hex4(ReadOnlySpan<byte> raw, int at)
    {
        if (at + 4 > raw.Length || !Utf8Parser.TryParse(raw.Slice(at, 4), out ushort value, out var consumed, 'X') || consumed != 4)
        {
            throw new JsonScanException("invalid \\u escape", at);
        }

        return value;
    }
}
