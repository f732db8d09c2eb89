using System.Text.Json;
using Selftune.Core.Ingest;

namespace Selftune.Core.Pricing;

/// <summary>Prices of one model, in USD per million tokens.</summary>
/// <param name="Input">Uncached input.</param>
/// <param name="Output">Output.</param>
/// <param name="CacheWrite">Prompt-cache writes to the default (5-minute) cache.</param>
/// <param name="CacheWrite1h">Prompt-cache writes to the 1-hour cache.</param>
/// <param name="CacheRead">Prompt-cache reads.</param>
/// <param name="Above200k">Prices of the tokens of a kind beyond the long-context threshold, when the model has them.</param>
internal sealed record ModelPrice(
    decimal Input,
    decimal Output,
    decimal CacheWrite,
    decimal CacheWrite1h,
    decimal CacheRead,
    ModelPrice? Above200k = null);

/// <summary>
/// The offline, dated, per-model price table selftune ships (embedded <c>Pricing/prices.json</c>, USD per million
/// tokens), optionally overridden by a user file, <c>pricing.json</c> in the selftune home, of the same shape: its
/// <c>models</c> replace or add entries by name and its <c>aliases</c> add names.
/// <para>Formula (the one ccusage 20.0.24 applies, so totals agree with it): each token kind is priced separately;
/// cache writes split into the 5-minute part (<c>CacheWrite</c>) and the 1-hour part (<c>CacheWrite1h</c>); for a
/// model with long-context prices, the tokens of a kind beyond <c>long_context_threshold</c> (200,000) in one response
/// are priced at the higher rate (marginally: the first 200,000 at the base rate).</para>
/// <para>Model lookup: the name as logged, then without a provider prefix (<c>anthropic/…</c>), then without a
/// <c>-YYYYMMDD</c> date suffix, then the aliases, all case-insensitive. Unknown models are not priced (null).</para>
/// </summary>
internal sealed class PricingTable : IUsagePricer
{
    /// <summary>The name of the user's override file in the selftune home.</summary>
    public const string OverrideFileName = "pricing.json";

    private readonly Dictionary<string, ModelPrice> _models;
    private readonly Dictionary<string, string> _aliases;
    private readonly Dictionary<string, ModelPrice?> _resolved = new(StringComparer.OrdinalIgnoreCase);
    private readonly Lock _gate = new();

    private PricingTable(PriceFile shipped, PriceFile? user, string? userPath)
    {
        AsOf = shipped.AsOf;
        LongContextThreshold = shipped.LongContextThreshold;
        _models = new Dictionary<string, ModelPrice>(shipped.Models, StringComparer.OrdinalIgnoreCase);
        _aliases = new Dictionary<string, string>(shipped.Aliases, StringComparer.OrdinalIgnoreCase);
        if (user is not null)
        {
            foreach (var (name, price) in user.Models)
            {
                _models[name] = price;
            }

            foreach (var (alias, target) in user.Aliases)
            {
                _aliases[alias] = target;
            }

            OverridePath = userPath;
        }
    }

    /// <summary>The date the shipped prices were taken.</summary>
    public string AsOf { get; }

    /// <summary>Tokens of one kind in one response beyond which long-context prices apply.</summary>
    public long LongContextThreshold { get; }

    /// <summary>The user override file that was applied, if any.</summary>
    public string? OverridePath { get; }

    /// <summary>The shipped table only.</summary>
    public static PricingTable Shipped() => new(ReadShipped(), null, null);

    /// <summary>The shipped table with the user's override file applied when it exists.</summary>
    /// <param name="overridePath">The override file (normally <c>~/.selftune/pricing.json</c>).</param>
    /// <exception cref="SelftuneException"><see cref="ErrorCodes.ConfigInvalid"/> when the override file is not valid JSON of
    /// this shape (with line and column); nothing is priced from it.</exception>
    public static PricingTable Load(string overridePath)
    {
        if (!File.Exists(overridePath))
        {
            return Shipped();
        }

        try
        {
            return new PricingTable(ReadShipped(), PriceFile.Parse(File.ReadAllBytes(overridePath)), overridePath);
        }
        catch (JsonException ex)
        {
            throw new SelftuneException(
                ErrorCodes.ConfigInvalid,
                $"The price override file '{overridePath}' is not valid ({(ex.LineNumber is { } line ? $"line {line + 1}, column {(ex.BytePositionInLine ?? 0) + 1}: " : string.Empty)}{ex.Message}). " +
                "It must hold {\"models\": {\"<model>\": {\"input\": …, \"output\": …, \"cache_write\": …, \"cache_write_1h\": …, \"cache_read\": …}}} in USD per million tokens.",
                ShellCommand.Line($"mv {overridePath} {overridePath + ".invalid"}"),
                inner: ex);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new SelftuneException(ErrorCodes.ConfigInvalid, $"The price override file '{overridePath}' cannot be read: {ex.Message.TrimEnd('.')}.", ShellCommand.Line($"chmod u+r {overridePath}"), inner: ex);
        }
    }

