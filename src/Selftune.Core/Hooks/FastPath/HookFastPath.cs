using System.Diagnostics;
using Selftune.Abstractions;
using Selftune.Core.Configuration;

namespace Selftune.Core.Hooks;

/// <summary>
/// <c>selftune-hook &lt;event&gt; [--platform p] [payload]</c> (the NativeAOT executable) or its managed fallback
/// <c>selftune hook &lt;event&gt; …</c>: what an agent runs on each hook event; both run this code. It reads the
/// payload from stdin (keeping at most <see cref="HookSpool.MaxPayloadBytes"/>, within <see cref="TimeoutVariable"/> ms;
/// a closed stdin is no payload, told at once),
/// appends it to the hook spool as one line (<see cref="HookSpool"/>) and exits 0, whatever happens: a failure (no
/// home, full disk, timeout) is appended to <c>logs/hook-errors.log</c> instead, and nothing is
/// written to stdout but what the in-turn hooks (<see cref="InTurnHooks"/>: nudges and SKILL.md guards) tell the
/// agent; the evolution guard alone exits 2. At the end of a turn or a session (the installer marked the event's command with
/// <see cref="PluginContract.TurnEndFlag"/>) it starts a detached
/// <c>selftune hook-drain --background</c> that stores the spooled events and ingests the transcript, and does not
/// wait for it. Loads no command-line parser, container, plugin or database: the agent waits for this process.
/// <para>Everything in <c>Hooks/FastPath/</c> compiles into both <c>selftune</c> and the native <c>selftune-hook</c>
/// (<c>src/Selftune.Hook</c>): base class library only, no reflection, NativeAOT-safe.</para>
/// </summary>
internal static class HookFastPath
{
    /// <summary>Environment variable bounding the hook's wait for its payload and the spool's lock (ms; default 5000).</summary>
    public const string TimeoutVariable = "SELFTUNE_HOOK_TIMEOUT_MS";

    private const int DefaultTimeoutMs = 5000;

    /// <summary>File name (without extension) of the native hook executable, shipped beside <c>selftune</c>.</summary>
    public const string NativeExecutableName = "selftune-hook";

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

    /// <summary>Runs the hook. Returns 0, whatever happens, but when the evolution guard blocks an edit (<see cref="InTurnHooks.BlockExitCode"/>).</summary>
    /// <param name="args">The hook's arguments: <c>&lt;event&gt; [--platform p] [--turn-end] [payload]</c> (after
    /// <c>hook</c> for <c>selftune hook</c>; all of them for <c>selftune-hook</c>).</param>
    public static int Run(ReadOnlySpan<string> args)
    {
        PrivateFiles.RestrictNewFiles();
        var receivedAt = DateTimeOffset.UtcNow;
        var deadline = Environment.TickCount64 + Timeout();
        string? eventName = null, platform = null, argvPayload = null;
        bool turnEnd = false, noGuard = false;
        for (var i = 0; i < args.Length; i++)
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
            else if (arg == InTurnHooks.NoGuardFlag)
            {
                noGuard = true;
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
            Console.Error.WriteLine($"selftune {context}: no home folder (set HOME or {HomeLayout.EnvironmentVariable}); the event was not recorded.");
            return 0;
        }

        var logs = Path.Combine(home, HomeLayout.LogsFolder);

        byte[] payload = [];
        var whole = false;
        try
        {
            long received = 0;
            payload = argvPayload is null && HookInput.StdinIsRedirected ? HookInput.ReadStdin(HookSpool.MaxPayloadBytes, deadline, out received) : [];
            whole = received <= payload.Length;
            var envelope = HookSpool.Envelope(receivedAt, eventName, platform, argvPayload, payload, received > payload.Length ? received : null);
            SpoolFile.Append(HookSpool.FileFor(Path.Combine(home, HomeLayout.SpoolFolder), receivedAt), envelope, deadline);
            if (turnEnd)
            {
                StartDrain();
            }
        }
#pragma warning disable CA1031 // A hook never fails the agent: every failure goes to the error log and the exit code stays 0.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            if (!HookSpool.LogError(logs, receivedAt, context, $"{ex.GetType().Name}: {ex.Message}"))
            {
                Console.Error.WriteLine($"selftune {context}: {ex.Message} (and {HookSpool.ErrorLogPath(logs)} cannot be written)");
            }
        }

        return whole && InTurnHooks.Applies(eventName, payload) ? InTurn(home, logs, receivedAt, context, eventName, payload, noGuard) : 0;
    }

    /// <summary>Runs <see cref="InTurnHooks"/> after the event was spooled; any failure is logged and lets the agent go on (0).</summary>
    private static int InTurn(string home, string logs, DateTimeOffset receivedAt, string context, string? eventName, byte[] payload, bool noGuard)
    {
        try
        {
            using var stdout = Console.OpenStandardOutput();
            return InTurnHooks.Run(home, eventName, payload, noGuard, stdout, Console.Error);
        }
#pragma warning disable CA1031 // Fail-open: an in-turn hook that cannot decide lets the agent's action through.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            HookSpool.LogError(logs, receivedAt, context, $"in-turn hooks skipped ({ex.GetType().Name}: {ex.Message}); the agent went on");
            return 0;
        }
    }

    /// <summary>The home's folder (see <see cref="HomeLayout.Root"/>), or null when neither it nor the user's home is known.</summary>
    private static string? ResolveHome()
    {
        var user = Environment.GetEnvironmentVariable("HOME") is { Length: > 0 } h ? h : Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        return string.IsNullOrEmpty(user) && string.IsNullOrEmpty(Environment.GetEnvironmentVariable(HomeLayout.EnvironmentVariable))
            ? null
            : HomeLayout.Root(Environment.GetEnvironmentVariable, user);
    }

    private static int Timeout() =>
        int.TryParse(Environment.GetEnvironmentVariable(TimeoutVariable), out var ms) && ms > 0 ? ms : DefaultTimeoutMs;

    /// <summary>Starts <c>selftune hook-drain --background</c> without waiting: this executable when it is <c>selftune</c>
    /// (or <c>dotnet selftune.dll</c>), else the <c>selftune</c> beside the native hook. Where <c>setsid</c> exists it starts the drain
    /// in a session of its own before the drain's runtime has even loaded, so an agent that kills its process group as soon
    /// as the hook returns (a headless run exiting) does not take the drain with it; the drain also detaches itself. Its
    /// standard streams are pipes this process closes on exit, never the agent's.</summary>
    private static void StartDrain()
    {
        var self = Environment.ProcessPath;
        var exe = self is not null && Path.GetFileNameWithoutExtension(self) is "selftune" or "dotnet"
            ? self
            : Path.Combine(AppContext.BaseDirectory, OperatingSystem.IsWindows() ? "selftune.exe" : "selftune");
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
        if (process is not null && setsid is not null)
        {
            SpoolFile.WaitForOwnSession(process.Id, Environment.TickCount64 + 2000);
        }
    }

    /// <summary>Where util-linux's <c>setsid</c> lives; null when absent (macOS, Windows: the drain then only detaches itself).</summary>
    private static string? Setsid() =>
        !OperatingSystem.IsLinux() ? null
        : File.Exists("/usr/bin/setsid") ? "/usr/bin/setsid"
        : File.Exists("/bin/setsid") ? "/bin/setsid"
        : null;
}
