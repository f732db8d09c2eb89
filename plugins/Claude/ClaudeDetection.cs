using Selftune.Abstractions;
using Selftune.Plugin.Shared;

namespace Selftune.Plugin.Claude;

/// <summary>
/// Where Claude Code keeps its data on this machine: the configuration folders (<c>CLAUDE_CONFIG_DIR</c>, a
/// comma-separated list as ccusage accepts it; else <c>~/.config/claude</c> and <c>~/.claude</c>), their
/// <c>projects/</c> transcript folders, the user's settings file and the folders holding installed skills. Claude Code
/// itself reads its settings and the user's skills in one folder only: the (first) <c>CLAUDE_CONFIG_DIR</c>, else
/// <c>~/.claude</c> (<see cref="ConfigDirectory"/>). Used by the ingestor and the installer.
/// </summary>
internal static class ClaudeDetection
{
    /// <summary>The environment variable that relocates Claude Code's configuration folder.</summary>
    public const string ConfigDirVariable = "CLAUDE_CONFIG_DIR";

    /// <summary>The environment variables that change where Claude Code's data is found.</summary>
    public static readonly IReadOnlyList<string> EnvironmentVariables = [ConfigDirVariable];

    /// <summary>Where a project's skills live, relative to the project folder.</summary>
    public static readonly string ProjectSkillFolder = Path.Combine(".claude", "skills");

    /// <summary>The most folders walked below a plugins folder when looking for plugin skills.</summary>
    private const int MaxPluginDirectories = 2000;

    /// <summary>Claude Code's configuration folders, existing or not, in precedence order.</summary>
    public static IReadOnlyList<string> ConfigDirectories(PlatformContext context)
    {
        if (context.Environment(ConfigDirVariable) is { Length: > 0 } configured)
        {
            return configured.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(d => Path.GetFullPath(context.Expand(d)))
                .Distinct(StringComparer.Ordinal)
                .ToList();
        }

        return [Path.Combine(context.UserHome, ".config", "claude"), Path.Combine(context.UserHome, ".claude")];
    }

    /// <summary>The <c>projects/</c> folders that hold session transcripts.</summary>
    public static IEnumerable<string> ProjectFolders(PlatformContext context) =>
        ConfigDirectories(context).Select(d => Path.Combine(d, "projects"));

    /// <summary>Looks for Claude Code: a configuration folder, or <c>claude</c> on PATH.</summary>
    public static AgentDetection Detect(PlatformContext context)
    {
        var existing = ConfigDirectories(context).FirstOrDefault(Directory.Exists);
        var executable = ExecutableSearch.FindOnPath(context, "claude");
        var evidence = (existing, executable) switch
        {
            ({ } folder, { } exe) => $"{folder} and {exe}",
            ({ } folder, null) => folder,
            (null, { } exe) => exe,
            _ => $"neither {string.Join(" nor ", ConfigDirectories(context))} nor `claude` on PATH",
        };
        return new AgentDetection(existing is not null || executable is not null, evidence, UserSettingsPath(context), UserSkillRoots(context))
        {
            UserSkillFolder = UserSkillFolder(context),
        };
    }

    /// <summary>The folder Claude Code reads its settings and the user's skills from: the first <c>CLAUDE_CONFIG_DIR</c>
    /// folder when it is set, else <c>~/.claude</c> (never <c>~/.config/claude</c>, which only older versions wrote
    /// transcripts to).</summary>
    public static string ConfigDirectory(PlatformContext context) =>
        context.Environment(ConfigDirVariable) is { Length: > 0 } ? ConfigDirectories(context)[0] : Path.Combine(context.UserHome, ".claude");

    /// <summary>The user's <c>settings.json</c>, in <see cref="ConfigDirectory"/>.</summary>
    public static string UserSettingsPath(PlatformContext context) => Path.Combine(ConfigDirectory(context), "settings.json");

    /// <summary>The user's skills folder, in <see cref="ConfigDirectory"/>, whether it exists or not.</summary>
    public static string UserSkillFolder(PlatformContext context) => Path.Combine(ConfigDirectory(context), "skills");

    /// <summary>The user's folders holding installed skills, most specific first: <see cref="UserSkillFolder"/>, the
    /// <c>skills/</c> of every other configuration folder that has one, then every <c>skills/</c> folder of installed
    /// Claude Code plugins. Folders that do not exist are left out, except <see cref="UserSkillFolder"/>.</summary>
    public static IReadOnlyList<string> UserSkillRoots(PlatformContext context)
    {
        var roots = new List<string> { UserSkillFolder(context) };
        var configs = ConfigDirectories(context).Where(Directory.Exists).ToList();
        roots.AddRange(configs.Select(c => Path.Combine(c, "skills")).Where(Directory.Exists));
        foreach (var config in configs)
        {
            roots.AddRange(PluginSkillFolders(Path.Combine(config, "plugins")));
        }

        return roots.Distinct(StringComparer.Ordinal).ToList();
    }

    /// <summary>Folders holding installed skills as a transcript's reads are matched against them, most specific first:
    /// the project's <c>.claude/skills</c> from the working directory up to the git root, then <see cref="UserSkillRoots"/>.</summary>
    public static IReadOnlyList<string> SkillRoots(PlatformContext context) =>
        ProjectChain(context.WorkingDirectory).Select(dir => Path.Combine(dir, ProjectSkillFolder)).Concat(UserSkillRoots(context)).Distinct(StringComparer.Ordinal).ToList();

    /// <summary>The working directory and its ancestors up to (and including) the first that holds <c>.git</c>;
    /// only the working directory when no ancestor does.</summary>
    public static IEnumerable<string> ProjectChain(string workingDirectory)
    {
        var chain = new List<string>();
        for (var dir = new DirectoryInfo(workingDirectory); dir is not null; dir = dir.Parent)
        {
            chain.Add(dir.FullName);
            if (Directory.Exists(Path.Combine(dir.FullName, ".git")) || File.Exists(Path.Combine(dir.FullName, ".git")))
            {
                return chain;
            }
        }

        return chain.Take(1);
    }

    /// <summary>Every folder named <c>skills</c> below <paramref name="pluginsFolder"/> (bounded walk).</summary>
    public static IEnumerable<string> PluginSkillFolders(string pluginsFolder)
    {
        if (!Directory.Exists(pluginsFolder))
        {
            yield break;
        }

        var pending = new Stack<(string Dir, int Depth)>();
        pending.Push((pluginsFolder, 0));
        var visited = 0;
        var options = new EnumerationOptions { AttributesToSkip = FileAttributes.ReparsePoint, IgnoreInaccessible = true };
        while (pending.Count > 0 && visited++ < MaxPluginDirectories)
        {
            var (dir, depth) = pending.Pop();
            string[] children;
            try
            {
                children = Directory.GetDirectories(dir, "*", options);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                continue;
            }

            Array.Sort(children, StringComparer.Ordinal);
            foreach (var child in children)
            {
                if (Path.GetFileName(child) == "skills")
                {
                    yield return child;
                }
                else if (depth < 6)
                {
                    pending.Push((child, depth + 1));
                }
            }
        }
    }
}