    /// <summary>The prices of <paramref name="model"/>, or null when it is not in the table.</summary>
    public ModelPrice? Find(string model)
    {
        lock (_gate)
        {
            if (!_resolved.TryGetValue(model, out var price))
            {
                price = Resolve(model);
                _resolved[model] = price;
            }

            return price;
        }
    }

    /// <inheritdoc />
    public decimal? Price(string model, long inputTokens, long outputTokens, long cacheWriteTokens, long cacheReadTokens, long cacheWrite1hTokens = 0)
    {
        if (Find(model) is not { } price)
        {
            return null;
        }

        var oneHour = Math.Clamp(cacheWrite1hTokens, 0, cacheWriteTokens);
        var above = price.Above200k;
        var micro = Tiered(inputTokens, price.Input, above?.Input)
            + Tiered(outputTokens, price.Output, above?.Output)
            + Tiered(cacheWriteTokens - oneHour, price.CacheWrite, above?.CacheWrite)
            + Tiered(oneHour, price.CacheWrite1h, above?.CacheWrite1h)
            + Tiered(cacheReadTokens, price.CacheRead, above?.CacheRead);
        return micro / 1_000_000m;
    }

    private decimal Tiered(long tokens, decimal perMillion, decimal? abovePerMillion) =>
        tokens <= 0 ? 0m
        : abovePerMillion is { } above && tokens > LongContextThreshold ? (LongContextThreshold * perMillion) + ((tokens - LongContextThreshold) * above)
        : tokens * perMillion;

    private ModelPrice? Resolve(string model)
    {
        var name = model.Trim();
        if (_models.TryGetValue(name, out var price))
        {
            return price;
        }

        var slash = name.LastIndexOf('/');
        if (slash >= 0 && _models.TryGetValue(name = name[(slash + 1)..], out price))
        {
            return price;
        }

        if (name.Length > 9 && name[^9] == '-' && name[^8..].All(char.IsAsciiDigit) && _models.TryGetValue(name = name[..^9], out price))
        {
            return price;
        }

        return _aliases.TryGetValue(name, out var target) && _models.TryGetValue(target, out price) ? price : null;
    }

    private static PriceFile ReadShipped()
    {
        using var stream = typeof(PricingTable).Assembly.GetManifestResourceStream("Selftune.Pricing.prices.json")
            ?? throw new InvalidOperationException("The shipped price table is missing from the assembly.");
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        return PriceFile.Parse(buffer.ToArray());
    }

    /// <summary>The shape of <c>prices.json</c> and of the user's override file, read without reflection (it is read
    /// on every sync).</summary>
    private sealed record PriceFile(string AsOf, long LongContextThreshold, Dictionary<string, ModelPrice> Models, Dictionary<string, string> Aliases)
    {
        private static readonly JsonDocumentOptions DocumentOptions = new() { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };

        /// <exception cref="JsonException">Not valid JSON, or a price that is not a number (with its line).</exception>
        public static PriceFile Parse(byte[] json)
        {
            using var document = JsonDocument.Parse(json, DocumentOptions);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new JsonException("the file must hold a JSON object", null, 0, 0);
            }

            var models = new Dictionary<string, ModelPrice>(StringComparer.OrdinalIgnoreCase);
            if (root.TryGetProperty("models", out var list) && list.ValueKind == JsonValueKind.Object)
            {
                foreach (var model in list.EnumerateObject())
                {
                    models[model.Name] = Price(model.Value, model.Name);
                }
            }

            var aliases = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            if (root.TryGetProperty("aliases", out var names) && names.ValueKind == JsonValueKind.Object)
            {
                foreach (var alias in names.EnumerateObject())
                {
                    aliases[alias.Name] = alias.Value.GetString() ?? throw new JsonException($"alias '{alias.Name}' must name a model");
                }
            }

            return new PriceFile(
                root.TryGetProperty("as_of", out var asOf) ? asOf.GetString() ?? "unknown" : "unknown",
                root.TryGetProperty("long_context_threshold", out var threshold) && threshold.TryGetInt64(out var t) && t > 0 ? t : 200_000,
                models,
                aliases);
        }

        private static ModelPrice Price(JsonElement element, string model)
        {
            if (element.ValueKind != JsonValueKind.Object)
            {
                throw new JsonException($"'{model}' must be an object of prices");
            }

            decimal Read(string name) =>
                element.TryGetProperty(name, out var value)
                    ? value.ValueKind == JsonValueKind.Number ? value.GetDecimal() : throw new JsonException($"'{model}'.{name} must be a number (USD per million tokens), not {value}")
                    : 0m;

            return new ModelPrice(
                Read("input"),
                Read("output"),
                Read("cache_write"),
                Read("cache_write_1h"),
                Read("cache_read"),
                element.TryGetProperty("above_200k", out var above) ? Price(above, model + ".above_200k") : null);
        }
    }
}
