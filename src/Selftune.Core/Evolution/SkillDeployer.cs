using Selftune.Core.Configuration;
using Selftune.Core.Hooks;
using Selftune.Core.Skills;
using Selftune.Core.Store;

namespace Selftune.Core.Evolution;

/// <summary>What a deploy did.</summary>
/// <param name="ProposalId">The proposal deployed.</param>
/// <param name="SkillPath">The SKILL.md rewritten.</param>
/// <param name="BackupPath">The timestamped backup of the bytes before the deploy.</param>
/// <param name="BeforeSha256">Hash of the file before.</param>
/// <param name="AfterSha256">Hash of the file after.</param>
internal sealed record DeployResult(string ProposalId, string SkillPath, string BackupPath, string BeforeSha256, string AfterSha256);

/// <summary>What a rollback did.</summary>
/// <param name="Skill">The skill.</param>
/// <param name="SkillPath">The SKILL.md restored.</param>
/// <param name="Undone">The deploys undone, newest first.</param>
/// <param name="RestoredSha256">Hash of the bytes restored.</param>
/// <param name="Source">Where the bytes came from: <c>backup</c> (the timestamped backup file) or <c>audit_trail</c> (the store).</param>
/// <param name="BackupOfCurrent">The backup of the file as it was just before the rollback.</param>
/// <param name="Reason">Why (a person's request, or the watch verdict).</param>
internal sealed record RollbackResult(string Skill, string SkillPath, IReadOnlyList<string> Undone, string RestoredSha256, string Source, string BackupOfCurrent, string Reason);

/// <summary>
/// Writes SKILL.md files, the only place evolution touches them: a deploy replaces only the proposal's target — the
/// description (see <see cref="DescriptionEditor"/>), the routing table or the body (see <see cref="SkillSections"/>) —
/// after a timestamped backup, atomically; a rollback restores the exact earlier bytes
/// from the backup (or, when it is gone or altered, from the bytes kept in the store). Every write is a
/// <see cref="SkillVersion"/> and an audit row.
/// </summary>
internal sealed class SkillDeployer
{
    /// <summary>The <c>--to</c> value that restores the file as it was before the first deploy still in effect.</summary>
    public const string Original = "original";

    private readonly SelftuneHome _home;
    private readonly TimeProvider _time;

    /// <summary>Creates the deployer.</summary>
    /// <param name="home">Backups go to <c>&lt;home&gt;/backups/skills/&lt;skill&gt;/</c>.</param>
    /// <param name="time">The clock.</param>
    public SkillDeployer(SelftuneHome home, TimeProvider time)
    {
        _home = home;
        _time = time;
    }

    /// <summary>Deploys a validated proposal.</summary>
    /// <param name="trail">The audit trail.</param>
    /// <param name="proposal">The proposal (status <see cref="AuditActions.Validated"/>).</param>
    /// <param name="force">Write a read-only SKILL.md too (its mode is kept); without it the deploy is refused and the
    /// proposal stays validated.</param>
    /// <exception cref="SelftuneException"><see cref="ErrorCodes.UnsafeEdit"/> when the SKILL.md changed since validation, is
    /// unparseable, is read-only (without <paramref name="force"/>; nothing is recorded), or could not be written (the
    /// original is then unchanged and a <c>deploy_failed</c> row is recorded).</exception>
    public DeployResult Deploy(AuditTrail trail, Proposal proposal, bool force = false)
    {
        if (proposal.Status != AuditActions.Validated)
        {
            throw new SelftuneException(ErrorCodes.InvalidArgument, $"Proposal {proposal.ProposalId} is '{proposal.Status}'; only a validated proposal can be deployed.", ShellCommand.Line($"selftune history --skill {proposal.SkillName:skill}"));
        }

        var target = SkillSections.Parse(proposal.Target);
        var (current, newBytes) = DescriptionEditor.Plan(proposal.SkillPath, proposal.OriginalSha256, proposal.ProposedDescription, target, proposal.SkillName);
        AtomicFile.RefuseReadOnly(current.Path, force, ShellCommand.Line($"selftune proposals approve {proposal.ProposalId} --force"));
        var now = _time.GetUtcNow();
        string backup;
        try
        {
            backup = AtomicFile.Backup(current.Path, BackupFolder(proposal.SkillName), now)!;
            AtomicFile.WriteAllBytes(current.Path, newBytes);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            trail.Record(proposal.SkillName, proposal.ProposalId, AuditActions.DeployFailed, proposal.Heuristic, $"Could not write {current.Path}: {ex.Message.TrimEnd('.')}. The original is unchanged.", null, now);
            throw new SelftuneException(ErrorCodes.UnsafeEdit, $"Could not write '{current.Path}' ({ex.Message}); the original is unchanged.", "selftune doctor", inner: ex);
        }

        var result = new DeployResult(proposal.ProposalId, current.Path, backup, current.Sha256, DescriptionEditor.Hash(newBytes));
        trail.AddVersion(proposal.SkillName, current.Path, proposal.ProposalId, AuditActions.Deployed, now, current.Bytes, newBytes, backup);
        trail.Record(proposal.SkillName, proposal.ProposalId, AuditActions.Deployed, proposal.Heuristic,
            $"Deployed the new {SkillSections.Name(target)} to {current.Path} (backup {backup}).",
            target == EvolveTarget.Description
                ? new { result.SkillPath, result.BackupPath, result.BeforeSha256, result.AfterSha256, DescriptionBefore = current.Description, DescriptionAfter = proposal.ProposedDescription }
                : new { result.SkillPath, result.BackupPath, result.BeforeSha256, result.AfterSha256, Target = proposal.Target, Before = proposal.OriginalDescription, After = proposal.ProposedDescription },
            now);
        RefreshHookState(trail.Store);
        return result;
    }

