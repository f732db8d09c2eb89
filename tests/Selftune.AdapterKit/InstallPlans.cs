using Selftune.Abstractions;

namespace Selftune.AdapterKit;

/// <summary>Helpers for installer tests.</summary>
public static class InstallPlans
{
    /// <summary>Writes a plan's changes the plain way (no backups): deletes a file whose new content is null, otherwise
    /// creates its folder, writes the new content and, for an <see cref="FileChange.Executable"/> change, makes it
    /// executable by its owner.</summary>
    public static void Apply(InstallPlan plan)
    {
        foreach (var change in plan.Changes)
        {
            if (change.NewContent is null)
            {
                File.Delete(change.Path);
            }
            else
            {
                Directory.CreateDirectory(Path.GetDirectoryName(change.Path)!);
                File.WriteAllText(change.Path, change.NewContent);
                if (change.Executable && !OperatingSystem.IsWindows())
                {
                    File.SetUnixFileMode(change.Path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
                }
            }
        }
    }
}
