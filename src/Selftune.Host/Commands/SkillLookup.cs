using Selftune.Abstractions;
using Selftune.Core.Skills;
using Selftune.Core.Store;
using Selftune.Host.Cli;

namespace Selftune.Host.Commands;

/// <summary>Finds installed skills through the platform plugins' installers (their <see cref="AgentDetection.SkillRoots"/>).</summary>
internal static class SkillLookup
{
    /// <summary>Every installed skill folder root of every loaded platform, most specific first.</summary>
    public static IReadOnlyList<string> Roots(App a) =>
        a.All<IInstaller>().SelectMany(i => i.Detect(a.Context).SkillRoots).Distinct(StringComparer.Ordinal).ToList();

    /// <summary>The SKILL.md of <paramref name="skill"/>: at <paramref name="path"/> when given, else installed, else where the store last saw it.</summary>
    /// <exception cref="Core.SelftuneException">An explicit <paramref name="path"/> has no readable SKILL.md.</exception>
    public static SkillDocument? Find(App a, string skill, string? path, SelftuneStore store) =>
        path is not null ? SkillDocument.Load(Path.GetFullPath(a.Context.Expand(path), a.Context.WorkingDirectory)) : SkillDocument.Find(skill, Roots(a), store);
}
