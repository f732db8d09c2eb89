using Selftune.Abstractions;

namespace Selftune.Plugin.Cline;

/// <summary>
/// Where Cline keeps its data (corpus <c>cline/FORMAT.md</c>): the CLI's data folder <c>$CLINE_DATA_DIR</c>, else
/// <c>$CLINE_DIR/data</c>, else <c>~/.cline/data</c>; and the VS Code extension's global storage
/// <c>&lt;VS Code user folder&gt;/globalStorage/saoudrizwan.claude-dev</c> (Linux <c>~/.config/Code/User</c>, macOS
/// <c>~/Library/Application Support/Code/User</c>). Each holds <c>tasks/&lt;taskId&gt;/</c> (classic task folders) and,
/// since the 2026 SDK, <c>sessions/&lt;sessionId&gt;/</c>. Hooks live in <c>~/Documents/Cline/Hooks/</c> (user) and
/// <c>.clinerules/hooks/</c> (project).
/// </summary>
internal static class ClinePaths
{
    /// <summary>The platform id.</summary>
    public const string Platform = "cline";

    /// <summary>The CLI's executable name.</summary>
    public const string Executable = "cline";

    /// <summary>The variables that locate Cline's data.</summary>
    public static readonly IReadOnlyList<string> EnvironmentVariables = ["CLINE_DATA_DIR", "CLINE_DIR"];

    /// <summary>The data folders, CLI first; they may not exist.</summary>
    public static IReadOnlyList<string> DataDirs(PlatformContext context)
    {
        var cli = context.Environment("CLINE_DATA_DIR") is { Length: > 0 } data ? Expand(context, data)
            : Path.Combine(context.Environment("CLINE_DIR") is { Length: > 0 } dir ? Expand(context, dir) : Path.Combine(context.UserHome, ".cline"), "data");
        return
        [
            cli,
            Path.Combine(context.UserHome, ".config", "Code", "User", "globalStorage", "saoudrizwan.claude-dev"),
            Path.Combine(context.UserHome, "Library", "Application Support", "Code", "User", "globalStorage", "saoudrizwan.claude-dev"),
        ];
    }

    /// <summary>The user's skills folder (<c>~/.cline/skills</c>).</summary>
    public static string SkillsDir(PlatformContext context) => Path.Combine(context.UserHome, ".cline", "skills");

    /// <summary>The user-scope hooks folder (<c>~/Documents/Cline/Hooks</c>).</summary>
    public static string UserHooksDir(PlatformContext context) => Path.Combine(context.UserHome, "Documents", "Cline", "Hooks");

    private static string Expand(PlatformContext context, string dir) => Path.GetFullPath(context.Expand(dir), context.WorkingDirectory);
}
