using System.Xml.Linq;

using Selftune.Host.Tests.Support;

namespace Selftune.Host.Tests;

/// <summary><c>selftune schedule</c> against fake <c>crontab</c>/<c>systemctl</c> tools in a temporary home: install, show and
/// remove round-trip, leaving everything that is not selftune's byte-for-byte as it was.</summary>
public sealed class ScheduleCommandTests : IDisposable
{
    private const string UserCrontab = "# my jobs\nMAILTO=me@example.com\n*/5 * * * * /usr/bin/backup --quiet\n@reboot /home/me/start.sh\n";
    private readonly SelftuneCli _machine = new();

    public ScheduleCommandTests()
    {
        // A crontab kept in a file: -l prints it (or fails like cron does when there is none), - replaces it, -r deletes it.
        _machine.Environment["FAKE_CRONTAB"] = CrontabFile;
        _machine.AddTool("crontab", """
            case "$1" in
              -l) if [ -f "$FAKE_CRONTAB" ]; then cat "$FAKE_CRONTAB"; else echo "no crontab for tester" >&2; exit 1; fi ;;
              -r) rm -f "$FAKE_CRONTAB" ;;
              -) cat > "$FAKE_CRONTAB" ;;
              *) echo "unexpected: $*" >&2; exit 2 ;;
            esac
            """);
        _machine.Environment["FAKE_SYSTEMCTL_LOG"] = SystemctlLog;
        _machine.AddTool("systemctl", """
            echo "$*" >> "$FAKE_SYSTEMCTL_LOG"
            exit ${FAKE_SYSTEMCTL_EXIT:-0}
            """);
    }

    private string CrontabFile => Path.Combine(_machine.Root, "crontab.txt");

    private string SystemctlLog => Path.Combine(_machine.Root, "systemctl.log");

    private string UnitFolder => Path.Combine(_machine.UserHome, ".config", "systemd", "user");

    [Fact]
    public void CronInstallShowRemoveRoundTripsTheUsersCrontab()
    {
        File.WriteAllText(CrontabFile, UserCrontab);

        var install = _machine.Run("schedule", "install", "--cron", "--interval", "30m");
        Assert.True(install.ExitCode == 0, install.ToString());
        var crontab = File.ReadAllText(CrontabFile);
        Assert.StartsWith(UserCrontab, crontab, StringComparison.Ordinal);
        var ours = crontab[UserCrontab.Length..].Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, ours.Length);
        Assert.StartsWith("# BEGIN selftune", ours[0], StringComparison.Ordinal);
        Assert.StartsWith($"*/30 * * * * PATH={_machine.SearchPath} SELFTUNE_HOME={_machine.SelftuneHome} {SelftuneCli.Executable} run --trigger schedule >> ", ours[1], StringComparison.Ordinal);
        Assert.Equal("# END selftune", ours[2]);
        var backup = Assert.Single(install.Json.GetProperty("results")[0].GetProperty("backups").EnumerateArray());
        Assert.Equal(UserCrontab, File.ReadAllText(backup.GetString()!));

        var again = _machine.Run("schedule", "install", "--cron", "--interval", "30m");
        Assert.False(again.Json.GetProperty("changed").GetBoolean());
        Assert.Equal(crontab, File.ReadAllText(CrontabFile));

        var show = _machine.Run("schedule", "show", "--cron");
        Assert.True(show.Json.GetProperty("installed").GetBoolean());
        Assert.Contains("*/30 * * * *", show.Json.GetProperty("schedulers")[0].GetProperty("entries")[0].GetProperty("content").GetString(), StringComparison.Ordinal);

