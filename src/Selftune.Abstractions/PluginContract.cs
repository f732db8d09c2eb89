namespace Selftune.Abstractions;

/// <summary>
/// The version of the plugin contract. A plugin is compatible when the major version of the
/// <c>Selftune.Abstractions</c> assembly it was compiled against equals <see cref="Major"/>; the host reads that
/// from the plugin's assembly references and refuses any other major with a message naming both. A plugin built against
/// a newer minor of the same major loads too (it binds to the host's copy); it must not call members that copy lacks.
/// </summary>
/// <remarks>
/// Minor versions add to the contract without breaking a plugin built against an earlier one (new members have default
/// implementations):
/// <list type="bullet">
/// <item>1.1: <see cref="IIngestor.SourceRoots"/>.</item>
/// <item>1.2: what the core used to know per platform now comes from the plugins: <see cref="IInstaller.ProjectSkillFolders"/>
/// and <see cref="AgentDetection.UserSkillFolder"/> (where skills are found and where selftune's own skill is installed),
/// <see cref="IIngestor.EnvironmentVariables"/> and <see cref="IInstaller.EnvironmentVariables"/> (what locates the
/// agent's data), <see cref="TurnEndFlag"/> in the hook commands an installer writes (which events end a turn), and
/// <see cref="IAgentRunner.Preference"/> (which agent answers as the LLM when none is configured).</item>
/// <item>1.3: <see cref="FileChange.Executable"/> (an agent whose hooks are executable files, e.g. Cline) and
/// <see cref="IRecordSink.Commit"/> with <see cref="CommitRecord"/> (a git commit seen in a session's tool output).</item>
/// <item>1.4: <see cref="ToolCallRecord.LinesAdded"/> and <see cref="ToolCallRecord.LinesRemoved"/> (the lines an edit tool
/// call changed, where the log shows them), and <see cref="SessionRecord.LinesAdded"/> and
/// <see cref="SessionRecord.LinesRemoved"/> (a session's own figures, for logs that show them per session only).</item>
/// </list>
/// </remarks>
public static class PluginContract
{
    /// <summary>The contract major this assembly implements; also its assembly version's major.</summary>
    public static int Major => typeof(PluginContract).Assembly.GetName().Version?.Major ?? 0;

    /// <summary>The simple name of the contract assembly, as plugins reference it.</summary>
    public const string AssemblyName = "Selftune.Abstractions";

    /// <summary>The flag an installer appends to the hook command of every event that ends a turn or a session (e.g.
    /// <c>selftune hook Stop --platform claude_code --turn-end</c>): after spooling such an event the hook starts the
    /// background drain that stores the turn. Added in contract 1.2; the host keeps no list of platforms' event names.</summary>
    public const string TurnEndFlag = "--turn-end";
}

/// <summary>Well-known platform identifiers used in <see cref="Provenance.Platform"/> and plugin keys.</summary>
public static class Platforms
{
    /// <summary>Anthropic's Claude Code CLI.</summary>
    public const string ClaudeCode = "claude_code";
    /// <summary>OpenAI's Codex CLI.</summary>
    public const string Codex = "codex";
    /// <summary>The OpenCode CLI.</summary>
    public const string OpenCode = "opencode";
    /// <summary>OpenClaw (and Pi-format session stores).</summary>
    public const string OpenClaw = "openclaw";
}
