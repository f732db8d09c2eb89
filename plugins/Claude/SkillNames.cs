namespace Selftune.Plugin.Claude;

/// <summary>
/// How Claude Code names skills: a skill folder's name (<c>hex-docs-search</c>), prefixed with its plugin's name for
/// plugin skills (<c>elixir:hex-docs-search</c>, as the <c>Skill</c> tool's <c>input.skill</c> and <c>/elixir:…</c>
/// commands spell it). Plugin skills live in <c>…/plugins/cache/&lt;marketplace&gt;/&lt;plugin&gt;/&lt;version&gt;/skills/&lt;skill&gt;</c>
/// or <c>…/plugins/marketplaces/&lt;marketplace&gt;/plugins/&lt;plugin&gt;/skills/&lt;skill&gt;</c>.
/// </summary>
internal static class SkillNames
{
    /// <summary>The skill name a skill folder stands for.</summary>
    /// <param name="folder">The skill's folder (the one holding SKILL.md).</param>
    public static string FromFolder(string folder)
    {
        var parts = folder.Replace('\\', '/').TrimEnd('/').Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 0)
        {
            return folder;
        }

        var name = parts[^1];
        var skills = Array.LastIndexOf(parts, "skills", parts.Length - 2);
        if (skills >= 2 && skills == parts.Length - 2 && Array.IndexOf(parts, "plugins") is var plugins and >= 0 && plugins < skills - 1)
        {
            var plugin = parts[skills - 1];
            if (plugin.Length > 0 && char.IsAsciiDigit(plugin[0]) && skills - 2 > plugins)
            {
                plugin = parts[skills - 2];
            }

            if (plugin is not ("plugins" or "cache" or "marketplaces"))
            {
                return plugin + ":" + name;
            }
        }

        return name;
    }

    /// <summary>The part after a plugin prefix (<c>elixir:hex-docs-search</c> → <c>hex-docs-search</c>).</summary>
    public static string Bare(string name)
    {
        var colon = name.LastIndexOf(':');
        return colon >= 0 ? name[(colon + 1)..] : name;
    }

    /// <summary>True when two spellings name the same skill: equal, or equal once a plugin prefix missing on one side
    /// is ignored.</summary>
    public static bool Same(string a, string b) =>
        string.Equals(a, b, StringComparison.OrdinalIgnoreCase)
        || ((!a.Contains(':') || !b.Contains(':')) && string.Equals(Bare(a), Bare(b), StringComparison.OrdinalIgnoreCase));

    /// <summary>The skill folder of a <c>SKILL.md</c> path, or null when the path is not a SKILL.md.</summary>
    public static string? FolderOfSkillFile(string? path)
    {
        if (path is null || !path.EndsWith("SKILL.md", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var normalized = path.Replace('\\', '/');
        var slash = normalized.LastIndexOf('/');
        if (slash <= 0 || normalized.Length - slash - 1 != "SKILL.md".Length)
        {
            return null;
        }

        return path[..slash];
    }
}

/// <summary>The skills installed where Claude Code finds them, by name; built once from the skill roots.</summary>
internal sealed class InstalledSkills
{
    private readonly Dictionary<string, string> _byName = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, string> _byBareName = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>No skills.</summary>
    public static InstalledSkills Empty { get; } = new([]);

    /// <summary>Indexes every child folder holding a SKILL.md of each root; earlier roots win on name collisions.</summary>
    public InstalledSkills(IEnumerable<string> roots)
    {
        foreach (var root in roots)
        {
            string[] children;
            try
            {
                children = Directory.Exists(root) ? Directory.GetDirectories(root) : [];
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                continue;
            }

            Array.Sort(children, StringComparer.Ordinal);
            foreach (var child in children)
            {
                if (!File.Exists(Path.Combine(child, "SKILL.md")))
                {
                    continue;
                }

                var name = SkillNames.FromFolder(child);
                _byName.TryAdd(name, child);
                _byBareName.TryAdd(SkillNames.Bare(name), child);
            }
        }
    }

    /// <summary>The folder of the installed skill called <paramref name="name"/> (with or without plugin prefix).</summary>
    public string? Find(string name) =>
        _byName.TryGetValue(name, out var folder) ? folder
        : !name.Contains(':') && _byBareName.TryGetValue(name, out folder) ? folder
        : null;
}
