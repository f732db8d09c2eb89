using Selftune.AdapterKit;

namespace Selftune.Plugin.OpenCode.Tests;

/// <summary>The OpenCode part of the shared corpus (../shared/corpus/opencode; licences in MANIFEST.md): the native JSON
/// session trees written by agent-sessions, cass and opencode-session-tui as fixtures, and one real session converted
/// by GuideAI into its own JSONL.</summary>
internal static class Corpus
{
    public static readonly string[] StorageTrees =
    [
        IngestorContractTests.CorpusPath("opencode", "agent-sessions-fixtures", "storage_v2"),
        IngestorContractTests.CorpusPath("opencode", "agent-sessions-fixtures", "storage_legacy"),
        IngestorContractTests.CorpusPath("opencode", "cass-fixtures", "storage"),
        IngestorContractTests.CorpusPath("opencode", "markus-kb-fixtures", "storage"),
    ];

    public static string GuideAiExport => IngestorContractTests.CorpusPath("opencode", "non-native-guideai-export", "sample-opencode-session.jsonl");

    /// <summary>OpenCode's data folder under a fake home.</summary>
    public static string DataDirectory(string home) => Path.Combine(home, ".local", "share", "opencode");

    /// <summary>Copies every corpus JSON tree into one <c>storage/</c> folder (their ids do not collide) and returns it.</summary>
    public static string ArrangeLegacyStorage(string home)
    {
        var storage = Path.Combine(DataDirectory(home), "storage");
        foreach (var tree in StorageTrees)
        {
            IngestorContractTests.CopyTree(tree, storage);
        }

        return storage;
    }
}
