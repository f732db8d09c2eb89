using System.Diagnostics;
using System.Text.Json;

namespace Selftune.Host.Tests.Support;

/// <summary>The outcome of one run of the real <c>selftune</c> executable.</summary>
/// <param name="ExitCode">Process exit code.</param>
/// <param name="Stdout">Everything written to stdout.</param>
/// <param name="Stderr">Everything written to stderr.</param>
public sealed record CliResult(int ExitCode, string Stdout, string Stderr)
{
    /// <summary>Stdout parsed as one JSON document.</summary>
    public JsonElement Json => JsonDocument.Parse(Stdout).RootElement;

    /// <summary>Stderr's JSON error object (<c>{"error":{…}}</c>).</summary>
    public JsonElement Error => JsonDocument.Parse(Stderr).RootElement.GetProperty("error");

    /// <summary>Exit code and both streams, for assertion messages.</summary>
    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Stdout}\n--- stderr\n{Stderr}";
}

/// <summary>
/// Runs the built <c>selftune</c> executable as a child process, as an agent or a person would, in a temporary
/// home: <c>HOME</c> and <c>SELFTUNE_HOME</c> point into <see cref="Root"/>, so nothing of the machine's user is read
/// or touched. Stdout is redirected, so JSON is the default output.
/// </summary>
public sealed class SelftuneCli : IDisposable
{
    /// <summary>Creates a fresh temporary home.</summary>
    public SelftuneCli()
    {
        Root = Path.Combine(Path.GetTempPath(), "selftune-test-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(UserHome);
    }

    /// <summary>The temporary folder holding everything.</summary>
    public string Root { get; }

    /// <summary>The fake user home (<c>HOME</c>).</summary>
    public string UserHome => Path.Combine(Root, "home");

    /// <summary>The selftune home (<c>SELFTUNE_HOME</c>).</summary>
    public string SelftuneHome => Path.Combine(UserHome, ".selftune");

    /// <summary>A command selftune is run under (its arguments follow, then selftune's), e.g. <c>setpriv</c> to drop
    /// privileges; null runs selftune directly.</summary>
    public IReadOnlyList<string>? Wrapper { get; set; }

    /// <summary>Fake tools (<c>crontab</c>, <c>systemctl</c>, an agent CLI) written by <see cref="AddTool"/>; first on <c>PATH</c>.</summary>
    public string Bin => Path.Combine(Root, "bin");

    /// <summary>The <c>PATH</c> every run sees: <see cref="Bin"/>, then this process's <c>PATH</c>.</summary>
    public string SearchPath => Bin + Path.PathSeparator + System.Environment.GetEnvironmentVariable("PATH");

    /// <summary>Extra environment variables for every run.</summary>
    public Dictionary<string, string?> Environment { get; } = new(StringComparer.Ordinal);


    /// <summary>The folder selftune starts in (default <see cref="UserHome"/>).</summary>
    public string? WorkingDirectory { get; set; }

    /// <summary>The Host project's own build output (the real layout, with <c>plugins/</c> staged beside the executable),
    /// of the same configuration as this test assembly. The Host project reference makes sure it is built first.</summary>
    public static string Executable { get; } = FindExecutable();

    /// <summary>The executable this instance runs: <see cref="Executable"/>, the copy <see cref="UseCopyOfBuild"/> made, or
    /// another copy a test installed under another path.</summary>
    public string Program { get; set; } = Executable;

    /// <summary>Runs a copy of the build output (the executable and its <c>plugins/</c>) kept in <see cref="Root"/>
    /// (<c>app/</c>), so another user can reach it even when the checkout sits under a folder only its owner may enter
    /// (a clone in a 0700 temporary folder); or kept in <paramref name="folder"/>, installed as a user would install it.</summary>
    /// <param name="folder">Where the copy goes (default <c>app/</c> in <see cref="Root"/>).</param>
    public void UseCopyOfBuild(string? folder = null)
    {
        var from = Path.GetDirectoryName(Executable)!;
        var to = folder ?? Path.Combine(Root, "app");
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }

        Program = Path.Combine(to, Path.GetFileName(Executable));
    }

