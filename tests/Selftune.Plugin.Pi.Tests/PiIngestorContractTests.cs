using Selftune.Abstractions;
using Selftune.AdapterKit;

namespace Selftune.Plugin.Pi.Tests;

/// <summary>The adapter kit's ingestor contract over real Pi session files.</summary>
public sealed class PiIngestorContractTests : IngestorContractTests
{
    /// <inheritdoc />
    protected override string? AppendableSample => Samples.Large;

    /// <inheritdoc />
    protected override IIngestor CreateIngestor() => new PiIngestor();

    /// <inheritdoc />
    protected override void ArrangeSamples(string home) => Samples.Arrange(home);
}
