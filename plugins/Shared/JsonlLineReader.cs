using System.Buffers;

namespace Selftune.Plugin.Shared;

/// <summary>
/// Reads complete <c>\n</c>-terminated lines from a stream, starting at a byte offset, holding one line at a time.
/// A last line without its <c>\n</c> (a writer mid-append) is never returned, so <see cref="Offset"/> always stops just
/// after the last complete line. Compiled into each JSONL-reading plugin as a linked source file (plugins reference
/// only the contract, so they share source, not an assembly). The buffer is pooled: dispose the reader to return it
/// (a reader not disposed only leaves its buffer to the garbage collector). A line longer than the buffer grows it by
/// doubling; beyond <see cref="MaxPooledLength"/> (a tool's whole output on one line: tens of MB in the wild) buffers
/// are not pooled, so the pool does not keep every size a long line passed through for the rest of the sync.
/// </summary>
internal sealed class JsonlLineReader : IDisposable
{
    /// <summary>The largest buffer taken from and returned to the shared pool (bytes).</summary>
    private const int MaxPooledLength = 1 << 20;

    private readonly Stream _stream;
    private byte[] _buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
    private int _start;
    private int _end;
    private int _scanned;
    private bool _eof;

    /// <summary>Positions the reader at <paramref name="offset"/>.</summary>
    public JsonlLineReader(Stream stream, long offset)
    {
        _stream = stream;
        _stream.Seek(offset, SeekOrigin.Begin);
        Offset = offset;
    }

    /// <summary>The byte offset just after the last line returned.</summary>
    public long Offset { get; private set; }

    /// <summary>Reads the next complete line, without its <c>\n</c> and a trailing <c>\r</c>.</summary>
    /// <param name="line">The line's bytes, valid until the next call.</param>
    /// <returns>False at the end of the complete lines.</returns>
    public bool TryReadLine(out ReadOnlyMemory<byte> line)
    {
        while (true)
        {
            var newline = Array.IndexOf(_buffer, (byte)'\n', _scanned, _end - _scanned);
            if (newline >= 0)
            {
                var length = newline - _start;
                if (length > 0 && _buffer[newline - 1] == (byte)'\r')
                {
                    length--;
                }

                line = new ReadOnlyMemory<byte>(_buffer, _start, length);
                Offset += newline + 1 - _start;
                _start = _scanned = newline + 1;
                return true;
            }

            _scanned = _end;
            if (_eof || !Fill())
            {
                line = default;
                return false;
            }
        }
    }

    private bool Fill()
    {
        if (_start > 0)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _scanned -= _start;
            _start = 0;
        }

        if (_end == _buffer.Length)
        {
            var length = _buffer.Length * 2;
            var bigger = length <= MaxPooledLength ? ArrayPool<byte>.Shared.Rent(length) : GC.AllocateUninitializedArray<byte>(length);
            Buffer.BlockCopy(_buffer, 0, bigger, 0, _end);
            Release(_buffer);
            _buffer = bigger;
        }

        var read = _stream.Read(_buffer, _end, _buffer.Length - _end);
        if (read == 0)
        {
            _eof = true;
            return false;
        }

        _end += read;
        return true;
    }

    /// <summary>Returns the buffer to the pool; the reader cannot be used afterwards.</summary>
    public void Dispose()
    {
        Release(_buffer);
        _buffer = [];
    }

    private static void Release(byte[] buffer)
    {
        if (buffer.Length is > 0 and <= MaxPooledLength)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
