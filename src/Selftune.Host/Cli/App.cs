using Microsoft.Extensions.DependencyInjection;
using Selftune.Abstractions;
using Selftune.Core;
using Selftune.Core.Configuration;
using Selftune.Core.Ingest;
using Selftune.Core.Store;
using Selftune.Host.Plugins;

namespace Selftune.Host.Cli;

/// <summary>
/// What a command needs, composed lazily so <c>--help</c> and cheap commands load nothing they do not use:
/// the home, the configuration (flags &gt; environment &gt; file &gt; defaults), the plugins and the service container.
/// </summary>
internal sealed class App : IDisposable
{
    private readonly Dictionary<string, string?> _flags = new(StringComparer.Ordinal);
    private SelftuneConfig? _config;
    private readonly Lazy<IReadOnlyList<PluginInfo>> _plugins;
    private readonly Lazy<IServiceProvider> _services;

    /// <summary>Creates the application for one process.</summary>
    /// <param name="context">The machine as plugins see it.</param>
    /// <param name="output">The output contract.</param>
    public App(PlatformContext context, Output output)
        : this(context, output, null)
    {
    }

    private App(PlatformContext context, Output output, Lazy<IReadOnlyList<PluginInfo>>? plugins)
    {
        Context = context;
        Output = output;
        Home = SelftuneHome.Resolve(context.Environment, context.UserHome);
        _plugins = plugins ?? new Lazy<IReadOnlyList<PluginInfo>>(() => PluginCatalog.Load(PluginFolders));
        _services = new Lazy<IServiceProvider>(() => new ServiceCollection().AddSelftune(this).BuildServiceProvider());
    }

    /// <summary>The machine as plugins see it.</summary>
    public PlatformContext Context { get; }

    /// <summary>The output contract.</summary>
    public Output Output { get; }

    /// <summary>The selftune home.</summary>
    public SelftuneHome Home { get; }

    /// <summary>The full path of the running executable (what hooks and schedules invoke); when run as
    /// <c>dotnet selftune.dll</c>, the <c>selftune</c> launcher beside the assembly.</summary>
    public static string ExecutablePath =>
        Environment.ProcessPath is { } path && Path.GetFileNameWithoutExtension(path) != "dotnet"
            ? path
            : Path.Combine(AppContext.BaseDirectory, OperatingSystem.IsWindows() ? "selftune.exe" : "selftune");

    /// <summary>The command line that starts this selftune again (schedules, background runs): the executable, or
    /// <c>dotnet selftune.dll</c> when it was started through the <c>dotnet</c> host.</summary>
    public static IReadOnlyList<string> SelfCommand =>
        Path.GetFileNameWithoutExtension(ExecutablePath) == "dotnet" ? [ExecutablePath, Path.Combine(AppContext.BaseDirectory, "selftune.dll")] : [ExecutablePath];

    /// <summary>The effective configuration.</summary>
    /// <exception cref="SelftuneException"><c>config.json</c> is malformed.</exception>
    public SelftuneConfig Config => _config ??= SelftuneConfig.Load(Home.ConfigPath, Context.Environment, _flags);

    /// <summary>Sets a configuration value from a command-line flag (highest precedence). Call before <see cref="Config"/> is read.</summary>
    public void Flag(string key, string? value)
    {
        if (value is not null)
        {
            _flags[key] = value;
            _config = null;
        }
    }

    /// <summary>The plugin folders searched, in order: bundled beside the executable, then the user's.</summary>
    public (string Origin, string Folder)[] PluginFolders =>
    [
        ("bundled", BundledPluginsPath),
        ("user", Home.PluginsPath),
    ];

    /// <summary>The identity of the installed plugins and this build, for the sync stamp (<see cref="SyncStamp.Installation"/>).</summary>
    /// <remarks>The folders of <see cref="PluginFolders"/> as an array: LINQ over its value tuples is compiled at run time
    /// on every <c>status</c> and unchanged <c>sync</c> (bench/RESULTS.md, issue 19).</remarks>
    public string Installation => field ??= SyncStamp.Installation(new[] { BundledPluginsPath, Home.PluginsPath });

    private static string BundledPluginsPath => Path.Combine(AppContext.BaseDirectory, "plugins");

    /// <summary>The loaded plugins' installers, made without the service container: what <c>status</c> needs to find the
    /// installed skills. Building the container (Scrutor's registrations and the provider's first resolution) compiles
    /// ~50 methods at run time that a command reading the store does not otherwise need (bench/RESULTS.md, issue 19). Plugin
    /// types have a parameterless constructor (<see cref="PluginCatalog"/> makes one of each to read its platform).</summary>
    public IReadOnlyList<IInstaller> Installers() =>
        [.. PluginTypes.Where(typeof(IInstaller).IsAssignableFrom).Select(t => (IInstaller)Activator.CreateInstance(t)!)];

    /// <summary>Every plugin found, loaded or not.</summary>
    public IReadOnlyList<PluginInfo> Plugins => _plugins.Value;

    /// <summary>The contract implementations the loaded plugins contribute, as <see cref="PluginCatalog"/> found them
    /// (what <see cref="Composition.AddSelftunePlugins"/> registers).</summary>
    public IEnumerable<Type> PluginTypes =>
        Plugins.Where(p => p.Status == PluginStatus.Loaded).SelectMany(p => p.Types);

    /// <summary>The service container: core services and every loaded plugin's implementations (composed once, on first
    /// use, from any thread).</summary>
    public IServiceProvider Services => _services.Value;

    /// <summary>Resolves a service.</summary>
    public T Get<T>() where T : notnull => Services.GetRequiredService<T>();

    /// <summary>All implementations of a plugin interface.</summary>
    public IReadOnlyList<T> All<T>() => Services.GetServices<T>().ToList();

    /// <summary>An application for another view of the machine (a sample run's home), with the same output and the plugins
    /// already loaded. Its caller disposes its <see cref="Services"/>.</summary>
    /// <param name="context">The machine as that application sees it.</param>
    public App For(PlatformContext context) => new(context, Output, _plugins);

    /// <summary>Opens the store, creating the home if needed.</summary>
    /// <exception cref="SelftuneException">The home is unwritable or the store is damaged, locked or too new.</exception>
    public SelftuneStore OpenStore()
    {
        Home.EnsureExists();
        return SelftuneStore.Open(Home.DatabasePath);
    }

    /// <inheritdoc />
    /// <remarks>The short commands use a plain container, not the Generic Host: a command is one short process with no hosted
    /// services or lifetime to manage, and building the host cost ~18 ms more than building this container
    /// (bench/RESULTS.md). Both are composed by <see cref="Composition.AddSelftune"/>.</remarks>
    public void Dispose()
    {
        if (_services.IsValueCreated)
        {
            ((IDisposable)_services.Value).Dispose();
        }
    }
}
