using System.Text.Json;
using Selftune.Core.Analysis;
using Selftune.Core.Grading;
using Selftune.Core.Hooks;
using Selftune.Core.Ingest;
using Selftune.Core.Reports;

namespace Selftune.Core.Tests;

/// <summary>The hand-written writers of the <c>sync</c>, <c>status</c> and <c>cost</c> reports give exactly the serializer's JSON, on
/// reports with every field set (a field added to a report and not to its writer fails here).</summary>
public sealed class ReportJsonTests
{
    [Fact]
    public void TheSyncReportIsWrittenAsTheSerializerWritesIt()
    {
        var counters = new IngestCounters
        {
            Platform = "claude_code", SourcesFound = 1, SourcesRead = 2, SourcesUnchanged = 3, SourcesFailed = 4, Lines = 5_000_000_000, Sessions = 6, Prompts = 7,
            ActionablePrompts = 8, SkillInvocations = 9, ToolCalls = 10, ToolErrors = 11, UsageRecords = 12, Errors = 13, ImprovementSignals = 14, Redactions = 15,
            Superseded = 16, ElapsedMs = 17,
        };
        counters.AddMalformed("/p/ü \"quoted\".jsonl", 3, "not JSON: <tab>\t & 'x'");
        counters.Problems.Add("/p: cannot be listed (Permission denied) ✓");
        var hooks = new HookDrainReport(2, 30, [new IngestCounters { Platform = "codex" }], [new HookTranscript("claude_code", "s-1", "/t/a.jsonl"), new HookTranscript("codex", null, "/t/b.jsonl")], 4);
        var report = new SyncReport(new DateTimeOffset(2026, 11, 21, 10, 9, 2, 160, TimeSpan.Zero).AddTicks(9083), 73, [counters, new IngestCounters { Platform = "codex" }], hooks);

        Assert.Equal(JsonSerializer.Serialize(report, Json.Options), SyncReportJson.Write(report));
        Assert.Equal(JsonSerializer.Serialize(report with { Hooks = null }, Json.Options), SyncReportJson.Write(report with { Hooks = null }));
    }

    [Fact]
    public void TheStatusReportIsWrittenAsTheSerializerWritesIt()
    {
        var at = new DateTimeOffset(2026, 11, 21, 10, 9, 2, 160, TimeSpan.Zero).AddTicks(9083);
        var example = new PromptExample("p-1", "s-1", at, "make me a \"slide\" deck <now> & ü");
        var windows = new[] { new SkillWindow(at.AddDays(-7), at, 3, 1, 2, 1, 2.0 / 3), new SkillWindow(at, at.AddDays(7), 0, 0, 0, 0, null) };
        var skills = Enum.GetValues<SkillHealth>().Select((health, i) => new SkillStatus(
            $"skill-{i}", i % 2 == 0, i % 2 == 0 ? $"/skills/skill-{i}" : null, i, 2, 3, 4, i % 2 == 0 ? 0.25 : null, i % 2 == 0 ? at : null, "up", windows, health,
            "triggered for 1 of 4 prompts that named it", [example], i % 2 == 0 ? ["shadowed"] : [],
            i % 2 == 0 ? new SkillGradeSummary($"skill-{i}", 5, 0.8, 1.0 / 3, at, "s-2", 2) : null,
            Outcomes: i % 2 == 0 ? new SkillOutcomes(15, 5, 4, 3, 2, 1) : null)).ToList();
        var system = new SystemHealth("/home/u/.selftune/selftune.db", 10, 20, 15, at, new LastSync(at, 73, 900, 1, 38, ["/x: cannot be listed"]), 1);
        var report = new StatusReport(at, 7, skills, new UnmatchedPrompts(12, [example]), system, StatusReporter.MissRule, "selftune sessions --skill skill-0");

        Assert.Equal(JsonSerializer.Serialize(report, Json.Options), StatusReportJson.Write(report));
        var sparse = report with { System = system with { LastSessionAt = null, LastSync = null }, NextCommand = null, Skills = [] };
        Assert.Equal(JsonSerializer.Serialize(sparse, Json.Options), StatusReportJson.Write(sparse));
    }

    [Fact]
    public void TheCostReportIsWrittenAsTheSerializerWritesIt()
    {
        var tokens = new TokenTotals(1, 2, 3, 5_000_000_000, 314.41878000m, 6);
        var row = new CostRow("2026-11-21 \"ü\" <x>", tokens, 7, ["<synthetic>", "claude-opus-4-1"], new SortedDictionary<string, decimal>(StringComparer.Ordinal) { ["success"] = 721.54423350m, ["unknown"] = 6.52158m });
        var report = new CostReport(CostGrouping.Session, "Europe/Berlin", [row, row with { Models = [], CostByOutcome = new Dictionary<string, decimal>() }], row with { Key = "total" });

        Assert.Equal(JsonSerializer.Serialize(report, Json.Options), CostReportJson.Write(report));
        Assert.Equal(JsonSerializer.Serialize(report with { Rows = [] }, Json.Options), CostReportJson.Write(report with { Rows = [] }));
    }

    [Fact]
    public void AStoredStringListIsWrittenAsTheSerializerWritesItAndReadBack()
    {
        List<string> models = ["claude-opus-4-1", "modèle \"quoted\" <x>"];

        Assert.Equal(JsonSerializer.Serialize(models), Json.StringArray(models));
        Assert.Equal(models, Json.ReadStringArray(Json.StringArray(models)));
    }
}
