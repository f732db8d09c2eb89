using Selftune.Abstractions;
using Selftune.AdapterKit;

namespace Selftune.Plugin.Cline.Tests;

/// <summary>The adapter kit's ingestor contract over the Cline fixtures. Cline rewrites its JSON files whole, so there is
/// no append-only sample; the malformed record is a task's UI file cut short in its last message, as when Cline is killed
/// while saving.</summary>
public sealed class ClineIngestorContractTests : IngestorContractTests
{
    /// <inheritdoc />
    protected override string? AppendableSample => null;

    /// <inheritdoc />
    protected override IIngestor CreateIngestor() => new ClineIngestor();

    /// <inheritdoc />
    protected override void ArrangeSamples(string home) => Samples.Arrange(home);

    /// <inheritdoc />
    protected override (string Path, long Line) CorruptOneRecord(string home) => ClineIngestorTests.CutShort(Path.Combine(home, Samples.TaskUi));
}
