namespace Selftune.Core.Hooks;

/// <summary>Where the selftune home is and the names of the folders the hook writes to, without the rest of
/// <c>SelftuneHome</c> (this file compiles into the native hook too).</summary>
internal static class HomeLayout
{
    /// <summary>The environment variable that re-roots the home.</summary>
    public const string EnvironmentVariable = "SELFTUNE_HOME";

    /// <summary>Raw hook events waiting to be stored.</summary>
    public const string SpoolFolder = "spool";

    /// <summary>Log files (the hook's error log among them).</summary>
    public const string LogsFolder = "logs";

    /// <summary>The home folder: <c>SELFTUNE_HOME</c>, else <c>~/.selftune</c> (absolute).</summary>
    /// <param name="environment">Reads an environment variable.</param>
    /// <param name="userHome">The user's home folder.</param>
    public static string Root(Func<string, string?> environment, string userHome) =>
        Path.GetFullPath(environment(EnvironmentVariable) is { Length: > 0 } root ? root : Path.Combine(userHome, ".selftune"));
}
