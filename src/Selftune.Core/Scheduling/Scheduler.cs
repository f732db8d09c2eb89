using System.Security;
using System.Text;
using Selftune.Abstractions;
using Selftune.Core.Configuration;

namespace Selftune.Core.Scheduling;

/// <summary>The system schedulers selftune can install a periodic run into.</summary>
internal enum SchedulerKind
{
    /// <summary>The user's crontab (a block between marker comments; every other line kept).</summary>
    Cron,
    /// <summary>A systemd user timer and service (<c>~/.config/systemd/user/selftune-run.{timer,service}</c>).</summary>
    Systemd,
    /// <summary>A launchd agent (<c>~/Library/LaunchAgents/com.selftune.run.plist</c>).</summary>
    Launchd,
}

/// <summary>The periodic job: what runs, how often, with which environment.</summary>
/// <param name="Command">The executable and its arguments (e.g. <c>/usr/local/bin/selftune run --trigger schedule</c>).</param>
/// <param name="Interval">How often.</param>
/// <param name="Environment">Variables the job needs (<c>PATH</c> so the agent CLI is found, <c>SELFTUNE_HOME</c>, …), in order.</param>
/// <param name="LogPath">Where the job's output is appended (cron, launchd; systemd uses the journal).</param>
internal sealed record ScheduledJob(IReadOnlyList<string> Command, ScheduleInterval Interval, IReadOnlyList<KeyValuePair<string, string>> Environment, string LogPath);

/// <summary>One thing an install or remove changes: a file, or the user's crontab.</summary>
/// <param name="Target">The file's absolute path, or <see cref="Scheduler.CrontabTarget"/>.</param>
/// <param name="Before">Its content now; null when it does not exist.</param>
/// <param name="After">Its content afterwards; null to delete it.</param>
/// <param name="Summary">What changes, for a person.</param>
internal sealed record ScheduleChange(string Target, string? Before, string? After, string Summary);

/// <summary>What an install or remove will do; nothing has been done yet.</summary>
/// <param name="Kind">The scheduler.</param>
/// <param name="Changes">Files (or the crontab) to write or delete; empty when there is nothing to do.</param>
/// <param name="Before">Commands run before the changes (e.g. stopping the timer being removed).</param>
/// <param name="After">Commands run after the changes (e.g. reloading systemd and starting the timer).</param>
internal sealed record SchedulePlan(SchedulerKind Kind, IReadOnlyList<ScheduleChange> Changes, IReadOnlyList<ExternalCommand> Before, IReadOnlyList<ExternalCommand> After);

/// <summary>What applying a plan did.</summary>
/// <param name="Kind">The scheduler.</param>
/// <param name="Written">Targets written.</param>
/// <param name="Deleted">Targets deleted.</param>
/// <param name="Backups">Backups taken of replaced content.</param>
/// <param name="Activated">True when the scheduler was told (commands ran); false when its tool is not installed here.</param>
/// <param name="Notes">Commands that failed harmlessly or could not run, for a person.</param>
internal sealed record ScheduleOutcome(SchedulerKind Kind, IReadOnlyList<string> Written, IReadOnlyList<string> Deleted, IReadOnlyList<string> Backups, bool Activated, IReadOnlyList<string> Notes);

/// <summary>What is installed in one scheduler.</summary>
/// <param name="Kind">The scheduler.</param>
/// <param name="Installed">True when selftune's entry is present.</param>
/// <param name="Entries">Each installed target with selftune's content in it.</param>
/// <param name="Problem">Why the scheduler could not be read, if it could not.</param>
internal sealed record ScheduleState(SchedulerKind Kind, bool Installed, IReadOnlyList<KeyValuePair<string, string>> Entries, string? Problem = null);

/// <summary>
/// Installs, removes and shows selftune's periodic run in cron, a systemd user timer or a launchd agent. Every
/// install is planned first (<see cref="PlanInstall"/>, shown by <c>--dry-run</c>) and applied after a backup of
/// whatever it replaces; a remove deletes exactly what an install wrote: the crontab block between its markers, and
/// unit or plist files only when they carry selftune's marker.
/// </summary>
internal sealed class Scheduler
{
    /// <summary>The <see cref="ScheduleChange.Target"/> that names the user's crontab (read with <c>crontab -l</c>, written with <c>crontab -</c>).</summary>
    public const string CrontabTarget = "crontab";

    /// <summary>The first line of selftune's crontab block.</summary>
    public const string CronBegin = "# BEGIN selftune (managed by `selftune schedule`; remove with `selftune schedule remove --cron`)";

