using Selftune.Core.Store;

namespace Selftune.Core.Skills;

/// <summary>Finds the SKILL.md of a skill named in the store: installed (<see cref="SkillCatalog"/>), else where the agents
/// last said it lives (the <c>skill_path</c> of its invocations).</summary>
internal static class SkillLocator
{
    /// <summary>Reads a SKILL.md given as the file or its folder.</summary>
    /// <exception cref="SelftuneException"><see cref="ErrorCodes.FileNotFound"/> when there is none; a
    /// <see cref="SkillDocumentException"/> when it is not a valid skill.</exception>
    public static SkillDocument Load(string fileOrFolder)
    {
        var file = Directory.Exists(fileOrFolder) ? Path.Combine(fileOrFolder, "SKILL.md") : fileOrFolder;
        return File.Exists(file)
            ? SkillDocument.Load(file)
            : throw new SelftuneException(ErrorCodes.FileNotFound, $"There is no SKILL.md at '{file}'.", "selftune eval list");
    }

    /// <summary>The SKILL.md of <paramref name="skill"/> (a plugin prefix may be given or left out), or null when none is found
    /// or readable.</summary>
    /// <param name="skill">The skill.</param>
    /// <param name="installed">The installed skills (shadowed copies are skipped).</param>
    /// <param name="store">The store, or null.</param>
    public static SkillDocument? Find(string skill, IReadOnlyList<InstalledSkill> installed, SelftuneStore? store)
    {
        var candidates = installed.Where(s => s.ShadowedBy is null && SkillNames.Same(s.Name, skill)).Select(s => s.SkillFile);
        if (store is not null)
        {
            candidates = candidates.Concat(store.Query(
                "SELECT skill_name, skill_path FROM skill_invocations WHERE skill_path IS NOT NULL ORDER BY occurred_at DESC",
                r => (Skill: r.GetString(0), Path: r.GetString(1)))
                .Where(x => SkillNames.Same(x.Skill, skill))
                .Select(x => x.Path)
                .Distinct(StringComparer.Ordinal)
                .Take(20));
        }

        foreach (var path in candidates)
        {
            try
            {
                return Load(path);
            }
            catch (Exception ex) when (ex is SelftuneException or IOException or UnauthorizedAccessException)
            {
                // Try the next place.
            }
        }

        return null;
    }
}
