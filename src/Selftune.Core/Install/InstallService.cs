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
internal sealed record AppliedChange(string Path, string Summary, bool Applied, string Diff, string? BackupPath);

/// <summary>
/// Applies the plans installers make (<see cref="IInstaller"/>): a change is written only when it changes the file,
/// after a timestamped backup into the home's <c>backups/</c> folder, atomically, and only if the file still holds
/// what the plan was made from (an agent that rewrote its settings meanwhile makes the plan stale, not lost).
/// </summary>
internal sealed class InstallService
{
    private readonly TimeProvider _time;

    /// <summary>Creates the service.</summary>
    /// <param name="time">The clock (backup names).</param>
    public InstallService(TimeProvider time) => _time = time;

    /// <summary>Applies (or, with <paramref name="dryRun"/>, only describes) a plan.</summary>
    /// <param name="plan">The plan.</param>
    /// <param name="home">Where backups go.</param>
    /// <param name="dryRun">Write nothing; return the diffs.</param>
    /// <param name="force">Write read-only files too (their mode is kept); without it they are refused.</param>
    /// <param name="store">The store whose <c>installs</c> rows say how a file was before selftune's first install:
    /// when an uninstall leaves nothing but an empty JSON object (or nothing, or deletes it) in a file that was missing
    /// or blank before, the file is put back as it was (deleted, or its blank bytes restored). Null: the plan is applied as it is.</param>
    /// <returns>One entry per file that changes; files the plan leaves as they are are not listed.</returns>
    /// <exception cref="SelftuneException"><see cref="ErrorCodes.UnsafeEdit"/> when a file changed since it was planned,
    /// is read-only (without <paramref name="force"/>) or cannot be written; files already written stay written (each
    /// is whole and backed up).</exception>
    public IReadOnlyList<AppliedChange> Apply(InstallPlan plan, SelftuneHome home, bool dryRun, bool force = false, SelftuneStore? store = null)
    {
        var result = new List<AppliedChange>();
        foreach (var planned in plan.Changes)
        {
            var change = store is null ? planned : AsItBegan(store, planned);
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

                AtomicFile.RefuseReadOnly(change.Path, force, null);
                var backup = AtomicFile.Backup(change.Path, home.BackupsPath, _time.GetUtcNow());
                if (change.NewContent is null)
                {
                    AtomicFile.Delete(change.Path);
                }
                else
                {
                    AtomicFile.WriteAllText(change.Path, change.NewContent);
                    if (change.Executable && !OperatingSystem.IsWindows())
                    {
                        File.SetUnixFileMode(change.Path, File.GetUnixFileMode(change.Path) | UnixFileMode.UserExecute);
                    }
                }

                result.Add(new AppliedChange(change.Path, change.Summary, true, diff, backup));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new SelftuneException(ErrorCodes.UnsafeEdit, $"Cannot write '{change.Path}': {ex.Message.TrimEnd('.')}. It was left as it is.", ShellCommand.Line($"ls -l {change.Path}"), inner: ex);
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

    /// <summary>The change that puts a file emptied (or deleted) by an uninstall back as it was before selftune's first
    /// install since the last recorded uninstall: missing (deleted) or blank (its exact bytes). Other changes pass unchanged.</summary>
    private static FileChange AsItBegan(SelftuneStore store, FileChange change)
    {
        if (change.NewContent is { } text && !IsEmptyDocument(text))
        {
            return change;
        }

        var first = store.Query(
            """
            SELECT backup_path FROM installs
            WHERE path = $path AND action = 'install'
              AND id > COALESCE((SELECT max(id) FROM installs WHERE path = $path AND action = 'uninstall'), 0)
            ORDER BY id LIMIT 1
            """,
            r => r.IsDBNull(0) ? null : r.GetString(0),
            ("$path", change.Path));
        if (first.Count == 0)
        {
            return change;
        }

        if (first[0] is not { } backup)
        {
            return change with { NewContent = null };
        }

        return File.Exists(backup) && File.ReadAllText(backup) is var before && string.IsNullOrWhiteSpace(before)
            ? change with { NewContent = before }
            : change;
    }

    private static bool IsEmptyDocument(string text)
    {
        var trimmed = text.AsSpan().Trim();
        return trimmed.IsEmpty || (trimmed.StartsWith("{") && trimmed.EndsWith("}") && trimmed[1..^1].Trim().IsEmpty);
    }
}
