using Microsoft.Extensions.DependencyInjection;
using Selftune.Abstractions;
using Selftune.Core;
using Selftune.Core.Ingest;
using Selftune.Core.Loop;

namespace Selftune.Host.Cli;

/// <summary>
/// The one composition of the <c>selftune</c> executable: the same registrations build the short commands' container
/// (<see cref="App.Services"/>) and the Generic Host of long-lived processes (<c>run --loop</c>).
/// </summary>
internal static class Composition
{
    /// <summary>Adds everything a command of <paramref name="app"/> may use: the core (<see cref="CoreServices.AddSelftuneCore"/>)
    /// for its machine, home and configuration, and the implementations of its loaded plugins.</summary>
    /// <param name="services">The collection.</param>
    /// <param name="app">The application (machine, home, configuration, plugins).</param>
    /// <returns><paramref name="services"/>.</returns>
    public static IServiceCollection AddSelftune(this IServiceCollection services, App app)
    {
        ArgumentNullException.ThrowIfNull(app);
        services.AddSelftuneCore(app.Context, app.Home, () => app.Config)
            .AddSelftunePlugins(app.PluginTypes);
        services.AddSingleton(_ => new PluginInstallation(app.Installation));
        services.AddSingleton<ComposeServices>(_ => context => app.For(context).Services);
        return services;
    }

    /// <summary>Registers each contract implementation (<see cref="IIngestor"/>, <see cref="IHookHandler"/>,
    /// <see cref="IInstaller"/>, <see cref="IAgentRunner"/>) the plugin catalog found in the loaded plugins as a singleton
    /// of the contracts it implements. Scrutor registers the types the catalog already found (it read each plugin's types
    /// once, to check it contributes something): no second scan of the plugin assemblies.</summary>
    /// <param name="services">The collection.</param>
    /// <param name="types">The implementation types of the loaded plugins.</param>
    /// <returns><paramref name="services"/>.</returns>
    public static IServiceCollection AddSelftunePlugins(this IServiceCollection services, IEnumerable<Type> types) => services.Scan(scan => scan
        .FromTypes(types)
        .AddClasses(classes => classes.AssignableToAny(Contracts), publicOnly: true)
        .AsImplementedInterfaces(Contracts.Contains)
        .WithSingletonLifetime());

    private static readonly Type[] Contracts = [typeof(IIngestor), typeof(IHookHandler), typeof(IInstaller), typeof(IAgentRunner)];
}
