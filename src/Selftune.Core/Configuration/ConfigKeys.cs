namespace Selftune.Core.Configuration;

/// <summary>Every setting selftune reads. Add a key here (one place) and it is loadable from file, environment
/// and flags, and listed by <c>selftune config list</c>.</summary>
public static class ConfigKeys
{
    /// <summary>Redact secrets from prompt text before it is stored.</summary>
    public static readonly ConfigKey RedactionEnabled = new("redaction.enabled", "true", "Redact API keys, tokens, private keys and URL passwords from prompts before storing them.");

    /// <summary>The agent platforms selftune installed hooks for (comma-separated; set by <c>selftune init</c>).</summary>
    public static readonly ConfigKey Agents = new("agents", null, "Agent platforms selftune captures live (comma-separated, set by `selftune init`); `selftune install` uses them when --agent is not given.");

    /// <summary>All declared keys.</summary>
    public static IReadOnlyList<ConfigKey> All { get; } =
    [
        RedactionEnabled,
        Agents,
    ];
}
