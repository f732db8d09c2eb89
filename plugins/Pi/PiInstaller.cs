using Selftune.Abstractions;
using Selftune.Plugin.Shared;

namespace Selftune.Plugin.Pi;

/// <summary>
/// Detects the pi coding agent and plans selftune's Pi extension (<see cref="PiExtension"/>): one file,
/// <c>&lt;agent&gt;/extensions/selftune.ts</c> (user) or <c>.pi/extensions/selftune.ts</c> (project). Its first line carries
/// <see cref="PiExtension.Marker"/>: install refuses a <c>selftune.ts</c> without it, uninstall deletes only a marked one.
/// Pi loads extensions at start, so a running Pi picks it up after a restart (or <c>/reload</c>).
/// </summary>
public sealed class PiInstaller : IInstaller
{
    /// <inheritdoc />
    public string Platform => PiPaths.Platform;

    /// <inheritdoc />
    public IReadOnlyList<string> EnvironmentVariables => PiPaths.EnvironmentVariables;

    /// <inheritdoc />
    public IReadOnlyList<string> ProjectSkillFolders { get; } = [Path.Combine(".pi", "skills")];

    /// <inheritdoc />
    public AgentDetection Detect(PlatformContext context)
    {
        try
        {
            var agent = PiPaths.AgentDir(context);
            var settings = ExtensionPath(context, InstallScope.User);
            var skills = PiPaths.SkillsDir(context);
            if (Directory.Exists(agent))
            {
                return new AgentDetection(true, agent, settings, [skills]) { UserSkillFolder = skills };
            }

            return ExecutableSearch.FindOnPath(context, PiPaths.Executable) is { } exe
                ? new AgentDetection(true, exe, settings, [skills]) { UserSkillFolder = skills }
                : new AgentDetection(false, $"no {agent} and no {PiPaths.Executable} on PATH", settings, [skills]) { UserSkillFolder = skills };
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return new AgentDetection(false, $"Pi could not be looked for: {ex.Message}", null, []);
        }
    }

    /// <inheritdoc />
    /// <exception cref="InstallerException">A <c>selftune.ts</c> exists that selftune did not write, or cannot be read.</exception>
    public InstallPlan PlanInstall(PlatformContext context, InstallScope scope, string hookCommand) =>
        InstallerFiles.PlanInstall(PiExtension.Marker, [Extension(context, scope, hookCommand)]);

    /// <inheritdoc />
    /// <exception cref="InstallerException">The extension file cannot be read.</exception>
    public InstallPlan PlanUninstall(PlatformContext context, InstallScope scope, string hookCommand) =>
        InstallerFiles.PlanUninstall(PiExtension.Marker, [Extension(context, scope, hookCommand)]);

    private static MarkedFile Extension(PlatformContext context, InstallScope scope, string hookCommand) => new(
        ExtensionPath(context, scope),
        PiExtension.Text(hookCommand),
        "add selftune's Pi extension (session events to `selftune hook`); restart Pi or run /reload to load it",
        "update selftune's Pi extension",
        "remove selftune's Pi extension",
        "Rename your own extension, then install again.");

    /// <summary>Where the extension goes for <paramref name="scope"/>.</summary>
    internal static string ExtensionPath(PlatformContext context, InstallScope scope) => scope == InstallScope.Project
        ? Path.Combine(context.WorkingDirectory, ".pi", "extensions", PiExtension.FileName)
        : Path.Combine(PiPaths.AgentDir(context), "extensions", PiExtension.FileName);
}