        var remove = _machine.Run("schedule", "remove", "--cron");
        Assert.True(remove.ExitCode == 0, remove.ToString());
        Assert.Equal(UserCrontab, File.ReadAllText(CrontabFile));
        Assert.False(_machine.Run("schedule", "show", "--cron").Json.GetProperty("installed").GetBoolean());
    }

    [Fact]
    public void CronChangingTheIntervalReplacesTheBlockAndRemoveLeavesNoCrontabWhenThereWasNone()
    {
        Assert.Equal(0, _machine.Run("schedule", "install", "--cron", "--interval", "1h").ExitCode);
        Assert.Equal(0, _machine.Run("schedule", "install", "--cron", "--interval", "6h").ExitCode);
        var crontab = File.ReadAllText(CrontabFile);
        Assert.Single(crontab.Split('\n'), l => l.StartsWith("# BEGIN selftune", StringComparison.Ordinal));
        Assert.Contains("\n0 */6 * * * ", crontab, StringComparison.Ordinal);
        Assert.DoesNotContain("0 * * * *", crontab, StringComparison.Ordinal);

        Assert.Equal(0, _machine.Run("schedule", "remove").ExitCode);
        Assert.False(File.Exists(CrontabFile));
    }

    [Fact]
    public void DryRunShowsTheEntryAndChangesNothing()
    {
        File.WriteAllText(CrontabFile, UserCrontab);
        var result = _machine.Run("schedule", "install", "--cron", "--dry-run");
        Assert.True(result.ExitCode == 0, result.ToString());
        var change = result.Json.GetProperty("results")[0].GetProperty("changes")[0];
        Assert.Equal("update", change.GetProperty("action").GetString());
        Assert.Contains("0 */2 * * * ", change.GetProperty("content").GetString(), StringComparison.Ordinal);
        Assert.Equal(UserCrontab, File.ReadAllText(CrontabFile));

        var systemd = _machine.Run("schedule", "install", "--systemd", "--dry-run");
        Assert.Equal(2, systemd.Json.GetProperty("results")[0].GetProperty("changes").GetArrayLength());
        Assert.False(Directory.Exists(UnitFolder));
        Assert.False(File.Exists(SystemctlLog));
    }

    [Fact]
    public void SystemdInstallWritesValidUnitsEnablesTheTimerAndRemoveDeletesExactlyThem()
    {
        Directory.CreateDirectory(UnitFolder);
        var unrelated = Path.Combine(UnitFolder, "backup.timer");
        File.WriteAllText(unrelated, "[Timer]\nOnCalendar=daily\n");

        var install = _machine.Run("schedule", "install", "--systemd", "--interval", "2h");
        Assert.True(install.ExitCode == 0, install.ToString());
        var timer = File.ReadAllText(Path.Combine(UnitFolder, "selftune-run.timer"));
        var service = File.ReadAllText(Path.Combine(UnitFolder, "selftune-run.service"));
        Assert.Contains("OnCalendar=*-*-* 00/2:00:00\n", timer, StringComparison.Ordinal);
        Assert.Contains("Persistent=true\n", timer, StringComparison.Ordinal);
        Assert.Contains($"ExecStart={SelftuneCli.Executable} run --trigger schedule\n", service, StringComparison.Ordinal);
        Assert.Contains($"Environment=SELFTUNE_HOME={_machine.SelftuneHome}\n", service, StringComparison.Ordinal);
        Assert.Equal(["--user daemon-reload", "--user enable --now selftune-run.timer"], File.ReadAllLines(SystemctlLog));
        Assert.True(install.Json.GetProperty("results")[0].GetProperty("activated").GetBoolean());

        var remove = _machine.Run("schedule", "remove", "--systemd");
        Assert.True(remove.ExitCode == 0, remove.ToString());
        Assert.Equal([unrelated], Directory.GetFiles(UnitFolder));
        Assert.Equal("[Timer]\nOnCalendar=daily\n", File.ReadAllText(unrelated));
        Assert.Equal(["--user disable --now selftune-run.timer", "--user daemon-reload"], File.ReadAllLines(SystemctlLog)[2..]);
    }

    [Fact]
    public void SystemdActivationFailureLeavesNothingBehind()
    {
        _machine.Environment["FAKE_SYSTEMCTL_EXIT"] = "1";
        var result = _machine.Run("schedule", "install", "--systemd");
        Assert.NotEqual(0, result.ExitCode);
        Assert.Equal("UNSAFE_EDIT", result.Error.GetProperty("code").GetString());
        Assert.Equal("selftune schedule install --cron", result.Error.GetProperty("next_command").GetString());
        Assert.Empty(Directory.Exists(UnitFolder) ? Directory.GetFiles(UnitFolder) : []);
    }

    [Fact]
    public void AUnitFileSelftuneDidNotWriteIsRefusedAndKept()
    {
        Directory.CreateDirectory(UnitFolder);
        var foreign = Path.Combine(UnitFolder, "selftune-run.timer");
        File.WriteAllText(foreign, "[Timer]\nOnCalendar=hourly\n");
        var result = _machine.Run("schedule", "install", "--systemd");
        Assert.Equal("UNSAFE_EDIT", result.Error.GetProperty("code").GetString());
        Assert.Equal("[Timer]\nOnCalendar=hourly\n", File.ReadAllText(foreign));
        Assert.False(_machine.Run("schedule", "remove", "--systemd").Json.GetProperty("changed").GetBoolean());
        Assert.True(File.Exists(foreign));
    }

    [Fact]
    public void LaunchdWritesAPlistAndSaysHowToLoadItWhereLaunchctlIsMissing()
    {
        var install = _machine.Run("schedule", "install", "--launchd", "--interval", "15m");
        Assert.True(install.ExitCode == 0, install.ToString());
        var result = install.Json.GetProperty("results")[0];
        Assert.False(result.GetProperty("activated").GetBoolean());
        Assert.Contains("launchctl load -w", result.GetProperty("notes")[0].GetString(), StringComparison.Ordinal);

        var path = Path.Combine(_machine.UserHome, "Library", "LaunchAgents", "com.selftune.run.plist");
        var dict = XDocument.Load(path).Root!.Element("dict")!.Elements().ToList();
        string Value(string key) => dict[dict.FindIndex(e => e.Name == "key" && e.Value == key) + 1].Value;
        Assert.Equal("com.selftune.run", Value("Label"));
        Assert.Equal("900", Value("StartInterval"));
        var arguments = dict[dict.FindIndex(e => e.Value == "ProgramArguments") + 1].Elements("string").Select(e => e.Value);
        Assert.Equal([SelftuneCli.Executable, "run", "--trigger", "schedule"], arguments);

        Assert.True(_machine.Run("schedule", "show").Json.GetProperty("installed").GetBoolean());
        Assert.Equal(0, _machine.Run("schedule", "remove", "--launchd").ExitCode);
        Assert.False(File.Exists(path));
    }

    [Fact]
    public void AnIntervalNoSchedulerCanExpressIsRefused()
    {
        var result = _machine.Run("schedule", "install", "--cron", "--interval", "7m");
        Assert.Equal(2, result.ExitCode);
        Assert.Equal("INVALID_ARGUMENT", result.Error.GetProperty("code").GetString());
        Assert.False(File.Exists(CrontabFile));
    }

    public void Dispose() => _machine.Dispose();
}
