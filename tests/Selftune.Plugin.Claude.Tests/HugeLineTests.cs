using System.Text;
using Selftune.Abstractions;
using Selftune.AdapterKit;
using Selftune.Plugin.Shared;

namespace Selftune.Plugin.Claude.Tests;

/// <summary>A line of 50 MB (a tool's whole output on one line, as real transcripts have) is read whole and right, and
/// the lines around it too; memory and speed on a 2 GB transcript are measured by bench/peers.py, not here.</summary>
public sealed class HugeLineTests : IDisposable
{
    private const int HugeLength = 50 << 20;

    private readonly string _home = Path.Combine(Path.GetTempPath(), "selftune-huge-" + Guid.NewGuid().ToString("N"));
    private readonly string _file;

    public HugeLineTests() => _file = Path.Combine(_home, ".claude", "projects", "-home-dev-project", "s1.jsonl");

    [Fact]
    public void TheReaderReturnsA50MbLineWholeBetweenShortOnesAndResumesFromItsOffset()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(_file)!);
        var chunk = new byte[1 << 20];
        for (var i = 0; i < chunk.Length; i++)
        {
            chunk[i] = (byte)('a' + (i % 26));
        }

        using (var file = File.Create(_file))
        {
            file.Write("first\n"u8);
            for (var written = 0; written < HugeLength; written += chunk.Length)
            {
                file.Write(chunk);
            }

            file.Write("\r\nlast\n"u8);
        }

        using var stream = File.OpenRead(_file);
        using var reader = new JsonlLineReader(stream, 0);
        Assert.True(reader.TryReadLine(out var first));
        Assert.Equal("first", Encoding.ASCII.GetString(first.Span));
        Assert.True(reader.TryReadLine(out var huge));
        Assert.Equal(HugeLength, huge.Length);
        Assert.Equal((byte)'a', huge.Span[0]);
        Assert.True(huge.Span[^chunk.Length..].SequenceEqual(chunk));
        Assert.Equal(-1, huge.Span.IndexOfAnyExceptInRange((byte)'a', (byte)'z'));
        var afterHuge = reader.Offset;
        Assert.Equal(6 + HugeLength + 2, afterHuge);
        Assert.True(reader.TryReadLine(out var last));
        Assert.Equal("last", Encoding.ASCII.GetString(last.Span));
        Assert.False(reader.TryReadLine(out _));

        // An append is read from the offset: the reader never sees the bytes before it.
        using var resumed = new JsonlLineReader(stream, afterHuge);
        Assert.True(resumed.TryReadLine(out var again));
        Assert.Equal("last", Encoding.ASCII.GetString(again.Span));
        Assert.Equal(new FileInfo(_file).Length, resumed.Offset);
    }

    [Fact]
    public void ALongLineStillBeingWrittenIsNotReturnedUntilItsNewlineArrives()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(_file)!);
        var partial = new byte[3 << 20];
        Array.Fill(partial, (byte)'b');
        using (var file = File.Create(_file))
        {
            file.Write("first\n"u8);
            file.Write(partial);
        }

        using (var stream = File.OpenRead(_file))
        using (var reader = new JsonlLineReader(stream, 0))
        {
            Assert.True(reader.TryReadLine(out _));
            Assert.False(reader.TryReadLine(out _));
            Assert.False(reader.TryReadLine(out _));
            Assert.Equal(6, reader.Offset);
        }

        using (var file = new FileStream(_file, FileMode.Append))
        {
            file.Write("b\nnext\n"u8);
        }

        using var appended = File.OpenRead(_file);
        using var resumed = new JsonlLineReader(appended, 6);
        Assert.True(resumed.TryReadLine(out var whole));
        Assert.Equal(partial.Length + 1, whole.Length);
        Assert.Equal(-1, whole.Span.IndexOfAnyExcept((byte)'b'));
        Assert.True(resumed.TryReadLine(out var next));
        Assert.Equal("next", Encoding.ASCII.GetString(next.Span));
        Assert.Equal(new FileInfo(_file).Length, resumed.Offset);
    }

    [Fact]
    public void ATranscriptWithA50MbToolResultGivesEveryRecord()
    {
        var lines = new TranscriptBuilder("s1")
            .User("show me the whole build log please")
            .ToolUse("toolu_1", "Bash", new System.Text.Json.Nodes.JsonObject { ["command"] = "cat build.log" })
            .ToolResult("toolu_1")
            .User("now summarise the errors in it")
            .Lines.ToArray();
        const string Output = "\"output \\\"quoted\\\" \\\\ done\"";
        Assert.Contains(Output, lines[2], StringComparison.Ordinal);
        lines[2] = lines[2].Replace(Output, "\"" + new string('x', HugeLength) + "\"", StringComparison.Ordinal);
        Directory.CreateDirectory(Path.GetDirectoryName(_file)!);
        File.WriteAllText(_file, string.Concat(lines.Select(l => l + "\n")));

        var ingestor = new ClaudeTranscriptIngestor();
        var context = new PlatformContext(_home, _home, _ => null);
        var sink = new RecordingSink();
        var result = ingestor.Ingest(ingestor.Discover(context, (_, _) => { }).Single(), null, sink, CancellationToken.None);

        Assert.Empty(sink.MalformedLines);
        Assert.Equal(["show me the whole build log please", "now summarise the errors in it"], sink.Prompts.Select(p => p.Text));
        var call = Assert.Single(sink.ToolCalls);
        Assert.Equal("Bash", call.Name);
        Assert.Equal(new FileInfo(_file).Length, result.Cursor.Offset);
    }

    public void Dispose() => Directory.Delete(_home, recursive: true);
}
