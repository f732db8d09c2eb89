using Selftune.Abstractions;

namespace Selftune.Core.Skills;

/// <summary>A skill installed where an agent finds it.</summary>
/// <param name="Name">Its name (frontmatter <c>name</c>, else the folder's).</param>
/// <param name="Folder">The skill's folder.</param>
/// <param name="Root">The skill root it was found under.</param>
/// <param name="Description">The description on one line; null when missing or unreadable.</param>
/// <param name="Problems">Why the skill may not work as intended (spec warnings, or the read error), for a person.</param>
/// <param name="ShadowedBy">The folder of an earlier skill of the same name that agents pick instead, if any.</param>
internal sealed record InstalledSkill(string Name, string Folder, string Root, string? Description, IReadOnlyList<string> Problems, string? ShadowedBy = null)
{
    /// <summary>The SKILL.md path.</summary>
    public string SkillFile => Path.Combine(Folder, "SKILL.md");
}

/// <summary>
/// Finds the skills installed on this machine. Roots, most specific first, all named by the plugins: every installer's
/// <see cref="IInstaller.ProjectSkillFolders"/> in the working directory and each parent up to the git root, then every
/// installer's <see cref="AgentDetection.SkillRoots"/>. Under a root, a folder holding a SKILL.md is a skill (its
/// subfolders are not searched); a folder without one is searched up to <see cref="MaxDepth"/> levels down. When two
/// skills share a name, the first found wins and the other is reported as shadowed. Unreadable folders and SKILL.md
/// files are reported, never fatal.
/// </summary>
internal static class SkillCatalog
{
    /// <summary>How many folder levels below a root are searched for SKILL.md files.</summary>
    public const int MaxDepth = 3;

    /// <summary>The most folders visited under one root.</summary>
    public const int MaxFoldersPerRoot = 2000;

    /// <summary>The roots searched, in order, without duplicates.</summary>
    /// <param name="context">The machine.</param>
    /// <param name="installers">The loaded installers (their detections add the platforms' skill folders).</param>
    public static IReadOnlyList<string> Roots(PlatformContext context, IEnumerable<IInstaller> installers)
    {
        var all = installers.ToList();
        return Roots(context.WorkingDirectory, all.SelectMany(i => i.ProjectSkillFolders).ToList(), all.SelectMany(i => i.Detect(context).SkillRoots));
    }

    /// <summary>The roots searched, in order, without duplicates: <paramref name="projectFolders"/> in
    /// <paramref name="workingDirectory"/> and each parent up to the git root (<see cref="ProjectChain"/>), then
    /// <paramref name="userRoots"/>.</summary>
    /// <param name="workingDirectory">Where selftune runs.</param>
    /// <param name="projectFolders">Every installer's <see cref="IInstaller.ProjectSkillFolders"/>, in order.</param>
    /// <param name="userRoots">Every installer's detected <see cref="AgentDetection.SkillRoots"/>, in order.</param>
    public static IReadOnlyList<string> Roots(string workingDirectory, IReadOnlyList<string> projectFolders, IEnumerable<string> userRoots)
    {
        var roots = new List<string>();
        foreach (var dir in ProjectChain(workingDirectory))
        {
            roots.AddRange(projectFolders.Select(folder => Path.Combine(dir, folder)));
        }

        roots.AddRange(userRoots);
        return roots.Select(Path.GetFullPath).Distinct(StringComparer.Ordinal).ToList();
    }

    /// <summary>Discovers the installed skills.</summary>
    /// <param name="roots">The roots to search, most specific first (see <see cref="Roots(PlatformContext, IEnumerable{IInstaller})"/>).</param>
    public static IReadOnlyList<InstalledSkill> Discover(IEnumerable<string> roots)
    {
        var skills = new List<InstalledSkill>();
        var byName = new Dictionary<string, InstalledSkill>(StringComparer.OrdinalIgnoreCase);
        foreach (var root in roots)
        {
            foreach (var folder in SkillFolders(root))
            {
                InstalledSkill skill;
                try
                {
                    var document = SkillDocument.Load(Path.Combine(folder, "SKILL.md"));
                    skill = new InstalledSkill(document.Name, folder, root, document.DescriptionOneLine, document.Warnings);
                }
                catch (SkillDocumentException ex)
                {
                    skill = new InstalledSkill(Path.GetFileName(folder), folder, root, null, [ex.Message]);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    skill = new InstalledSkill(Path.GetFileName(folder), folder, root, null, [$"{Path.Combine(folder, "SKILL.md")}: cannot be read ({ex.Message})"]);
                }

                if (byName.TryGetValue(skill.Name, out var first))
                {
                    skill = skill with { ShadowedBy = first.Folder };
                }
                else
                {
                    byName[skill.Name] = skill;
                }

                skills.Add(skill);
            }
        }

        return skills;
    }

    /// <summary>The working directory and its ancestors up to the first holding <c>.git</c> (only the working directory
    /// when none does).</summary>
    public static IReadOnlyList<string> ProjectChain(string workingDirectory)
    {
        var chain = new List<string>();
        for (var dir = new DirectoryInfo(workingDirectory); dir is not null; dir = dir.Parent)
        {
            chain.Add(dir.FullName);
            if (Path.Exists(Path.Combine(dir.FullName, ".git")))
            {
                return chain;
            }
        }

        return chain.Take(1).ToList();
    }

    private static List<string> SkillFolders(string root)
    {
        var found = new List<string>();
        Walk(root, 0, MaxDepth, dir =>
        {
            if (dir != root && File.Exists(Path.Combine(dir, "SKILL.md")))
            {
                found.Add(dir);
                return false;
            }

            return true;
        });
        return found;
    }

    /// <summary>Visits folders breadth-first below <paramref name="root"/>; <paramref name="visit"/> returns whether to descend.</summary>
    private static void Walk(string root, int depth, int maxDepth, Func<string, bool> visit)
    {
        if (!Directory.Exists(root))
        {
            return;
        }

        var queue = new Queue<(string Dir, int Depth)>();
        queue.Enqueue((root, depth));
        var visited = 0;
        // Symbolic links are followed (skills are often linked in); the depth bound stops link cycles.
        var options = new EnumerationOptions { AttributesToSkip = FileAttributes.None, IgnoreInaccessible = true };
        while (queue.Count > 0 && visited++ < MaxFoldersPerRoot)
        {
            var (dir, level) = queue.Dequeue();
            if (!visit(dir) || level >= maxDepth)
            {
                continue;
            }

            string[] children;
            try
            {
                children = Directory.GetDirectories(dir, "*", options);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                continue;
            }

            Array.Sort(children, StringComparer.Ordinal);
            foreach (var child in children)
            {
                queue.Enqueue((child, level + 1));
            }
        }
    }
}
