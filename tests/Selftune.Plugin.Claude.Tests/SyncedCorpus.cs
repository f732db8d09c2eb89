using Selftune.Abstractions;
using Selftune.Core.Ingest;
using Selftune.Core.Pricing;
using Selftune.Core.Privacy;
using Selftune.Core.Store;

namespace Selftune.Plugin.Claude.Tests;

/// <summary>The Claude Code corpus synced into a real store through the real pipeline (ingestor → record writer →
/// SQLite, priced by the shipped <see cref="PricingTable"/>, outcomes classified at the end of the sync), once per test class.</summary>
public sealed class SyncedCorpus : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "selftune-synced-corpus-" + Guid.NewGuid().ToString("N"));

    public SyncedCorpus()
    {
        Directory.CreateDirectory(_root);
        var config = Path.Combine(_root, "claude-config");
        Selftune.AdapterKit.IngestorContractTests.CopyTree(Selftune.AdapterKit.IngestorContractTests.CorpusPath("claude-code"), Path.Combine(config, "projects"));
        Store = SelftuneStore.Open(Path.Combine(_root, "selftune.db"));
        var context = new PlatformContext(_root, _root, name => name == "CLAUDE_CONFIG_DIR" ? config : null);
        new SyncService([new ClaudeTranscriptIngestor()], TimeProvider.System)
            .Run(Store, context, new Redactor(), PricingTable.Shipped(), new SyncOptions(), CancellationToken.None);
    }

    internal SelftuneStore Store { get; }

    /// <summary>The top-level session read from the corpus file <paramref name="file"/> (a path under <c>claude-code/</c>).</summary>
    internal string SessionOf(string file) => Assert.Single(Store.Query(
        "SELECT session_id FROM sessions WHERE source_path LIKE $p AND parent_session_id IS NULL",
        r => r.GetString(0), ("$p", "%" + file.Replace('/', Path.DirectorySeparatorChar))));

    public void Dispose()
    {
        Store.Dispose();
        Directory.Delete(_root, recursive: true);
    }
}
