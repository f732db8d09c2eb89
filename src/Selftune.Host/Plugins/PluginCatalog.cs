using System.Reflection;
using System.Runtime.Loader;
using McMaster.NETCore.Plugins.Loader;
using Selftune.Abstractions;

namespace Selftune.Host.Plugins;

/// <summary>Whether a plugin could be used.</summary>
internal enum PluginStatus
{
    /// <summary>Loaded; its implementations are registered.</summary>
    Loaded,
    /// <summary>Its assembly could not be loaded or its types could not be read.</summary>
    Failed,
    /// <summary>Built against another major version of the plugin contract.</summary>
    Incompatible,
    /// <summary>Loaded, but it implements none of the plugin interfaces.</summary>
    Empty,
}

/// <summary>One plugin folder and what came of loading it.</summary>
/// <param name="Name">The folder's (and main assembly's) name.</param>
/// <param name="Path">The main assembly's path.</param>
/// <param name="Origin"><c>bundled</c> (beside the executable) or <c>user</c> (the selftune home's plugins folder).</param>
/// <param name="Status">The outcome.</param>
/// <param name="Reason">Why it failed, for a person; null when loaded.</param>
/// <param name="ContractMajor">The contract major it was built against, when known.</param>
/// <param name="Version">The plugin assembly's version, when loaded.</param>
/// <param name="Capabilities">Implemented interfaces with the platform each serves (e.g. <c>ingestor:claude_code</c>).</param>
internal sealed record PluginInfo(string Name, string Path, string Origin, PluginStatus Status, string? Reason, int? ContractMajor, string? Version, IReadOnlyList<string> Capabilities)
{
    /// <summary>The implementation types, when loaded.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public IReadOnlyList<Type> Types { get; init; } = [];

    /// <summary>The load context the plugin lives in (type and name), when it loaded.</summary>
    public string? LoadContext { get; init; }
}

/// <summary>
/// Finds and loads plugins: every folder under <c>plugins/</c> beside the executable (bundled) and under the
/// selftune home's <c>plugins/</c> (user), each holding <c>&lt;Name&gt;.dll</c>. A plugin that fails to load, was built
/// against another contract major, or implements nothing is reported with the reason and skipped; the rest load.
/// </summary>
internal static class PluginCatalog
{
    private static readonly Type[] Contracts = [typeof(IIngestor), typeof(IHookHandler), typeof(IInstaller), typeof(IAgentRunner)];

    /// <summary>Loads every plugin found in <paramref name="folders"/>.</summary>
    /// <param name="folders">(origin, folder) pairs, searched in order; a later plugin with a name already loaded is reported as a
    /// duplicate. An array, and the folders sorted with <see cref="Array.Sort{T}(T[], IComparer{T})"/>: enumerating value tuples
    /// through an interface, or LINQ's ordering, is compiled at run time on every command that loads plugins (bench/RESULTS.md).</param>
    public static IReadOnlyList<PluginInfo> Load((string Origin, string Folder)[] folders)
    {
        var result = new List<PluginInfo>();
        foreach (var (origin, folder) in folders)
        {
            if (!Directory.Exists(folder))
            {
                continue;
            }

            var dirs = Directory.GetDirectories(folder);
            Array.Sort(dirs, StringComparer.Ordinal);
            foreach (var dir in dirs)
            {
                var name = System.IO.Path.GetFileName(dir);
                var main = System.IO.Path.Combine(dir, name + ".dll");
                if (result.Any(p => p.Name.Equals(name, StringComparison.OrdinalIgnoreCase) && p.Status == PluginStatus.Loaded))
                {
                    result.Add(new PluginInfo(name, main, origin, PluginStatus.Failed, $"a plugin named {name} is already loaded; this copy was ignored", null, null, []));
                    continue;
                }

                result.Add(LoadOne(name, main, origin));
            }
        }

        return result;
    }

