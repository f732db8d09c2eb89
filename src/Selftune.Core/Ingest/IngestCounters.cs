namespace Selftune.Core.Ingest;

/// <summary>What was stored for one platform during a sync or hook drain. Counts are of records written, after
/// de-duplication by id.</summary>
internal sealed class IngestCounters
{
    /// <summary>The most malformed-record details kept (the count is always exact).</summary>
    public const int MaxMalformedDetails = 20;

    /// <summary>Platform id.</summary>
    public required string Platform { get; init; }
    /// <summary>Sources (files, databases) found.</summary>
    public int SourcesFound { get; set; }
    /// <summary>Sources read this time (new or changed).</summary>
    public int SourcesRead { get; set; }
    /// <summary>Sources skipped because nothing changed since the last sync.</summary>
    public int SourcesUnchanged { get; set; }
    /// <summary>Sources that could not be read (vanished, unreadable).</summary>
    public int SourcesFailed { get; set; }
    /// <summary>Lines (or rows) read.</summary>
    public long Lines { get; set; }
    /// <summary>Distinct sessions touched.</summary>
    public int Sessions { get; set; }
    /// <summary>Prompts of any kind.</summary>
    public int Prompts { get; set; }
    /// <summary>Actionable prompts (typed by a person).</summary>
    public int ActionablePrompts { get; set; }
    /// <summary>Skill invocations, explicit uses and SKILL.md reads.</summary>
    public int SkillInvocations { get; set; }
    /// <summary>Tool calls.</summary>
    public int ToolCalls { get; set; }
    /// <summary>Tool calls whose result was an error.</summary>
    public int ToolErrors { get; set; }
    /// <summary>Token usage rows (one per model response).</summary>
    public int UsageRecords { get; set; }
    /// <summary>Session errors.</summary>
    public int Errors { get; set; }
    /// <summary>Git commits linked to sessions (new or updated).</summary>
    public int Commits { get; set; }
    /// <summary>Improvement signals found in actionable prompts (corrections, explicit requests for a skill).</summary>
    public int ImprovementSignals { get; set; }
    /// <summary>Secrets replaced by the redactor.</summary>
    public int Redactions { get; set; }
    /// <summary>Hook records superseded by transcript records of the same event.</summary>
    public int Superseded { get; set; }
    /// <summary>Malformed records skipped.</summary>
    public int Malformed { get; set; }
    /// <summary>The first <see cref="MaxMalformedDetails"/> malformed records: file, line, reason.</summary>
    public List<MalformedRecord> MalformedDetails { get; } = [];
    /// <summary>Problems that are not a record (unreadable folders, vanished files).</summary>
    public List<string> Problems { get; } = [];
    /// <summary>Time spent reading this platform's sources (ms), summed over the parse threads.</summary>
    public long ElapsedMs { get; set; }

    /// <summary>Records a malformed input record.</summary>
    public void AddMalformed(string path, long line, string reason)
    {
        Malformed++;
        if (MalformedDetails.Count < MaxMalformedDetails)
        {
            MalformedDetails.Add(new MalformedRecord(path, line, reason));
        }
    }
}

/// <summary>One skipped input record.</summary>
/// <param name="Path">File (or database).</param>
/// <param name="Line">1-based line (row) number; 0 when not line-oriented.</param>
/// <param name="Reason">What is wrong with it.</param>
internal sealed record MalformedRecord(string Path, long Line, string Reason);

/// <summary>Per-platform counters, created on first use.</summary>
internal static class IngestCountersTable
{
    /// <summary>The counters of <paramref name="platform"/> in <paramref name="counters"/>, added when missing.</summary>
    public static IngestCounters For(this Dictionary<string, IngestCounters> counters, string platform)
    {
        if (!counters.TryGetValue(platform, out var c))
        {
            counters[platform] = c = new IngestCounters { Platform = platform };
        }

        return c;
    }
}
