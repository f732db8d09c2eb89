using System.Text;

namespace Selftune.AdapterKit;

/// <summary>
/// A fake agent CLI for runner tests: an executable shell script named like the real one (<c>claude</c>, <c>codex</c>…) in
/// its own temporary folder, to put on a test's PATH. Each run prints <see cref="Stdout"/> on stdout and
/// <see cref="Stderr"/> on stderr, optionally sleeps, and exits with <see cref="ExitCode"/>; it records its arguments (one per
/// line), its stdin, its working directory and whether <c>CLAUDECODE</c> was set to the empty string. POSIX only.
/// </summary>
public sealed class FakeAgentCli : IDisposable
{
    /// <summary>Creates the script.</summary>
    /// <param name="name">The executable's name.</param>
    public FakeAgentCli(string name)
    {
        Folder = Directory.CreateTempSubdirectory("selftune-fake-agent-").FullName;
        Path = System.IO.Path.Combine(Folder, name);
        Stdout = string.Empty;
    }

    /// <summary>The folder holding the script (put it on PATH).</summary>
    public string Folder { get; }

    /// <summary>The script.</summary>
    public string Path { get; }

    /// <summary>What each run prints on stdout.</summary>
    public string Stdout { get => Read("stdout"); set => Write("stdout", value); }

    /// <summary>What each run prints on stderr.</summary>
    public string Stderr { get => Read("stderr"); set => Write("stderr", value); }

    /// <summary>Seconds each run sleeps before printing (0: none).</summary>
    public int SleepSeconds { set => Write("sleep", value.ToString(System.Globalization.CultureInfo.InvariantCulture)); }

    /// <summary>The exit code.</summary>
    public int ExitCode { set => Write("exit", value.ToString(System.Globalization.CultureInfo.InvariantCulture)); }

    /// <summary>The last run's arguments.</summary>
    public IReadOnlyList<string> Arguments => Read("args").Split('\n', StringSplitOptions.RemoveEmptyEntries);

    /// <summary>The last run's standard input.</summary>
    public string Stdin => Read("stdin");

    /// <summary>The last run's working directory.</summary>
    public string WorkingDirectory => Read("cwd").Trim();

    /// <summary>True when the last run saw <c>CLAUDECODE</c> set to the empty string.</summary>
    public bool SawEmptyClaudeCode => Read("claudecode").Trim() == "empty";

    /// <summary>The process id of the last run.</summary>
    public int LastPid => int.Parse(Read("pid").Trim(), System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>How many times the script ran.</summary>
    public int Runs => Read("runs").Length;

    /// <summary>Writes the script (call after construction; settings may change between runs).</summary>
    public FakeAgentCli Install()
    {
        var d = Folder;
        File.WriteAllText(Path, $$"""
            #!/bin/sh
            echo $$ > '{{d}}/pid'
            printf x >> '{{d}}/runs'
            : > '{{d}}/args'
            for a in "$@"; do printf '%s\n' "$a" >> '{{d}}/args'; done
            pwd > '{{d}}/cwd'
            if [ "${CLAUDECODE+set}" = set ] && [ -z "$CLAUDECODE" ]; then echo empty > '{{d}}/claudecode'; else echo unset > '{{d}}/claudecode'; fi
            cat > '{{d}}/stdin'
            s=$(cat '{{d}}/sleep' 2>/dev/null || echo 0)
            [ "$s" -gt 0 ] && sleep "$s"
            cat '{{d}}/stdout' 2>/dev/null
            cat '{{d}}/stderr' >&2 2>/dev/null
            exit $(cat '{{d}}/exit' 2>/dev/null || echo 0)
            """.Replace("\r\n", "\n", StringComparison.Ordinal), new UTF8Encoding(false));
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(Path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        return this;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
            // A killed run may still be writing; the temp folder is harmless.
        }
    }

    private string Read(string file) => File.Exists(System.IO.Path.Combine(Folder, file)) ? File.ReadAllText(System.IO.Path.Combine(Folder, file)) : string.Empty;

    private void Write(string file, string text) => File.WriteAllText(System.IO.Path.Combine(Folder, file), text);
}
