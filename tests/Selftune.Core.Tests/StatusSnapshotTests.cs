using Selftune.Abstractions;
using Selftune.Core.Reports;
using Selftune.Core.Skills;
using Selftune.Core.Store;
using Selftune.Core.Tests.Support;

namespace Selftune.Core.Tests;

/// <summary>The miss set <c>status</c> keeps in the store (<see cref="StatusSnapshot"/>): used while nothing it was derived
/// from changed, computed anew (the same report as without it) as soon as anything did.</summary>
public sealed class StatusSnapshotTests : IDisposable
{
    private const string Tampered = "tampered example";
    private readonly TestStore _db = new();
    private IReadOnlyList<InstalledSkill> _installed = [Skill("deploy"), Skill("pdf"), Skill("slides")];

    public StatusSnapshotTests()
    {
        _db.SessionDaysAgo("s1", 3);
        _db.InvocationDaysAgo("s1", "s1:t1", "pdf", InvocationKind.Implicit, _db.PromptDaysAgo("s1", "s1:p1", "merge these pdf files into one", 3), 3);
        _db.PromptDaysAgo("s1", "s1:p2", "use the pdf skill to split the report please", 2.5);
        _db.InvocationDaysAgo("s1", "s1:r1", "slides", InvocationKind.Read, _db.PromptDaysAgo("s1", "s1:p3", "make a short deck about the launch", 2), 2);
        _db.PromptDaysAgo("s1", "s1:p4", "deploy to staging with the deploy skill", 1);
        _db.PromptDaysAgo("s1", "s1:p5", "and now tidy up the changelog", 0.5);
    }

    public void Dispose() => _db.Dispose();

    [Fact]
    public void AStatusWritesTheSnapshotAndTheNextReadsIt()
    {
        var live = Json(Report());
        Assert.Equal(1L, _db.Store.Scalar("SELECT count(*) FROM status_snapshot"));
        Assert.Equal(live, Json(Report()));

        Tamper();
        Assert.Contains(Tampered, Json(Report())); // read from the snapshot, not computed
    }

    public static TheoryData<string> Changes() =>
    [
        "a prompt inserted",
        "a prompt deleted",
        "an invocation inserted",
        "an invocation updated",
        "an invocation deleted",
        "a correction inserted",
        "a correction updated",
        "a miss reviewed",
        "a reviewed miss deleted",
        "a skill installed",
        "a skill renamed",
    ];

    [Theory]
    [MemberData(nameof(Changes))]
    public void AnyChangeOfItsInputsMakesStatusComputeTheSameReportAsWithoutIt(string change)
    {
        _db.Store.Execute("INSERT INTO improvement_signals (session_id, text_hash, skill_name, signal_type, prompt_id, platform, occurred_at, capture_mode) VALUES ('s1', 'h0', 'deploy', 'correction', 's1:p5', 'agent', 0, 'transcript')");
        _db.Store.Execute("INSERT INTO misses (miss_id, prompt_id, skill_name, method, confidence, score, status, found_at) VALUES ('m-old', 's1:p5', 'pdf', 'review', 1.0, 0, 'rejected', 0)");
        Report();
        Tamper();

        Change(change);

        var reported = Json(Report());
        Assert.DoesNotContain(Tampered, reported);
        Assert.Equal(Json(Report()), reported); // read back from the snapshot the report above wrote
    }

    [Fact]
    public void AChangeDuringAStatusLeavesASnapshotThatIsNotUsed()
    {
        Report();
        var signature = (string)_db.Store.Scalar("SELECT signature FROM status_snapshot")!;
        _db.PromptDaysAgo("s1", "s1:p6", "please use the slides skill for the board deck", 0.2);
        Report();
        Assert.NotEqual(signature, (string)_db.Store.Scalar("SELECT signature FROM status_snapshot")!);

        // What a status that read the signature before this prompt was stored and the misses after it would have written.
        _db.Store.Execute("UPDATE status_snapshot SET signature = $s", ("$s", signature));
        Tamper();

        Assert.DoesNotContain(Tampered, Json(Report()));
    }

