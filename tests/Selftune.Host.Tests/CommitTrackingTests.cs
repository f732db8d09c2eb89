using Selftune.Host.Tests.Support;

namespace Selftune.Host.Tests;

/// <summary>A git commit seen in a session's shell tool output is stored with the session and shown by <c>sessions</c> and <c>last</c>.</summary>
public sealed class CommitTrackingTests : IDisposable
{
    private readonly SelftuneCli _cli = new();

    [Fact]
    public void ACommitInAPiSessionShowsInSessionsAndLast()
    {
        var folder = Path.Combine(_cli.UserHome, ".pi", "agent", "sessions", "--work-app--");
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "2026-06-01T10-00-00-000Z_pi-commit-1.jsonl"), string.Join("\n",
            """{"type":"session","version":3,"id":"pi-commit-1","timestamp":"2026-06-01T10:00:00.000Z","cwd":"/work/app"}""",
            """{"type":"message","id":"m1","parentId":null,"timestamp":"2026-06-01T10:00:01.000Z","message":{"role":"user","content":[{"type":"text","text":"commit the fix to the parser"}]}}""",
            """{"type":"message","id":"m2","parentId":"m1","timestamp":"2026-06-01T10:00:02.000Z","message":{"role":"assistant","content":[{"type":"toolCall","id":"call_1","name":"bash","arguments":{"command":"git commit -am 'Fix the parser'"}}],"model":"claude-sonnet-4-5","usage":{"input":100,"output":20,"cacheRead":0,"cacheWrite":0}}}""",
            """{"type":"message","id":"m3","parentId":"m2","timestamp":"2026-06-01T10:00:03.000Z","message":{"role":"toolResult","toolCallId":"call_1","toolName":"bash","content":[{"type":"text","text":"[main 1f2e3d4] Fix the parser\n 1 file changed, 2 insertions(+)"}],"isError":false}}""") + "\n");

        var sync = _cli.Run("sync", "--json");
        Assert.True(sync.ExitCode == 0, sync.ToString());
        var pi = sync.Json.GetProperty("platforms").EnumerateArray().Single(p => p.GetProperty("platform").GetString() == "pi");
        Assert.Equal(1, pi.GetProperty("commits").GetInt32());

        var session = _cli.Run("sessions", "--json").Json.GetProperty("sessions").EnumerateArray().Single();
        var commit = session.GetProperty("commits").EnumerateArray().Single();
        Assert.Equal(("1f2e3d4", "commit", "main", "/work/app", "Fix the parser"),
            (commit.GetProperty("sha").GetString(), commit.GetProperty("command").GetString(), commit.GetProperty("branch").GetString(),
             commit.GetProperty("repository").GetString(), commit.GetProperty("title").GetString()));
        Assert.Equal("1f2e3d4", _cli.Run("last", "--json").Json.GetProperty("session").GetProperty("commits")[0].GetProperty("sha").GetString());
    }

    public void Dispose() => _cli.Dispose();
}
