namespace Selftune.Plugin.OpenCode.Tests;

/// <summary>Executable shell scripts standing in for real commands (a fake <c>opencode</c>, a fake hook command); POSIX only.</summary>
internal static class FakeCli
{
    public static void WriteScript(string path, string body)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, "#!/bin/sh\n" + body.ReplaceLineEndings("\n") + "\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }
}
