using Selftune.Abstractions;
using Selftune.Core.Analysis;
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
/// <para><c>selftune cost</c> (<see cref="CostReports"/>) is pinned the same way to <c>ccusage@20.0.24 daily --json --offline
/// --timezone UTC</c> (each day's tokens and <c>totalCost</c>) and <c>session --json --offline --timezone UTC</c> (the
/// sessions ccusage keys by one transcript file: it groups files that share a folder under one "session"), with the two
/// differences named beside their cases.</para>
/// </summary>
public sealed class CcusageParityTests(SyncedCorpus corpus) : IClassFixture<SyncedCorpus>
{
    private SelftuneStore Store => corpus.Store;

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

    [Theory]
    [InlineData("2025-08-14", 506, 50427, 338728, 8387684, 10.480626)]
    [InlineData("2025-08-24", 1247, 46174, 1887893, 28117507, 24.2688604)]
    [InlineData("2025-08-25", 102, 331, 66582, 906664, 2.6347635)]
    [InlineData("2025-09-03", 1011, 52896, 150674, 3751073, 2.4868224)]
    [InlineData("2025-09-07", 129, 3629, 47747, 324259, 0.3311509)]
    [InlineData("2025-12-09", 1037, 1111, 5158, 93553, 0.0648624)]
    [InlineData("2025-12-16", 10, 5, 0, 0, 0.000175)]
    [InlineData("2026-01-02", 860, 1632, 8467, 223265, 0.0419303)]
    [InlineData("2026-01-21", 9, 158, 7610, 286596, 0.1948555)]
    // ccusage's daily (not its session report) also counts the usage of sub-agent responses that spotter/subagent.jsonl
    // only echoes in `progress` lines (data.message.message.usage: 5 responses, 24/7/14,285/95,343 tokens, $0.0381633),
    // whose own transcript is not in the corpus; selftune counts what ccusage's session report counts: 1657 - 24, ….
    [InlineData("2026-02-10", 1633, 1811, 57373, 527032, 0.9288493 - 0.0381633)]
    [InlineData("2026-02-12", 2706, 49618, 448881, 17204900, 6.6232314)]
    public void CostByDayEqualsCcusageDaily(string day, long input, long output, long cacheWrite, long cacheRead, double cost) =>
        AssertCostRow(CostGrouping.Day, day, input, output, cacheWrite, cacheRead, cost);

    [Fact]
    public void CostByDayHasCcusagesDaysAndMonthsAndNoOthers()
    {
        var days = CostReports.Build(Store, new CostQuery(CostGrouping.Day, TimeZone: TimeZoneInfo.Utc));
        Assert.Equal(11, days.Rows.Count);
        var months = CostReports.Build(Store, new CostQuery(CostGrouping.Month, TimeZone: TimeZoneInfo.Utc));
        (string Month, double Cost)[] ccusage = [("2025-08", 37.3842499), ("2025-09", 2.8179733), ("2025-12", 0.0650374), ("2026-01", 0.2367858), ("2026-02", 7.5520807 - 0.0381633)];
        Assert.Equal(ccusage.Select(m => m.Month), months.Rows.Select(r => r.Key));
        Assert.All(ccusage.Zip(months.Rows), pair => Assert.Equal(pair.First.Cost, (double)pair.Second.Tokens.CostUsd, 1e-6));
    }

    [Theory]
    [InlineData("spotter/ae4a77f8-aedd-4bc1-888f-c94edc91af04.jsonl", 2653, 49482, 377624, 16600744, 6.1725718)]
    [InlineData("claude-code-viewer/fe5e1c67-53e7-4862-81ae-d0e013e3270b.jsonl", 818, 51933, 137976, 3647854, 2.3932152)]
    // agent-test-hash-123.jsonl is a sub-agent of 5c0375b4 (its sessionId): selftune folds it into its parent, ccusage
    // lists the file apart (100/10/0/0, $0.00045); the expected figures are the sum of ccusage's two.
    [InlineData("claude-code-viewer/5c0375b4-57a5-4f26-b12d-d022ee4e51b7.jsonl", 229, 3639, 47747, 324259, 0.3311509 + 0.00045)]
    [InlineData("claude-code-viewer/1af7fc5e-8455-4414-9ccd-011d40f70b2a.jsonl", 93, 953, 12698, 103219, 0.0931572)]
    [InlineData("claude-reliability/coverage-test-fix.jsonl", 9, 158, 7610, 286596, 0.1948555)]
    [InlineData("spotter/tool_heavy.jsonl", 54, 212, 17696, 88231, 0.2266455)]
    [InlineData("spotter/short.jsonl", 3, 13, 13835, 11515, 0.1444475)]
    [InlineData("agent-sessions-fixtures/small.jsonl", 10, 5, 0, 0, 0.000175)]
    public void CostBySessionEqualsCcusageSession(string file, long input, long output, long cacheWrite, long cacheRead, double cost) =>
        AssertCostRow(CostGrouping.Session, corpus.SessionOf(file), input, output, cacheWrite, cacheRead, cost);

    private void AssertCostRow(CostGrouping grouping, string key, long input, long output, long cacheWrite, long cacheRead, double cost)
    {
        var report = CostReports.Build(Store, new CostQuery(grouping, TimeZone: TimeZoneInfo.Utc));
        var row = Assert.Single(report.Rows, r => r.Key == key);
        Assert.Equal((input, output, cacheWrite, cacheRead), (row.Tokens.Input, row.Tokens.Output, row.Tokens.CacheWrite, row.Tokens.CacheRead));
        Assert.Equal(cost, (double)row.Tokens.CostUsd, 1e-6);
    }

    private (long Input, long Output, long CacheWrite, long CacheRead, double Cost) Sum(string where) =>
        Store.Query(
            $"SELECT total(input_tokens), total(output_tokens), total(cache_write_tokens), total(cache_read_tokens), total(cost_usd) FROM token_usage WHERE {where}",
            r => ((long)r.GetDouble(0), (long)r.GetDouble(1), (long)r.GetDouble(2), (long)r.GetDouble(3), r.GetDouble(4)))[0];
}
