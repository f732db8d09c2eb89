using System.Globalization;
using System.Text;

namespace Selftune.Core.Hooks;

/// <summary>
/// The hook spool: raw hook events as the agent delivered them, one JSON line each, appended by the hook fast path
/// to <c>spool/hooks-&lt;yyyyMMdd&gt;.jsonl</c> (UTC date) and turned into store records later by
/// <c>HookSpoolDrainer</c>. A line is
/// <c>{"received_at":ISO-8601,"event":…,"platform":…,"argv_payload":…,"payload_bytes":…,"payload":"&lt;the payload as received, as a JSON string&gt;"}</c>
/// (<c>payload_bytes</c> only when the payload was cut at <see cref="MaxPayloadBytes"/>);
/// the payload is not validated here: the drainer parses it and counts one that is not valid JSON as malformed.
/// This part is on the hook's hot path (compiled into the native <c>selftune-hook</c> too): it uses no reflection and
/// loads nothing it does not need; what the drain and <c>doctor</c> need is in <c>Hooks/HookSpool.cs</c>.
/// </summary>
internal static partial class HookSpool
{
    /// <summary>The most payload bytes the hook keeps. A larger payload is spooled cut at this size with its full size
    /// (<c>payload_bytes</c>), and the drain stores what it holds with a marker where it was cut (<c>TruncatedPayload</c>).</summary>
    public const int MaxPayloadBytes = 4 * 1024 * 1024;

    /// <summary>The hook's error log, in the home's <c>logs/</c> folder.</summary>
    public const string ErrorLogName = "hook-errors.log";

    /// <summary>Prefix of the files hooks append to.</summary>
    public const string SpoolPrefix = "hooks-";

    /// <summary>Prefix of the files a drain has taken from the spool and not yet finished storing.</summary>
    public const string DrainingPrefix = "draining-";

    /// <summary>The spool file hooks append to at <paramref name="at"/>.</summary>
    /// <param name="spoolFolder">The home's spool folder.</param>
    /// <param name="at">The time (its UTC date names the file).</param>
    public static string FileFor(string spoolFolder, DateTimeOffset at) =>
        Path.Combine(spoolFolder, SpoolPrefix + at.UtcDateTime.ToString("yyyyMMdd", CultureInfo.InvariantCulture) + ".jsonl");

    /// <summary>The hook error log in the logs folder <paramref name="logsFolder"/>.</summary>
    public static string ErrorLogPath(string logsFolder) => Path.Combine(logsFolder, ErrorLogName);

