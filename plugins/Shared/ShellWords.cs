using System.Text;

namespace Selftune.Plugin.Shared;

/// <summary>The one POSIX-style word splitter of the plugins (hook commands in agents' settings, the hook command an
/// installer writes as an argument vector, shell commands a transcript shows): whitespace separates words; single quotes
/// are literal; double quotes allow the escapes <c>\"</c>, <c>\\</c>, <c>\$</c> and <c>\`</c>; outside quotes a backslash
/// escapes whitespace, a quote or a shell metacharacter and is literal before anything else (so Windows paths such as
/// <c>C:\Tools\selftune.exe</c> keep their backslashes); adjacent parts join (<c>'it'\''s'</c> is <c>it's</c>).</summary>
internal static class ShellWords
{
    /// <summary>Splits <paramref name="text"/> into words; a quote left open runs to the end.</summary>
    public static List<string> Split(string text) => Split(text, out _);

    /// <summary>Splits <paramref name="text"/> into words.</summary>
    /// <param name="text">The command line.</param>
    /// <param name="unclosed">The quote left open at the end (it ran to the end), or null.</param>
    public static List<string> Split(string text, out char? unclosed)
    {
        ArgumentNullException.ThrowIfNull(text);
        var words = new List<string>();
        var current = new StringBuilder();
        var inWord = false;
        char quote = '\0';
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (quote == '\'')
            {
                if (c == '\'')
                {
                    quote = '\0';
                }
                else
                {
                    current.Append(c);
                }
            }
            else if (quote == '"')
            {
                if (c == '"')
                {
                    quote = '\0';
                }
                else if (c == '\\' && i + 1 < text.Length && text[i + 1] is '"' or '\\' or '$' or '`')
                {
                    current.Append(text[++i]);
                }
                else
                {
                    current.Append(c);
                }
            }
            else if (char.IsWhiteSpace(c))
            {
                if (inWord)
                {
                    words.Add(current.ToString());
                    current.Clear();
                    inWord = false;
                }
            }
            else
            {
                inWord = true;
                if (c is '\'' or '"')
                {
                    quote = c;
                }
                else if (c == '\\' && i + 1 < text.Length && (char.IsWhiteSpace(text[i + 1]) || "'\"\\$`|&;()<>".Contains(text[i + 1], StringComparison.Ordinal)))
                {
                    current.Append(text[++i]); // an escape; before other characters (C:\Users) a backslash is literal
                }
                else
                {
                    current.Append(c);
                }
            }
        }

        if (inWord)
        {
            words.Add(current.ToString());
        }

        unclosed = quote == '\0' ? null : quote;
        return words;
    }
}
