using Selftune.Abstractions;
using Selftune.Plugin.Codex.Install;
using Selftune.Plugin.Shared;

namespace Selftune.Plugin.Codex;

/// <summary>
/// Detects the Codex CLI and plans selftune's hooks in Codex's <c>hooks.json</c> (user scope:
/// <c>$CODEX_HOME/hooks.json</c>, default <c>~/.codex</c>; project scope: <c>&lt;cwd&gt;/.codex/hooks.json</c>). Each of
/// <c>SessionStart</c>, <c>UserPromptSubmit</c>, <c>PostToolUse</c>, <c>Stop</c> gets one matcher group running
/// <c>&lt;hookCommand&gt; &lt;Event&gt; --platform codex</c>. Codex runs <c>hooks.json</c> only with hooks enabled
/// (<c>[features] codex_hooks = true</c> in <c>config.toml</c> before they became the default), so the plan also adds
/// that line to the <c>config.toml</c> of the same folder when a line-based edit can do it safely, and says what to
/// do by hand otherwise. Uninstall removes exactly the handlers and lines selftune added.
/// </summary>
public sealed class CodexInstaller : IInstaller
{
    /// <inheritdoc />
    public string Platform => Platforms.Codex;

    /// <inheritdoc />
    public IReadOnlyList<string> EnvironmentVariables => CodexLocations.EnvironmentVariables;

    /// <inheritdoc />
    public IReadOnlyList<string> ProjectSkillFolders { get; } = [CodexLocations.ProjectSkillFolder];

    /// <inheritdoc />
    public AgentDetection Detect(PlatformContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        try
        {
            var home = CodexLocations.Home(context);
            var executable = ExecutableSearch.FindOnPath(context, CodexLocations.Executable);
            var evidence = Directory.Exists(home) ? home : executable ?? $"neither {home} nor `codex` on PATH";
            var skills = CodexLocations.SkillRoots(context);
            return new AgentDetection(Directory.Exists(home) || executable is not null, evidence, Path.Combine(home, "hooks.json"), skills) { UserSkillFolder = skills[0] };
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return new AgentDetection(false, e.Message, null, []);
        }
    }

    /// <inheritdoc />
    public InstallPlan PlanInstall(PlatformContext context, InstallScope scope, string hookCommand)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentException.ThrowIfNullOrWhiteSpace(hookCommand);
        var folder = CodexLocations.ConfigFolder(context, scope);
        var hooksPath = Path.Combine(folder, "hooks.json");
        var configPath = Path.Combine(folder, "config.toml");
        var hooksText = Read(hooksPath);
        var configText = Read(configPath);
        var hooks = HooksFile.Install(hooksText, hooksPath, hookCommand);
        var (newConfig, manualStep) = CodexFeatureFlag.PlanEnable(configText);

        var changes = new List<FileChange>();
        if (hooks.Text != hooksText)
        {
            var summary = hooks.Added.Count > 0 ? $"add selftune hooks for {string.Join(", ", hooks.Added)}" : "replace selftune hooks installed from another location";
            changes.Add(new FileChange(hooksPath, hooksText, hooks.Text, manualStep is null ? summary : $"{summary}; manual step: {manualStep}"));
        }

        if (newConfig is not null)
        {
            changes.Add(new FileChange(configPath, configText, newConfig, "enable Codex hooks ([features] codex_hooks = true)"));
        }

        return new InstallPlan(changes);
    }

    /// <inheritdoc />
    public InstallPlan PlanUninstall(PlatformContext context, InstallScope scope, string hookCommand)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentException.ThrowIfNullOrWhiteSpace(hookCommand);
        var folder = CodexLocations.ConfigFolder(context, scope);
        var hooksPath = Path.Combine(folder, "hooks.json");
        var configPath = Path.Combine(folder, "config.toml");
        var changes = new List<FileChange>();
        if (Read(hooksPath) is { } hooksText && !string.IsNullOrWhiteSpace(hooksText))
        {
            var newHooks = HooksFile.Uninstall(hooksText, hooksPath, hookCommand);
            if (newHooks != hooksText)
            {
                changes.Add(new FileChange(hooksPath, hooksText, newHooks, newHooks is null ? "delete the hooks file (it held only selftune hooks)" : "remove selftune hooks"));
            }
        }

        if (Read(configPath) is { } configText)
        {
            var newConfig = CodexFeatureFlag.PlanDisable(configText);
            if (newConfig != configText)
            {
                changes.Add(new FileChange(configPath, configText, newConfig.Length == 0 ? null : newConfig, "remove the codex_hooks line selftune added"));
            }
        }

        return new InstallPlan(changes);
    }

    private static string? Read(string path)
    {
        try
        {
            return File.Exists(path) ? File.ReadAllText(path) : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InstallerException($"{path} could not be read ({e.Message}); check its permissions, then install again.", path);
        }
    }
}
