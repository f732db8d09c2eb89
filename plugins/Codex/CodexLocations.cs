using Selftune.Abstractions;

namespace Selftune.Plugin.Codex;

/// <summary>Where Codex keeps its files on a machine, read through <see cref="PlatformContext"/> only.</summary>
internal static class CodexLocations
{
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

    /// <summary>Skill folders, most specific first: the project's <c>.agents/skills</c> (when present),
    /// <c>$CODEX_HOME/skills</c>, <c>~/.agents/skills</c>.</summary>
    public static IReadOnlyList<string> SkillRoots(PlatformContext context)
    {
        var roots = new List<string>();
        var project = Path.Combine(context.WorkingDirectory, ".agents", "skills");
        if (Directory.Exists(project) && !SamePath(context.WorkingDirectory, context.UserHome))
        {
            roots.Add(project);
        }

        roots.Add(Path.Combine(Home(context), "skills"));
        roots.Add(Path.Combine(context.UserHome, ".agents", "skills"));
        return roots;
    }

    private static bool SamePath(string a, string b) =>
        string.Equals(Path.GetFullPath(a).TrimEnd(Path.DirectorySeparatorChar), Path.GetFullPath(b).TrimEnd(Path.DirectorySeparatorChar), StringComparison.Ordinal);
}