    /// <summary>The last line of selftune's crontab block.</summary>
    public const string CronEnd = "# END selftune";

    /// <summary>The systemd units' base name.</summary>
    public const string SystemdUnit = "selftune-run";

    /// <summary>The launchd agent's label.</summary>
    public const string LaunchdLabel = "com.selftune.run";

    private const string Marker = "Installed by selftune (selftune schedule install)";
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(30);
    private readonly SelftuneHome _home;
    private readonly PlatformContext _context;
    private readonly TimeProvider _time;

    /// <summary>Creates the scheduler for one machine.</summary>
    /// <param name="home">Where backups go.</param>
    /// <param name="context">The user's home, environment and <c>PATH</c>.</param>
    /// <param name="time">Stamps backups.</param>
    public Scheduler(SelftuneHome home, PlatformContext context, TimeProvider time)
    {
        _home = home;
        _context = context;
        _time = time;
    }

    /// <summary>The scheduler to use when none is named: launchd on macOS; a systemd user timer where
    /// <c>systemctl</c> is installed; cron otherwise.</summary>
    public SchedulerKind DefaultKind =>
        OperatingSystem.IsMacOS() ? SchedulerKind.Launchd
        : ExternalCommand.Find("systemctl", _context) is not null ? SchedulerKind.Systemd
        : SchedulerKind.Cron;

    /// <summary>The systemd user unit folder (<c>$XDG_CONFIG_HOME/systemd/user</c>, default <c>~/.config/systemd/user</c>).</summary>
    public string SystemdFolder => Path.Combine(_context.Environment("XDG_CONFIG_HOME") is { Length: > 0 } xdg ? xdg : Path.Combine(_context.UserHome, ".config"), "systemd", "user");

    /// <summary>The launchd agent's plist.</summary>
    public string LaunchdPlist => Path.Combine(_context.UserHome, "Library", "LaunchAgents", LaunchdLabel + ".plist");

    /// <summary>Plans installing (or updating) <paramref name="job"/> in <paramref name="kind"/>.</summary>
    /// <exception cref="SelftuneException"><see cref="ErrorCodes.UnsafeEdit"/> when a file of the same name exists that selftune did
    /// not write; the crontab cannot be read.</exception>
    public SchedulePlan PlanInstall(SchedulerKind kind, ScheduledJob job) => kind switch
    {
        SchedulerKind.Cron => PlanCron(job),
        SchedulerKind.Systemd => new SchedulePlan(
            kind,
            Changed(
                FileChange(Path.Combine(SystemdFolder, SystemdUnit + ".service"), SystemdService(job), "systemd service that runs selftune once"),
                FileChange(Path.Combine(SystemdFolder, SystemdUnit + ".timer"), SystemdTimer(job), $"systemd timer: every {job.Interval} (OnCalendar={job.Interval.ToOnCalendar()})")),
            [],
            [new ExternalCommand("systemctl", ["--user", "daemon-reload"]), new ExternalCommand("systemctl", ["--user", "enable", "--now", SystemdUnit + ".timer"])]),
        _ => new SchedulePlan(
            kind,
            Changed(FileChange(LaunchdPlist, LaunchdPlistText(job), $"launchd agent: every {job.Interval.Seconds} s")),
            [],
            [new ExternalCommand("launchctl", ["unload", LaunchdPlist], IgnoreFailure: true), new ExternalCommand("launchctl", ["load", "-w", LaunchdPlist])]),
    };

    /// <summary>Plans removing what <see cref="PlanInstall"/> installed in <paramref name="kind"/>, and nothing else.</summary>
    /// <exception cref="SelftuneException">The crontab cannot be read.</exception>
    public SchedulePlan PlanRemove(SchedulerKind kind)
    {
        switch (kind)
        {
            case SchedulerKind.Cron:
                var current = ReadCrontab();
                var stripped = StripBlock(current ?? string.Empty, out var found);
                return new SchedulePlan(kind, found ? [new ScheduleChange(CrontabTarget, current, stripped.Length == 0 ? null : stripped, "remove selftune's block")] : [], [], []);
            case SchedulerKind.Systemd:
                var units = new[] { ".timer", ".service" }.Select(s => Path.Combine(SystemdFolder, SystemdUnit + s)).Where(IsOurs).ToList();
                return units.Count == 0
                    ? new SchedulePlan(kind, [], [], [])
                    : new SchedulePlan(
                        kind,
                        units.Select(u => new ScheduleChange(u, File.ReadAllText(u), null, "delete")).ToList(),
                        [new ExternalCommand("systemctl", ["--user", "disable", "--now", SystemdUnit + ".timer"], IgnoreFailure: true)],
                        [new ExternalCommand("systemctl", ["--user", "daemon-reload"], IgnoreFailure: true)]);
            default:
                return IsOurs(LaunchdPlist)
                    ? new SchedulePlan(kind, [new ScheduleChange(LaunchdPlist, File.ReadAllText(LaunchdPlist), null, "delete")], [new ExternalCommand("launchctl", ["unload", "-w", LaunchdPlist], IgnoreFailure: true)], [])
                    : new SchedulePlan(kind, [], [], []);
        }
    }

