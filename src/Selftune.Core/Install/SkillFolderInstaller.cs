using System.IO.Enumeration;
using Selftune.Core.Configuration;

namespace Selftune.Core.Install;

/// <summary>What installing or removing a skill folder did.</summary>
/// <param name="Target">The skill folder (<c>&lt;skills root&gt;/&lt;name&gt;</c>).</param>
/// <param name="Action"><c>created</c>, <c>updated</c>, <c>unchanged</c>, <c>removed</c> or <c>absent</c> (nothing to remove);
/// in a dry run, what would happen.</param>
/// <param name="BackupPath">Where the folder it replaced or removed was copied first; null when there was none.</param>
internal sealed record SkillFolderChange(string Target, string Action, string? BackupPath);

/// <summary>
/// Installs a skill folder (selftune's own <c>skill/</c>) into an agent's skills folder: a folder that already holds
/// exactly those files is left alone; a different one is copied into the home's <c>backups/skills/</c> first and then
/// swapped for the new one by renames, so the agent never reads a half-copied skill.
/// </summary>
internal sealed class SkillFolderInstaller
{
    private readonly TimeProvider _time;

    /// <summary>Creates the installer.</summary>
    /// <param name="time">Stamps backups.</param>
    public SkillFolderInstaller(TimeProvider time) => _time = time;

    /// <summary>Installs <paramref name="source"/> as <c>&lt;skillsRoot&gt;/&lt;name&gt;</c>.</summary>
    /// <param name="source">The skill folder to install (holds a <c>SKILL.md</c>).</param>
    /// <param name="skillsRoot">The agent's skills folder (created when missing).</param>
    /// <param name="name">The skill's name (its folder name there).</param>
    /// <param name="home">Where backups go.</param>
    /// <param name="dryRun">Change nothing; report what would happen.</param>
    /// <exception cref="SelftuneException"><see cref="ErrorCodes.FileNotFound"/> when the source has no SKILL.md;
    /// <see cref="ErrorCodes.UnsafeEdit"/> when the folder cannot be written (the old skill is then still in place).</exception>
    public SkillFolderChange Install(string source, string skillsRoot, string name, SelftuneHome home, bool dryRun)
    {
        if (!File.Exists(Path.Combine(source, "SKILL.md")))
        {
            throw new SelftuneException(ErrorCodes.FileNotFound, $"The skill to install has no SKILL.md in '{source}'; this selftune installation is incomplete.", "selftune doctor");
        }

        var target = Path.Combine(skillsRoot, name);
        var exists = Directory.Exists(target);
        if (exists && SameFiles(source, target))
        {
            return new SkillFolderChange(target, "unchanged", null);
        }

        var action = exists ? "updated" : "created";
        if (dryRun)
        {
            return new SkillFolderChange(target, action, null);
        }

        var staged = Path.Combine(skillsRoot, $".{name}.selftune-new-{Guid.NewGuid():N}");
        var retired = Path.Combine(skillsRoot, $".{name}.selftune-old-{Guid.NewGuid():N}");
        try
        {
            Copy(source, staged);
            var backup = exists ? BackUp(target, name, home) : null;
            if (exists)
            {
                Directory.Move(target, retired);
            }

            try
            {
                Directory.Move(staged, target);
            }
            catch when (exists)
            {
                Directory.Move(retired, target);
                throw;
            }

            if (exists)
            {
                Directory.Delete(retired, recursive: true);
            }

            return new SkillFolderChange(target, action, backup);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new SelftuneException(ErrorCodes.UnsafeEdit, $"Cannot install the skill into '{target}': {ex.Message.TrimEnd('.')}. Whatever was there is still in place.", ShellCommand.Line($"ls -ld {skillsRoot}"), inner: ex);
        }
        finally
        {
            if (Directory.Exists(staged))
            {
                Directory.Delete(staged, recursive: true);
            }
        }
    }

    /// <summary>Removes <c>&lt;skillsRoot&gt;/&lt;name&gt;</c> after a backup, when it is the skill <paramref name="name"/> (its
    /// <c>SKILL.md</c> names it); a folder of that name holding another skill is left alone.</summary>
    /// <exception cref="SelftuneException"><see cref="ErrorCodes.UnsafeEdit"/> when it cannot be removed.</exception>
    public SkillFolderChange Remove(string skillsRoot, string name, SelftuneHome home, bool dryRun)
    {
        var target = Path.Combine(skillsRoot, name);
        var skillMd = Path.Combine(target, "SKILL.md");
        if (!File.Exists(skillMd) || !File.ReadLines(skillMd).Take(20).Any(l => l.Trim() == $"name: {name}"))
        {
            return new SkillFolderChange(target, "absent", null);
        }

        if (dryRun)
        {
            return new SkillFolderChange(target, "removed", null);
        }

        try
        {
            var backup = BackUp(target, name, home);
            Directory.Delete(target, recursive: true);
            return new SkillFolderChange(target, "removed", backup);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new SelftuneException(ErrorCodes.UnsafeEdit, $"Cannot remove '{target}': {ex.Message.TrimEnd('.')}.", ShellCommand.Line($"rm -r {target}"), inner: ex);
        }
    }

    private string BackUp(string folder, string name, SelftuneHome home)
    {
        var backup = Path.Combine(home.BackupsPath, "skills", $"{name}.{_time.GetUtcNow().UtcDateTime:yyyyMMdd'T'HHmmssfff'Z'}");
        for (var i = 1; Directory.Exists(backup); i++)
        {
            backup = Path.Combine(home.BackupsPath, "skills", $"{name}.{_time.GetUtcNow().UtcDateTime:yyyyMMdd'T'HHmmssfff'Z'}-{i}");
        }

        Copy(folder, backup);
        foreach (var file in FilesBelow(backup))
        {
            PrivateFiles.MakePrivate(file); // backups live in the private home, whatever the originals' modes
        }

        return backup;
    }

    private static void Copy(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in FilesBelow(from))
        {
            var destination = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
            File.Copy(file, destination);
        }
    }

    /// <summary>The files below <paramref name="root"/>; a linked folder is not entered (a link to an ancestor would
    /// make the walk endless).</summary>
    private static IEnumerable<string> FilesBelow(string root) =>
        new FileSystemEnumerable<string>(root, (ref FileSystemEntry e) => e.ToFullPath(), new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 })
        {
            ShouldIncludePredicate = (ref FileSystemEntry e) => !e.IsDirectory,
            ShouldRecursePredicate = (ref FileSystemEntry e) => (e.Attributes & FileAttributes.ReparsePoint) == 0,
        };

    private static bool SameFiles(string a, string b)
    {
        static SortedSet<string> Files(string root) => new(FilesBelow(root).Select(f => Path.GetRelativePath(root, f)), StringComparer.Ordinal);
        var left = Files(a);
        return left.SetEquals(Files(b)) && left.All(f => File.ReadAllBytes(Path.Combine(a, f)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(b, f))));
    }
}