    /// <summary>Waits for a background process's work, up to a generous bound (a wait, not a timing assertion).</summary>
    /// <param name="condition">What the work leaves when done.</param>
    /// <param name="what">The work, for the failure message.</param>
    public static void WaitFor(Func<bool> condition, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(clock.Elapsed < TimeSpan.FromMinutes(2), $"Gave up waiting for {what}.");
            Thread.Sleep(100);
        }
    }

    /// <summary>Writes an executable shell script named <paramref name="name"/> into <see cref="Bin"/> (a fake tool on <c>PATH</c>).</summary>
    /// <param name="name">The tool's name.</param>
    /// <param name="body">The script after <c>#!/bin/sh</c>; it runs with <c>PATH=/usr/bin:/bin</c>.</param>
    /// <returns>The script's path.</returns>
    public string AddTool(string name, string body)
    {
        Directory.CreateDirectory(Bin);
        var path = Path.Combine(Bin, name);
        File.WriteAllText(path, "#!/bin/sh\nPATH=/usr/bin:/bin\n" + body.Replace("\r\n", "\n", StringComparison.Ordinal) + "\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        return path;
    }

    /// <summary>Runs selftune with <paramref name="args"/>, optionally feeding <paramref name="stdin"/>.</summary>
    /// <param name="args">Arguments.</param>
    /// <param name="stdin">Standard input text; null closes stdin at once.</param>
    /// <param name="timeoutMs">Kill the process after this long (a hang is a test failure).</param>
    public CliResult Run(IEnumerable<string> args, string? stdin = null, int timeoutMs = 120_000) =>
        Finish(Start(args), stdin, timeoutMs, $"selftune {string.Join(' ', args)}");

    /// <summary>The native hook (<c>selftune-hook</c>) beside <see cref="Executable"/>.</summary>
    /// <exception cref="FileNotFoundException">The build has none (clang was missing when it was built).</exception>
    public static string NativeHook =>
        Path.Combine(Path.GetDirectoryName(Executable)!, "selftune-hook") is var path && File.Exists(path)
            ? path
            : throw new FileNotFoundException($"The native hook was not built beside '{Executable}': install clang (apt-get install clang) and build again.");

    /// <summary>The hook executable hook events run: null (the default) runs the managed <c>selftune hook</c>; a path
    /// runs that executable (the native hook) with the event as its first argument.</summary>
    public string? HookProgram { get; set; }

    /// <summary>Starts a hook without waiting: <c>&lt;hook command&gt; <paramref name="hookArgs"/></c> (see <see cref="HookProgram"/>).</summary>
    /// <param name="hookArgs">The event and its flags.</param>
    public Process StartHook(IEnumerable<string> hookArgs) => HookProgram is { } native
        ? Start(Wrapper is { Count: > 0 } wrapper ? wrapper[0] : native, Wrapper is { Count: > 0 } ? [.. Wrapper.Skip(1), native, .. hookArgs] : hookArgs)
        : Start(["hook", .. hookArgs]);

    /// <summary>Runs a hook (see <see cref="StartHook"/>), feeding <paramref name="stdin"/> (null closes stdin at once).</summary>
    public CliResult RunHook(IEnumerable<string> hookArgs, string? stdin) =>
        Finish(StartHook(hookArgs), stdin, 120_000, $"hook {string.Join(' ', hookArgs)}");

    /// <summary>Runs a Claude Code hook event as the Claude plugin installs it: <c>&lt;hook command&gt; &lt;event&gt; --platform claude_code</c>,
    /// with the turn-end mark on <c>Stop</c> and <c>SessionEnd</c>; the payload on stdin.</summary>
    public CliResult ClaudeHook(string eventName, string payload) =>
        RunHook(eventName is "Stop" or "SessionEnd" ? [eventName, "--platform", "claude_code", "--turn-end"] : [eventName, "--platform", "claude_code"], payload);

    /// <summary>Runs selftune with the given arguments.</summary>
    public CliResult Run(params string[] args) => Run((IEnumerable<string>)args);

    /// <summary>Starts selftune without waiting (for concurrency tests); stdin, stdout and stderr are redirected.</summary>
    public Process Start(IEnumerable<string> args) =>
        Start(Wrapper is { Count: > 0 } wrapper ? wrapper[0] : Program, Wrapper is { Count: > 0 } ? [.. Wrapper.Skip(1), Program, .. args] : args);

    /// <summary>Runs <paramref name="command"/> through <c>/bin/sh -c</c> in selftune's environment, as an agent runs an
    /// installed hook command, feeding <paramref name="stdin"/>.</summary>
    public CliResult Shell(string command, string stdin)
    {
        using var process = Start("/bin/sh", ["-c", command]);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        process.StandardInput.Write(stdin);
        process.StandardInput.Close();
        if (!process.WaitForExit(120_000))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"sh -c {command} did not finish.");
        }

        return new CliResult(process.ExitCode, stdout.Result, stderr.Result);
    }

    private static CliResult Finish(Process process, string? stdin, int timeoutMs, string what)
    {
        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            if (stdin is not null)
            {
                process.StandardInput.Write(stdin);
            }

            process.StandardInput.Close();
            if (!process.WaitForExit(timeoutMs))
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"{what} did not finish in {timeoutMs} ms.");
            }

            return new CliResult(process.ExitCode, stdout.Result, stderr.Result);
        }
    }

    private Process Start(string program, IEnumerable<string> args)
    {
        var info = new ProcessStartInfo(program)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = WorkingDirectory ?? UserHome,
        };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment["HOME"] = UserHome;
        info.Environment["SELFTUNE_HOME"] = SelftuneHome;
        info.Environment["PATH"] = SearchPath;
        info.Environment.Remove("CLAUDE_CONFIG_DIR");
        info.Environment.Remove("CODEX_HOME");
        info.Environment.Remove("XDG_DATA_HOME");
        info.Environment.Remove("XDG_CONFIG_HOME");
        foreach (var (key, value) in Environment)
        {
            info.Environment[key] = value;
        }

        return Process.Start(info) ?? throw new InvalidOperationException($"{program} did not start.");
    }

    private static string FindExecutable()
    {
        var testBin = new DirectoryInfo(AppContext.BaseDirectory); // tests/Selftune.Host.Tests/bin/<Configuration>/net10.0/
        var configuration = testBin.Parent!.Name;
        var repo = testBin;
        while (repo is not null && !File.Exists(Path.Combine(repo.FullName, "Selftune.sln")))
        {
            repo = repo.Parent;
        }

        var path = repo is null ? null : Path.Combine(repo.FullName, "src", "Selftune.Host", "bin", configuration, testBin.Name, "selftune");
        return path is not null && File.Exists(path) ? path : throw new FileNotFoundException($"The selftune executable was not found at '{path}'. Build the solution first.");
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
        catch (UnauthorizedAccessException)
        {
        }
    }
}
