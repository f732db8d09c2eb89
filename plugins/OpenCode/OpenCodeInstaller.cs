using System.Text.Json;
using Selftune.Abstractions;
using Selftune.Plugin.Shared;

namespace Selftune.Plugin.OpenCode;

/// <summary>
/// Detects OpenCode and plans selftune's OpenCode plugin file. OpenCode has no command hooks; it loads every
/// <c>.js</c>/<c>.ts</c> file in <c>~/.config/opencode/plugins/</c> (user) and <c>.opencode/plugins/</c> (project) as a
/// plugin (opencode.ai/docs/plugins). selftune's plugin (<c>selftune.js</c>, from the embedded
/// <c>selftune-plugin.js</c> template) subscribes to <c>tool.execute.before/after</c>, <c>chat.message</c> and the
/// <c>session.idle</c> event and hands each to <c>&lt;hook command&gt; &lt;event&gt; --platform opencode</c> (payloads:
/// <see cref="OpenCodeHookHandler"/>). The file's first line is the marker <see cref="Marker"/>: install replaces only a
/// file holding it, uninstall deletes only such a file, and a user's own <c>selftune.js</c> is never touched.
/// </summary>
public sealed class OpenCodeInstaller : IInstaller
{
    /// <summary>The plugin file's name in OpenCode's plugin folder.</summary>
    public const string PluginFileName = "selftune.js";

    /// <summary>The first line of every plugin file selftune writes.</summary>
    public const string Marker = "// selftune-managed OpenCode plugin";

    private const string TemplateResource = "Selftune.Plugin.OpenCode.selftune-plugin.js";

    private static readonly Lazy<string> Template = new(() => InstallerFiles.EmbeddedText(typeof(OpenCodeInstaller).Assembly, TemplateResource));

    /// <inheritdoc />
    public string Platform => Platforms.OpenCode;

    /// <inheritdoc />
    public IReadOnlyList<string> EnvironmentVariables => OpenCodePaths.EnvironmentVariables;

    /// <inheritdoc />
    public IReadOnlyList<string> ProjectSkillFolders { get; } = [Path.Combine(".opencode", "skills"), Path.Combine(".agents", "skills")];

    /// <summary>Where the plugin file goes: <c>&lt;config&gt;/plugins/selftune.js</c> (user; config is
    /// <c>$XDG_CONFIG_HOME/opencode</c>, default <c>~/.config/opencode</c>) or <c>.opencode/plugins/selftune.js</c> under
    /// the working directory (project).</summary>
    public static string PluginPath(PlatformContext context, InstallScope scope) => scope == InstallScope.Project
        ? Path.Combine(context.WorkingDirectory, ".opencode", "plugins", PluginFileName)
        : Path.Combine(OpenCodePaths.ConfigDirectory(context), "plugins", PluginFileName);

    /// <inheritdoc />
    public AgentDetection Detect(PlatformContext context)
    {
        var skillRoots = new[]
        {
            Path.Combine(OpenCodePaths.ConfigDirectory(context), "skills"),
            Path.Combine(context.UserHome, ".agents", "skills"),
        };
        var settings = PluginPath(context, InstallScope.User);
        try
        {
            var evidence = ExecutableSearch.FindOnPath(context, OpenCodePaths.Executable) is { } exe ? $"{OpenCodePaths.Executable} on PATH: {exe}"
                : Directory.Exists(OpenCodePaths.DataDirectory(context)) ? $"data folder: {OpenCodePaths.DataDirectory(context)}"
                : Directory.Exists(OpenCodePaths.ConfigDirectory(context)) ? $"config folder: {OpenCodePaths.ConfigDirectory(context)}"
                : null;
            return evidence is null
                ? new AgentDetection(false, $"not found: no {OpenCodePaths.Executable} on PATH, no {OpenCodePaths.DataDirectory(context)}, no {OpenCodePaths.ConfigDirectory(context)}", settings, skillRoots) { UserSkillFolder = skillRoots[0] }
                : new AgentDetection(true, evidence, settings, skillRoots) { UserSkillFolder = skillRoots[0] };
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return new AgentDetection(false, $"could not look for OpenCode: {ex.Message}", settings, skillRoots);
        }
    }

    /// <inheritdoc />
    public InstallPlan PlanInstall(PlatformContext context, InstallScope scope, string hookCommand) =>
        InstallerFiles.PlanInstall(Marker, [PluginFile(context, scope, hookCommand)]);

    /// <inheritdoc />
    public InstallPlan PlanUninstall(PlatformContext context, InstallScope scope, string hookCommand) =>
        InstallerFiles.PlanUninstall(Marker, [PluginFile(context, scope, hookCommand)]);

    private static MarkedFile PluginFile(PlatformContext context, InstallScope scope, string hookCommand) => new(
        PluginPath(context, scope),
        Render(hookCommand),
        $"add the selftune OpenCode plugin (tool calls, prompts, idle sessions → {hookCommand})",
        $"update the selftune OpenCode plugin (→ {hookCommand})",
        "remove the selftune OpenCode plugin",
        "Move or rename that plugin, then install again.");

    /// <summary>The plugin file for <paramref name="hookCommand"/>.</summary>
    /// <exception cref="ArgumentException">The command is empty or has an unbalanced quote.</exception>
    internal static string Render(string hookCommand)
    {
        var argv = SplitCommand(hookCommand);
        return Template.Value
            .Replace("__SELFTUNE_COMMAND_TEXT__", hookCommand.ReplaceLineEndings(" "), StringComparison.Ordinal)
            .Replace("__SELFTUNE_COMMAND__", JsonSerializer.Serialize(argv), StringComparison.Ordinal);
    }

    /// <summary>Splits the hook command into arguments as the shell would (<see cref="ShellWords"/>).</summary>
    /// <exception cref="ArgumentException">The command is empty or has an unbalanced quote.</exception>
    internal static IReadOnlyList<string> SplitCommand(string command)
    {
        var args = ShellWords.Split(command, out var unclosed);
        if (unclosed is { } quote)
        {
            throw new ArgumentException($"The hook command has an unbalanced {quote} quote: {command}", nameof(command));
        }

        return args.Count > 0 ? args : throw new ArgumentException("The hook command is empty.", nameof(command));
    }
}
