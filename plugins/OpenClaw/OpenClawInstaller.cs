using Selftune.Abstractions;
using Selftune.Plugin.Shared;

namespace Selftune.Plugin.OpenClaw;

/// <summary>
/// Detects OpenClaw and plans installing selftune's internal hook: the folder <c>&lt;state&gt;/hooks/selftune/</c> with
/// <c>HOOK.md</c> and <c>handler.ts</c> (see <see cref="HookFiles"/>). OpenClaw discovers managed hooks there
/// (docs.openclaw.ai/automation/hooks); it loads them when the gateway starts, so the plan's summary tells the person to
/// run <c>openclaw hooks enable selftune</c> and restart the gateway. Plans never touch <c>openclaw.json</c>.
/// </summary>
/// <remarks>Uninstall deletes the two files; the emptied <c>selftune</c> folder stays, since a plan can only change files.</remarks>
public sealed class OpenClawInstaller : IInstaller
{
    /// <inheritdoc />
    public string Platform => Platforms.OpenClaw;

    /// <inheritdoc />
    public IReadOnlyList<string> EnvironmentVariables => OpenClawPaths.EnvironmentVariables;

    /// <inheritdoc />
    public AgentDetection Detect(PlatformContext context)
    {
        try
        {
            var state = OpenClawPaths.StateDir(context);
            var settings = Path.Combine(HookDir(context), "HOOK.md");
            var skills = OpenClawPaths.SkillRoots(context);
            if (Directory.Exists(state))
            {
                return new AgentDetection(true, state, settings, skills) { UserSkillFolder = skills[0] };
            }

            return ExecutableSearch.FindOnPath(context, OpenClawPaths.Executable) is { } exe
                ? new AgentDetection(true, exe, settings, skills) { UserSkillFolder = skills[0] }
                : new AgentDetection(false, $"no {state} and no {OpenClawPaths.Executable} on PATH", settings, skills) { UserSkillFolder = skills[0] };
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return new AgentDetection(false, $"OpenClaw could not be looked for: {ex.Message}", null, []);
        }
    }

    /// <inheritdoc />
    /// <exception cref="InstallerException">Project scope (OpenClaw has no per-project hooks), or a hook file of that name
    /// exists that selftune did not write.</exception>
    public InstallPlan PlanInstall(PlatformContext context, InstallScope scope, string hookCommand) =>
        InstallerFiles.PlanInstall(HookFiles.Marker, Files(context, scope, hookCommand));

    /// <inheritdoc />
    /// <exception cref="InstallerException">Project scope, or a hook file cannot be read.</exception>
    public InstallPlan PlanUninstall(PlatformContext context, InstallScope scope, string hookCommand) =>
        InstallerFiles.PlanUninstall(HookFiles.Marker, Files(context, scope, hookCommand));

    private static IEnumerable<MarkedFile> Files(PlatformContext context, InstallScope scope, string hookCommand)
    {
        var dir = Dir(context, scope);
        return new (string Name, string Content)[] { ("HOOK.md", HookFiles.HookMd()), ("handler.ts", HookFiles.HandlerTs(hookCommand)) }.Select(f => new MarkedFile(
            Path.Combine(dir, f.Name),
            f.Content,
            $"add the OpenClaw hook \"{HookFiles.Name}\" ({f.Name}); then run `openclaw hooks enable {HookFiles.Name}` and restart the gateway",
            $"update selftune's OpenClaw hook ({f.Name})",
            $"remove selftune's OpenClaw hook ({f.Name})",
            $"Rename or remove your own hook named \"{HookFiles.Name}\", then install again."));
    }

    private static string HookDir(PlatformContext context) => Path.Combine(OpenClawPaths.HooksDir(context), HookFiles.Name);

    private static string Dir(PlatformContext context, InstallScope scope) => scope == InstallScope.User
        ? HookDir(context)
        : throw new InstallerException(
            "OpenClaw has no per-project hooks: it loads hooks from its state folder (~/.openclaw/hooks) and from each agent's " +
            "workspace, not from a project. Install with the user scope.", Path.Combine(context.WorkingDirectory, "hooks", HookFiles.Name));
}
