using Selftune.AdapterKit;
using Selftune.Host.Tests.Support;

namespace Selftune.Dashboard.Tests.Support;

/// <summary>
/// A temporary home whose Claude Code projects hold real transcripts of the shared corpus (spotter's session with a real
/// <c>Skill</c> call, claude-code-viewer, agtrace, selftune's sandbox sessions), synced into a store by the real
/// <c>selftune sync</c>. swordintel's sessions are kept back for <see cref="AddLaterProject"/>.
/// </summary>
public sealed class CorpusHome : IDisposable
{
    /// <summary>The session of the corpus with a real skill trigger.</summary>
    public const string SpotterSession = "ae4a77f8-aedd-4bc1-888f-c94edc91af04";

    /// <summary>The skill it triggered.</summary>
    public const string Skill = "elixir:hex-docs-search";

    /// <summary>Creates the home and syncs it.</summary>
    /// <param name="sync">False to leave the store uncreated (an empty home).</param>
    public CorpusHome(bool sync = true)
    {
        Copy("spotter", "-home-USER-projects-spotter");
        Copy("selftune-fixtures", "-sandbox");
        Copy("claude-code-viewer", "-home-USER-projects-viewer");
        Copy("agtrace", "-Users-USER-agent-sample");
        if (sync)
        {
            var result = Cli.Run("sync");
            Assert.True(result.ExitCode == 0, result.ToString());
        }
    }

    /// <summary>The CLI in this home.</summary>
    public SelftuneCli Cli { get; } = new();

    /// <summary>Claude Code's projects folder of this home.</summary>
    public string Projects => Path.Combine(Cli.UserHome, ".claude", "projects");

    /// <summary>Copies swordintel's transcripts in as a new project (not synced).</summary>
    public void AddLaterProject() => Copy("swordintel", "-home-USER-projects-swordintel");

    /// <inheritdoc />
    public void Dispose() => Cli.Dispose();

    private void Copy(string corpus, string project)
    {
        var from = IngestorContractTests.CorpusPath("claude-code", corpus);
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(Projects, project, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target, overwrite: true);
        }
    }
}