    /// <summary>What is installed in every scheduler. Never throws: an unreadable crontab is a <see cref="ScheduleState.Problem"/>.</summary>
    public IReadOnlyList<ScheduleState> Show()
    {
        var states = new List<ScheduleState>();
        try
        {
            var block = ExtractBlock(ReadCrontab() ?? string.Empty);
            states.Add(new ScheduleState(SchedulerKind.Cron, block is not null, block is null ? [] : [new(CrontabTarget, block)]));
        }
        catch (SelftuneException ex)
        {
            states.Add(new ScheduleState(SchedulerKind.Cron, false, [], ex.Message));
        }

        var units = new[] { ".service", ".timer" }.Select(s => Path.Combine(SystemdFolder, SystemdUnit + s)).Where(IsOurs).ToList();
        states.Add(new ScheduleState(SchedulerKind.Systemd, units.Count > 0, units.Select(u => new KeyValuePair<string, string>(u, File.ReadAllText(u))).ToList()));
        states.Add(new ScheduleState(SchedulerKind.Launchd, IsOurs(LaunchdPlist), IsOurs(LaunchdPlist) ? [new(LaunchdPlist, File.ReadAllText(LaunchdPlist))] : []));
        return states;
    }

    /// <summary>Applies a plan: runs its <see cref="SchedulePlan.Before"/> commands, backs up and writes or deletes each
    /// target (files atomically; the crontab through <c>crontab -</c>), then runs its <see cref="SchedulePlan.After"/>
    /// commands. When a required command fails, every change is undone from the backups and an error is raised.</summary>
    /// <exception cref="SelftuneException"><see cref="ErrorCodes.UnsafeEdit"/> when the scheduler refused the change (nothing is
    /// left changed).</exception>
    public ScheduleOutcome Apply(SchedulePlan plan)
    {
        var notes = new List<string>();
        var written = new List<string>();
        var deleted = new List<string>();
        var backups = new List<string>();
        var tool = plan.Before.Concat(plan.After).Select(c => c.Executable).FirstOrDefault();
        var activated = tool is null || ExternalCommand.Find(tool, _context) is not null;
        if (!activated && plan.Changes.Count > 0)
        {
            notes.Add($"{tool} is not installed here, so the scheduler was not told; on the machine that runs it: {string.Join(" && ", plan.After.Where(c => !c.IgnoreFailure))}");
        }

        if (plan.Changes.Count == 0)
        {
            return new ScheduleOutcome(plan.Kind, written, deleted, backups, false, notes);
        }

        if (activated)
        {
            RunAll(plan.Before, notes);
        }

        var now = _time.GetUtcNow();
        var applied = new List<ScheduleChange>();
        try
        {
            foreach (var change in plan.Changes)
            {
                if (change.Before is not null)
                {
                    backups.Add(BackupText(change, now));
                }

                Write(change.Target, change.After);
                applied.Add(change);
                (change.After is null ? deleted : written).Add(change.Target);
            }

            if (activated)
            {
                RunAll(plan.After, notes);
            }
        }
        catch (SelftuneException)
        {
            foreach (var change in Enumerable.Reverse(applied))
            {
                Write(change.Target, change.Before);
            }

            throw;
        }

        return new ScheduleOutcome(plan.Kind, written, deleted, backups, activated, notes);
    }

    /// <summary>Renders the crontab line of <paramref name="job"/>: the schedule, then the command run by <c>/bin/sh</c> with
    /// its environment inline (so the user's other lines keep theirs) and its output appended to the log.
    /// <c>%</c> is escaped because cron turns it into a newline.</summary>
    public static string CronLine(ScheduledJob job)
    {
        var env = job.Environment.Select(kv => $"{kv.Key}={ShellCommand.Quote(kv.Value)}");
        var command = string.Join(' ', env.Concat(job.Command.Select(ShellCommand.Quote))) + $" >> {ShellCommand.Quote(job.LogPath)} 2>&1";
        return job.Interval.ToCron() + " " + command.Replace("%", "\\%", StringComparison.Ordinal);
    }

