using Selftune.Abstractions;
using Selftune.Core.Configuration;
using Selftune.Core.Scheduling;

namespace Selftune.Core.Tests.Scheduling;

public sealed class SchedulerTests
{
    private static readonly ScheduledJob Job = new(
        ["/opt/my tools/selftune", "run", "--trigger", "schedule"],
        ScheduleInterval.Parse("2h"),
        [new("PATH", "/usr/bin:/bin"), new("SELFTUNE_HOME", "/home/u/it's 100%")],
        "/home/u/.selftune/logs/schedule.log");

    [Theory]
    [InlineData("")]
    [InlineData("MAILTO=x\n0 1 * * * a\n")]
    [InlineData("0 1 * * * a")]
    [InlineData("# BEGIN selftune-like comment that is not ours\n0 1 * * * a\n")]
    public void MergeThenStripGivesBackEveryOtherLine(string crontab)
    {
        var merged = Scheduler.MergeBlock(crontab, "0 */2 * * * x");
        Assert.Contains(Scheduler.CronBegin + "\n0 */2 * * * x\n" + Scheduler.CronEnd + "\n", merged, StringComparison.Ordinal);
        var stripped = Scheduler.StripBlock(merged, out var found);
        Assert.True(found);
        Assert.Equal(crontab.Length == 0 || crontab.EndsWith('\n') ? crontab : crontab + "\n", stripped);
    }

    [Fact]
    public void MergeReplacesAnEarlierBlockInPlaceOfAppendingASecond()
    {
        var first = Scheduler.MergeBlock("A\n", "old");
        var second = Scheduler.MergeBlock(first + "B\n", "new");
        Assert.Equal("A\nB\n" + Scheduler.CronBegin + "\nnew\n" + Scheduler.CronEnd + "\n", second);
    }

    [Fact]
    public void CronLineQuotesForTheShellAndEscapesPercent()
    {
        var line = Scheduler.CronLine(Job);
        Assert.Equal(
            "0 */2 * * * PATH=/usr/bin:/bin SELFTUNE_HOME='/home/u/it'\\''s 100\\%' '/opt/my tools/selftune' run --trigger schedule >> /home/u/.selftune/logs/schedule.log 2>&1",
            line);
    }

    [Fact]
    public void SystemdServiceQuotesAndEscapesSpecifiers()
    {
        var service = Scheduler.SystemdService(Job);
        Assert.Contains("Environment=\"SELFTUNE_HOME=/home/u/it's 100%%\"\n", service, StringComparison.Ordinal);
        Assert.Contains("ExecStart=\"/opt/my tools/selftune\" run --trigger schedule\n", service, StringComparison.Ordinal);
        Assert.Contains("Type=oneshot", service, StringComparison.Ordinal);
    }

    [Fact]
    public void LaunchdPlistEscapesXml()
    {
        var job = Job with { Command = ["/a&b/selftune", "run"] };
        var plist = System.Xml.Linq.XDocument.Parse(Scheduler.LaunchdPlistText(job));
        Assert.Contains(plist.Descendants("string"), e => e.Value == "/a&b/selftune");
        Assert.Contains(plist.Descendants("integer"), e => e.Value == "7200");
    }

    [Fact]
    public void DefaultIsCronWhereSystemctlIsMissing()
    {
        var empty = Path.Combine(Path.GetTempPath(), "selftune-nopath-" + Guid.NewGuid().ToString("N"));
        var context = new PlatformContext(empty, empty, name => name == "PATH" ? empty : null);
        var scheduler = new Scheduler(new SelftuneHome(Path.Combine(empty, ".selftune")), context, TimeProvider.System);
        Assert.Equal(OperatingSystem.IsMacOS() ? SchedulerKind.Launchd : SchedulerKind.Cron, scheduler.DefaultKind);
    }
}
