using Selftune.Abstractions;
using Selftune.Core.Configuration;
using Selftune.Core.Store;

namespace Selftune.Core.Install;

/// <summary>What became of one planned file change.</summary>
/// <param name="Path">The file.</param>
/// <param name="Summary">The plugin's summary of the change.</param>
/// <param name="Applied">True when the file was written (false in a dry run).</param>
/// <param name="Diff">The change as a unified diff.</param>
/// <param name="BackupPath">The copy taken before the write; null in a dry run or when the file did not exist.</param>
public sealed record AppliedChange(string Path, string Summary, bool Applied, string Diff, string? BackupPath);

/// <summary>
/// Applies the plans installers make (<see cref="IInstaller"/>): a change is written only when it changes the file,
/// after a timestamped backup into the home's <c>backups/</c> folder, atomically, and only if the file still holds
/// what the plan was made from (an agent that rewrote its settings meanwhile makes the plan stale, not lost).
/// </summary>
public sealed class InstallService
{
    private readonly TimeProvider _time;

    /// <summary>Creates the service.</summary>
    /// <param name="time">The clock (backup names).</param>
    public InstallService(TimeProvider time) => _time = time;

    /// <summary>Applies (or, with <paramref name="dryRun"/>, only describes) a plan.</summary>
    /// <param name="plan">The plan.</param>
    /// <param name="home">Where backups go.</param>
    /// <param name="dryRun">Write nothing; return the diffs.</param>
    /// <returns>One entry per file that changes; files the plan leaves as they are are not listed.</returns>
    /// <exception cref="SelftuneException"><see cref="ErrorCodes.UnsafeEdit"/> when a file changed since it was planned
    /// or cannot be written; files already written stay written (each is whole and backed up).</exception>
    public IReadOnlyList<AppliedChange> Apply(InstallPlan plan, SelftuneHome home, bool dryRun)
    {
        var result = new List<AppliedChange>();
        foreach (var change in plan.Changes)
        {
            if (change.OriginalContent == change.NewContent)
            {
                continue;
            }

            var diff = UnifiedDiff.Create(change.Path, change.OriginalContent ?? string.Empty, change.NewContent ?? string.Empty);
            if (dryRun)
            {
                result.Add(new AppliedChange(change.Path, change.Summary, false, diff, null));
                continue;
            }

            try
            {
                var current = File.Exists(change.Path) ? File.ReadAllText(change.Path) : null;
                if (current != change.OriginalContent)
                {
                    throw new SelftuneException(ErrorCodes.UnsafeEdit, $"'{change.Path}' changed while selftune was planning its edit; it was left as it is. Run the command again.", "selftune install --dry-run");
                }

                var backup = AtomicFile.Backup(change.Path, home.BackupsPath, _time.GetUtcNow());
                if (change.NewContent is null)
                {
                    File.Delete(change.Path);
                }
                else
                {
                    AtomicFile.WriteAllText(change.Path, change.NewContent);
                }

                result.Add(new AppliedChange(change.Path, change.Summary, true, diff, backup));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new SelftuneException(ErrorCodes.UnsafeEdit, $"Cannot write '{change.Path}': {ex.Message.TrimEnd('.')}. It was left as it is.", $"ls -l '{change.Path}'", inner: ex);
            }
        }

        return result;
    }

    /// <summary>Records applied changes in the store's <c>installs</c> table.</summary>
    /// <param name="store">The store.</param>
    /// <param name="platform">The platform whose configuration changed.</param>
    /// <param name="action"><c>install</c> or <c>uninstall</c>.</param>
    /// <param name="scope">User or project settings.</param>
    /// <param name="hookCommand">The hook command installed or removed.</param>
    /// <param name="changes">What <see cref="Apply"/> returned.</param>
    public void Record(SelftuneStore store, string platform, string action, InstallScope scope, string hookCommand, IEnumerable<AppliedChange> changes)
    {
        foreach (var change in changes.Where(c => c.Applied))
        {
            store.Execute(
                "INSERT INTO installs (platform, action, scope, path, hook_command, backup_path, applied_at) VALUES ($p, $a, $s, $path, $cmd, $backup, $at)",
                ("$p", platform), ("$a", action), ("$s", scope.ToString().ToLowerInvariant()), ("$path", change.Path),
                ("$cmd", hookCommand), ("$backup", change.BackupPath), ("$at", _time.GetUtcNow().ToUnixTimeMilliseconds()));
        }
    }
}
