using System.Globalization;
using System.Text;

namespace Selftune.Core.Loop;

/// <summary>Renders a <see cref="RunReport"/> as the phased plain-text report people read on stderr (and that is stored with the run).</summary>
internal static class RunReportText
{
    /// <summary>Renders the report.</summary>
    public static string Render(RunReport report)
    {
        var text = new StringBuilder();
        void Line(string line = "") => text.Append(line).Append('\n');
        var mode = report.DryRun ? "dry run, nothing changed" : report.ReviewRequired ? "review required, nothing deployed" : "deploys validated improvements";
        Line($"selftune run {report.RunId} ({report.Trigger.ToString().ToLowerInvariant()}, {mode})");
        if (report.Data.Sample)
        {
            Line($"  SAMPLE DATA: {report.Data.Note}");
        }

        if (report.RecoveredLock is { } recovered)
        {
            Line($"  recovered a stale lock: {recovered}");
        }

        Line($"  LLM: {report.Llm}");
        foreach (var phase in report.Phases)
        {
            Line();
            var mark = phase.Status switch { PhaseStatus.Ok => "ok", PhaseStatus.Skipped => "skipped", PhaseStatus.Abandoned => "abandoned", _ => "FAILED" };
            Line($"[{Json.Name(phase.Name)}] {mark} ({phase.ElapsedMs} ms): {phase.Summary}");
            if (phase.NextCommand is { } next)
            {
                Line($"  to enable: {next}");
            }

            switch (phase.Name)
            {
                case RunPhaseName.Select:
                    foreach (var c in report.Candidates)
                    {
                        var e = c.Evidence;
                        Line(string.Create(CultureInfo.InvariantCulture, $"  {(c.Action == CandidateAction.Evolve ? "*" : "-")} {c.Skill}: {Json.Name(c.Action)} ({c.Reason}); priority {c.Priority:0}; triggers {e.Triggers}, misses {e.Misses}{(e.MissesBefore is { } b ? $" (before {b})" : string.Empty)}, invoked by name {e.ExplicitOnly}, trend {e.Trend}, reads not invoked {e.ReadsNotInvoked}, signals {e.Signals}, grading failures {e.GradingFailures}, real prompts {e.RealQueries}"));
                    }

                    break;
                case RunPhaseName.Evolve:
                    foreach (var r in report.Evolutions)
                    {
                        var rates = r.PassRateBefore is { } before && r.PassRateAfter is { } after ? string.Create(CultureInfo.InvariantCulture, $"; pass rate {before:P0} -> {after:P0}") : string.Empty;
                        Line($"  {r.Skill}: {Json.Name(r.Outcome)}{rates}: {r.Reason}" + (r.ProposalId is { } id ? $" [{id}]" : string.Empty));
                    }

                    break;
                case RunPhaseName.Watch:
                    foreach (var w in report.Watches)
                    {
                        Line($"  {w.Skill}: {Json.Name(w.Verdict)}{(w.RolledBack ? ", rolled back" : string.Empty)}: {w.Reason}");
                    }

                    break;
            }
        }

        foreach (var p in report.NewErrorPatterns ?? [])
        {
            Line(string.Create(CultureInfo.InvariantCulture, $"[errors] new pattern ({p.Category}, {p.Count}× in {p.Sessions} sessions): {p.Signature}"));
        }

        if (report.TeamPush is { } push)
        {
            Line(push.ErrorCode is null
                ? $"[team] pushed: {push.Changed} row(s) changed on {push.Database} in {push.ElapsedMs} ms"
                : $"[team] push FAILED ({push.ErrorCode}): {push.Error} next: {push.NextCommand}");
        }

        var t = report.Totals;
        Line();
        Line(string.Create(CultureInfo.InvariantCulture, $"[summary] {report.Status.ToString().ToLowerInvariant()} in {report.ElapsedMs} ms: {t.Skills} skills, {t.Candidates} candidates, {t.Graded} graded, {t.Deployed} deployed, {t.AwaitingReview} awaiting review, {t.Watched} watched, {t.RolledBack} rolled back, {t.SignalsConsumed} signals used, {t.LlmCalls} LLM calls (${t.CostUsd:0.####})"));
        if (report.NextCommand is { } nextCommand)
        {
            Line($"  next: {nextCommand}");
        }

        return text.ToString();
    }

    /// <summary>An enum value as the JSON names it (snake_case), with spaces for underscores: how people read it.</summary>
    internal static string Label<T>(T value) where T : struct, Enum => Json.Name(value).Replace('_', ' ');
}
