using Selftune.Abstractions;
using Selftune.AdapterKit;

namespace Selftune.Plugin.Codex.Tests;

/// <summary>The adapter kit's ingestor contract, run over every Codex rollout of the shared corpus.</summary>
public sealed class CodexIngestorContractTests : IngestorContractTests
{
    /// <inheritdoc />
    protected override IIngestor CreateIngestor() => new CodexIngestor();

    /// <inheritdoc />
    protected override void ArrangeSamples(string home) => CodexCorpus.Arrange(home);

    /// <inheritdoc />
    protected override string? AppendableSample => CodexCorpus.Agtrace;
}
