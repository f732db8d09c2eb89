using System.Text.Json;
using Selftune.Core.Store;

namespace Selftune.Core.Loop;

/// <summary>One past run, as <c>selftune runs</c> lists it.</summary>
/// <param name="RunId">The run.</param>
/// <param name="StartedAt">When it started (UTC).</param>
/// <param name="EndedAt">When it ended (UTC); null while running.</param>
/// <param name="Status">How it ended.</param>
/// <param name="Trigger">Who started it.</param>
/// <param name="DryRun">True when it changed no skill.</param>
/// <param name="ReviewRequired">True when proposals wait for approval.</param>
/// <param name="SampleData">True when it ran on the bundled samples.</param>
/// <param name="Candidates">Skills it picked for evolution.</param>
/// <param name="Deployed">Proposals it deployed.</param>
/// <param name="RolledBack">Deploys it rolled back.</param>
internal sealed record RunSummary(string RunId, DateTimeOffset StartedAt, DateTimeOffset? EndedAt, RunStatus Status, RunTrigger Trigger, bool DryRun, bool ReviewRequired, bool SampleData, int Candidates, int Deployed, int RolledBack);

/// <summary>The <c>runs</c> table: each run is recorded when it starts and completed with its report when it ends.</summary>
internal static class RunHistory
{
    /// <summary>Records that <paramref name="report"/>'s run has started (status <see cref="RunStatus.Running"/>).</summary>
    public static void Start(SelftuneStore store, RunReport report, int pid, string hostname) => store.Execute(
        """
        INSERT INTO runs (run_id, started_at, status, run_trigger, dry_run, review_required, sample_data, pid, hostname)
        VALUES ($id, $started, 'running', $trigger, $dry, $review, $sample, $pid, $host)
        """,
        ("$id", report.RunId),
        ("$started", report.StartedAt.ToUnixTimeMilliseconds()),
        ("$trigger", Name(report.Trigger)),
        ("$dry", report.DryRun ? 1 : 0),
        ("$review", report.ReviewRequired ? 1 : 0),
        ("$sample", report.Data.Sample ? 1 : 0),
        ("$pid", pid),
        ("$host", hostname));

    /// <summary>Stores a running run's report so far (the phases done), so that <c>runs show</c> and the dashboard's run page
    /// follow any run phase by phase, wherever it was started; a run that has ended is left as it is.</summary>
    public static void Progress(SelftuneStore store, RunReport report, string text) => store.Execute(
        "UPDATE runs SET report_json = $json, report_text = $text WHERE run_id = $id AND status = 'running'",
        ("$id", report.RunId),
        ("$json", JsonSerializer.Serialize(report, Json.Options)),
        ("$text", text));

    /// <summary>Stores the finished report: its JSON and its phased text.</summary>
    public static void Finish(SelftuneStore store, RunReport report, string text) => store.Execute(
        """
        UPDATE runs SET ended_at = $ended, status = $status, sample_data = $sample, candidates = $candidates, deployed = $deployed,
               rolled_back = $rolled, report_json = $json, report_text = $text
        WHERE run_id = $id
        """,
        ("$id", report.RunId),
        ("$ended", (report.EndedAt ?? report.StartedAt).ToUnixTimeMilliseconds()),
        ("$status", Name(report.Status)),
        ("$sample", report.Data.Sample ? 1 : 0),
        ("$candidates", report.Totals.Candidates),
        ("$deployed", report.Totals.Deployed),
        ("$rolled", report.Totals.RolledBack),
        ("$json", JsonSerializer.Serialize(report, Json.Options)),
        ("$text", text));

    /// <summary>Marks a run that died without finishing (its lock was found stale) as crashed.</summary>
    /// <returns>True when a running row was marked.</returns>
    public static bool MarkCrashed(SelftuneStore store, string runId, DateTimeOffset now, string reason) => store.Execute(
        "UPDATE runs SET status = 'crashed', ended_at = $now, report_text = $reason WHERE run_id = $id AND status = 'running'",
        ("$id", runId),
        ("$now", now.ToUnixTimeMilliseconds()),
        ("$reason", $"The run stopped without finishing: {reason}.")) > 0;

    /// <summary>The most recent runs, newest first.</summary>
    /// <param name="store">The store.</param>
    /// <param name="limit">How many.</param>
    public static IReadOnlyList<RunSummary> List(SelftuneStore store, int limit) =>
        store.Query($"SELECT {SummaryColumns} FROM runs ORDER BY started_at DESC, run_id DESC LIMIT $limit", ReadSummary, ("$limit", limit));

    /// <summary>One run's stored report.</summary>
    /// <returns>The summary, the report (while running: the phases done so far; null before the first phase ends and after a crash) and its phased text; null when there is no such run.</returns>
    public static (RunSummary Summary, RunReport? Report, string? Text)? Get(SelftuneStore store, string runId)
    {
        var row = store.Query(
            "SELECT report_json, report_text FROM runs WHERE run_id = $id",
            r => (Json: r.IsDBNull(0) ? null : r.GetString(0), Text: r.IsDBNull(1) ? null : r.GetString(1)),
            ("$id", runId));
        if (row.Count == 0)
        {
            return null;
        }

        var summary = store.Query($"SELECT {SummaryColumns} FROM runs WHERE run_id = $id", ReadSummary, ("$id", runId))[0];
        return (summary, row[0].Json is { } json ? JsonSerializer.Deserialize<RunReport>(json, Json.Options) : null, row[0].Text);
    }

    private const string SummaryColumns = "run_id, started_at, ended_at, status, run_trigger, dry_run, review_required, sample_data, candidates, deployed, rolled_back";

    private static RunSummary ReadSummary(StoreRow r) => new(
        r.GetString(0),
        DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(1)),
        r.IsDBNull(2) ? null : DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(2)),
        Enum.Parse<RunStatus>(r.GetString(3), ignoreCase: true),
        Enum.Parse<RunTrigger>(r.GetString(4), ignoreCase: true),
        r.GetInt64(5) != 0,
        r.GetInt64(6) != 0,
        r.GetInt64(7) != 0,
        (int)r.GetInt64(8),
        (int)r.GetInt64(9),
        (int)r.GetInt64(10));

    private static string Name<T>(T value) where T : struct, Enum => value.ToString().ToLowerInvariant();
}
