using Selftune.Abstractions;
using Selftune.Core.Skills;
using Selftune.Core.Store;
using Selftune.Host.Cli;

namespace Selftune.Host.Commands;

/// <summary>The installed skills (<see cref="SkillCatalog"/> over every platform's skill folders) and a skill's SKILL.md.</summary>
internal static class SkillLookup
{
    /// <summary>Every installed skill of every loaded platform, most specific root first.</summary>
    public static IReadOnlyList<InstalledSkill> Installed(App a) => SkillCatalog.Discover(SkillCatalog.Roots(a.Context, a.All<IInstaller>()));

    /// <summary>The SKILL.md of <paramref name="skill"/>: at <paramref name="path"/> (file or folder) when given, else installed,
    /// else where the store last saw it; null when none is found.</summary>
    /// <exception cref="Core.SelftuneException">An explicit <paramref name="path"/> has no valid SKILL.md.</exception>
    public static SkillDocument? Find(App a, string skill, string? path, SelftuneStore store) => path is not null
        ? SkillLocator.Load(Path.GetFullPath(a.Context.Expand(path), a.Context.WorkingDirectory))
        : SkillLocator.Find(skill, Installed(a), store);
}
