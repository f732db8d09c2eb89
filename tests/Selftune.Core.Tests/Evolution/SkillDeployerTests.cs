using Microsoft.Extensions.Time.Testing;
using Selftune.Core.Evolution;
using Selftune.Core.Skills;

namespace Selftune.Core.Tests.Evolution;

public sealed class SkillDeployerTests
{
    private const string Original = "---\nname: research\ndescription: >\n  Research libraries.\n# keep this comment\nlicense: MIT\n---\n# Research\n\nBody stays.\n";

    [Fact]
    public void Deploy_rewrites_only_the_description_after_a_backup_and_records_both_versions()
    {
        using var f = new EvolutionFixture(Original);
        var before = File.ReadAllBytes(f.SkillPath);
        var deployer = new SkillDeployer(f.Home, f.Time);

        var result = deployer.Deploy(f.Trail, f.Validated("evo-1", "Use when the user wants open-source libraries or tools researched and compared."));

        Assert.Equal("---\nname: research\ndescription: >-\n  Use when the user wants open-source libraries or tools researched and\n  compared.\n# keep this comment\nlicense: MIT\n---\n# Research\n\nBody stays.\n", File.ReadAllText(f.SkillPath));
        Assert.Equal(before, File.ReadAllBytes(result.BackupPath));
        Assert.StartsWith(Path.Combine(f.Home.BackupsPath, "skills", "research"), result.BackupPath, StringComparison.Ordinal);
        var version = Assert.Single(f.Trail.Versions("research"));
        Assert.Equal(before, f.Trail.VersionBytes(version.Id, before: true));
        Assert.Equal(File.ReadAllBytes(f.SkillPath), f.Trail.VersionBytes(version.Id, before: false));
        Assert.Equal(AuditActions.Deployed, f.Trail.Proposal("evo-1")!.Status);
        Assert.Equal([AuditActions.Validated, AuditActions.Deployed], f.Trail.Entries("research").Select(e => e.Action));
    }

    [Fact]
    public void A_file_edited_after_validation_is_not_deployed()
    {
        using var f = new EvolutionFixture(Original);
        var proposal = f.Validated("evo-1", "New description.");
        File.AppendAllText(f.SkillPath, "a user edit\n");
        var edited = File.ReadAllBytes(f.SkillPath);

        var ex = Assert.Throws<SelftuneException>(() => new SkillDeployer(f.Home, f.Time).Deploy(f.Trail, proposal));

        Assert.Equal(ErrorCodes.UnsafeEdit, ex.Code);
        Assert.Equal(edited, File.ReadAllBytes(f.SkillPath));
        Assert.False(Directory.Exists(f.Home.BackupsPath));
        Assert.Empty(f.Trail.Versions("research"));
        Assert.Equal(AuditActions.Validated, f.Trail.Proposal("evo-1")!.Status);
    }

    [Fact]
    public void A_failed_deploy_leaves_the_original_and_is_audited()
    {
        using var f = new EvolutionFixture(Original);
        var proposal = f.Validated("evo-1", "New description.");
        File.WriteAllText(f.Home.BackupsPath, "a file where the backups folder should be");

        var ex = Assert.Throws<SelftuneException>(() => new SkillDeployer(f.Home, f.Time).Deploy(f.Trail, proposal));

        Assert.Equal(ErrorCodes.UnsafeEdit, ex.Code);
        Assert.Contains("the original is unchanged", ex.Message, StringComparison.Ordinal);
        Assert.Equal(Original, File.ReadAllText(f.SkillPath));
        Assert.Equal(AuditActions.DeployFailed, f.Trail.Entries("research")[^1].Action);
        Assert.Equal(AuditActions.Validated, f.Trail.Proposal("evo-1")!.Status);
        Assert.Empty(f.Trail.Versions("research"));
    }

    [Fact]
    public void Rollback_restores_exact_bytes_one_deploy_at_a_time_then_to_the_original()
    {
        using var f = new EvolutionFixture(Original);
        var deployer = new SkillDeployer(f.Home, f.Time);
        var original = File.ReadAllBytes(f.SkillPath);
        deployer.Deploy(f.Trail, f.Validated("evo-1", "First better description."));
        var afterFirst = File.ReadAllBytes(f.SkillPath);
        f.Time.Advance(TimeSpan.FromHours(1));
        deployer.Deploy(f.Trail, f.Validated("evo-2", "Second better description."));

        var undoSecond = deployer.Rollback(f.Trail, "research", to: null, reason: "test");
        Assert.Equal(["evo-2"], undoSecond.Undone);
        Assert.Equal("backup", undoSecond.Source);
        Assert.Equal(afterFirst, File.ReadAllBytes(f.SkillPath));
        Assert.Equal(AuditActions.RolledBack, f.Trail.Proposal("evo-2")!.Status);
        Assert.Equal(AuditActions.Deployed, f.Trail.Proposal("evo-1")!.Status);

        var undoFirst = deployer.Rollback(f.Trail, "research", to: null, reason: "test");
        Assert.Equal(["evo-1"], undoFirst.Undone);
        Assert.Equal(original, File.ReadAllBytes(f.SkillPath));
        Assert.Equal(SkillFile.Load(f.SkillPath).Sha256, undoFirst.RestoredSha256);

        var ex = Assert.Throws<SelftuneException>(() => deployer.Rollback(f.Trail, "research", to: null, reason: "test"));
        Assert.Equal(ErrorCodes.NotFound, ex.Code);
    }