    /// <summary>Deploys a validated proposal to canary scopes: a copy of the skill folder with the proposed SKILL.md in each
    /// of <paramref name="targetFolders"/> (project skill folders), which must not exist. The user's SKILL.md is not
    /// touched and the proposal stays validated; one <see cref="AuditActions.CanaryDeployed"/> row lists what was written.</summary>
    /// <param name="trail">The audit trail.</param>
    /// <param name="proposal">The proposal (status <see cref="AuditActions.Validated"/>).</param>
    /// <param name="targetFolders">The skill folders to create (absolute).</param>
    /// <returns>The SKILL.md files written.</returns>
    /// <exception cref="SelftuneException"><see cref="ErrorCodes.InvalidArgument"/> when the proposal is not validated or
    /// a target exists (nothing is written); <see cref="ErrorCodes.UnsafeEdit"/> when the user's SKILL.md changed since
    /// validation or a write fails (what was written is removed again).</exception>
    public IReadOnlyList<string> DeployCanary(AuditTrail trail, Proposal proposal, IReadOnlyList<string> targetFolders)
    {
        if (proposal.Status != AuditActions.Validated)
        {
            throw new SelftuneException(ErrorCodes.InvalidArgument, $"Proposal {proposal.ProposalId} is '{proposal.Status}'; only a validated proposal can go to a canary.", ShellCommand.Line($"selftune history --skill {proposal.SkillName:skill}"));
        }

        if (targetFolders.FirstOrDefault(Path.Exists) is { } taken)
        {
            throw new SelftuneException(ErrorCodes.InvalidArgument, $"'{taken}' exists already: that repository has its own copy of the skill, so a canary there would replace it. Nothing was written; choose other repositories with --canary-repos.", ShellCommand.Line($"selftune canary status --skill {proposal.SkillName:skill}"));
        }

        var (current, newBytes) = DescriptionEditor.Plan(proposal.SkillPath, proposal.OriginalSha256, proposal.ProposedDescription);
        var source = Path.GetDirectoryName(current.Path)!;
        var files = Directory.EnumerateFiles(source, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint })
            .Select(f => Path.GetRelativePath(source, f)).Where(r => !r.Split(Path.DirectorySeparatorChar).Any(p => p.StartsWith('.'))).ToList();
        var written = new List<string>();
        try
        {
            foreach (var target in targetFolders)
            {
                written.Add(target);
                foreach (var relative in files)
                {
                    var to = Path.Combine(target, relative);
                    Directory.CreateDirectory(Path.GetDirectoryName(to)!);
                    AtomicFile.WriteAllBytes(to, Path.GetFullPath(Path.Combine(source, relative)) == current.Path ? newBytes : File.ReadAllBytes(Path.Combine(source, relative)));
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            written.ForEach(f => Directory.Delete(f, recursive: true));
            throw new SelftuneException(ErrorCodes.UnsafeEdit, $"Could not write the canary copy ({ex.Message}); nothing is left behind.", "selftune doctor", inner: ex);
        }

        var paths = targetFolders.Select(t => Path.Combine(t, "SKILL.md")).ToList();
        trail.Record(proposal.SkillName, proposal.ProposalId, AuditActions.CanaryDeployed, proposal.Heuristic,
            $"Canary: wrote the new description to {string.Join(", ", paths)} (the user's {current.Path} is unchanged).",
            new { Paths = paths, Sha256 = DescriptionEditor.Hash(newBytes), DescriptionAfter = proposal.ProposedDescription }, _time.GetUtcNow());
        return paths;
    }

    /// <summary>Removes canary copies <see cref="DeployCanary"/> wrote: each file is deleted only when its bytes are still
    /// the ones in the user's skill folder or the proposed SKILL.md; an edited file is kept (and named), so nothing
    /// anyone wrote is lost. One <see cref="AuditActions.CanaryRemoved"/> row.</summary>
    /// <param name="trail">The audit trail.</param>
    /// <param name="proposal">The proposal the canary carried.</param>
    /// <param name="skillFiles">The canary SKILL.md files.</param>
    /// <param name="reason">Why (promoted, aborted and the verdict).</param>
    /// <returns>The files kept because they were edited.</returns>
    public IReadOnlyList<string> RemoveCanary(AuditTrail trail, Proposal proposal, IReadOnlyList<string> skillFiles, string reason)
    {
        var source = Path.GetDirectoryName(proposal.SkillPath)!;
        var proposedHash = trail.Entries(proposal.SkillName).LastOrDefault(e => e.ProposalId == proposal.ProposalId && e.Action == AuditActions.CanaryDeployed)?.Evidence is { } ev && ev.TryGetProperty("sha256", out var h) ? h.GetString() : null;
        var kept = new List<string>();
        foreach (var folder in skillFiles.Select(Path.GetDirectoryName).OfType<string>().Where(Directory.Exists))
        {
            foreach (var file in Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories))
            {
                var relative = Path.GetRelativePath(folder, file);
                var original = Path.Combine(source, relative);
                var hash = DescriptionEditor.Hash(File.ReadAllBytes(file));
                var ours = (relative == "SKILL.md" && hash == proposedHash) || (relative != "SKILL.md" && File.Exists(original) && DescriptionEditor.Hash(File.ReadAllBytes(original)) == hash);
                if (ours)
                {
                    File.Delete(file);
                }
                else
                {
                    kept.Add(file);
                }
            }

            foreach (var dir in Directory.EnumerateDirectories(folder, "*", SearchOption.AllDirectories).Append(folder).OrderByDescending(d => d.Length))
            {
                if (!Directory.EnumerateFileSystemEntries(dir).Any())
                {
                    Directory.Delete(dir);
                }
            }
        }

        trail.Record(proposal.SkillName, proposal.ProposalId, AuditActions.CanaryRemoved, proposal.Heuristic,
            $"Canary removed ({reason}) from {string.Join(", ", skillFiles)}" + (kept.Count > 0 ? $"; kept edited file(s) {string.Join(", ", kept)}." : "."),
            new { Paths = skillFiles, Kept = kept, Reason = reason }, _time.GetUtcNow());
        return kept;
    }
    /// <summary>Rewrites the in-turn hooks' state (<see cref="HookState"/>): which deployed SKILL.md files are watched.
    /// Called after every deploy and rollback, whichever command made it, and by <see cref="Monitoring.WatchService"/>.</summary>
    /// <param name="store">The store.</param>
    public void RefreshHookState(SelftuneStore store) => HookState.Refresh(store, _home, _time.GetUtcNow());

