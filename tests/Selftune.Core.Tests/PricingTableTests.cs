using Selftune.Core.Pricing;

namespace Selftune.Core.Tests;

/// <summary>The shipped price table and the formula it shares with ccusage 20.0.24 (values read back from ccusage
/// by pricing one token kind at a time; see <c>Pricing/prices.json</c>).</summary>
public sealed class PricingTableTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "selftune-pricing-" + Guid.NewGuid().ToString("N"));

    public PricingTableTests() => Directory.CreateDirectory(_dir);

    [Theory]
    [InlineData("claude-opus-4-6", 1_000_000, 0, 0, 0, 0, "5")]
    [InlineData("claude-opus-4-6", 0, 1_000_000, 0, 0, 0, "25")]
    [InlineData("claude-opus-4-6", 0, 0, 1_000_000, 0, 0, "6.25")]
    [InlineData("claude-opus-4-6", 0, 0, 1_000_000, 0, 1_000_000, "10")]  // 1-hour cache writes: 2× input
    [InlineData("claude-opus-4-6", 0, 0, 0, 1_000_000, 0, "0.5")]
    [InlineData("claude-haiku-4-5-20251001", 100, 200, 300, 400, 0, "0.001515")]
    public void PricesEachTokenKind(string model, long input, long output, long cacheWrite, long cacheRead, long oneHour, string expected) =>
        Assert.Equal(decimal.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), PricingTable.Shipped().Price(model, input, output, cacheWrite, cacheRead, oneHour));

    [Fact]
    public void LongContextTokensBeyondTheThresholdCostMoreMarginally()
    {
        var table = PricingTable.Shipped();
        // Sonnet 4: $3 per million up to 200k input tokens, $6 beyond: 200k × 3 + 100k × 6.
        Assert.Equal(1.2m, table.Price("claude-sonnet-4-20250514", 300_000, 0, 0, 0));
        Assert.Equal(0.6m, table.Price("claude-sonnet-4-20250514", 200_000, 0, 0, 0));
        // Opus 4.6 has no long-context price.
        Assert.Equal(1.5m, table.Price("claude-opus-4-6", 300_000, 0, 0, 0));
    }

    [Theory]
    [InlineData("claude-sonnet-4-5-20250929", "claude-sonnet-4-5")]
    [InlineData("anthropic/claude-opus-4-1", "claude-opus-4-1")]
    [InlineData("CLAUDE-OPUS-4-6", "claude-opus-4-6")]
    [InlineData("sonnet", "claude-sonnet-4-5")]
    public void FindsModelsByDateSuffixProviderPrefixCaseAndAlias(string logged, string entry) =>
        Assert.Equal(PricingTable.Shipped().Find(entry), PricingTable.Shipped().Find(logged));

    [Fact]
    public void UnknownModelsAreNotPriced()
    {
        Assert.Null(PricingTable.Shipped().Price("<synthetic>", 10, 10, 0, 0));
        Assert.Null(PricingTable.Shipped().Price("some-local-model", 10, 10, 0, 0));
    }

    [Fact]
    public void AUserFileOverridesAndAddsModels()
    {
        var file = Path.Combine(_dir, PricingTable.OverrideFileName);
        File.WriteAllText(file, """
            {
              // my negotiated price
              "models": {
                "claude-opus-4-6": { "input": 1, "output": 2, "cache_write": 3, "cache_write_1h": 4, "cache_read": 0.5 },
                "local-llama": { "input": 0, "output": 0, "cache_write": 0, "cache_write_1h": 0, "cache_read": 0 }
              },
              "aliases": { "big": "claude-opus-4-6" }
            }
            """);
        var table = PricingTable.Load(file);
        Assert.Equal(file, table.OverridePath);
        Assert.Equal(1m, table.Price("claude-opus-4-6", 1_000_000, 0, 0, 0));
        Assert.Equal(2m, table.Price("big", 0, 1_000_000, 0, 0));
        Assert.Equal(0m, table.Price("local-llama", 1_000, 1_000, 0, 0));
        Assert.Equal(1m, table.Price("claude-haiku-4-5", 1_000_000, 0, 0, 0)); // shipped entries stay
    }

    [Fact]
    public void AnInvalidUserFileIsAClearError()
    {
        var file = Path.Combine(_dir, PricingTable.OverrideFileName);
        File.WriteAllText(file, "{\n  \"models\": {\n    \"x\": { \"input\": \"cheap\" }\n  }\n}\n");
        var error = Assert.Throws<SelftuneException>(() => PricingTable.Load(file));
        Assert.Equal(ErrorCodes.ConfigInvalid, error.Code);
        Assert.Contains(file, error.Message, StringComparison.Ordinal);
        Assert.Contains("'x'.input must be a number", error.Message, StringComparison.Ordinal);

        File.WriteAllText(file, "{\n  \"models\": {\n    \"x\": { \"input\": 1, }\n  ]\n}\n");
        Assert.Contains("line 4", Assert.Throws<SelftuneException>(() => PricingTable.Load(file)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AMissingUserFileMeansTheShippedTable() =>
        Assert.Null(PricingTable.Load(Path.Combine(_dir, "absent.json")).OverridePath);

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
