using Selftune.Abstractions;
using Selftune.Plugin.Shared;

namespace Selftune.Plugin.Cline;

/// <summary>
/// Detects Cline (its data folder or the <c>cline</c> CLI) and plans selftune's hook files (<see cref="ClineHooks"/>):
/// user scope <c>~/Documents/Cline/Hooks/&lt;Hook&gt;</c>, project scope <c>.clinerules/hooks/&lt;Hook&gt;</c>, each executable
/// (<see cref="FileChange.Executable"/>). Install refuses a hook file of the same name that lacks the marker; uninstall
/// deletes only marked files.
/// </summary>
public sealed class ClineInstaller : IInstaller
{
    /// <inheritdoc />
    public string Platform => ClinePaths.Platform;

    /// <inheritdoc />
    public IReadOnlyList<string> EnvironmentVariables => ClinePaths.EnvironmentVariables;

    /// <inheritdoc />
    public IReadOnlyList<string> ProjectSkillFolders { get; } = [Path.Combine(".clinerules", "skills"), Path.Combine(".cline", "skills")];

    /// <inheritdoc />
    public AgentDetection Detect(PlatformContext context)
    {
        try
        {
            var skills = ClinePaths.SkillsDir(context);
            var hooks = ClinePaths.UserHooksDir(context);
            if (ClinePaths.DataDirs(context).FirstOrDefault(Directory.Exists) is { } data)
            {
                return new AgentDetection(true, data, hooks, [skills]) { UserSkillFolder = skills };
            }

            return ExecutableSearch.FindOnPath(context, ClinePaths.Executable) is { } exe
                ? new AgentDetection(true, exe, hooks, [skills]) { UserSkillFolder = skills }
                : new AgentDetection(false, $"no Cline data folder ({ClinePaths.DataDirs(context)[0]} or VS Code's global storage) and no {ClinePaths.Executable} on PATH", hooks, [skills]) { UserSkillFolder = skills };
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return new AgentDetection(false, $"Cline could not be looked for: {ex.Message}", null, []);
        }
    }

    /// <inheritdoc />
    /// <exception cref="InstallerException">A hook file of the same name exists that selftune did not write, or cannot be read.</exception>
    public InstallPlan PlanInstall(PlatformContext context, InstallScope scope, string hookCommand) =>
        InstallerFiles.PlanInstall(ClineHooks.Marker, Files(context, scope, hookCommand));

    /// <inheritdoc />
    /// <exception cref="InstallerException">A hook file cannot be read.</exception>
    public InstallPlan PlanUninstall(PlatformContext context, InstallScope scope, string hookCommand) =>
        InstallerFiles.PlanUninstall(ClineHooks.Marker, Files(context, scope, hookCommand));

    private static IEnumerable<MarkedFile> Files(PlatformContext context, InstallScope scope, string hookCommand) =>
        ClineHooks.Names.Select(name => new MarkedFile(
            Path.Combine(Dir(context, scope), name),
            ClineHooks.Script(name, hookCommand),
            $"add selftune's Cline {name} hook",
            $"update selftune's Cline {name} hook",
            $"remove selftune's Cline {name} hook",
            $"Cline runs one {name} hook per folder: merge selftune's command into yours by hand, or rename yours and install again.")
        {
            Executable = true,
        });

    private static string Dir(PlatformContext context, InstallScope scope) => scope == InstallScope.Project
        ? Path.Combine(context.WorkingDirectory, ".clinerules", "hooks")
        : ClinePaths.UserHooksDir(context);
}
