using Selftune.AdapterKit;
using Selftune.Host.Tests.Support;

namespace Selftune.Host.Tests;

/// <summary>A home holding all six agents' real logs (from ../shared/corpus): one sync reads each platform through its
/// own plugin assembly, and a second sync finds nothing changed.</summary>
public sealed class MultiPlatformSyncTests : IDisposable
{
    private readonly SelftuneCli _cli = new();

    [Fact]
    public void OneSyncReadsEveryPlatformThroughItsOwnPlugin()
    {
        var home = _cli.UserHome;
        foreach (var source in new[] { "spotter", "selftune-fixtures", "agtrace" })
        {
            IngestorContractTests.CopyTree(IngestorContractTests.CorpusPath("claude-code", source), Path.Combine(home, ".claude", "projects", source));
        }

        IngestorContractTests.CopyTree(IngestorContractTests.CorpusPath("codex", "sessions"), Path.Combine(home, ".codex", "sessions"));
        IngestorContractTests.CopyTree(IngestorContractTests.CorpusPath("openclaw", "selftune-fixtures", "agents"), Path.Combine(home, ".openclaw", "agents"));
        IngestorContractTests.CopyTree(IngestorContractTests.CorpusPath("opencode", "agent-sessions-fixtures", "storage_v2"), Path.Combine(home, ".local", "share", "opencode", "storage"));
        var pi = Path.Combine(home, ".pi", "agent", "sessions", "--tmp-project--");
        Directory.CreateDirectory(pi);
        File.Copy(IngestorContractTests.CorpusPath("openclaw", "agent-sessions-fixtures", "pi-small.jsonl"), Path.Combine(pi, "2026-05-12T01-02-27-657Z_019e19b4-eb48-746a-aa6b-8dfcfa37954b.jsonl"));
        var cline = Path.Combine(home, ".cline", "data", "sessions", "1784094124598_rruoq");
        Directory.CreateDirectory(cline);
        File.Copy(IngestorContractTests.CorpusPath("cline", "cline-sdk-fixtures", "session.messages.json"), Path.Combine(cline, "1784094124598_rruoq.messages.json"));

        var plugins = _cli.Run("plugins", "--json").Json.GetProperty("plugins").EnumerateArray().Where(p => p.GetProperty("origin").GetString() == "bundled").ToList();
        Assert.Equal(6, plugins.Select(p => p.GetProperty("path").GetString()).Distinct().Count());
        Assert.All(plugins, p => Assert.Equal("loaded", p.GetProperty("status").GetString()));

        var first = _cli.Run("sync", "--json");
        Assert.Equal(0, first.ExitCode);
        var platforms = first.Json.GetProperty("platforms").EnumerateArray().ToDictionary(p => p.GetProperty("platform").GetString()!);
        foreach (var platform in new[] { "claude_code", "codex", "opencode", "openclaw", "pi", "cline" })
        {
            Assert.True(platforms[platform].GetProperty("sessions").GetInt32() > 0, $"{platform} yielded no session");
            Assert.True(platforms[platform].GetProperty("actionable_prompts").GetInt32() > 0, $"{platform} yielded no actionable prompt");
        }

        var second = _cli.Run("sync", "--json");
        Assert.All(second.Json.GetProperty("platforms").EnumerateArray(), p => Assert.Equal(0, p.GetProperty("sources_read").GetInt32()));
    }

    public void Dispose() => _cli.Dispose();
}
