using System.Diagnostics;
using Selftune.Abstractions;
using Selftune.Core.Configuration;
using Selftune.Core.Hooks;

namespace Selftune.Host.Hooks;

/// <summary>
/// <c>selftune hook &lt;event&gt; [--platform p] [payload]</c>: what an agent runs on each hook event. It reads the
/// payload from stdin (keeping at most <see cref="HookSpool.MaxPayloadBytes"/>, within <see cref="TimeoutVariable"/> ms;
/// a closed stdin is no payload, told at once),
/// appends it to the hook spool as one line (<see cref="HookSpool"/>) and exits 0, whatever happens: a failure (no
/// home, full disk, timeout) is appended to <c>logs/hook-errors.log</c> instead, and nothing is
/// written to stdout. At the end of a turn or a session (the installer marked the event's command with
/// <see cref="PluginContract.TurnEndFlag"/>) it starts a detached
/// <c>selftune hook-drain --background</c> that stores the spooled events and ingests the transcript, and does not
/// wait for it. Loads no command-line parser, container, plugin or database: the agent waits for this process.
/// </summary>
internal static class HookFastPath
{
    /// <summary>Environment variable bounding the hook's wait for its payload and the spool's lock (ms; default 5000).</summary>
    public const string TimeoutVariable = "SELFTUNE_HOOK_TIMEOUT_MS";

    private const int DefaultTimeoutMs = 5000;

    /// <summary>True when <paramref name="args"/> is a hook invocation (not a request for help).</summary>
    public static bool Handles(string[] args)
    {
        if (args.Length == 0 || args[0] != "hook")
        {
            return false;
        }

        foreach (var arg in args)
        {
            if (arg is "--help" or "-h" or "-?")
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Runs the hook. Always returns 0.</summary>
    /// <param name="args">The command line, starting with <c>hook</c>.</param>
    public static int Run(string[] args)
    {
        var receivedAt = DateTimeOffset.UtcNow;
        var deadline = Environment.TickCount64 + Timeout();
        string? eventName = null, platform = null, argvPayload = null;
        var turnEnd = false;
        for (var i = 1; i < args.Length; i++)
        {
            var arg = args[i];
            if (arg == "--platform" && i + 1 < args.Length)
            {
                platform = args[++i];
            }
            else if (arg.StartsWith("--platform=", StringComparison.Ordinal))
            {
                platform = arg["--platform=".Length..];
            }
            else if (arg == PluginContract.TurnEndFlag)
            {
                turnEnd = true;
            }
            else if (arg.StartsWith("--", StringComparison.Ordinal))
            {
                // Flags of newer selftune versions are ignored: an old binary must still record the event.
            }
            else if (eventName is null)
            {
                eventName = arg;
            }
            else
            {
                argvPayload = arg;
            }
        }

        var context = $"hook {eventName ?? "(no event)"}" + (platform is null ? string.Empty : $" --platform {platform}");
        var home = ResolveHome();
        if (home is null)
        {
            Console.Error.WriteLine($"selftune {context}: no home folder (set HOME or {SelftuneHome.EnvironmentVariable}); the event was not recorded.");
            return 0;
        }

        try
        {
            long received = 0;
            var payload = argvPayload is null && HookInput.StdinIsRedirected ? HookInput.ReadStdin(HookSpool.MaxPayloadBytes, deadline, out received) : [];
            var envelope = HookSpool.Envelope(receivedAt, eventName, platform, argvPayload, payload, received > payload.Length ? received : null);
            SpoolFile.Append(HookSpool.FileFor(home.SpoolPath, receivedAt), envelope, deadline);
            if (turnEnd)
            {
                StartDrain();
            }
        }
#pragma warning disable CA1031 // A hook never fails the agent: every failure goes to the error log and the exit code stays 0.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            if (!HookSpool.LogError(home, receivedAt, context, $"{ex.GetType().Name}: {ex.Message}"))
            {
                Console.Error.WriteLine($"selftune {context}: {ex.Message} (and {HookSpool.ErrorLogPath(home)} cannot be written)");
            }
        }

        return 0;
    }

    private static SelftuneHome? ResolveHome()
    {
        var user = Environment.GetEnvironmentVariable("HOME") is { Length: > 0 } h ? h : Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        return string.IsNullOrEmpty(user) && string.IsNullOrEmpty(Environment.GetEnvironmentVariable(SelftuneHome.EnvironmentVariable))
            ? null
            : SelftuneHome.Resolve(Environment.GetEnvironmentVariable, user);
    }

    private static int Timeout() =>
        int.TryParse(Environment.GetEnvironmentVariable(TimeoutVariable), out var ms) && ms > 0 ? ms : DefaultTimeoutMs;

    /// <summary>Starts <c>selftune hook-drain --background</c> without waiting. Where <c>setsid</c> exists it starts the drain
    /// in a session of its own before the drain's runtime has even loaded, so an agent that kills its process group as soon
    /// as the hook returns (a headless run exiting) does not take the drain with it; the drain also detaches itself. Its
    /// standard streams are pipes this process closes on exit, never the agent's.</summary>
    private static void StartDrain()
    {
        var exe = Environment.ProcessPath ?? Path.Combine(AppContext.BaseDirectory, "selftune");
        var setsid = Setsid();
        var start = new ProcessStartInfo(setsid ?? exe)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        if (setsid is not null)
        {
            start.ArgumentList.Add(exe);
        }

        if (Path.GetFileNameWithoutExtension(exe) == "dotnet")
        {
            start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "selftune.dll"));
        }

        start.ArgumentList.Add("hook-drain");
        start.ArgumentList.Add("--background");
        using var process = Process.Start(start);
        process?.StandardInput.Close();
    }

    /// <summary>Where util-linux's <c>setsid</c> lives; null when absent (macOS, Windows: the drain then only detaches itself).</summary>
    private static string? Setsid() =>
        !OperatingSystem.IsLinux() ? null
        : File.Exists("/usr/bin/setsid") ? "/usr/bin/setsid"
        : File.Exists("/bin/setsid") ? "/bin/setsid"
        : null;
}
