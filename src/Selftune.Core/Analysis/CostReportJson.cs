using System.Text.Json;
using Selftune.Core.Reports;

namespace Selftune.Core.Analysis;

/// <summary>
/// Writes a <see cref="CostReport"/> as JSON (<see cref="Json.Write"/>): exactly what serializing it with
/// <see cref="Json.Options"/> gives, which a test checks on a report with every field set. The serializer's first use
/// (reflection metadata, ~230 methods compiled at run time) was a third of <c>selftune cost</c> (bench/RESULTS.md).
/// </summary>
internal static class CostReportJson
{
    /// <summary>The report as compact JSON.</summary>
    public static string Write(CostReport report) => Json.Write(w =>
    {
        w.WriteStartObject();
        w.WriteString("by", Json.Name(report.By));
        w.WriteString("time_zone", report.TimeZone);
        w.WriteStartArray("rows");
        foreach (var row in report.Rows)
        {
            WriteRow(w, row);
        }

        w.WriteEndArray();
        w.WritePropertyName("totals");
        WriteRow(w, report.Totals);
        w.WriteEndObject();
    });

    private static void WriteRow(Utf8JsonWriter w, CostRow row)
    {
        w.WriteStartObject();
        w.WriteString("key", row.Key);
        WriteTokens(w, row.Tokens);
        w.WriteNumber("sessions", row.Sessions);
        w.WriteStrings("models", row.Models);
        w.WriteStartObject("cost_by_outcome");
        foreach (var (outcome, cost) in row.CostByOutcome)
        {
            w.WriteNumber(outcome, cost);
        }

        w.WriteEndObject();
        w.WriteEndObject();
    }

    private static void WriteTokens(Utf8JsonWriter w, TokenTotals t)
    {
        w.WriteStartObject("tokens");
        w.WriteNumber("input", t.Input);
        w.WriteNumber("output", t.Output);
        w.WriteNumber("cache_write", t.CacheWrite);
        w.WriteNumber("cache_read", t.CacheRead);
        w.WriteNumber("cost_usd", t.CostUsd);
        w.WriteNumber("unpriced_responses", t.UnpricedResponses);
        w.WriteNumber("total", t.Total);
        w.WriteEndObject();
    }
}
