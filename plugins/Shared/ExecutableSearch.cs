using Selftune.Abstractions;

namespace Selftune.Plugin.Shared;

/// <summary>Finds agent CLIs on the <c>PATH</c> a <see cref="PlatformContext"/> gives (Core has its own for selftune's
/// own tools; plugins cannot link Core). Compiled into each plugin as a linked source file.</summary>
internal static class ExecutableSearch
{
    /// <summary>Finds executable <paramref name="name"/> on the context's <c>PATH</c>: entries may be quoted or start
    /// with <c>~</c>; on Windows the name is tried with each <c>PATHEXT</c> extension, then as is; on Unix the file
    /// must have an execute bit. Malformed entries and unreadable files are skipped.</summary>
    /// <returns>The full path of the first match, or null.</returns>
    public static string? FindOnPath(PlatformContext context, string name)
    {
        string[] extensions = OperatingSystem.IsWindows()
            ? [.. (context.Environment("PATHEXT") ?? ".COM;.EXE;.BAT;.CMD").Split(';', StringSplitOptions.RemoveEmptyEntries), string.Empty]
            : [string.Empty];
        foreach (var folder in (context.Environment("PATH") ?? string.Empty).Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            foreach (var extension in extensions)
            {
                try
                {
                    var candidate = Path.GetFullPath(Path.Combine(context.Expand(folder.Trim('"')), name + extension));
                    if (IsExecutableFile(candidate))
                    {
                        return candidate;
                    }
                }
                catch (Exception e) when (e is ArgumentException or IOException or UnauthorizedAccessException)
                {
                    // A malformed PATH entry or an unreadable file: skipped.
                }
            }
        }

        return null;
    }

    private static bool IsExecutableFile(string path) =>
        File.Exists(path)
        && (OperatingSystem.IsWindows() || (File.GetUnixFileMode(path) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0);
}
