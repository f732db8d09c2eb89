using System.CommandLine;
using System.CommandLine.Invocation;
using System.Reflection;
using Selftune.Core;
using Selftune.Core.Hooks;
using Selftune.Host.Commands;

namespace Selftune.Host.Cli;

/// <summary>How this selftune was installed, and which hook command agents should run.</summary>
internal static class Installation
{
    /// <summary>How this copy was installed: <c>dotnet tool</c> (the files sit in a tool store, <c>…/.store/selftune/…</c>),
    /// <c>build output</c> (<c>…/bin/&lt;Configuration&gt;/net10.0/</c> of a checkout) or <c>publish</c> (any other folder:
    /// <c>dotnet publish</c> output copied where the user wanted).</summary>
    public static string Kind { get; } = FindKind(AppContext.BaseDirectory);

    /// <summary>The native hook beside this executable (<c>selftune-hook</c>), or null when this build has none (no clang
    /// when it was built, or another platform): agents then run <c>selftune hook</c>.</summary>
    public static string? NativeHookPath =>
        Path.Combine(AppContext.BaseDirectory, HookFastPath.NativeExecutableName + (OperatingSystem.IsWindows() ? ".exe" : string.Empty)) is var path && File.Exists(path) ? path : null;

    /// <summary>The command prefix installed into agents, the event and its flags following: the native hook, quoted for a
    /// POSIX shell where needed; without it, this executable followed by <c>hook</c>.</summary>
    public static string HookCommand => NativeHookPath is { } native ? ShellCommand.Quote(native) : ShellCommand.Quote(App.ExecutablePath) + " hook";

    /// <summary>The version line: <c>&lt;informational version&gt; (&lt;kind&gt;, native hook|managed hook)</c>.</summary>
    public static string VersionLine =>
        $"{typeof(Installation).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown"} ({Kind}, {(NativeHookPath is null ? "managed hook: selftune hook" : "native hook")})";

    /// <summary>Makes <c>--version</c> print <see cref="VersionLine"/>.</summary>
    /// <param name="root">The root command.</param>
    public static void UseVersionLine(RootCommand root)
    {
        foreach (var option in root.Options.OfType<VersionOption>())
        {
            option.Action = new PrintVersion();
        }
    }

    private static string FindKind(string folder)
    {
        var parts = Path.TrimEndingDirectorySeparator(folder).Replace('\\', '/').Split('/');
        return parts.Contains(".store") ? "dotnet tool"
            : parts.Length >= 3 && parts[^3] == "bin" ? "build output"
            : "publish";
    }

    private sealed class PrintVersion : SynchronousCommandLineAction
    {
        public override int Invoke(ParseResult parseResult)
        {
            parseResult.InvocationConfiguration.Output.WriteLine(VersionLine);
            return 0;
        }
    }
}
