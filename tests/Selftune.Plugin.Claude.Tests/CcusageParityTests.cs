using Selftune.Abstractions;
using Selftune.Core.Ingest;
using Selftune.Core.Pricing;
using Selftune.Core.Privacy;
using Selftune.Core.Store;

namespace Selftune.Plugin.Claude.Tests;

/// <summary>
/// Token and cost totals of the corpus, synced through the real pipeline (ingestor → record writer → SQLite, priced by
/// the shipped <see cref="PricingTable"/>), equal ccusage's. The expected values were produced by ccusage 20.0.24 (its
/// linux-x64 binary, <c>npm install --prefix /tmp/ccusage ccusage@20.0.24</c>) run as
/// <c>CLAUDE_CONFIG_DIR=DIR npx ccusage@20.0.24 session --json --offline</c> with <c>DIR/projects</c> a copy of
/// <c>shared/corpus/claude-code</c>: its <c>totals</c>, the sum of its per-session <c>modelBreakdowns</c> per model, and
/// its session <c>ae4a77f8-…</c> (which it groups from the main file and its <c>subagents/</c> folder).
/// </summary>
public sealed class CcusageParityTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "selftune-ccusage-" + Guid.NewGuid().ToString("N"));
    private readonly SelftuneStore _store;

    public CcusageParityTests()
    {
        Directory.CreateDirectory(_root);
        var config = Path.Combine(_root, "claude-config");
        Selftune.AdapterKit.IngestorContractTests.CopyTree(Selftune.AdapterKit.IngestorContractTests.CorpusPath("claude-code"), Path.Combine(config, "projects"));
        _store = SelftuneStore.Open(Path.Combine(_root, "selftune.db"));
        var context = new PlatformContext(_root, _root, name => name == "CLAUDE_CONFIG_DIR" ? config : null);
        new SyncService([new ClaudeTranscriptIngestor()], TimeProvider.System)
            .Run(_store, context, new Redactor(), PricingTable.Shipped(), new SyncOptions(), CancellationToken.None);
    }

    [Fact]
    public void TotalsEqualCcusage()
    {
        var (input, output, cacheWrite, cacheRead, cost) = Sum("1 = 1");
        Assert.Equal(9_250, input);
        Assert.Equal(207_792, output);
        Assert.Equal(3_019_113, cacheWrite);
        Assert.Equal(59_822_533, cacheRead);
        Assert.Equal(48.0179638, cost, 1e-6);
    }

    [Theory]
    [InlineData("claude-haiku-4-5-20251001", 1486, 31648, 150252, 11156726, 1.4632136)]
    [InlineData("claude-opus-4-1-20250805", 268, 11724, 472098, 6927926, 20.1270465)]
    [InlineData("claude-opus-4-5-20251101", 9, 158, 7610, 286596, 0.1948555)]
    [InlineData("claude-opus-4-6", 1728, 21407, 274398, 6165041, 5.55647175)]
    [InlineData("claude-opus-5", 10, 5, 0, 0, 0.000175)]
    [InlineData("claude-sonnet-4-20250514", 2727, 141733, 2019526, 34559261, 20.0751768)]
    [InlineData("claude-sonnet-4-5-20250929", 3022, 1117, 95229, 726983, 0.60102465)]
    public void PerModelTotalsEqualCcusage(string model, long input, long output, long cacheWrite, long cacheRead, double cost)
    {
        var actual = Sum("model = '" + model + "'");
        Assert.Equal((input, output, cacheWrite, cacheRead), (actual.Input, actual.Output, actual.CacheWrite, actual.CacheRead));
        Assert.Equal(cost, actual.Cost, 1e-6);
    }

    [Fact]
    public void ASessionWithItsSubAgentsEqualsCcusage()
    {
        var actual = Sum("session_id LIKE 'ae4a77f8-aedd-4bc1-888f-c94edc91af04%'");
        Assert.Equal((2_653L, 49_482L, 377_624L, 16_600_744L), (actual.Input, actual.Output, actual.CacheWrite, actual.CacheRead));
        Assert.Equal(6.1725718, actual.Cost, 1e-6);
    }

    public void Dispose()
    {
        _store.Dispose();
        Directory.Delete(_root, recursive: true);
    }

    private (long Input, long Output, long CacheWrite, long CacheRead, double Cost) Sum(string where) =>
        _store.Query(
            $"SELECT total(input_tokens), total(output_tokens), total(cache_write_tokens), total(cache_read_tokens), total(cost_usd) FROM token_usage WHERE {where}",
            r => ((long)r.GetDouble(0), (long)r.GetDouble(1), (long)r.GetDouble(2), (long)r.GetDouble(3), r.GetDouble(4)))[0];
}