    /// <summary>Builds one spool line (ending with a newline). Written byte by byte: no JSON library is loaded on the
    /// hook's path (loading and warming one costs more than the rest of the hook).</summary>
    /// <param name="receivedAt">When the hook process started.</param>
    /// <param name="eventName">The event named on the command line, if any.</param>
    /// <param name="platform">The platform named by <c>--platform</c>, if any.</param>
    /// <param name="argvPayload">A payload passed as the last command-line argument (the convention of some agents), if any.</param>
    /// <param name="payload">The bytes read from stdin (may be empty). Stored as a JSON string; invalid UTF-8 is
    /// replaced by U+FFFD. Whether it is valid JSON is the drainer's concern.</param>
    /// <param name="payloadBytes">The payload's full size when <paramref name="payload"/> holds only its first bytes
    /// (written as <c>payload_bytes</c>); null when it is whole.</param>
    public static byte[] Envelope(DateTimeOffset receivedAt, string? eventName, string? platform, string? argvPayload, ReadOnlySpan<byte> payload, long? payloadBytes = null)
    {
        var line = new LineBuilder(payload.Length + (payload.Length / 8) + 256);
        line.Raw("{\"received_at\":\""u8);
        line.Raw(Encoding.ASCII.GetBytes(receivedAt.UtcDateTime.ToString("O", CultureInfo.InvariantCulture)));
        line.Raw("\""u8);
        line.Field("event", eventName);
        line.Field("platform", platform);
        line.Field("argv_payload", argvPayload);
        if (payloadBytes is { } size)
        {
            line.Raw(Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $",\"payload_bytes\":{size}")));
        }

        if (!payload.IsEmpty)
        {
            line.Raw(",\"payload\":\""u8);
            line.Escaped(System.Text.Unicode.Utf8.IsValid(payload) ? payload : Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(payload)));
            line.Raw("\""u8);
        }

        line.Raw("}\n"u8);
        return line.ToArray();
    }

    /// <summary>Appends one line to the hook error log. Never throws (there is nowhere left to report to).</summary>
    /// <param name="logsFolder">The home's logs folder.</param>
    /// <param name="at">When it happened.</param>
    /// <param name="context">What was running, e.g. <c>hook UserPromptSubmit</c>.</param>
    /// <param name="message">What went wrong.</param>
    /// <returns>False when the log itself could not be written.</returns>
    public static bool LogError(string logsFolder, DateTimeOffset at, string context, string message)
    {
        try
        {
            var line = $"{at.UtcDateTime:yyyy-MM-dd'T'HH:mm:ss.fff'Z'} {context}: {message.ReplaceLineEndings(" ")}\n";
            SpoolFile.Append(ErrorLogPath(logsFolder), Encoding.UTF8.GetBytes(line), Environment.TickCount64 + 1000);
            return true;
        }
#pragma warning disable CA1031 // The error log is the last resort; a failure to write it is reported by the caller's return path.
        catch (Exception)
#pragma warning restore CA1031
        {
            return false;
        }
    }

    /// <summary>Appends JSON text to a growing byte buffer.</summary>
    private struct LineBuilder(int capacity)
    {
        private byte[] _bytes = new byte[capacity];
        private int _length;

        public void Raw(ReadOnlySpan<byte> bytes)
        {
            Reserve(bytes.Length);
            bytes.CopyTo(_bytes.AsSpan(_length));
            _length += bytes.Length;
        }

        public void Field(string name, string? value)
        {
            if (value is null)
            {
                return;
            }

            Raw(Encoding.UTF8.GetBytes($",\"{name}\":\""));
            Escaped(Encoding.UTF8.GetBytes(value));
            Raw("\""u8);
        }

        /// <summary>Writes valid UTF-8 as the inside of a JSON string (RFC 8259 §7: quote, backslash and control
        /// characters escaped; everything else as is).</summary>
        public void Escaped(ReadOnlySpan<byte> utf8)
        {
            Reserve(utf8.Length);
            foreach (var b in utf8)
            {
                if (b >= 0x20 && b != (byte)'"' && b != (byte)'\\')
                {
                    Reserve(1);
                    _bytes[_length++] = b;
                    continue;
                }

                Reserve(6);
                _bytes[_length++] = (byte)'\\';
                switch (b)
                {
                    case (byte)'"' or (byte)'\\': _bytes[_length++] = b; break;
                    case (byte)'\n': _bytes[_length++] = (byte)'n'; break;
                    case (byte)'\r': _bytes[_length++] = (byte)'r'; break;
                    case (byte)'\t': _bytes[_length++] = (byte)'t'; break;
                    default:
                        _bytes[_length++] = (byte)'u';
                        _bytes[_length++] = (byte)'0';
                        _bytes[_length++] = (byte)'0';
                        _bytes[_length++] = (byte)"0123456789abcdef"[b >> 4];
                        _bytes[_length++] = (byte)"0123456789abcdef"[b & 0xF];
                        break;
                }
            }
        }

        public readonly byte[] ToArray() => _bytes.AsSpan(0, _length).ToArray();

        private void Reserve(int more)
        {
            if (_length + more > _bytes.Length)
            {
                Array.Resize(ref _bytes, Math.Max(_bytes.Length * 2, _length + more));
            }
        }
    }
}
