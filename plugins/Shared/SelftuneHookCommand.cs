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
        var (program, rest) = Split(command);
        var stem = Stem(program);
        if (stem.Equals(NativeName, StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        var installed = Stem(Split(hookCommand).Program);
        return (stem.Equals(installed, StringComparison.OrdinalIgnoreCase) || stem.Equals("selftune", StringComparison.OrdinalIgnoreCase))
            && (rest == "hook" || rest.StartsWith("hook ", StringComparison.Ordinal));
    }

    private static string Stem(string program) => Path.GetFileNameWithoutExtension(program.Replace('\\', '/').Split('/')[^1]);

    /// <summary>Splits a POSIX shell command line (agents run hook commands through the shell) into its first word,
    /// unquoted (<c>'…'</c>; <c>"…"</c> with <c>\"</c>, <c>\\</c>, <c>\$</c>, <c>\`</c>; <c>\x</c> outside quotes; adjacent
    /// parts joined), and the rest (trimmed).</summary>
    private static (string Program, string Arguments) Split(string command)
    {
        var s = command.TrimStart();
        var word = new System.Text.StringBuilder();
        var i = 0;
        for (; i < s.Length && !char.IsWhiteSpace(s[i]); i++)
        {
            switch (s[i])
            {
                case '\'' when s.IndexOf('\'', i + 1) is var close and > 0:
                    word.Append(s, i + 1, close - i - 1);
                    i = close;
                    break;
                case '"':
                    for (i++; i < s.Length && s[i] != '"'; i++)
                    {
                        if (s[i] == '\\' && i + 1 < s.Length && s[i + 1] is '"' or '\\' or '$' or '`')
                        {
                            i++;
                        }

                        word.Append(s[i]);
                    }

                    break;
                case '\\' when i + 1 < s.Length:
                    word.Append(s[++i]);
                    break;
                default:
                    word.Append(s[i]);
                    break;
            }
        }

        return (word.ToString(), s[Math.Min(i, s.Length)..].Trim());
    }
}
