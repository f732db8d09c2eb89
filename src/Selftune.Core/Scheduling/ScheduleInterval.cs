using System.Globalization;
using System.Text.RegularExpressions;

namespace Selftune.Core.Scheduling;

/// <summary>
/// How often a scheduled run starts: every N minutes (N divides 60, at least 5), every N hours (N divides 24) or
/// once a day. Only intervals that every scheduler expresses exactly are accepted, so cron, systemd and launchd
/// run the job at the same times.
/// </summary>
internal sealed partial record ScheduleInterval
{
    private ScheduleInterval(int minutes, int hours, bool daily)
    {
        Minutes = minutes;
        Hours = hours;
        Daily = daily;
    }

    /// <summary>What <see cref="Parse"/> accepts, as error messages name it.</summary>
    public const string Accepts = "minutes that divide an hour (5m, 10m, 15m, 20m, 30m), hours that divide a day (1h, 2h, 3h, 4h, 6h, 8h, 12h) or 1d";

    /// <summary>Every N minutes (0 when the interval is in hours or daily).</summary>
    public int Minutes { get; }

    /// <summary>Every N hours (0 when the interval is in minutes or daily).</summary>
    public int Hours { get; }

    /// <summary>Once a day, at midnight local time.</summary>
    public bool Daily { get; }

    /// <summary>The interval's length (seconds), as launchd's <c>StartInterval</c> wants it.</summary>
    public int Seconds => Daily ? 86_400 : Hours > 0 ? Hours * 3600 : Minutes * 60;

    /// <summary>The interval as written: <c>30m</c>, <c>2h</c>, <c>1d</c>.</summary>
    public override string ToString() => Daily ? "1d" : Hours > 0 ? $"{Hours}h" : $"{Minutes}m";

    /// <summary>The cron expression (five fields: minute hour day-of-month month day-of-week).</summary>
    public string ToCron() => Daily ? "0 0 * * *" : Hours > 0 ? (Hours == 1 ? "0 * * * *" : $"0 */{Hours} * * *") : $"*/{Minutes} * * * *";

    /// <summary>The systemd calendar event for <c>OnCalendar=</c> (systemd.time(7): <c>DayOfWeek Year-Month-Day
    /// Hour:Minute:Second</c>, where <c>a/b</c> means a, a+b, a+2b, …).</summary>
    public string ToOnCalendar() => Daily ? "*-*-* 00:00:00" : Hours > 0 ? $"*-*-* 00/{Hours}:00:00" : $"*-*-* *:00/{Minutes}:00";

    /// <summary>Parses <c>Nm</c>, <c>Nh</c> or <c>1d</c>.</summary>
    /// <param name="text">The interval.</param>
    /// <exception cref="SelftuneException"><see cref="ErrorCodes.InvalidArgument"/> naming the accepted values.</exception>
    public static ScheduleInterval Parse(string text)
    {
        var match = Pattern().Match(text.Trim());
        if (match.Success && int.TryParse(match.Groups["n"].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var n))
        {
            switch (match.Groups["unit"].Value.ToLowerInvariant())
            {
                case "m" when n >= 5 && n < 60 && 60 % n == 0:
                    return new ScheduleInterval(n, 0, false);
                case "m" when n == 60:
                case "h" when n >= 1 && n < 24 && 24 % n == 0:
                    return new ScheduleInterval(0, n == 60 ? 1 : n, false);
                case "h" when n == 24:
                case "d" when n == 1:
                    return new ScheduleInterval(0, 0, true);
            }
        }

        throw new SelftuneException(
            ErrorCodes.InvalidArgument,
            $"--interval {ShellCommand.Quoted(text)} is not a schedule selftune can install. Use {Accepts}.",
            "selftune schedule install --interval 2h",
            exitCode: 2);
    }

    [GeneratedRegex(@"^(?<n>\d{1,4})\s*(?<unit>[mhdMHD])$")]
    private static partial Regex Pattern();
}