    private static PluginInfo LoadOne(string name, string main, string origin)
    {
        if (!File.Exists(main))
        {
            return new PluginInfo(name, main, origin, PluginStatus.Failed, $"the folder has no {name}.dll (a plugin folder holds <Name>/<Name>.dll)", null, null, []);
        }

        if (File.Exists(System.IO.Path.Combine(System.IO.Path.GetDirectoryName(main)!, PluginContract.AssemblyName + ".dll")))
        {
            // Harmless while the host's copy wins, but a sign of a mis-built plugin: say so.
            origin += " (ships its own Selftune.Abstractions.dll, which is ignored)";
        }

        Assembly assembly;
        string loadContext;
        try
        {
            var context = Open(main);
            assembly = context.LoadFromAssemblyPath(main);
            loadContext = $"{context.GetType().FullName} ({context.Name})";
        }
        catch (Exception ex) when (ex is BadImageFormatException or FileLoadException or FileNotFoundException or IOException)
        {
            return new PluginInfo(name, main, origin, PluginStatus.Failed, $"cannot load {System.IO.Path.GetFileName(main)}: {ex.Message}", null, null, []);
        }

        var contract = assembly.GetReferencedAssemblies().FirstOrDefault(a => a.Name == PluginContract.AssemblyName);
        var major = contract?.Version?.Major;
        var version = assembly.GetName().Version?.ToString();
        if (contract is null)
        {
            return new PluginInfo(name, main, origin, PluginStatus.Empty, "it does not reference Selftune.Abstractions, so it cannot implement a plugin interface", null, version, []);
        }

        if (major != PluginContract.Major)
        {
            return new PluginInfo(name, main, origin, PluginStatus.Incompatible,
                $"built against plugin contract {major}.x, but this selftune provides contract {PluginContract.Major}.x; rebuild the plugin against Selftune.Abstractions {PluginContract.Major}.x",
                major, version, []);
        }

        Type[] types;
        try
        {
            types = assembly.GetTypes();
        }
        catch (ReflectionTypeLoadException ex)
        {
            var first = ex.LoaderExceptions.FirstOrDefault(e => e is not null)?.Message ?? ex.Message;
            return new PluginInfo(name, main, origin, PluginStatus.Failed, $"its types cannot be loaded: {first}", major, version, []);
        }

        var implementations = types.Where(t => t is { IsClass: true, IsAbstract: false, IsPublic: true } && Contracts.Any(c => c.IsAssignableFrom(t))).ToList();
        if (implementations.Count == 0)
        {
            return new PluginInfo(name, main, origin, PluginStatus.Empty, "it implements none of IIngestor, IHookHandler, IInstaller, IAgentRunner", major, version, []);
        }

        var capabilities = new List<string>();
        foreach (var type in implementations)
        {
            string platform;
            try
            {
                platform = PlatformOf(type);
            }
            catch (Exception ex) when (ex is TargetInvocationException or MissingMethodException or MemberAccessException or TypeLoadException)
            {
                return new PluginInfo(name, main, origin, PluginStatus.Failed, $"{type.Name} cannot be created: {(ex.InnerException ?? ex).Message}", major, version, []);
            }

            capabilities.AddRange(Contracts.Where(c => c.IsAssignableFrom(type)).Select(c => $"{Capability(c)}:{platform}"));
        }

        return new PluginInfo(name, main, origin, PluginStatus.Loaded, null, major, version, capabilities) { Types = implementations, LoadContext = loadContext };
    }

    /// <summary>A McMaster load context for one plugin (one per plugin folder, never unloaded), resolving the plugin's
    /// dependencies from its deps.json. Every assembly the host has wins over a plugin's copy
    /// (<see cref="AssemblyLoadContextBuilder.PreferDefaultLoadContext"/>, with the contract's assembly named as shared), so
    /// contract types keep one identity. McMaster asks the host for the exact version the plugin was built against, which
    /// fails when that is newer than the host's (a plugin built against contract 1.3 on a 1.2 host: DotNetCorePlugins
    /// issue #242); the context's <see cref="AssemblyLoadContext.Resolving"/> then answers with the host's copy whatever
    /// its version, and the contract-major check decides. Built with McMaster's builder rather than its
    /// <c>PluginLoader</c>, which also reads the plugin's and the host's runtimeconfig.json for development-time probing
    /// paths with the reflection-based JSON serializer: ~30 ms of JIT on every command that loads plugins (bench/RESULTS.md).</summary>
    private static AssemblyLoadContext Open(string main)
    {
        var context = new AssemblyLoadContextBuilder()
            .SetMainAssemblyPath(main)
            .PreferDefaultLoadContext(true)
            .PreferDefaultLoadContextAssembly(typeof(IIngestor).Assembly.GetName()) // every contract lives in Selftune.Abstractions
            .Build();
        context.Resolving += static (_, requested) =>
            AssemblyLoadContext.Default.Assemblies.FirstOrDefault(a => string.Equals(a.GetName().Name, requested.Name, StringComparison.OrdinalIgnoreCase));
        return context;
    }

    private static string PlatformOf(Type type)
    {
        // Every contract interface has a Platform property; read it from a throwaway instance.
        var instance = Activator.CreateInstance(type) ?? throw new MissingMethodException(type.FullName, ".ctor");
        return (string)type.GetProperty(nameof(IIngestor.Platform))!.GetValue(instance)!;
    }

    private static string Capability(Type contract) => contract.Name[1..] switch
    {
        "Ingestor" => "ingestor",
        "HookHandler" => "hooks",
        "Installer" => "installer",
        "AgentRunner" => "runner",
        var other => other.ToLowerInvariant(),
    };
}
