namespace Selftune.Abstractions;

/// <summary>What a plugin found of its agent on this machine.</summary>
/// <param name="Installed">True when the agent's CLI or its data folder exists.</param>
/// <param name="Evidence">What was found (a path or executable), for a person.</param>
/// <param name="SettingsPath">The settings file hooks are installed in, when the platform has one.</param>
/// <param name="SkillRoots">The user's folders holding installed skills (each child folder with a SKILL.md is a skill), most
/// specific first; project folders are named by <see cref="IInstaller.ProjectSkillFolders"/>.</param>
public sealed record AgentDetection(bool Installed, string Evidence, string? SettingsPath, IReadOnlyList<string> SkillRoots)
{
    /// <summary>The folder in which the agent reads the user's own skills, whether it exists or not: where <c>selftune init</c>
    /// installs selftune's skill and where <c>selftune doctor</c> checks it is visible. Null when the agent has none (no skill
    /// is installed for it). Added in contract 1.2.</summary>
    public string? UserSkillFolder { get; init; }
}

/// <summary>Where to install.</summary>
public enum InstallScope
{
    /// <summary>The user's own agent settings (e.g. <c>~/.claude/settings.json</c>).</summary>
    User,
    /// <summary>The project's settings under the working directory (e.g. <c>.claude/settings.json</c>).</summary>
    Project,
}

/// <summary>One file an install or uninstall would change. The core, not the plugin, writes it: after a
/// timestamped backup, atomically, and only when <see cref="NewContent"/> differs from <see cref="OriginalContent"/>.</summary>
/// <param name="Path">Absolute path.</param>
/// <param name="OriginalContent">The file's current text; null when it does not exist.</param>
/// <param name="NewContent">The text to write; null to delete the file.</param>
/// <param name="Summary">What changes, for a person ("add 4 hook entries").</param>
public sealed record FileChange(string Path, string? OriginalContent, string? NewContent, string Summary)
{
    /// <summary>True when the file is a script the agent runs (e.g. Cline's hook files): the core writes it with the
    /// owner's execute permission on Unix. Added in contract 1.3; the default is false.</summary>
    public bool Executable { get; init; }
}

/// <summary>The result of planning an install or uninstall: nothing is written yet.</summary>
/// <param name="Changes">Files to change; empty when there is nothing to do (already installed / nothing of ours).</param>
public sealed record InstallPlan(IReadOnlyList<FileChange> Changes);

/// <summary>Raised when an agent's configuration cannot be changed safely (e.g. its settings file is not valid JSON).</summary>
public sealed class InstallerException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What is wrong, where (file, line, column) and what to do.</param>
    /// <param name="path">The file concerned.</param>
    public InstallerException(string message, string path) : base(message) => Path = path;

    /// <summary>The file concerned.</summary>
    public string Path { get; }
}

/// <summary>
/// Detects an agent and plans the installation of selftune's hooks into its configuration. Plans must merge:
/// every user setting and every hook not selftune's stays as it was, a second install plans no change, and
/// uninstall removes exactly what install added.
/// </summary>
public interface IInstaller
{
    /// <summary>The platform id.</summary>
    string Platform { get; }

    /// <summary>Looks for the agent on this machine. Never throws.</summary>
    AgentDetection Detect(PlatformContext context);

    /// <summary>Folders, relative to a project folder, in which the agent finds the project's skills (e.g.
    /// <c>.claude/skills</c>), most specific first. The core searches them in the working directory and each parent up to
    /// the git root. Added in contract 1.2; the default is none.</summary>
    IReadOnlyList<string> ProjectSkillFolders => [];

    /// <summary>The environment variables whose values change where <see cref="Detect"/> and the plans look (e.g.
    /// <c>CLAUDE_CONFIG_DIR</c>); a name ending in <c>*</c> stands for every variable with that prefix. A run on the
    /// bundled sample data hides them from every plugin so nothing of the user's is read or changed. Added in contract
    /// 1.2; the default is none.</summary>
    IReadOnlyList<string> EnvironmentVariables => [];

    /// <summary>Plans installing the hooks that run <paramref name="hookCommand"/>.</summary>
    /// <param name="context">The machine.</param>
    /// <param name="scope">User or project settings.</param>
    /// <param name="hookCommand">The command prefix to install, e.g. <c>/usr/local/bin/selftune hook</c>, already quoted for a
    /// POSIX shell (<c>'/opt/my $dir/selftune' hook</c>); the plugin appends the event name, its platform flag and, for an
    /// event that ends a turn or a session, <see cref="PluginContract.TurnEndFlag"/>.</param>
    /// <exception cref="InstallerException">The existing configuration cannot be merged safely; nothing was changed.</exception>
    InstallPlan PlanInstall(PlatformContext context, InstallScope scope, string hookCommand);

    /// <summary>Plans removing every hook entry selftune installed (recognized by <paramref name="hookCommand"/>'s executable
    /// name followed by <c>hook</c>), and nothing else.</summary>
    /// <exception cref="InstallerException">The existing configuration cannot be read safely; nothing was changed.</exception>
    InstallPlan PlanUninstall(PlatformContext context, InstallScope scope, string hookCommand);
}
