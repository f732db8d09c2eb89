using Selftune.Abstractions;

namespace Selftune.Plugin.Codex;

/// <summary>Where Codex keeps its files on a machine, read through <see cref="PlatformContext"/> only.</summary>
internal static class CodexLocations
{
    /// <summary>The environment variables that change where Codex's data is found.</summary>
    public static readonly IReadOnlyList<string> EnvironmentVariables = ["CODEX_HOME"];

    /// <summary>The executable name of the Codex CLI.</summary>
    public const string Executable = "codex";

    /// <summary><c>$CODEX_HOME</c>, else <c>~/.codex</c>.</summary>
    public static string Home(PlatformContext context) =>
        context.Environment("CODEX_HOME") is { Length: > 0 } home ? context.Expand(home) : Path.Combine(context.UserHome, ".codex");

    /// <summary>Folders holding rollout files: <c>sessions/YYYY/MM/DD</c> and the flat <c>archived_sessions</c>.</summary>
    public static IEnumerable<string> RolloutRoots(PlatformContext context)
    {
        yield return Path.Combine(Home(context), "sessions");
        yield return Path.Combine(Home(context), "archived_sessions");
    }

    /// <summary>The folder whose <c>hooks.json</c> and <c>config.toml</c> an install of <paramref name="scope"/> edits.</summary>
    public static string ConfigFolder(PlatformContext context, InstallScope scope) =>
        scope == InstallScope.User ? Home(context) : Path.Combine(context.WorkingDirectory, ".codex");

    /// <summary>Where a project's skills live, relative to the project folder.</summary>
    public static readonly string ProjectSkillFolder = Path.Combine(".agents", "skills");

    /// <summary>The user's skill folders, most specific first: <c>$CODEX_HOME/skills</c> (where selftune's own skill is
    /// installed), <c>~/.agents/skills</c>.</summary>
    public static IReadOnlyList<string> SkillRoots(PlatformContext context) =>
        [Path.Combine(Home(context), "skills"), Path.Combine(context.UserHome, ProjectSkillFolder)];
}
