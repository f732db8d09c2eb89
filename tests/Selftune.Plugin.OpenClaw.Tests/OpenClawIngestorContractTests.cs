using Selftune.Abstractions;
using Selftune.AdapterKit;

namespace Selftune.Plugin.OpenClaw.Tests;

/// <summary>The adapter kit's ingestor contract over the corpus samples.</summary>
public sealed class OpenClawIngestorContractTests : IngestorContractTests
{
    /// <inheritdoc />
    protected override string? AppendableSample => Samples.Large;

    /// <inheritdoc />
    protected override IIngestor CreateIngestor() => new OpenClawIngestor();

    /// <inheritdoc />
    protected override void ArrangeSamples(string home) => Samples.Arrange(home);
}
