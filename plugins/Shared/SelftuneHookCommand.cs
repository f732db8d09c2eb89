namespace Selftune.Plugin.Shared;

/// <summary>
/// Recognises the hook commands selftune installed, from this install or any other: the native hook
/// (<c>…/selftune-hook &lt;event&gt; …</c>) and the managed one of older versions and of builds without it
/// (<c>…/selftune hook &lt;event&gt; …</c>), so an install from another location or an upgrade replaces the old entries
/// instead of adding a second set, and uninstall removes both.
/// </summary>
internal static class SelftuneHookCommand
{
    /// <summary>The native hook's executable name (without extension).</summary>
    public const string NativeName = "selftune-hook";

    /// <summary>True when <paramref name="command"/> runs a selftune hook.</summary>
    /// <param name="command">A hook command from a settings file (a POSIX shell command line).</param>
    /// <param name="hookCommand">The command prefix being installed, e.g. <c>/opt/selftune/selftune-hook</c> or
    /// <c>/opt/selftune/selftune hook</c>.</param>
    public static bool IsOurs(string command, string hookCommand)
    {
        var words = ShellWords.Split(command);
        if (words.Count == 0)
        {
            return false;
        }

        var stem = Stem(words[0]);
        if (stem.Equals(NativeName, StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        var installed = ShellWords.Split(hookCommand) is [var program, ..] ? Stem(program) : null;
        return (stem.Equals(installed, StringComparison.OrdinalIgnoreCase) || stem.Equals("selftune", StringComparison.OrdinalIgnoreCase))
            && words.Count > 1 && words[1] == "hook";
    }

    private static string Stem(string program) => Path.GetFileNameWithoutExtension(program.Replace('\\', '/').Split('/')[^1]);
}