    /// <summary>The deploys of <paramref name="skill"/> still in effect, oldest first (deployed and not rolled back).</summary>
    public static IReadOnlyList<SkillVersion> ActiveDeploys(AuditTrail trail, string skill)
    {
        var deployed = trail.Proposals(skill).Where(p => p.Status == AuditActions.Deployed).Select(p => p.ProposalId).ToHashSet(StringComparer.Ordinal);
        return trail.Versions(skill).Where(v => v.Action == AuditActions.Deployed && v.ProposalId is not null && deployed.Contains(v.ProposalId)).ToList();
    }

    /// <summary>Rolls back deploys of <paramref name="skill"/>.</summary>
    /// <param name="trail">The audit trail.</param>
    /// <param name="skill">The skill.</param>
    /// <param name="to">Null: undo the latest deploy. A proposal id: undo every deploy after it, restoring the version it
    /// deployed. <see cref="Original"/>: undo every deploy in effect.</param>
    /// <param name="reason">Why, recorded in the audit row.</param>
    /// <param name="force">Roll back even when the SKILL.md was edited since selftune last wrote it (the edit is kept in a
    /// backup) or is read-only (its mode is kept).</param>
    /// <exception cref="SelftuneException"><see cref="ErrorCodes.NotFound"/> when there is nothing to roll back or the
    /// proposal is not a deploy in effect; <see cref="ErrorCodes.UnsafeEdit"/> when the file was edited since (without
    /// <paramref name="force"/>), is read-only (without <paramref name="force"/>) or cannot be written (it is then unchanged).</exception>
    public RollbackResult Rollback(AuditTrail trail, string skill, string? to, string reason, bool force = false)
    {
        var active = ActiveDeploys(trail, skill);
        if (active.Count == 0)
        {
            throw new SelftuneException(ErrorCodes.NotFound, $"Skill {ShellCommand.Quoted(skill)} has no deploy in effect to roll back.", ShellCommand.Line($"selftune history --skill {skill:skill}"));
        }

        var from = to switch
        {
            null => active.Count - 1,
            Original => 0,
            _ => active.ToList().FindIndex(v => v.ProposalId == to) + 1,
        };
        if (from == 0 && to is not (null or Original))
        {
            throw new SelftuneException(ErrorCodes.NotFound, $"Proposal {ShellCommand.Quoted(to)} is not a deploy of {ShellCommand.Quoted(skill)} still in effect.", ShellCommand.Line($"selftune history --skill {skill:skill}"));
        }

        if (from >= active.Count)
        {
            throw new SelftuneException(ErrorCodes.NotFound, $"Proposal {ShellCommand.Quoted(to ?? "(latest)")} is already the current version of {ShellCommand.Quoted(skill)}; there is nothing after it to roll back.", ShellCommand.Line($"selftune history --skill {skill:skill}"));
        }

        var undone = active.Skip(from).Reverse().ToList();
        var oldest = active[from];
        var latestWrite = trail.Versions(skill)[^1];
        var path = latestWrite.SkillPath;
        var current = File.Exists(path) ? File.ReadAllBytes(path) : [];
        if (DescriptionEditor.Hash(current) != latestWrite.AfterSha256 && !force)
        {
            throw new SelftuneException(
                ErrorCodes.UnsafeEdit,
                $"'{path}' was changed since selftune last wrote it on {latestWrite.OccurredAt:u}; nothing was written. Roll back anyway with --force (the current file is backed up first).",
                to is null ? ShellCommand.Line($"selftune rollback --skill {skill:skill} --force") : ShellCommand.Line($"selftune rollback --skill {skill:skill} --to {to} --force"));
        }

        AtomicFile.RefuseReadOnly(path, force, to is null ? ShellCommand.Line($"selftune rollback --skill {skill:skill} --force") : ShellCommand.Line($"selftune rollback --skill {skill:skill} --to {to} --force"));
        var (bytes, source) = RestoreBytes(trail, oldest);
        var now = _time.GetUtcNow();
        string backup;
        try
        {
            backup = AtomicFile.Backup(path, BackupFolder(skill), now) ?? string.Empty;
            AtomicFile.WriteAllBytes(path, bytes);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new SelftuneException(ErrorCodes.UnsafeEdit, $"Could not write '{path}' ({ex.Message}); it is unchanged.", "selftune doctor", inner: ex);
        }

        var result = new RollbackResult(skill, path, undone.Select(v => v.ProposalId!).ToList(), DescriptionEditor.Hash(bytes), source, backup, reason);
        trail.AddVersion(skill, path, undone[0].ProposalId, AuditActions.RolledBack, now, current, bytes, backup);
        foreach (var v in undone)
        {
            var heuristic = trail.Proposal(v.ProposalId!)?.Heuristic ?? false;
            trail.Record(skill, v.ProposalId, AuditActions.RolledBack, heuristic, $"Rolled back: {reason}. Restored {path} from the {source.Replace('_', ' ')}.", result, now);
        }

        RefreshHookState(trail.Store);
        return result;
    }

    private static (byte[] Bytes, string Source) RestoreBytes(AuditTrail trail, SkillVersion version)
    {
        if (version.BackupPath is { } backup && File.Exists(backup))
        {
            var bytes = File.ReadAllBytes(backup);
            if (DescriptionEditor.Hash(bytes) == version.BeforeSha256)
            {
                return (bytes, "backup");
            }
        }

        return (trail.VersionBytes(version.Id, before: true), "audit_trail");
    }

    private string BackupFolder(string skill) =>
        Path.Combine(_home.BackupsPath, "skills", string.Concat(skill.Select(c => char.IsLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_')));
}
