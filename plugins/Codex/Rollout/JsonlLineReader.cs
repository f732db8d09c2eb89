using System.Buffers;

namespace Selftune.Plugin.Codex.Rollout;

/// <summary>
/// Reads complete <c>\n</c>-terminated lines from a stream, from a byte offset, holding one line (plus a read
/// buffer) in memory at a time. A trailing line without <c>\n</c> is never returned: it may still be being written.
/// </summary>
internal sealed class JsonlLineReader : IDisposable
{
    private const int InitialBuffer = 64 * 1024;
    private readonly Stream _stream;
    private byte[] _buffer = ArrayPool<byte>.Shared.Rent(InitialBuffer);
    private int _start;
    private int _end;
    private bool _eof;

    /// <summary>Starts reading <paramref name="stream"/> at <paramref name="offset"/>.</summary>
    public JsonlLineReader(Stream stream, long offset)
    {
        _stream = stream;
        _stream.Seek(offset, SeekOrigin.Begin);
        Offset = offset;
    }

    /// <summary>The byte offset just after the last complete line returned.</summary>
    public long Offset { get; private set; }

    /// <summary>Returns the next complete line, without its <c>\n</c> (and a <c>\r</c> before it).</summary>
    /// <param name="line">The line's bytes, valid until the next call.</param>
    /// <returns>False at the end of the complete lines.</returns>
    public bool TryReadLine(out ReadOnlyMemory<byte> line)
    {
        var scanFrom = _start;
        while (true)
        {
            var newline = _buffer.AsSpan(scanFrom, _end - scanFrom).IndexOf((byte)'\n');
            if (newline >= 0)
            {
                var lineEnd = scanFrom + newline;
                var length = lineEnd - _start;
                if (length > 0 && _buffer[lineEnd - 1] == (byte)'\r')
                {
                    length--;
                }

                line = _buffer.AsMemory(_start, length);
                Offset += lineEnd + 1 - _start;
                _start = lineEnd + 1;
                return true;
            }

            if (_eof)
            {
                line = default;
                return false;
            }

            scanFrom = _end;
            Fill(ref scanFrom);
        }
    }

    private void Fill(ref int scanFrom)
    {
        if (_start > 0)
        {
            var pending = _end - _start;
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, pending);
            scanFrom -= _start;
            _start = 0;
            _end = pending;
        }

        if (_end == _buffer.Length)
        {
            var larger = ArrayPool<byte>.Shared.Rent(_buffer.Length * 2);
            Buffer.BlockCopy(_buffer, 0, larger, 0, _end);
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = larger;
        }

        var read = _stream.Read(_buffer, _end, _buffer.Length - _end);
        if (read == 0)
        {
            _eof = true;
        }

        _end += read;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = [];
    }
}
