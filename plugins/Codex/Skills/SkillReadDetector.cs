using System.Text;
using Selftune.Plugin.Shared;

namespace Selftune.Plugin.Codex.Skills;

/// <summary>A SKILL.md read found in a command: the skill's folder name and the file as written (resolved against
/// the command's working directory when relative).</summary>
internal readonly record struct SkillRead(string SkillName, string SkillPath);

/// <summary>
/// Finds the SKILL.md files a shell command reads. Codex has no Skill tool: it activates a skill by reading its
/// SKILL.md with a shell command (<c>cat</c>, <c>sed -n '1,200p'</c>, <c>head</c>, <c>nl -ba … | sed …</c>, or
/// <c>Get-Content</c> on Windows), so such a read is how a trigger shows in a rollout. A path counts only when it ends
/// in <c>/&lt;name&gt;/SKILL.md</c> under a folder named <c>skills</c> (the layout of every Codex skill root), and
/// only when the program of its pipeline segment is a reader (<c>grep</c>, <c>rg</c>, <c>sed -i</c>, editors and
/// redirections into the file are not reads).
/// </summary>
internal static class SkillReadDetector
{
    private static readonly HashSet<string> Readers = new(StringComparer.OrdinalIgnoreCase)
    {
        "cat", "sed", "head", "tail", "nl", "less", "more", "bat", "batcat", "awk", "view", "get-content", "type", "gc",
    };

    private static readonly HashSet<string> Shells = new(StringComparer.OrdinalIgnoreCase)
    {
        "bash", "sh", "zsh", "dash", "fish", "pwsh", "powershell", "cmd",
    };

    /// <summary>Finds SKILL.md reads in a command given as argv (<c>["bash","-lc","cat x/SKILL.md"]</c>) or as one string.</summary>
    /// <param name="argv">The command words.</param>
    /// <param name="workdir">The command's working directory, when known (relative paths are resolved against it).</param>
    public static IEnumerable<SkillRead> Find(IReadOnlyList<string> argv, string? workdir)
    {
        if (argv.Count == 0)
        {
            return [];
        }

        var script = argv.Count == 1 ? argv[0] : ShellScript(argv) ?? string.Join(' ', argv.Select(Quote));
        return script.Contains("SKILL.md", StringComparison.Ordinal) ? FindInScript(script, workdir, depth: 0) : [];
    }

    /// <summary>Finds SKILL.md reads in a file-reading tool call (<c>read_file</c>-style tools with a path argument).</summary>
    public static SkillRead? FromPath(string path, string? workdir) => ToSkillRead(path, workdir);

    private static IEnumerable<SkillRead> FindInScript(string script, string? workdir, int depth)
    {
        var found = new List<SkillRead>();
        foreach (var segment in Segments(script))
        {
            var words = ShellWords.Split(segment);
            var first = 0;
            while (first < words.Count && (words[first].Contains('=', StringComparison.Ordinal) && !words[first].StartsWith('-') || words[first] is "sudo" or "command" or "exec" or "time"))
            {
                first++;
            }

            if (first >= words.Count)
            {
                continue;
            }

            var program = ProgramName(words[first]);
            if (program == "cd" && first + 1 < words.Count)
            {
                workdir = Resolve(words[first + 1], workdir) ?? workdir;
                continue;
            }

            if (Shells.Contains(program) && depth < 2 && ShellScript(words.Skip(first).ToList()) is { } inner)
            {
                found.AddRange(FindInScript(inner, workdir, depth + 1));
                continue;
            }

            if (!Readers.Contains(program) || (program == "sed" && words.Any(w => w.StartsWith("-i", StringComparison.Ordinal) || w == "--in-place")))
            {
                continue;
            }

            for (var i = first + 1; i < words.Count; i++)
            {
                if (words[i - 1] is ">" or ">>" || words[i].StartsWith('>'))
                {
                    continue;
                }

                if (ToSkillRead(words[i], workdir) is { } read)
                {
                    found.Add(read);
                }
            }
        }

        return found;
    }

