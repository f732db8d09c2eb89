using System.Reflection;
using System.Runtime.Loader;

namespace Selftune.Host.Plugins;

/// <summary>
/// One load context per plugin folder. Any assembly the host already has (the framework, Selftune.Abstractions,
/// Microsoft.Extensions.*, SQLite) resolves to the host's copy whatever version the plugin asks for, so contract
/// types keep one identity and native SQLite is loaded once; everything else resolves through the plugin's own
/// <c>.deps.json</c>. Design and pitfalls: dotnet-notes §1.3–1.5.
/// </summary>
internal sealed class PluginLoadContext : AssemblyLoadContext
{
    private static readonly Lazy<HashSet<string>> HostAssemblies = new(ListHostAssemblies);
    private readonly AssemblyDependencyResolver _resolver;

    /// <summary>Creates the context for the plugin whose main assembly is <paramref name="mainAssemblyPath"/>.</summary>
    public PluginLoadContext(string name, string mainAssemblyPath)
        : base(name, isCollectible: false) => _resolver = new AssemblyDependencyResolver(mainAssemblyPath);

    /// <summary>True when the host provides <paramref name="simpleName"/> (so a plugin's copy is ignored).</summary>
    public static bool IsHostAssembly(string simpleName) => HostAssemblies.Value.Contains(simpleName);

    /// <inheritdoc />
    protected override Assembly? Load(AssemblyName assemblyName)
    {
        if (assemblyName.Name is { } name && IsHostAssembly(name))
        {
            return Default.LoadFromAssemblyName(new AssemblyName(name));
        }

        return _resolver.ResolveAssemblyToPath(assemblyName) is { } path ? LoadFromAssemblyPath(path) : null;
    }

    /// <inheritdoc />
    protected override IntPtr LoadUnmanagedDll(string unmanagedDllName) =>
        _resolver.ResolveUnmanagedDllToPath(unmanagedDllName) is { } path ? LoadUnmanagedDllFromPath(path) : IntPtr.Zero;

    private static HashSet<string> ListHostAssemblies()
    {
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        if (AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") is string tpa)
        {
            foreach (var path in tpa.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
            {
                names.Add(Path.GetFileNameWithoutExtension(path));
            }
        }

        foreach (var assembly in Default.Assemblies)
        {
            if (assembly.GetName().Name is { } n)
            {
                names.Add(n);
            }
        }

        names.Add(typeof(Abstractions.IIngestor).Assembly.GetName().Name!);
        return names;
    }
}
