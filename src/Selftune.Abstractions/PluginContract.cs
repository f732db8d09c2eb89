namespace Selftune.Abstractions;

/// <summary>
/// The version of the plugin contract. A plugin is compatible when the major version of the
/// <c>Selftune.Abstractions</c> assembly it was compiled against equals <see cref="Major"/>; the host reads that
/// from the plugin's assembly references and refuses any other major with a message naming both.
/// </summary>
public static class PluginContract
{
    /// <summary>The contract major this assembly implements; also its assembly version's major.</summary>
    public static int Major => typeof(PluginContract).Assembly.GetName().Version?.Major ?? 0;

    /// <summary>The simple name of the contract assembly, as plugins reference it.</summary>
    public const string AssemblyName = "Selftune.Abstractions";
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
