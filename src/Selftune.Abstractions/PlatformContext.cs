namespace Selftune.Abstractions;

/// <summary>
/// The machine as a plugin should see it. Plugins read paths and environment through this, never from the
/// process directly, so tests and <c>--home</c>-style overrides re-root them.
/// </summary>
/// <param name="UserHome">The user's home folder (<c>~</c>).</param>
/// <param name="WorkingDirectory">The folder selftune was started in (project-level config and skills are found from here).</param>
/// <param name="Environment">Reads an environment variable; null when unset.</param>
public sealed record PlatformContext(string UserHome, string WorkingDirectory, Func<string, string?> Environment)
{
    /// <summary>A context for the current process: <c>HOME</c> (or the profile folder), the current directory and the real environment.</summary>
    public static PlatformContext FromProcess() => new(
        System.Environment.GetEnvironmentVariable("HOME") is { Length: > 0 } home ? home : System.Environment.GetFolderPath(System.Environment.SpecialFolder.UserProfile),
        Directory.GetCurrentDirectory(),
        System.Environment.GetEnvironmentVariable);

    /// <summary>Expands a leading <c>~</c> to <see cref="UserHome"/>.</summary>
    public string Expand(string path) =>
        path == "~" ? UserHome : path.StartsWith("~/", StringComparison.Ordinal) ? Path.Combine(UserHome, path[2..]) : path;
}
