using Selftune.Abstractions;
using Selftune.Core.Store;

namespace Selftune.Core.Skills;

/// <summary>The skills installed on this machine (<see cref="SkillCatalog"/> over every loaded platform's skill folders) and
/// a skill's SKILL.md.</summary>
/// <param name="context">The machine.</param>
/// <param name="installers">The loaded plugins' installers (their detections name the platforms' skill folders).</param>
internal sealed class InstalledSkills(PlatformContext context, IEnumerable<IInstaller> installers)
{
    /// <summary>The skill roots searched, most specific first (<see cref="SkillCatalog.Roots(PlatformContext, IEnumerable{IInstaller})"/>).</summary>
    public IReadOnlyList<string> Roots() => SkillCatalog.Roots(context, installers);

    /// <summary>Every installed skill of every loaded platform, most specific root first.</summary>
    public IReadOnlyList<InstalledSkill> All() => SkillCatalog.Discover(Roots());

    /// <summary>The SKILL.md of <paramref name="skill"/>: at <paramref name="path"/> (file or folder, relative to the working
    /// directory, <c>~</c> expanded) when given, else installed, else where the store last saw it; null when none is found.</summary>
    /// <exception cref="SelftuneException">An explicit <paramref name="path"/> has no valid SKILL.md.</exception>
    public SkillDocument? Find(string skill, string? path, SelftuneStore store) => path is not null
        ? SkillLocator.Load(Path.GetFullPath(context.Expand(path), context.WorkingDirectory))
        : SkillLocator.Find(skill, All(), store);
}
