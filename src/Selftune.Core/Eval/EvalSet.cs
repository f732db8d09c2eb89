using System.Text.Json.Serialization;

namespace Selftune.Core.Eval;

/// <summary>How a query relates to the skill (the invocation taxonomy; see <see cref="QueryText.Classify"/>).</summary>
internal enum InvocationType
{
    /// <summary>The query names the skill (or the user invoked it by name: <c>/skill</c>, <c>$skill</c>).</summary>
    Explicit,
    /// <summary>The query describes the need without naming the skill.</summary>
    Implicit,
    /// <summary>The need is embedded in concrete context: files, errors, data, dates, long requests.</summary>
    Contextual,
    /// <summary>The skill should not trigger.</summary>
    Negative,
}

/// <summary>One query of a trigger eval set.</summary>
/// <param name="Query">The prompt text (wrapper blocks stripped, redacted, at most <see cref="EvalSetGenerator.MaxQueryLength"/> characters).</param>
/// <param name="ShouldTrigger">True for a positive (the skill should trigger).</param>
/// <param name="Type">Its invocation type; <see cref="InvocationType.Negative"/> exactly when <paramref name="ShouldTrigger"/> is false.
/// In JSON <c>invocation_type</c>, as in skill-creator and selftune eval files (<c>query</c>, <c>should_trigger</c>, <c>invocation_type</c>).</param>
/// <param name="SessionId">The session it was typed in; null for synthetic entries.</param>
/// <param name="PromptId">The stored prompt it came from; null for synthetic entries.</param>
/// <param name="Synthetic">True when an LLM wrote it (cold start), false when a person typed it.</param>
/// <param name="Split"><c>train</c> (the proposer may see it) or <c>validation</c> (held out; only the judge sees it).</param>
internal sealed record EvalEntry(string Query, bool ShouldTrigger, [property: JsonPropertyName("invocation_type")] InvocationType Type, string? SessionId, string? PromptId, bool Synthetic, string Split)
{
    /// <summary>The <see cref="Split"/> value of the part the proposer may see.</summary>
    public const string TrainSplit = "train";

    /// <summary>The <see cref="Split"/> value of the held-out part.</summary>
    public const string ValidationSplit = "validation";
}

/// <summary>A trigger eval set for one skill: real entries first, then synthetic ones; each entry in one split.</summary>
/// <param name="Id">Stable id (<c>es-</c> + 12 hex digits).</param>
/// <param name="Skill">The skill's name as requested.</param>
/// <param name="CreatedAt">When it was generated (UTC).</param>
/// <param name="Seed">The seed of the shuffles and the split: the same store and seed give the same entries and split.</param>
/// <param name="Entries">The entries.</param>
internal sealed record EvalSet(string Id, string Skill, DateTimeOffset CreatedAt, int Seed, IReadOnlyList<EvalEntry> Entries)
{
    /// <summary>The entries the proposer may see.</summary>
    [JsonIgnore]
    public IEnumerable<EvalEntry> Train => Entries.Where(e => e.Split == EvalEntry.TrainSplit);

    /// <summary>The held-out entries (only the judge sees them).</summary>
    [JsonIgnore]
    public IEnumerable<EvalEntry> Validation => Entries.Where(e => e.Split == EvalEntry.ValidationSplit);
}
