using Microsoft.Extensions.DependencyInjection;
using Selftune.Abstractions;
using Selftune.Core.Configuration;
using Selftune.Core.Hooks;
using Selftune.Core.Ingest;
using Selftune.Core.Install;
using Selftune.Core.Pricing;
using Selftune.Core.Signals;

namespace Selftune.Host.Cli;

/// <summary>Registers the core's services. One place: each feature adds its registrations here.</summary>
public static class Composition
{
    /// <summary>Adds the core services to <paramref name="services"/>.</summary>
    public static void AddCore(IServiceCollection services)
    {
        services.AddSingleton<SyncService>();
        services.AddSingleton<HookSpoolDrainer>();
        services.AddSingleton<InstallService>();
        services.AddSingleton(sp => new ImprovementSignalDetector(() => InstalledSkillNames(sp.GetRequiredService<PlatformContext>(), sp.GetServices<IInstaller>())));
        services.AddSingleton<IUsagePricer>(sp => PricingTable.Load(sp.GetRequiredService<SelftuneHome>().PricingPath));
    }

    /// <summary>Names of the skills installed for every detected agent: child folders of its skill roots holding a SKILL.md.</summary>
    private static IReadOnlySet<string> InstalledSkillNames(PlatformContext context, IEnumerable<IInstaller> installers) =>
        installers.Select(i => i.Detect(context)).SelectMany(d => d.SkillRoots).Where(Directory.Exists)
            .SelectMany(root => Directory.EnumerateDirectories(root))
            .Where(dir => File.Exists(Path.Combine(dir, "SKILL.md")))
            .Select(Path.GetFileName).OfType<string>()
            .ToHashSet(StringComparer.OrdinalIgnoreCase);
}
