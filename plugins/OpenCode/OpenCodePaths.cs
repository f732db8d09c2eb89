using Selftune.Abstractions;

namespace Selftune.Plugin.OpenCode;

/// <summary>
/// Where OpenCode keeps things, as OpenCode itself resolves them (its <c>Global.Path</c>, which follows the XDG base
/// directories on every OS): data in <c>$XDG_DATA_HOME/opencode</c> (default <c>~/.local/share/opencode</c>), config in
/// <c>$XDG_CONFIG_HOME/opencode</c> (default <c>~/.config/opencode</c>). Source: corpus FORMAT.md and OpenCode's
/// <c>packages/opencode/src/global</c> and <c>storage/db.ts</c>.
/// </summary>
internal static class OpenCodePaths
{
    /// <summary>The environment variables that change where OpenCode's data and configuration are found.</summary>
    public static readonly IReadOnlyList<string> EnvironmentVariables = ["XDG_DATA_HOME", "XDG_CONFIG_HOME", "OPENCODE_*"];

    /// <summary>The executable name.</summary>
    public const string Executable = "opencode";

    /// <summary>OpenCode's data folder (sessions: <c>opencode.db</c>, legacy <c>storage/</c>).</summary>
    public static string DataDirectory(PlatformContext context) =>
        Path.Combine(XdgBase(context, "XDG_DATA_HOME", Path.Combine(".local", "share")), "opencode");

    /// <summary>OpenCode's user config folder (<c>opencode.json</c>, <c>plugins/</c>, <c>skills/</c>).</summary>
    public static string ConfigDirectory(PlatformContext context) =>
        Path.Combine(XdgBase(context, "XDG_CONFIG_HOME", ".config"), "opencode");

    /// <summary>The legacy JSON session tree (OpenCode ≤ 1.1).</summary>
    public static string LegacyStorage(PlatformContext context) => Path.Combine(DataDirectory(context), "storage");

    /// <summary>The database <c>OPENCODE_DB</c> names (absolute, or relative to the data folder), present or not; null when
    /// it is unset or in memory.</summary>
    public static string? CustomDatabase(PlatformContext context) =>
        context.Environment("OPENCODE_DB") is { Length: > 0 } custom && custom != ":memory:"
            ? Path.GetFullPath(Path.IsPathRooted(custom) ? custom : Path.Combine(DataDirectory(context), custom))
            : null;

    /// <summary>The SQLite stores present: <c>OPENCODE_DB</c> when set (absolute, or relative to the data folder), and
    /// every <c>opencode*.db</c> in the data folder (<c>opencode.db</c> for the latest/beta channels,
    /// <c>opencode-&lt;channel&gt;.db</c> for others).</summary>
    public static IEnumerable<string> DatabaseFiles(PlatformContext context)
    {
        var data = DataDirectory(context);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        if (CustomDatabase(context) is { } custom && File.Exists(custom) && seen.Add(custom))
        {
            yield return custom;
        }

        if (!Directory.Exists(data))
        {
            yield break;
        }

        foreach (var path in Directory.EnumerateFiles(data, "opencode*.db").Order(StringComparer.Ordinal))
        {
            if (seen.Add(Path.GetFullPath(path)))
            {
                yield return Path.GetFullPath(path);
            }
        }
    }

    private static string XdgBase(PlatformContext context, string variable, string fallback) =>
        context.Environment(variable) is { Length: > 0 } value && Path.IsPathRooted(value)
            ? value
            : Path.Combine(context.UserHome, fallback);
}