    private static SkillRead? ToSkillRead(string word, string? workdir)
    {
        var path = word.Replace('\\', '/');
        if (!path.EndsWith("SKILL.md", StringComparison.Ordinal) || (path.Length > 8 && path[^9] != '/'))
        {
            return null;
        }

        var parts = Normalize((Resolve(path, workdir) ?? path).Split('/'));
        if (parts.Count < 3)
        {
            return null;
        }

        var name = parts[^2];
        var skillsIndex = parts.FindLastIndex(parts.Count - 3, p => p == "skills");
        if (skillsIndex < 0 || name.Length == 0 || name.StartsWith('.') || name.IndexOfAny(['*', '?', '[', ']', '{', '}', '$']) >= 0)
        {
            return null;
        }

        return new SkillRead(name, string.Join('/', parts));
    }

    /// <summary><paramref name="path"/> against <paramref name="workdir"/> when relative; null when relative and no workdir is known.</summary>
    private static string? Resolve(string path, string? workdir)
    {
        path = path.Replace('\\', '/');
        if (path.StartsWith('/') || path.StartsWith('~') || (path.Length > 2 && path[1] == ':'))
        {
            return path;
        }

        return workdir is null ? null : workdir.Replace('\\', '/').TrimEnd('/') + "/" + path;
    }

    private static List<string> Normalize(string[] parts)
    {
        var result = new List<string>();
        for (var i = 0; i < parts.Length; i++)
        {
            var part = parts[i];
            if (part == "." || (part.Length == 0 && i > 0))
            {
                continue;
            }

            if (part == ".." && result.Count > 1)
            {
                result.RemoveAt(result.Count - 1);
                continue;
            }

            result.Add(part);
        }

        return result;
    }

    /// <summary>The script of <c>bash -lc "…"</c>, <c>sh -c …</c>, <c>pwsh -Command …</c>; null when not a shell invocation.</summary>
    private static string? ShellScript(IReadOnlyList<string> argv)
    {
        if (argv.Count < 3 || !Shells.Contains(ProgramName(argv[0])))
        {
            return null;
        }

        for (var i = 1; i < argv.Count - 1; i++)
        {
            var flag = argv[i];
            if (flag is "-c" or "-lc" or "-ic" or "-Command" or "-command" or "/c" or "/C" || (flag.StartsWith('-') && !flag.StartsWith("--", StringComparison.Ordinal) && flag.EndsWith('c')))
            {
                return argv[i + 1];
            }
        }

        return null;
    }

    private static string ProgramName(string word)
    {
        var name = word.Replace('\\', '/');
        name = name[(name.LastIndexOf('/') + 1)..];
        return name.EndsWith(".exe", StringComparison.OrdinalIgnoreCase) ? name[..^4] : name;
    }

    /// <summary>Splits a script at <c>;</c>, <c>&amp;&amp;</c>, <c>||</c>, <c>|</c> and newlines outside quotes.</summary>
    private static IEnumerable<string> Segments(string script)
    {
        var current = new StringBuilder();
        char quote = '\0';
        for (var i = 0; i < script.Length; i++)
        {
            var c = script[i];
            if (quote != '\0')
            {
                if (c == quote)
                {
                    quote = '\0';
                }
                else if (c == '\\' && quote == '"' && i + 1 < script.Length)
                {
                    current.Append(c);
                    c = script[++i];
                }

                current.Append(c);
                continue;
            }

            if (c is '\'' or '"')
            {
                quote = c;
                current.Append(c);
            }
            else if (c is ';' or '|' or '&' or '\n')
            {
                if (current.Length > 0)
                {
                    yield return current.ToString();
                    current.Clear();
                }
            }
            else
            {
                current.Append(c);
            }
        }

        if (current.Length > 0)
        {
            yield return current.ToString();
        }
    }

    private static string Quote(string word) => word.Contains(' ', StringComparison.Ordinal) ? "'" + word.Replace("'", "'\\''", StringComparison.Ordinal) + "'" : word;
}
