using System.Diagnostics;
using System.Text.RegularExpressions;
using Selftune.Core;
using Selftune.Core.Scheduling;

namespace Selftune.Core.Tests.Scheduling;

public sealed partial class ScheduleIntervalTests
{
    public static TheoryData<string, string, string, int> Intervals => new()
    {
        { "5m", "*/5 * * * *", "*-*-* *:00/5:00", 300 },
        { "30m", "*/30 * * * *", "*-*-* *:00/30:00", 1800 },
        { "60m", "0 * * * *", "*-*-* 00/1:00:00", 3600 },
        { "1h", "0 * * * *", "*-*-* 00/1:00:00", 3600 },
        { "2h", "0 */2 * * *", "*-*-* 00/2:00:00", 7200 },
        { "12h", "0 */12 * * *", "*-*-* 00/12:00:00", 43200 },
        { "24h", "0 0 * * *", "*-*-* 00:00:00", 86400 },
        { "1d", "0 0 * * *", "*-*-* 00:00:00", 86400 },
    };

    [Theory]
    [MemberData(nameof(Intervals))]
    public void EverySchedulerGetsTheSameTimes(string text, string cron, string onCalendar, int seconds)
    {
        var interval = ScheduleInterval.Parse(text);
        Assert.Equal(cron, interval.ToCron());
        Assert.Equal(onCalendar, interval.ToOnCalendar());
        Assert.Equal(seconds, interval.Seconds);
    }

    [Theory]
    [InlineData("7m")]
    [InlineData("1m")]
    [InlineData("5h")]
    [InlineData("2d")]
    [InlineData("0h")]
    [InlineData("two hours")]
    [InlineData("")]
    public void IntervalsNotEverySchedulerCanExpressAreRefused(string text)
    {
        var error = Assert.Throws<SelftuneException>(() => ScheduleInterval.Parse(text));
        Assert.Equal(ErrorCodes.InvalidArgument, error.Code);
        Assert.Equal("selftune schedule install --interval 2h", error.NextCommand);
    }

    /// <summary>Every OnCalendar value is accepted by systemd's own parser, which normalizes it to itself; without
    /// systemd-analyze, it is checked against the grammar of systemd.time(7) ("Calendar Events").</summary>
    [Theory]
    [MemberData(nameof(Intervals))]
    public void OnCalendarIsValidSystemdTime(string text, string cron, string onCalendar, int seconds)
    {
        _ = (cron, seconds);
        var expression = ScheduleInterval.Parse(text).ToOnCalendar();
        if (File.Exists("/usr/bin/systemd-analyze"))
        {
            using var process = Process.Start(new ProcessStartInfo("/usr/bin/systemd-analyze", ["calendar", expression]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
            var output = process.StandardOutput.ReadToEnd();
            var error = process.StandardError.ReadToEnd();
            process.WaitForExit();
            Assert.True(process.ExitCode == 0, $"systemd-analyze rejected '{expression}': {error}");
            Assert.Contains($"Normalized form: {onCalendar}", output, StringComparison.Ordinal);
        }
        else
        {
            Assert.Matches(CalendarGrammar(), expression);
        }
    }

    // "*-*-* HH:MM:SS" where each time field is *, a number, or start/step (systemd.time(7)).
    [GeneratedRegex(@"^\*-\*-\* (\*|\d{2}(/\d{1,2})?):(\*|\d{2}(/\d{1,2})?):\d{2}$")]
    private static partial Regex CalendarGrammar();
}
