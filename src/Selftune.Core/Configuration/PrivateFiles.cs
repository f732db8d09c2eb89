using System.IO.Enumeration;

namespace Selftune.Core.Configuration;

/// <summary>
/// Keeps the home private to the user (stored prompts, backups of settings, the hook spool): whatever the user's umask,
/// folders selftune creates are 0700 and files 0600 (<see cref="RestrictNewFiles"/>, at the start of every process, in <c>Hooks/FastPath/PrivateFiles.cs</c>), and
/// a home made before that, or loosened since, is found (<see cref="Loose"/>) and fixed (<see cref="Fix"/>) by
/// <c>selftune doctor [--fix]</c>. No-ops on Windows, where a profile folder is private already.
/// </summary>
internal static partial class PrivateFiles
{
    private const UnixFileMode GroupAndOthers =
        UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute |
        UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    /// <summary>The home folder and every file or folder in it that other users may read, write or enter (symbolic
    /// links are not followed).</summary>
    /// <param name="home">The home.</param>
    /// <returns>The paths, the home first; empty on Windows or when the home does not exist.</returns>
    public static IReadOnlyList<string> Loose(SelftuneHome home)
    {
        ArgumentNullException.ThrowIfNull(home);
        if (OperatingSystem.IsWindows() || !Directory.Exists(home.Root))
        {
            return [];
        }

        var loose = new List<string>();
        if ((File.GetUnixFileMode(home.Root) & GroupAndOthers) != 0)
        {
            loose.Add(home.Root);
        }

        loose.AddRange(new FileSystemEnumerable<string?>(
            home.Root,
            (ref FileSystemEntry e) => !OperatingSystem.IsWindows() && (e.Attributes & FileAttributes.ReparsePoint) == 0 && (File.GetUnixFileMode(e.ToFullPath()) & GroupAndOthers) != 0 ? e.ToFullPath() : null,
            new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0, IgnoreInaccessible = true })
        {
            ShouldRecursePredicate = (ref FileSystemEntry e) => (e.Attributes & FileAttributes.ReparsePoint) == 0,
        }.OfType<string>());
        return loose;
    }

    /// <summary>Takes every permission of other users off the home and what is in it (the user's own are kept).</summary>
    /// <param name="home">The home.</param>
    /// <returns>The paths changed.</returns>
    /// <exception cref="IOException">A file could not be changed (not the user's own).</exception>
    /// <exception cref="UnauthorizedAccessException">A file could not be changed (not the user's own).</exception>
    public static IReadOnlyList<string> Fix(SelftuneHome home)
    {
        var loose = Loose(home);
        if (!OperatingSystem.IsWindows())
        {
            foreach (var path in loose)
            {
                File.SetUnixFileMode(path, File.GetUnixFileMode(path) & ~GroupAndOthers);
            }
        }

        return loose;
    }

    /// <summary>Takes other users' permissions off one file selftune copied into the home (a copy keeps its source's
    /// mode, which the umask does not narrow).</summary>
    /// <param name="path">The file.</param>
    public static void MakePrivate(string path)
    {
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, File.GetUnixFileMode(path) & ~GroupAndOthers);
        }
    }
}