    [Fact]
    public void Rollback_to_the_original_uses_the_audit_trail_when_backups_are_gone()
    {
        using var f = new EvolutionFixture(Original);
        var deployer = new SkillDeployer(f.Home, f.Time);
        var original = File.ReadAllBytes(f.SkillPath);
        deployer.Deploy(f.Trail, f.Validated("evo-1", "First."));
        f.Time.Advance(TimeSpan.FromHours(1));
        deployer.Deploy(f.Trail, f.Validated("evo-2", "Second."));
        Directory.Delete(f.Home.BackupsPath, recursive: true);

        var result = deployer.Rollback(f.Trail, "research", to: SkillDeployer.Original, reason: "test");

        Assert.Equal(["evo-2", "evo-1"], result.Undone);
        Assert.Equal("audit_trail", result.Source);
        Assert.Equal(original, File.ReadAllBytes(f.SkillPath));
    }

    [Fact]
    public void Rollback_to_a_proposal_undoes_only_the_deploys_after_it()
    {
        using var f = new EvolutionFixture(Original);
        var deployer = new SkillDeployer(f.Home, f.Time);
        deployer.Deploy(f.Trail, f.Validated("evo-1", "First."));
        var afterFirst = File.ReadAllBytes(f.SkillPath);
        deployer.Deploy(f.Trail, f.Validated("evo-2", "Second."));
        deployer.Deploy(f.Trail, f.Validated("evo-3", "Third."));

        var result = deployer.Rollback(f.Trail, "research", to: "evo-1", reason: "test");

        Assert.Equal(["evo-3", "evo-2"], result.Undone);
        Assert.Equal(afterFirst, File.ReadAllBytes(f.SkillPath));
        Assert.Equal(ErrorCodes.NotFound, Assert.Throws<SelftuneException>(() => deployer.Rollback(f.Trail, "research", to: "evo-1", reason: "again")).Code);
        Assert.Equal(ErrorCodes.NotFound, Assert.Throws<SelftuneException>(() => deployer.Rollback(f.Trail, "research", to: "evo-9", reason: "unknown")).Code);
    }

    [Fact]
    public void Rollback_refuses_to_overwrite_a_later_user_edit_unless_forced_and_then_keeps_it_in_a_backup()
    {
        using var f = new EvolutionFixture(Original);
        var deployer = new SkillDeployer(f.Home, f.Time);
        deployer.Deploy(f.Trail, f.Validated("evo-1", "First."));
        File.AppendAllText(f.SkillPath, "user edit\n");
        var edited = File.ReadAllBytes(f.SkillPath);

        Assert.Equal(ErrorCodes.UnsafeEdit, Assert.Throws<SelftuneException>(() => deployer.Rollback(f.Trail, "research", null, "test")).Code);
        Assert.Equal(edited, File.ReadAllBytes(f.SkillPath));

        var result = deployer.Rollback(f.Trail, "research", null, "test", force: true);
        Assert.Equal(Original, File.ReadAllText(f.SkillPath));
        Assert.Equal(edited, File.ReadAllBytes(result.BackupOfCurrent));
    }

    [Fact]
    public void A_read_only_skill_is_refused_naming_force_and_force_writes_it_keeping_its_mode()
    {
        if (OperatingSystem.IsWindows())
        {
            return; // Unix file modes
        }

        using var f = new EvolutionFixture(Original);
        var deployer = new SkillDeployer(f.Home, f.Time);
        var proposal = f.Validated("evo-1", "New description.");
        File.SetUnixFileMode(f.SkillPath, UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead);

        var refused = Assert.Throws<SelftuneException>(() => deployer.Deploy(f.Trail, proposal));

        Assert.Equal(ErrorCodes.UnsafeEdit, refused.Code);
        Assert.Contains("read-only (mode 0444)", refused.Message, StringComparison.Ordinal);
        Assert.Contains("--force", refused.Message, StringComparison.Ordinal);
        Assert.Equal("selftune proposals approve evo-1 --force", refused.NextCommand);
        Assert.Equal(Original, File.ReadAllText(f.SkillPath));
        Assert.Equal(AuditActions.Validated, f.Trail.Proposal("evo-1")!.Status);

        deployer.Deploy(f.Trail, proposal, force: true);
        Assert.Contains("New description.", File.ReadAllText(f.SkillPath), StringComparison.Ordinal);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead, File.GetUnixFileMode(f.SkillPath));

        var rollback = Assert.Throws<SelftuneException>(() => deployer.Rollback(f.Trail, "research", null, "test"));
        Assert.Equal("selftune rollback --skill research --force", rollback.NextCommand);
        deployer.Rollback(f.Trail, "research", null, "test", force: true);
        Assert.Equal(Original, File.ReadAllText(f.SkillPath));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead, File.GetUnixFileMode(f.SkillPath));
    }

    [Fact]
    public void A_symlinked_skill_is_deployed_and_rolled_back_through_the_link()
    {
        using var f = new EvolutionFixture(Original);
        var target = f.SkillPath + ".real";
        File.Move(f.SkillPath, target);
        File.CreateSymbolicLink(f.SkillPath, target);
        var deployer = new SkillDeployer(f.Home, f.Time);

        deployer.Deploy(f.Trail, f.Validated("evo-1", "New description."));

        Assert.Equal(target, new FileInfo(f.SkillPath).LinkTarget);
        Assert.Contains("New description.", File.ReadAllText(target), StringComparison.Ordinal);
        deployer.Rollback(f.Trail, "research", null, "test");
        Assert.Equal(target, new FileInfo(f.SkillPath).LinkTarget);
        Assert.Equal(Original, File.ReadAllText(target));
    }
}
