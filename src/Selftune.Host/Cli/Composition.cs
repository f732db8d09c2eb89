using Microsoft.Extensions.DependencyInjection;
using Selftune.Abstractions;
using Selftune.Core.Configuration;
using Selftune.Core.Eval;
using Selftune.Core.Evolution;
using Selftune.Core.Grading;
using Selftune.Core.Hooks;
using Selftune.Core.Ingest;
using Selftune.Core.Install;
using Selftune.Core.Llm;
using Selftune.Core.Misses;
using Selftune.Core.Monitoring;
using Selftune.Core.Pricing;
using Selftune.Core.Signals;
using Selftune.Core.Skills;

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
        services.AddSingleton(sp => new ImprovementSignalDetector(() => SkillCatalog.Discover(SkillCatalog.Roots(sp.GetRequiredService<PlatformContext>(), sp.GetServices<IInstaller>()))
            .Select(skill => skill.Name).ToHashSet(StringComparer.OrdinalIgnoreCase)));
        services.AddSingleton<IUsagePricer>(sp => PricingTable.Load(sp.GetRequiredService<SelftuneHome>().PricingPath));
        services.AddSingleton<ILlmClientFactory, LlmClientFactory>();
        services.AddSingleton<EvalSetGenerator>();
        services.AddSingleton<EvalSetStore>();
        services.AddSingleton<MissDiscovery>();
        services.AddSingleton<SessionGrader>();
        services.AddSingleton<GradingStore>();
        services.AddSingleton<SkillDeployer>();
        services.AddSingleton<EvolutionService>();
        services.AddSingleton<WatchService>();
        services.AddSingleton<SkillFolderInstaller>();
    }
}
