using System.Text;
using System.Text.Json;
using Selftune.Core.Hooks;

namespace Selftune.Core.Tests.Hooks;

public sealed class HookSpoolTests : IDisposable
{
    private static readonly DateTimeOffset At = new(2026, 3, 4, 5, 6, 7, TimeSpan.Zero);
    private readonly TempHome _temp = new();

    [Fact]
    public void ThePayloadIsKeptVerbatimOnOneLine()
    {
        var payload = "{\n  \"session_id\": \"s1\",\r\n  \"prompt\": \"line one\\nline two \u00e9\u2713 \\\"q\\\" \t\u0001\"\n}\n";

        var line = Encoding.UTF8.GetString(HookSpool.Envelope(At, "UserPromptSubmit", "claude_code", null, Encoding.UTF8.GetBytes(payload)));

        Assert.EndsWith("}\n", line);
        Assert.DoesNotContain('\n', line.TrimEnd('\n'));
        using var doc = JsonDocument.Parse(line);
        Assert.Equal("UserPromptSubmit", doc.RootElement.GetProperty("event").GetString());
        Assert.Equal("claude_code", doc.RootElement.GetProperty("platform").GetString());
        Assert.Equal(At, doc.RootElement.GetProperty("received_at").GetDateTimeOffset());
        Assert.Equal(payload, doc.RootElement.GetProperty("payload").GetString());
        Assert.False(doc.RootElement.TryGetProperty("argv_payload", out _));
    }

    [Fact]
    public void BytesThatAreNotUtf8AreKeptAsReplacementCharactersAndAnArgumentPayloadAsItIs()
    {
        var line = HookSpool.Envelope(At, "agent-turn-complete", null, "{\"type\":\"agent-turn-complete\"}", [(byte)'a', 0xC3, 0x28, (byte)'b']);

        using var doc = JsonDocument.Parse(line);
        Assert.Equal("a\uFFFD(b", doc.RootElement.GetProperty("payload").GetString());
        Assert.Equal("{\"type\":\"agent-turn-complete\"}", doc.RootElement.GetProperty("argv_payload").GetString());
        Assert.False(doc.RootElement.TryGetProperty("platform", out _));
    }

    [Fact]
    public void TakingTheContentMovesEveryLineAndLeavesTheFileEmptyForLaterAppends()
    {
        var spool = HookSpool.FileFor(_temp.Home.SpoolPath, At);
        var deadline = Environment.TickCount64 + 10_000;
        SpoolFile.Append(spool, "a\n"u8, deadline);
        SpoolFile.Append(spool, "b\n"u8, deadline);

        var taken = Path.Combine(_temp.Home.SpoolPath, "taken.jsonl");
        Assert.Equal(4, SpoolFile.TakeContent(spool, taken, deadline));
        SpoolFile.Append(spool, "c\n"u8, deadline);

        Assert.Equal("a\nb\n", File.ReadAllText(taken));
        Assert.Equal("c\n", File.ReadAllText(spool));
        var none = Path.Combine(_temp.Home.SpoolPath, "none.jsonl");
        Assert.Equal(2, SpoolFile.TakeContent(spool, Path.Combine(_temp.Home.SpoolPath, "taken2.jsonl"), deadline));
        Assert.Equal(0, SpoolFile.TakeContent(spool, none, deadline));
        Assert.False(File.Exists(none));
    }

    [Fact]
    public void AnAppendAfterALineCutShortStartsOnAFreshLine()
    {
        var spool = HookSpool.FileFor(_temp.Home.SpoolPath, At);
        var deadline = Environment.TickCount64 + 10_000;
        SpoolFile.Append(spool, "a\n"u8, deadline);
        File.AppendAllText(spool, "{\"cut"); // an append interrupted before its newline
        SpoolFile.Append(spool, "b\n"u8, deadline);
        SpoolFile.Append(spool, "c\n"u8, deadline);

        Assert.Equal("a\n{\"cut\nb\nc\n", File.ReadAllText(spool));
    }

    [Fact]
    public async Task ConcurrentAppendsAndTakesLoseAndSplitNoLine()
    {
        var spool = HookSpool.FileFor(_temp.Home.SpoolPath, At);
        var deadline = Environment.TickCount64 + 60_000;
        const int writers = 8, linesEach = 1000;
        var longLine = new string('x', SpoolFile.AtomicLineBytes * 3);
        var takes = new List<string>();
        using var done = new CancellationTokenSource();
        var taker = Task.Run(() =>
        {
            for (var i = 0; !done.IsCancellationRequested; i++)
            {
                var target = Path.Combine(_temp.Home.SpoolPath, $"take-{i}.jsonl");
                if (SpoolFile.TakeContent(spool, target, deadline) > 0)
                {
                    takes.Add(target);
                }
            }
        });

        Parallel.For(0, writers, new ParallelOptions { MaxDegreeOfParallelism = writers }, w =>
        {
            for (var i = 0; i < linesEach; i++)
            {
                // Every tenth line is longer than a single atomic write, so it takes the exclusive lock.
                var body = i % 10 == 0 ? longLine : "short";
                SpoolFile.Append(spool, Encoding.UTF8.GetBytes($"{w}:{i}:{body}\n"), deadline);
            }
        });
        done.Cancel();
        await taker;

        var lines = takes.Append(spool).SelectMany(File.ReadAllLines).ToList();
        Assert.Equal(writers * linesEach, lines.Count);
        Assert.Equal(writers * linesEach, lines.Distinct().Count());
        Assert.All(lines, l => Assert.Matches(@"^\d+:\d+:(short|x+)$", l));
        Assert.All(lines.Where(l => l.EndsWith('x')), l => Assert.EndsWith(longLine, l));
    }

    [Fact]
    public void BacklogCountsTheEventsWaiting()
    {
        var deadline = Environment.TickCount64 + 10_000;
        SpoolFile.Append(HookSpool.FileFor(_temp.Home.SpoolPath, At), "{}\n{}\n"u8, deadline);
        SpoolFile.Append(Path.Combine(_temp.Home.SpoolPath, HookSpool.DrainingPrefix + "x.jsonl"), "{}\n"u8, deadline);

        var (events, bytes, oldest) = HookSpool.Backlog(_temp.Home);

        Assert.Equal(3, events);
        Assert.Equal(9, bytes);
        Assert.NotNull(oldest);
    }

    public void Dispose() => _temp.Dispose();
}