    [Fact]
    public void AReadOnlyStoreGetsTheSameReportWithoutWritingTheSnapshot()
    {
        var live = Json(Report());
        _db.Store.Execute("DELETE FROM status_snapshot");
        using var readOnly = SelftuneStore.Open(_db.Store.Path, readOnly: true);

        Assert.Equal(live, Json(StatusReporter.Build(readOnly, () => _installed, TestStore.T0)));
        Assert.Equal(0L, _db.Store.Scalar("SELECT count(*) FROM status_snapshot"));
    }

    [Fact]
    public void AStoreLockedByAnotherWriterGetsTheSameReportWithoutWaitingAndTheNextStatusWritesIt()
    {
        var live = Json(Report());
        _db.Store.Execute("DELETE FROM status_snapshot");
        using (var other = SelftuneStore.Open(_db.Store.Path))
        using (other.BeginTransaction())
        {
            Assert.Equal(live, Json(Report()));
        }

        Assert.Equal(0L, _db.Store.Scalar("SELECT count(*) FROM status_snapshot"));
        Assert.Equal(live, Json(Report()));
        Assert.Equal(1L, _db.Store.Scalar("SELECT count(*) FROM status_snapshot"));
    }

    [Fact]
    public void AGarbledSnapshotIsComputedAnew()
    {
        var live = Json(Report());
        _db.Store.Execute("UPDATE status_snapshot SET misses = '[[\"pdf\", 3]'");

        Assert.Equal(live, Json(Report()));
    }

    [Fact]
    public void ExportLeavesTheDerivedTablesOut()
    {
        Report();

        Assert.DoesNotContain("status_snapshot", StoreArchive.Tables(_db.Store));
        Assert.DoesNotContain("evidence_changes", StoreArchive.Tables(_db.Store));
    }

    private static InstalledSkill Skill(string name) => new(name, $"/skills/{name}", "/skills", $"{name} things.", []);

    private StatusReport Report() => StatusReporter.Build(_db.Store, () => _installed, TestStore.T0);

    private static string Json(StatusReport report) => StatusReportJson.Write(report);

    /// <summary>Replaces every example text of the stored snapshot, keeping its signature: a report showing it was read
    /// from the snapshot.</summary>
    private void Tamper()
    {
        var misses = (string)_db.Store.Scalar("SELECT misses FROM status_snapshot")!;
        Assert.Contains("use the pdf skill", misses);
        _db.Store.Execute("UPDATE status_snapshot SET misses = replace(misses, 'use the pdf skill to split the report please', $t)", ("$t", Tampered));
    }

    private void Change(string change)
    {
        switch (change)
        {
            case "a prompt inserted":
                _db.PromptDaysAgo("s1", "s1:p6", "please use the slides skill for the board deck", 0.2);
                break;
            case "a prompt deleted":
                _db.Store.Execute("DELETE FROM prompts WHERE prompt_id = 's1:p4'");
                break;
            case "an invocation inserted":
                _db.InvocationDaysAgo("s1", "s1:t2", "deploy", InvocationKind.Implicit, "s1:p4", 1);
                break;
            case "an invocation updated":
                _db.Store.Execute("UPDATE skill_invocations SET prompt_id = 's1:p2' WHERE invocation_id = 's1:t1'");
                break;
            case "an invocation deleted":
                _db.Store.Execute("DELETE FROM skill_invocations WHERE invocation_id = 's1:r1'");
                break;
            case "a correction inserted":
                _db.Store.Execute("INSERT INTO improvement_signals (session_id, text_hash, skill_name, signal_type, prompt_id, platform, occurred_at, capture_mode) VALUES ('s1', 'h1', 'slides', 'correction', 's1:p4', 'agent', 0, 'transcript')");
                break;
            case "a correction updated":
                _db.Store.Execute("UPDATE improvement_signals SET skill_name = 'slides' WHERE text_hash = 'h0'");
                break;
            case "a miss reviewed":
                _db.Store.Execute("INSERT INTO misses (miss_id, prompt_id, skill_name, method, confidence, score, status, found_at) VALUES ('m-new', 's1:p2', 'pdf', 'review', 1.0, 0, 'rejected', 0)");
                break;
            case "a reviewed miss deleted":
                _db.Store.Execute("DELETE FROM misses WHERE miss_id = 'm-old'");
                break;
            case "a skill installed":
                _installed = [.. _installed, Skill("changelog")];
                break;
            case "a skill renamed":
                _installed = [Skill("deploy"), Skill("pdf-tools"), Skill("slides")];
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(change), change, null);
        }
    }
}
