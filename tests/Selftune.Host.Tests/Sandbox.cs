using System.Diagnostics;
using Selftune.Core.Configuration;
using Selftune.Core.Store;

namespace Selftune.Host.Tests;

/// <summary>A user's machine in a temporary folder: <c>HOME</c> and <c>SELFTUNE_HOME</c> point into it, and the
/// real <c>selftune</c> executable (the Host project's build output, with its staged plugins) runs against it as a
/// child process, the way an agent or a person starts it.</summary>
public sealed class Sandbox : IDisposable
{
    public Sandbox()
    {
        Root = Path.Combine(Path.GetTempPath(), "selftune-e2e-" + Guid.NewGuid().ToString("N"));
        UserHome = Path.Combine(Root, "home");
        Directory.CreateDirectory(UserHome);
        Home = new SelftuneHome(Path.Combine(Root, "selftune-home"));
    }

    /// <summary>The built executable: <c>src/Selftune.Host/bin/&lt;configuration&gt;/net10.0/selftune</c>, found from this
    /// test assembly's own output folder (<c>tests/Selftune.Host.Tests/bin/&lt;configuration&gt;/net10.0/</c>).</summary>
    public static string Executable { get; } = FindExecutable();

    public string Root { get; }

    public string UserHome { get; }

    public SelftuneHome Home { get; }

    /// <summary>Environment variables set for every run (on top of HOME, SELFTUNE_HOME and PATH).</summary>
    public Dictionary<string, string?> Environment { get; } = new(StringComparer.Ordinal);

    public string ClaudeSettingsPath => Path.Combine(UserHome, ".claude", "settings.json");

    /// <summary>Creates an installed skill in the user's Claude Code skills folder.</summary>
    public void InstallSkill(string name)
    {
        var dir = Path.Combine(UserHome, ".claude", "skills", name);
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "SKILL.md"), $"---\nname: {name}\ndescription: Test skill {name}.\n---\nBody.\n");
    }

    /// <summary>Runs selftune to its end.</summary>
    public ProcessResult Run(string? stdin, params string[] args)
    {
        using var process = Start(args);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (stdin is not null)
        {
            process.StandardInput.Write(stdin);
        }

        process.StandardInput.Close();
        if (!process.WaitForExit(TimeSpan.FromMinutes(3)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"selftune {string.Join(' ', args)} did not finish.");
        }

        return new ProcessResult(process.ExitCode, stdout.GetAwaiter().GetResult(), stderr.GetAwaiter().GetResult());
    }

    /// <summary>Starts selftune with redirected streams; the caller writes stdin and waits.</summary>
    public Process Start(params string[] args)
    {
        var start = new ProcessStartInfo(Executable)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = UserHome,
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["HOME"] = UserHome;
        start.Environment[SelftuneHome.EnvironmentVariable] = Home.Root;
        start.Environment["PATH"] = "/usr/bin:/bin";
        start.Environment.Remove("CLAUDE_CONFIG_DIR");
        foreach (var (name, value) in Environment)
        {
            start.Environment[name] = value;
        }

        return Process.Start(start)!;
    }

    /// <summary>Opens the store the runs wrote (read-only use; dispose before the next run writes).</summary>
    public SelftuneStore OpenStore() => SelftuneStore.Open(Home.DatabasePath);

    public long Count(string sql)
    {
        using var store = OpenStore();
        return (long)store.Scalar(sql)!;
    }

    /// <summary>Waits until <paramref name="condition"/> holds (a background process's work), up to a generous bound.</summary>
    public static void WaitFor(Func<bool> condition, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > TimeSpan.FromMinutes(2))
            {
                throw new TimeoutException($"Gave up waiting for {what}.");
            }

            Thread.Sleep(100);
        }
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // A background drain may still hold a file; the temporary folder is left for the OS to clean.
        }
    }

    private static string FindExecutable()
    {
        var net = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var configuration = net.Parent!.Name;
        var dir = net;
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Selftune.sln")))
        {
            dir = dir.Parent;
        }

        var exe = Path.Combine(dir?.FullName ?? throw new DirectoryNotFoundException("Selftune.sln not found above the test output."),
            "src", "Selftune.Host", "bin", configuration, net.Name, OperatingSystem.IsWindows() ? "selftune.exe" : "selftune");
        return File.Exists(exe) ? exe : throw new FileNotFoundException($"The selftune executable is not built at {exe}.");
    }
}

/// <summary>How a selftune process ended.</summary>
public sealed record ProcessResult(int ExitCode, string Stdout, string Stderr);
