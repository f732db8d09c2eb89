using Microsoft.Extensions.DependencyInjection;
using Selftune.Core.Ingest;

namespace Selftune.Host.Cli;

/// <summary>Registers the core's services. One place: each feature adds its registrations here.</summary>
public static class Composition
{
    /// <summary>Adds the core services to <paramref name="services"/>.</summary>
    public static void AddCore(IServiceCollection services)
    {
        services.AddSingleton<SyncService>();
    }
}
