using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Selftune.Abstractions;
using Selftune.Core.Authoring;
using Selftune.Core.Configuration;
using Selftune.Core.Eval;
using Selftune.Core.Evolution;
using Selftune.Core.Grading;
using Selftune.Core.Hooks;
using Selftune.Core.Ingest;
using Selftune.Core.Install;
using Selftune.Core.Llm;
using Selftune.Core.Loop;
using Selftune.Core.Loop.Phases;
using Selftune.Core.Misses;
using Selftune.Core.Monitoring;
using Selftune.Core.Notifications;
using Selftune.Core.Pricing;
using Selftune.Core.Signals;
using Selftune.Core.Skills;
using Selftune.Core.Team;

namespace Selftune.Core;

/// <summary>The core's registrations: the one composition of selftune's services, used by the short commands' container
/// and by the Generic Host of long-lived processes alike.</summary>
internal static class CoreServices
{
    /// <summary>Adds the core services for one view of the machine.</summary>
    /// <param name="services">The collection.</param>
    /// <param name="context">The machine as plugins see it.</param>
    /// <param name="home">The selftune home.</param>
    /// <param name="config">Reads the effective configuration (on first use).</param>
    /// <returns><paramref name="services"/>.</returns>
    public static IServiceCollection AddSelftuneCore(this IServiceCollection services, PlatformContext context, SelftuneHome home, Func<SelftuneConfig> config)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(context);
        services.AddSingleton(home);
        services.AddSingleton(_ => config());
        services.AddSingleton<InstalledSkills>();
        services.AddSingleton<SyncService>();
        services.AddSingleton<SyncJob>();
        services.AddSingleton<HookSpoolDrainer>();
        services.AddSingleton<InstallService>();
        services.AddSingleton(sp => new ImprovementSignalDetector(() => sp.GetRequiredService<InstalledSkills>().All().Select(skill => skill.Name).ToHashSet(StringComparer.OrdinalIgnoreCase)));
        services.AddSingleton<IUsagePricer>(sp => PricingTable.Load(sp.GetRequiredService<SelftuneHome>().PricingPath));
        services.AddSingleton<ILlmClientFactory, LlmClientFactory>();
        services.AddSingleton<EvalSetGenerator>();
        services.AddSingleton<EvalSetStore>();
        services.AddSingleton<MissDiscovery>();
        services.AddSingleton<SessionGrader>();
        services.AddSingleton<GradingStore>();
        services.AddSingleton<AutoGrader>();
        services.AddSingleton<SkillDeployer>();
        services.AddSingleton<EvolutionService>();
        services.AddSingleton<SkillEvolver>();
        services.AddSingleton<ContentEvolutionService>();
        services.AddSingleton<BaselineService>();
        services.AddSingleton<UnitTestService>();
        services.AddSingleton<WatchService>();
        services.AddSingleton<CanaryService>();
        services.AddSingleton<SkillVerifier>();
        services.AddSingleton<SkillPublisher>();
        services.AddSingleton<SkillFolderInstaller>();
        services.AddSingleton<TeamPush>();
        services.AddSingleton<TeamService>();
        services.AddSingleton<Notifier>();
        return services.AddSelftuneLoop();
    }

    /// <summary>The loop: its phases in the order they run, the runner and <see cref="RunService"/>. Needs a
    /// <see cref="ComposeServices"/> (how a sample run composes its own services).</summary>
    private static IServiceCollection AddSelftuneLoop(this IServiceCollection services)
    {
        services.AddSingleton<IRunPhase, SyncPhase>();
        services.AddSingleton<IRunPhase, DiscoverPhase>();
        services.AddSingleton<IRunPhase, StatusPhase>();
        services.AddSingleton<IRunPhase, GradePhase>();
        services.AddSingleton<IRunPhase, SelectPhase>();
        services.AddSingleton<IRunPhase, EvolvePhase>();
        services.AddSingleton<IRunPhase, WatchPhase>();
        services.AddSingleton<LoopRunner>();
        services.AddSingleton<RunService>();
        return services;
    }
}
