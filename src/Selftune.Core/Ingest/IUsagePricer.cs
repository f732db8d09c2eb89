namespace Selftune.Core.Ingest;

/// <summary>Prices token usage in USD.</summary>
internal interface IUsagePricer
{
    /// <summary>The cost of one model response in USD, or null when the model is not priced.</summary>
    /// <param name="model">Model id as logged.</param>
    /// <param name="inputTokens">Uncached input tokens.</param>
    /// <param name="outputTokens">Output tokens.</param>
    /// <param name="cacheWriteTokens">Prompt-cache write tokens (all cache durations).</param>
    /// <param name="cacheReadTokens">Prompt-cache read tokens.</param>
    /// <param name="cacheWrite1hTokens">Of <paramref name="cacheWriteTokens"/>, those written to the 1-hour cache.</param>
    decimal? Price(string model, long inputTokens, long outputTokens, long cacheWriteTokens, long cacheReadTokens, long cacheWrite1hTokens = 0);
}
