using Selftune.Abstractions;

namespace Selftune.Plugin.OpenClaw;

/// <summary>
/// Where OpenClaw keeps its state on a machine. Follows OpenClaw's documented variables
/// (docs.openclaw.ai/help/environment): <c>OPENCLAW_HOME</c> replaces the home folder, <c>OPENCLAW_STATE_DIR</c> names the
/// state folder (default <c>~/.openclaw</c>); each may start with <c>~</c>. selftune's own <c>SELFTUNE_OPENCLAW_AGENTS_DIR</c>
/// (the reference implementation's variable) points straight at an <c>agents</c> folder and wins over both.
/// </summary>
internal static class OpenClawPaths
{
    /// <summary>The environment variables that change where OpenClaw's data is found.</summary>
    public static readonly IReadOnlyList<string> EnvironmentVariables = ["OPENCLAW_*", "SELFTUNE_OPENCLAW_*"];

    /// <summary>The executable name.</summary>
    public const string Executable = "openclaw";

    /// <summary>The state folder: <c>$OPENCLAW_STATE_DIR</c>, else <c>&lt;OPENCLAW_HOME or ~&gt;/.openclaw</c>.</summary>
    public static string StateDir(PlatformContext context) =>
        Variable(context, "OPENCLAW_STATE_DIR") is { } state
            ? Expand(context, state)
            : Path.Combine(Home(context), ".openclaw");

    /// <summary>The folders holding <c>&lt;agentId&gt;/sessions/</c>: the override when set; otherwise the state folder's
    /// <c>agents</c> and, when no OpenClaw variable re-roots the state, every profile's (<c>~/.openclaw-&lt;profile&gt;/agents</c>).</summary>
    public static IEnumerable<string> AgentsDirs(PlatformContext context)
    {
        if (Variable(context, "SELFTUNE_OPENCLAW_AGENTS_DIR") is { } agents)
        {
            yield return Expand(context, agents);
            yield break;
        }

        yield return Path.Combine(StateDir(context), "agents");
        if (Variable(context, "OPENCLAW_STATE_DIR") is not null)
        {
            yield break;
        }

        var home = Home(context);
        IEnumerable<string> profiles;
        try
        {
            profiles = Directory.Exists(home) ? Directory.EnumerateDirectories(home, ".openclaw-*").Order(StringComparer.Ordinal).ToList() : [];
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            profiles = [];
        }

        foreach (var profile in profiles)
        {
            yield return Path.Combine(profile, "agents");
        }
    }

    /// <summary>Skill folders, most specific first: the default agent workspace's <c>skills</c>, the managed
    /// <c>&lt;state&gt;/skills</c>, and the shared <c>~/.agents/skills</c>.</summary>
    public static IReadOnlyList<string> SkillRoots(PlatformContext context) =>
    [
        Path.Combine(StateDir(context), "workspace", "skills"),
        Path.Combine(StateDir(context), "skills"),
        Path.Combine(context.UserHome, ".agents", "skills"),
    ];

    /// <summary>The managed hooks folder (<c>&lt;state&gt;/hooks</c>), where OpenClaw discovers user-installed hooks.</summary>
    public static string HooksDir(PlatformContext context) => Path.Combine(StateDir(context), "hooks");

    private static string Home(PlatformContext context) =>
        Variable(context, "OPENCLAW_HOME") is { } home ? context.Expand(home) : context.UserHome;

    private static string Expand(PlatformContext context, string path) =>
        path == "~" ? Home(context) : path.StartsWith("~/", StringComparison.Ordinal) ? Path.Combine(Home(context), path[2..]) : path;

    /// <summary>A variable's value; blank, <c>undefined</c> and <c>null</c> count as unset, as in OpenClaw.</summary>
    private static string? Variable(PlatformContext context, string name) =>
        context.Environment(name)?.Trim() is { Length: > 0 } value && value is not ("undefined" or "null") ? value : null;
}