    /// <summary>Renders the systemd service unit (systemd.service(5), <c>Type=oneshot</c>).</summary>
    public static string SystemdService(ScheduledJob job)
    {
        var text = new StringBuilder()
            .Append("# ").Append(Marker).Append(". Remove with: selftune schedule remove --systemd\n")
            .Append("[Unit]\nDescription=selftune: improve agent skills from recent sessions\n\n[Service]\nType=oneshot\n");
        foreach (var (key, value) in job.Environment)
        {
            text.Append("Environment=").Append(SystemdQuote($"{key}={value}")).Append('\n');
        }

        return text.Append("ExecStart=").Append(string.Join(' ', job.Command.Select(SystemdQuote))).Append('\n').ToString();
    }

    /// <summary>Renders the systemd timer unit (systemd.timer(5)); <c>Persistent=true</c> catches up a run missed while the machine was off.</summary>
    public static string SystemdTimer(ScheduledJob job) =>
        $"# {Marker}. Remove with: selftune schedule remove --systemd\n" +
        $"[Unit]\nDescription=selftune: run every {job.Interval}\n\n" +
        $"[Timer]\nOnCalendar={job.Interval.ToOnCalendar()}\nPersistent=true\nUnit={SystemdUnit}.service\n\n" +
        "[Install]\nWantedBy=timers.target\n";

