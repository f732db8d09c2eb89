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
    public InstallPlan PlanInstall(PlatformContext context, InstallScope scope, string hookCommand)
    {
        var dir = Dir(context, scope);
        var changes = new List<FileChange>();
        foreach (var (name, content) in new[] { ("HOOK.md", HookFiles.HookMd()), ("handler.ts", HookFiles.HandlerTs(hookCommand)) })
        {
            var path = Path.Combine(dir, name);
            var existing = InstallerFiles.Read(path);
            if (existing == content)
            {
                continue;
            }

            if (existing is not null && !existing.Contains(HookFiles.Marker, StringComparison.Ordinal))
            {
                throw new InstallerException(
                    $"{path} exists and was not written by selftune (it lacks the \"{HookFiles.Marker}\" line). " +
                    $"Nothing was changed. Rename or remove your own hook named \"{HookFiles.Name}\", then install again.", path);
            }

            changes.Add(new FileChange(path, existing, content, existing is null
                ? $"add the OpenClaw hook \"{HookFiles.Name}\" ({name}); then run `openclaw hooks enable {HookFiles.Name}` and restart the gateway"
                : $"update selftune's OpenClaw hook ({name})"));
        }

        return new InstallPlan(changes);
    }

    /// <inheritdoc />
    /// <exception cref="InstallerException">Project scope, or a hook file cannot be read.</exception>
    public InstallPlan PlanUninstall(PlatformContext context, InstallScope scope, string hookCommand)
    {
        var dir = Dir(context, scope);
        var changes = new List<FileChange>();
        foreach (var name in new[] { "HOOK.md", "handler.ts" })
        {
            var path = Path.Combine(dir, name);
            if (InstallerFiles.Read(path) is { } existing && existing.Contains(HookFiles.Marker, StringComparison.Ordinal))
            {
                changes.Add(new FileChange(path, existing, null, $"remove selftune's OpenClaw hook ({name})"));
            }
        }

        return new InstallPlan(changes);
    }

    private static string HookDir(PlatformContext context) => Path.Combine(OpenClawPaths.HooksDir(context), HookFiles.Name);

    private static string Dir(PlatformContext context, InstallScope scope) => scope == InstallScope.User
        ? HookDir(context)
        : throw new InstallerException(
            "OpenClaw has no per-project hooks: it loads hooks from its state folder (~/.openclaw/hooks) and from each agent's " +
            "workspace, not from a project. Install with the user scope.", Path.Combine(context.WorkingDirectory, "hooks", HookFiles.Name));
}
