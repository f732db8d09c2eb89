namespace Selftune.Plugin.OpenClaw.Tests;

/// <summary>Writes the POSIX shell scripts the tests run as fake CLIs (these tests need a Unix shell).</summary>
internal static class Scripts
{
    /// <summary>Writes an executable <c>/bin/sh</c> script.</summary>
    public static string Write(string path, string body)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, "#!/bin/sh\n" + body.Replace("\r\n", "\n", StringComparison.Ordinal));
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        return path;
    }
}
