using System.Diagnostics;
using System.Text.Json;

namespace Selftune.Host.Tests;

/// <summary>What a finished <c>selftune</c> process printed.</summary>
/// <param name="ExitCode">Its exit code.</param>
/// <param name="Stdout">Standard output.</param>
/// <param name="Stderr">Standard error.</param>
public sealed record ProcessResult(int ExitCode, string Stdout, string Stderr)
{
    /// <summary>Stdout parsed as one JSON document.</summary>
    public JsonElement Json => JsonDocument.Parse(Stdout).RootElement;

    /// <summary>The error object printed on stderr in JSON mode.</summary>
    public JsonElement Error => JsonDocument.Parse(Stderr.Trim().Split('\n')[^1]).RootElement.GetProperty("error");

    /// <inheritdoc />
    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Stdout}\n--- stderr\n{Stderr}";
}

/// <summary>
/// A temporary machine for end-to-end tests: a fake <c>HOME</c>, a selftune home, and a <c>bin/</c> folder put first on
/// <c>PATH</c> for fake tools (<c>crontab</c>, <c>systemctl</c>, an agent CLI). Runs the real <c>selftune</c> executable
/// (built beside the Host project, with its plugins staged) as a child process. Deleted on dispose.
/// </summary>
public sealed class TempMachine : IDisposable
{
    /// <summary>Creates the folders.</summary>
    public TempMachine()
    {
        Root = Path.Combine(Path.GetTempPath(), "selftune-e2e-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(Home);
        Directory.CreateDirectory(Bin);
    }

    /// <summary>The temporary root.</summary>
    public string Root { get; }

    /// <summary>The fake user home (<c>HOME</c>).</summary>
    public string Home => Path.Combine(Root, "home");

    /// <summary>The selftune home (<c>SELFTUNE_HOME</c>).</summary>
    public string SelftuneHome => Path.Combine(Root, "selftune");

    /// <summary>Fake tools, first on <c>PATH</c>.</summary>
    public string Bin => Path.Combine(Root, "bin");

    /// <summary>Extra environment for every process started (e.g. a fake tool's settings).</summary>
    public Dictionary<string, string?> Environment { get; } = new(StringComparer.Ordinal);

    /// <summary>The <c>PATH</c> the child sees: <see cref="Bin"/>, then the system folders.</summary>
    public string SearchPath => Bin + ":/usr/local/bin:/usr/bin:/bin";

    /// <summary>The built <c>selftune</c> executable (the Host project's output, plugins staged beside it).</summary>
    public static string Executable { get; } = FindExecutable();

    /// <summary>Writes an executable shell script into <see cref="Bin"/>.</summary>
    /// <param name="name">The tool's name.</param>
    /// <param name="body">The script after <c>#!/bin/sh</c>.</param>
    public string AddTool(string name, string body)
    {
        var path = Path.Combine(Bin, name);
        File.WriteAllText(path, "#!/bin/sh\nPATH=/usr/bin:/bin\n" + body.Replace("\r\n", "\n", StringComparison.Ordinal) + "\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        return path;
    }

    /// <summary>Starts <c>selftune</c> with <paramref name="args"/> and returns the process (stdout/stderr redirected).</summary>
    public Process Start(IEnumerable<string> args, string? workingDirectory = null)
    {
        var info = new ProcessStartInfo(Executable)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Home,
        };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        foreach (var name in new[] { "CLAUDE_CONFIG_DIR", "CODEX_HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "OPENCLAW_HOME", "ANTHROPIC_API_KEY", "OPENAI_API_KEY" })
        {
            info.Environment.Remove(name);
        }

        foreach (var name in info.Environment.Keys.Where(k => k.StartsWith("SELFTUNE_", StringComparison.Ordinal)).ToList())
        {
            info.Environment.Remove(name);
        }

        info.Environment["HOME"] = Home;
        info.Environment["SELFTUNE_HOME"] = SelftuneHome;
        info.Environment["PATH"] = SearchPath;
        foreach (var (name, value) in Environment)
        {
            info.Environment[name] = value;
        }

        return Process.Start(info)!;
    }

    /// <summary>Runs <c>selftune</c> to completion (JSON mode: stdout is redirected).</summary>
    /// <param name="args">Arguments.</param>
    public ProcessResult Run(params string[] args) => RunWithInput(null, args);

    /// <summary>Runs <c>selftune</c> with <paramref name="stdin"/> on its standard input.</summary>
    public ProcessResult RunWithInput(string? stdin, params string[] args)
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
            throw new TimeoutException($"selftune {string.Join(' ', args)} did not finish in 3 minutes");
        }

        return new ProcessResult(process.ExitCode, stdout.Result, stderr.Result);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static string FindExecutable()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        var configuration = dir.FullName.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Selftune.sln")))
        {
            dir = dir.Parent;
        }

        var path = Path.Combine(dir?.FullName ?? throw new InvalidOperationException("Selftune.sln not found above the test folder."), "src", "Selftune.Host", "bin", configuration, "net10.0", "selftune");
        return File.Exists(path) ? path : throw new InvalidOperationException($"The selftune executable is not built at '{path}'.");
    }
}