    /// <summary>Renders the launchd agent (launchd.plist(5)): <c>ProgramArguments</c>, <c>StartInterval</c> in seconds, the environment and log paths.</summary>
    public static string LaunchdPlistText(ScheduledJob job)
    {
        static string E(string s) => SecurityElement.Escape(s);
        var text = new StringBuilder()
            .Append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n")
            .Append("<!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\" \"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">\n")
            .Append("<!-- ").Append(Marker).Append(". Remove with: selftune schedule remove -->\n")
            .Append("<plist version=\"1.0\">\n<dict>\n")
            .Append("  <key>Label</key>\n  <string>").Append(LaunchdLabel).Append("</string>\n")
            .Append("  <key>ProgramArguments</key>\n  <array>\n");
        foreach (var part in job.Command)
        {
            text.Append("    <string>").Append(E(part)).Append("</string>\n");
        }

        text.Append("  </array>\n  <key>StartInterval</key>\n  <integer>").Append(job.Interval.Seconds).Append("</integer>\n")
            .Append("  <key>EnvironmentVariables</key>\n  <dict>\n");
        foreach (var (key, value) in job.Environment)
        {
            text.Append("    <key>").Append(E(key)).Append("</key>\n    <string>").Append(E(value)).Append("</string>\n");
        }

        return text.Append("  </dict>\n")
            .Append("  <key>StandardOutPath</key>\n  <string>").Append(E(job.LogPath)).Append("</string>\n")
            .Append("  <key>StandardErrorPath</key>\n  <string>").Append(E(job.LogPath)).Append("</string>\n")
            .Append("</dict>\n</plist>\n").ToString();
    }

    /// <summary>Returns <paramref name="crontab"/> with selftune's block replaced by <paramref name="block"/> (appended at the end
    /// when there was none), every other line unchanged.</summary>
    public static string MergeBlock(string crontab, string block)
    {
        var rest = StripBlock(crontab, out _);
        if (rest.Length > 0 && !rest.EndsWith('\n'))
        {
            rest += "\n";
        }

        return rest + CronBegin + "\n" + block.TrimEnd('\n') + "\n" + CronEnd + "\n";
    }

    /// <summary>Returns <paramref name="crontab"/> without selftune's block (the marker lines and everything between them).</summary>
    /// <param name="crontab">The crontab text.</param>
    /// <param name="found">True when a block was there.</param>
    public static string StripBlock(string crontab, out bool found)
    {
        var begin = crontab.IndexOf(CronBegin, StringComparison.Ordinal);
        var end = begin < 0 ? -1 : crontab.IndexOf(CronEnd, begin, StringComparison.Ordinal);
        found = end >= 0 && (begin == 0 || crontab[begin - 1] == '\n');
        if (!found)
        {
            return crontab;
        }

        var after = end + CronEnd.Length;
        if (after < crontab.Length && crontab[after] == '\n')
        {
            after++;
        }

        return crontab[..begin] + crontab[after..];
    }

    private static string? ExtractBlock(string crontab)
    {
        var stripped = StripBlock(crontab, out var found);
        return found ? crontab.Substring(crontab.IndexOf(CronBegin, StringComparison.Ordinal), crontab.Length - stripped.Length) : null;
    }

    private static string SystemdQuote(string word) =>
        (word.Any(c => char.IsWhiteSpace(c) || c is '"' or '\'' or '\\') ? "\"" + word.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"" : word)
        .Replace("%", "%%", StringComparison.Ordinal)
        .Replace("$", "$$", StringComparison.Ordinal);

    private static IReadOnlyList<ScheduleChange> Changed(params ScheduleChange?[] changes) => changes.OfType<ScheduleChange>().ToList();

    private static bool IsOurs(string path) => File.Exists(path) && File.ReadAllText(path).Contains(Marker, StringComparison.Ordinal);

    private static ScheduleChange? FileChange(string path, string content, string summary)
    {
        var before = File.Exists(path) ? File.ReadAllText(path) : null;
        if (before is not null && !before.Contains(Marker, StringComparison.Ordinal))
        {
            throw new SelftuneException(
                ErrorCodes.UnsafeEdit,
                $"'{path}' exists and was not written by selftune, so it was left as it is. Move it aside, or install into another scheduler.",
                "selftune schedule install --cron");
        }

        return before == content ? null : new ScheduleChange(path, before, content, before is null ? "create: " + summary : "update: " + summary);
    }

    private SchedulePlan PlanCron(ScheduledJob job)
    {
        var current = ReadCrontab() ?? string.Empty;
        var merged = MergeBlock(current, CronLine(job));
        return new SchedulePlan(SchedulerKind.Cron, merged == current ? [] : [new ScheduleChange(CrontabTarget, current.Length == 0 ? null : current, merged, $"add selftune's block: every {job.Interval} ({job.Interval.ToCron()})")], [], []);
    }

    /// <summary>The user's crontab, or null when they have none.</summary>
    private string? ReadCrontab()
    {
        var (exit, stdout, stderr) = new ExternalCommand("crontab", ["-l"]).Run(_context, null, CommandTimeout);
        if (exit == 0)
        {
            return stdout;
        }

        if (stderr.Contains("no crontab", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        throw new SelftuneException(
            ErrorCodes.UnsafeEdit,
            $"The crontab could not be read (`crontab -l` exited {exit}: {stderr.Trim()}). Nothing was changed.",
            exit == -1 ? "selftune schedule install --systemd" : "crontab -l");
    }

    private void Write(string target, string? content)
    {
        if (target == CrontabTarget)
        {
            var command = content is null ? new ExternalCommand("crontab", ["-r"]) : new ExternalCommand("crontab", ["-"]);
            var (exit, _, stderr) = command.Run(_context, content, CommandTimeout);
            if (exit != 0)
            {
                throw new SelftuneException(ErrorCodes.UnsafeEdit, $"`{command}` failed (exit {exit}): {stderr.Trim()}. The crontab was left as it was.", "crontab -l");
            }
        }
        else if (content is null)
        {
            File.Delete(target);
        }
        else
        {
            AtomicFile.WriteAllText(target, content);
        }
    }

    private string BackupText(ScheduleChange change, DateTimeOffset now)
    {
        if (change.Target != CrontabTarget)
        {
            return AtomicFile.Backup(change.Target, _home.BackupsPath, now)!;
        }

        Directory.CreateDirectory(_home.BackupsPath);
        var path = Path.Combine(_home.BackupsPath, $"crontab.{now.UtcDateTime:yyyyMMdd'T'HHmmssfff'Z'}.bak");
        File.WriteAllText(path, change.Before);
        return path;
    }

    private void RunAll(IEnumerable<ExternalCommand> commands, List<string> notes)
    {
        foreach (var command in commands)
        {
            var (exit, _, stderr) = command.Run(_context, null, CommandTimeout);
            if (exit == 0)
            {
                continue;
            }

            if (command.IgnoreFailure)
            {
                notes.Add($"`{command}` exited {exit} (harmless): {stderr.Trim()}");
                continue;
            }

            throw new SelftuneException(
                ErrorCodes.UnsafeEdit,
                $"`{command}` failed (exit {exit}): {stderr.Trim()}. The schedule was not installed; everything written was put back.",
                "selftune schedule install --cron");
        }
    }
}
