using Selftune.Abstractions;
using Selftune.Core.Privacy;
using Selftune.Core.Signals;

namespace Selftune.Core.Ingest;

/// <summary>A canonical record with the <see cref="RecordWriter"/>'s work that needs no store already done
/// (<see cref="RecordPreparer"/>).</summary>
/// <param name="Record">The record as the plugin gave it.</param>
internal sealed record PreparedRecord(object Record)
{
    /// <summary>The record's text as stored: a prompt's text, a tool call's detail, an error's message, an invocation's
    /// skill path or a commit's title, redacted and then shortened; null when the record has none.</summary>
    public string? Text { get; init; }

    /// <summary>A prompt's text hash (<see cref="RecordWriter.Hash"/> of its redacted, wrapper-stripped text).</summary>
    public string? Hash { get; init; }

    /// <summary>How many secrets redaction replaced.</summary>
    public int Redactions { get; init; }

    /// <summary>A usage record's cost (USD): its own, else the pricer's; null when unknown.</summary>
    public decimal? Cost { get; init; }

    /// <summary>An actionable prompt's improvement signals (empty without a detector).</summary>
    public IReadOnlyList<ImprovementSignal> Signals { get; init; } = [];
}

/// <summary>
/// The CPU work of storing a record that needs no store: redaction, then shortening (so a secret across the cut is
/// replaced whole, not stored as a prefix the patterns no longer recognize), the prompt hash, pricing and improvement
/// signals. Thread-safe: a sync's parse thread runs it while the one writer thread is behind (about a third of the
/// writer's time was this work; bench/RESULTS.md), and the writer runs it otherwise.
/// </summary>
/// <param name="redactor">Applied to every text before it is shortened.</param>
/// <param name="pricer">Prices usage that does not state its cost; null leaves cost unknown.</param>
/// <param name="signals">Finds improvement signals in actionable prompts; null finds none.</param>
internal sealed class RecordPreparer(Redactor redactor, IUsagePricer? pricer, ImprovementSignalDetector? signals)
{
    /// <summary>The most characters of a tool call's detail or a commit's title stored (after redaction).</summary>
    private const int MaxDetail = 200;

    /// <summary>The most characters of an error message stored (after redaction).</summary>
    private const int MaxErrorMessage = 500;

    /// <summary>A prompt: its redacted text, hash and (when actionable) signals.</summary>
    public PreparedRecord Prompt(PromptRecord p)
    {
        var text = redactor.Redact(p.Text, out var n);
        return new PreparedRecord(p)
        {
            Text = text,
            Hash = RecordWriter.Hash(PromptClassifier.StripWrappers(text)),
            Redactions = n,
            Signals = p.IsActionable && signals is not null ? signals.Detect(text) : [],
        };
    }

    /// <summary>A skill invocation: its redacted skill path.</summary>
    public PreparedRecord SkillInvocation(SkillInvocationRecord i)
    {
        var n = 0;
        return new PreparedRecord(i) { Text = i.SkillPath is null ? null : redactor.Redact(i.SkillPath, out n), Redactions = n };
    }

    /// <summary>A tool call: its redacted, shortened detail.</summary>
    public PreparedRecord ToolCall(ToolCallRecord t)
    {
        var n = 0;
        return new PreparedRecord(t) { Text = t.Detail is null ? null : Cut(redactor.Redact(t.Detail, out n), MaxDetail), Redactions = n };
    }

    /// <summary>A usage record: its cost.</summary>
    public PreparedRecord Usage(TokenUsageRecord u) => new(u)
    {
        Cost = u.CostUsd ?? pricer?.Price(u.Model, u.InputTokens, u.OutputTokens, u.CacheWriteTokens, u.CacheReadTokens, u.CacheWrite1hTokens),
    };

    /// <summary>An error: its redacted, shortened message.</summary>
    public PreparedRecord Error(ErrorRecord e) => new(e) { Text = Cut(redactor.Redact(e.Message, out var n), MaxErrorMessage), Redactions = n };

    /// <summary>A commit: its redacted, shortened title.</summary>
    public PreparedRecord Commit(CommitRecord c)
    {
        var n = 0;
        return new PreparedRecord(c) { Text = c.Title is null ? null : Cut(redactor.Redact(c.Title, out n), MaxDetail), Redactions = n };
    }

    private static string Cut(string text, int max) => text.Length > max ? text[..max] : text;
}
