using System.Buffers;

namespace Selftune.Plugin.Claude;

/// <summary>
/// Reads complete <c>\n</c>-terminated lines from a stream through one pooled buffer that grows only to the longest
/// line (never to the file). A trailing line without its newline is not returned: it may still be being written,
/// and is read next time from <see cref="Consumed"/>. Lines longer than <see cref="MaxLineBytes"/> are skipped whole
/// and reported as oversized.
/// </summary>
internal sealed class LineReader : IDisposable
{
    /// <summary>The longest line kept (64 MB); longer lines are skipped.</summary>
    public const int MaxLineBytes = 64 * 1024 * 1024;

    private readonly Stream _stream;
    private byte[] _buffer;
    private long _bufferOffset;
    private int _start;
    private int _end;
    private bool _eof;
    private bool _skippingOversized;

    /// <summary>Creates a reader positioned at <paramref name="offset"/> of <paramref name="stream"/>.</summary>
    public LineReader(Stream stream, long offset, int initialBuffer = 256 * 1024)
    {
        _stream = stream;
        _stream.Position = offset;
        _bufferOffset = offset;
        Consumed = offset;
        _buffer = ArrayPool<byte>.Shared.Rent(initialBuffer);
    }

    /// <summary>The stream offset just after the last complete line returned (or skipped).</summary>
    public long Consumed { get; private set; }

    /// <summary>Returns the next complete line (without <c>\n</c> or a trailing <c>\r</c>).</summary>
    /// <param name="line">The line; valid until the next call.</param>
    /// <param name="oversized">True when a line longer than <see cref="MaxLineBytes"/> was skipped instead; <paramref name="line"/> is then empty.</param>
    /// <returns>False at the end of the complete lines.</returns>
    public bool TryReadLine(out ReadOnlySpan<byte> line, out bool oversized)
    {
        var searchFrom = _start;
        while (true)
        {
            var newline = _buffer.AsSpan(searchFrom, _end - searchFrom).IndexOf((byte)'\n');
            if (newline >= 0)
            {
                var lineEnd = searchFrom + newline;
                Consumed = _bufferOffset + lineEnd + 1;
                oversized = _skippingOversized;
                line = oversized ? default : _buffer.AsSpan(_start, lineEnd - _start);
                if (line.Length > 0 && line[^1] == (byte)'\r')
                {
                    line = line[..^1];
                }

                _skippingOversized = false;
                _start = lineEnd + 1;
                return true;
            }

            if (_eof)
            {
                line = default;
                oversized = false;
                return false;
            }

            if (_skippingOversized)
            {
                // Drop what was read of the oversized line.
                _bufferOffset += _end;
                _start = _end = 0;
            }
            else if (_start > 0)
            {
                var pending = _end - _start;
                Buffer.BlockCopy(_buffer, _start, _buffer, 0, pending);
                _bufferOffset += _start;
                _start = 0;
                _end = pending;
            }

            if (_end == _buffer.Length)
            {
                if (_buffer.Length >= MaxLineBytes)
                {
                    _skippingOversized = true;
                    _bufferOffset += _end;
                    _start = _end = 0;
                }
                else
                {
                    var bigger = ArrayPool<byte>.Shared.Rent(Math.Min(MaxLineBytes, _buffer.Length * 2));
                    Buffer.BlockCopy(_buffer, 0, bigger, 0, _end);
                    ArrayPool<byte>.Shared.Return(_buffer);
                    _buffer = bigger;
                }
            }

            searchFrom = _end;
            var read = _stream.Read(_buffer, _end, _buffer.Length - _end);
            _eof = read == 0;
            _end += read;
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = [];
    }
}
