using Selftune.Abstractions;

namespace Selftune.Plugin.Pi;

/// <summary>
/// Where the pi coding agent keeps its files: the agent folder <c>$PI_CODING_AGENT_DIR</c> (default <c>~/.pi/agent</c>;
/// pi-mono <c>packages/coding-agent/src/config.ts</c>, <c>getAgentDir</c>) holding <c>sessions/--&lt;cwd&gt;--/&lt;time&gt;_&lt;id&gt;.jsonl</c>,
/// <c>extensions/</c> and <c>skills/</c>. All paths come from <see cref="PlatformContext"/>, never from the process.
/// </summary>
internal static class PiPaths
{
    /// <summary>The platform id.</summary>
    public const string Platform = "pi";

    /// <summary>The CLI's executable name.</summary>
    public const string Executable = "pi";

    /// <summary>The variable that moves the agent folder.</summary>
    public const string AgentDirVariable = "PI_CODING_AGENT_DIR";

    /// <summary>The variables that locate Pi's data.</summary>
    public static readonly IReadOnlyList<string> EnvironmentVariables = [AgentDirVariable];

    /// <summary>The agent folder (<c>~</c> expanded).</summary>
    public static string AgentDir(PlatformContext context)
    {
        var dir = context.Environment(AgentDirVariable)?.Trim();
        if (string.IsNullOrEmpty(dir))
        {
            return Path.Combine(context.UserHome, ".pi", "agent");
        }

        return Path.GetFullPath(context.Expand(dir), context.WorkingDirectory);
    }

    /// <summary>The sessions folder: one sub-folder per working directory, named <c>--&lt;path with / as -&gt;--</c>.</summary>
    public static string SessionsDir(PlatformContext context) => Path.Combine(AgentDir(context), "sessions");

    /// <summary>The user's skills folder.</summary>
    public static string SkillsDir(PlatformContext context) => Path.Combine(AgentDir(context), "skills");

    /// <summary>The session id a file name implies: Pi names files <c>&lt;time&gt;_&lt;sessionId&gt;.jsonl</c>; the header's
    /// <c>id</c> wins when there is one.</summary>
    public static string SessionIdFromFileName(string path)
    {
        var stem = Shared.PiFormat.PiTranscriptFiles.SessionIdFromFileName(path);
        return stem[(stem.LastIndexOf('_') + 1)..];
    }
}
