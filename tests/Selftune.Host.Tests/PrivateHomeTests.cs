using System.Runtime.Versioning;
using System.Text.Json;
using Selftune.Host.Tests.Support;

namespace Selftune.Host.Tests;

/// <summary>Issue 20 #14: the home and everything selftune writes in it are private to the user whatever the umask, and
/// <c>doctor</c> finds a home loosened since and fixes it with <c>--fix</c>.</summary>
[UnsupportedOSPlatform("windows")]
public sealed class PrivateHomeTests : IDisposable
{
    private const UnixFileMode GroupAndOthers =
        UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute |
        UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    private readonly SelftuneCli _cli = new();

    [Fact]
    public void UnderAPermissiveUmaskTheHomeIsStill0700AndItsFiles0600()
    {
        _cli.Wrapper = ["sh", "-c", "umask 000; exec \"$0\" \"$@\""];
        var settings = Path.Combine(_cli.UserHome, ".claude", "settings.json");
        Directory.CreateDirectory(Path.GetDirectoryName(settings)!);
        File.WriteAllText(settings, "{}\n");

        Ok(_cli.Run(["hook", "UserPromptSubmit", "--platform", "claude_code"], "{\"session_id\":\"s1\",\"hook_event_name\":\"UserPromptSubmit\",\"prompt\":\"a private prompt\"}"));
        Ok(_cli.Run("hook", "UserPromptSubmit", "--platform", "nowhere")); // no payload: an entry in logs/hook-errors.log after the drain
        Ok(_cli.Run("config", "set", "run.max_skills", "2"));
        Ok(_cli.Run("install", "--agent", "claude_code")); // backs settings.json up into backups/
        Ok(_cli.Run("sync"));

        var entries = Directory.EnumerateFileSystemEntries(_cli.SelftuneHome, "*", SearchOption.AllDirectories).ToList();
        Assert.Contains(entries, e => e.EndsWith("selftune.db", StringComparison.Ordinal));
        Assert.Contains(entries, e => e.EndsWith("config.json", StringComparison.Ordinal));
        Assert.Contains(entries, e => e.Contains("backups", StringComparison.Ordinal) && File.Exists(e));
        Assert.Contains(entries, e => e.EndsWith("hook-errors.log", StringComparison.Ordinal));
        Assert.Contains(entries, e => e.Contains("spool", StringComparison.Ordinal) && File.Exists(e));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(_cli.SelftuneHome));
        Assert.Equal(string.Empty, string.Join("; ", entries.Where(e => (File.GetUnixFileMode(e) & GroupAndOthers) != 0).Select(e => $"{e} {File.GetUnixFileMode(e)}")));
    }

    [Fact]
    public void DoctorReportsALooseHomeAndFixFixesIt()
    {
        Ok(_cli.Run("sync"));
        var store = Path.Combine(_cli.SelftuneHome, "selftune.db");
        File.SetUnixFileMode(_cli.SelftuneHome, (UnixFileMode)0b111_101_101);
        File.SetUnixFileMode(store, (UnixFileMode)0b110_100_100);

        var loose = Permissions(_cli.Run("doctor"));
        Assert.Equal(("warn", "selftune doctor --fix"), (loose.GetProperty("status").GetString(), loose.GetProperty("next_command").GetString()));
        Assert.Contains("2 file(s) or folder(s)", loose.GetProperty("message").GetString(), StringComparison.Ordinal);

        Assert.Equal("ok", Permissions(_cli.Run("doctor", "--fix")).GetProperty("status").GetString());
        Assert.Equal((UnixFileMode)0b111_000_000, File.GetUnixFileMode(_cli.SelftuneHome));
        Assert.Equal((UnixFileMode)0b110_000_000, File.GetUnixFileMode(store));
        Assert.Equal("ok", Permissions(_cli.Run("doctor")).GetProperty("status").GetString());
    }

    public void Dispose() => _cli.Dispose();

    private static void Ok(CliResult result) => Assert.True(result.ExitCode == 0, result.ToString());

    private static JsonElement Permissions(CliResult doctor) =>
        doctor.Json.GetProperty("checks").EnumerateArray().Single(c => c.GetProperty("name").GetString() == "permissions");
}
