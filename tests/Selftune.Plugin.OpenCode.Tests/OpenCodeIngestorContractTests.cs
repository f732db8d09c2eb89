using Selftune.Abstractions;
using Selftune.AdapterKit;

namespace Selftune.Plugin.OpenCode.Tests;

/// <summary>The adapter kit's ingestor contract over the corpus JSON trees plus an <c>opencode.db</c> migrated from them
/// (neither store is append-only).</summary>
public sealed class OpenCodeIngestorContractTests : IngestorContractTests
{
    protected override IIngestor CreateIngestor() => new OpenCodeIngestor();

    protected override void ArrangeSamples(string home)
    {
        var storage = Corpus.ArrangeLegacyStorage(home);
        OpenCodeDb.MigrateLegacy(storage, Path.Combine(Corpus.DataDirectory(home), "opencode.db"));
    }

    protected override string? AppendableSample => null;

    /// <summary>Breaks one part row's JSON in the database: it is reported with its rowid.</summary>
    protected override (string Path, long Line) CorruptOneRecord(string home)
    {
        var path = Path.Combine(Corpus.DataDirectory(home), "opencode.db");
        using var db = OpenCodeDb.Open(path);
        db.Execute("UPDATE part SET data = '{\"type\":\"tool\",' WHERE id = 'part_tool_01'");
        return (path, db.RowId("part", "part_tool_01"));
    }
}
