using System.Buffers;
using System.Runtime.InteropServices;

namespace Selftune.Plugin.Shared;

/// <summary>
/// Reads complete <c>\n</c>-terminated lines from a stream, starting at a byte offset, holding one line at a time.
/// A last line without its <c>\n</c> (a writer mid-append) is never returned, so <see cref="Offset"/> always stops just
/// after the last complete line. Compiled into each JSONL-reading plugin as a linked source file (plugins reference
/// only the contract, so they share source, not an assembly). The buffer is pooled: dispose the reader to return it
/// (a reader not disposed only leaves its buffer to the garbage collector). A line longer than the buffer grows it by
/// doubling up to <see cref="MaxPooledLength"/>. A longer line (a tool's whole output on one line: tens of MB in the wild)
/// is found to its end first and then read whole into memory of exactly its length outside the garbage-collected heap,
/// freed when the next line is read: doubling a managed buffer held up to twice the line at once, and the collector
/// kept that memory for the rest of the sync (a 50 MB line took a 2 GB transcript's sync from ~200 to ~300 MB peak).
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
    private NativeLine? _long;

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
        FreeLongLine();
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
            if (_end - _start == _buffer.Length && _buffer.Length >= MaxPooledLength && _stream.CanSeek && !_eof)
            {
                return TryReadLongLine(out line);
            }

            if (_eof || !Fill())
            {
                line = default;
                return false;
            }
        }
    }

    /// <summary>Reads a line that fills the largest pooled buffer without ending in it: finds its end, then reads it
    /// whole into native memory of its exact length (<see cref="NativeLine"/>). A line without its <c>\n</c> at the end
    /// of the stream is not returned, as a short one.</summary>
    private bool TryReadLongLine(out ReadOnlyMemory<byte> line)
    {
        var resume = _stream.Position;
        var length = (long)(_end - _start);
        var scratch = ArrayPool<byte>.Shared.Rent(MaxPooledLength);
        try
        {
            while (true)
            {
                var read = _stream.Read(scratch, 0, scratch.Length);
                if (read == 0)
                {
                    _stream.Position = resume;
                    _eof = true;
                    line = default;
                    return false;
                }

                var newline = Array.IndexOf(scratch, (byte)'\n', 0, read);
                length += newline >= 0 ? newline + 1 : read;
                if (newline >= 0)
                {
                    break;
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(scratch);
        }

        if (length > Array.MaxLength)
        {
            throw new InvalidDataException($"a line of {length:N0} bytes at byte {Offset:N0} is longer than the longest line that can be read (2 GB)");
        }

        _long = new NativeLine((int)length);
        var whole = _long.GetSpan();
        _buffer.AsSpan(_start, _end - _start).CopyTo(whole);
        _stream.Position = resume;
        _stream.ReadExactly(whole[(_end - _start)..]);
        _start = _end = _scanned = 0;
        Offset += length;
        var content = (int)length - 1;
        if (content > 0 && whole[content - 1] == (byte)'\r')
        {
            content--;
        }

        line = _long.Memory[..content];
        return true;
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
        FreeLongLine();
        Release(_buffer);
        _buffer = [];
    }

    private void FreeLongLine()
    {
        ((IDisposable?)_long)?.Dispose();
        _long = null;
    }

    private static void Release(byte[] buffer)
    {
        if (buffer.Length is > 0 and <= MaxPooledLength)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>A line's bytes in native memory (<see cref="NativeMemory"/>), returned to the system on dispose.</summary>
    private sealed unsafe class NativeLine(int length) : MemoryManager<byte>
    {
        private byte* _bytes = (byte*)NativeMemory.Alloc((nuint)length);

        public override Span<byte> GetSpan() => new(_bytes, length);

        public override MemoryHandle Pin(int elementIndex = 0) => new(_bytes + elementIndex);

        public override void Unpin()
        {
        }

        protected override void Dispose(bool disposing)
        {
            NativeMemory.Free(_bytes);
            _bytes = null;
        }
    }
}
