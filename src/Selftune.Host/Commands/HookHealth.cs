using System.Globalization;
using Selftune.Abstractions;
using Selftune.Core;
using Selftune.Core.Hooks;
using Selftune.Core.Ingest;
using Selftune.Host.Cli;

namespace Selftune.Host.Commands;

/// <summary><c>selftune doctor</c>'s checks of live capture: agents detected, hooks installed and pointing at this
/// executable, selftune's skill where each agent reads user skills, last sync, hook spool backlog, hook error log.</summary>
internal static class HookHealth
{
    /// <summary>A spool older than this (hours) means drains are not running.</summary>
    public const int StaleSpoolHours = 24;

    /// <summary>Runs the checks. Never throws: a failing check is a row.</summary>
    public static IEnumerable<HealthCheck> Checks(App a)
    {
        var checks = new List<HealthCheck>();
        IReadOnlyList<IInstaller> installers;
        try
        {
            installers = a.All<IInstaller>();
        }
        catch (SelftuneException ex)
        {
            return [new HealthCheck("agents", "fail", ex.Message, ex.NextCommand)];
        }

        foreach (var installer in installers)
        {
            var p = installer.Platform;
            var detection = installer.Detect(a.Context);
            if (!detection.Installed)
            {
                checks.Add(new HealthCheck($"agent {p}", "ok", $"not on this machine ({detection.Evidence})"));
                continue;
            }

            checks.Add(new HealthCheck($"agent {p}", "ok", detection.Evidence));
            checks.Add(Hooks(a, installer, detection));
            checks.Add(Skill(p, detection));
        }

        checks.Add(NativeHook());
        checks.Add(LastSync(a));
        checks.Add(Spool(a));
        checks.Add(Errors(a));
        return checks;
    }

    private static HealthCheck Hooks(App a, IInstaller installer, AgentDetection detection)
    {
        var p = installer.Platform;
        var where = detection.SettingsPath ?? "its settings";
        try
        {
            if (installer.PlanInstall(a.Context, InstallScope.User, InstallCommands.HookCommand).Changes.Count == 0)
            {
                return new HealthCheck($"hooks {p}", "ok", $"installed in {where}, running {InstallCommands.HookCommand}");
            }

            return installer.PlanUninstall(a.Context, InstallScope.User, InstallCommands.HookCommand).Changes.Count > 0
                ? new HealthCheck($"hooks {p}", "warn", $"installed in {where}, but incomplete or running another hook than {InstallCommands.HookCommand}", ShellCommand.Line($"selftune install --agent {p}"))
                : new HealthCheck($"hooks {p}", "warn", $"not installed in {where}: sessions are captured only when you sync", ShellCommand.Line($"selftune install --agent {p}"));
        }
        catch (InstallerException ex)
        {
            return new HealthCheck($"hooks {p}", "fail", ex.Message, ShellCommand.Line($"selftune install --agent {p} --dry-run"));
        }
    }

    /// <summary>How this selftune was installed, and whether the native hook is beside it (agents run it on every event;
    /// without it they run <c>selftune hook</c>, which starts the .NET runtime each time).</summary>
    private static HealthCheck NativeHook() => Installation.NativeHookPath is { } native
        ? new HealthCheck("native hook", "ok", $"{native} ({Installation.Kind})")
        : new HealthCheck("native hook", "warn",
            $"no native hook (selftune-hook) beside {App.ExecutablePath} ({Installation.Kind}): hooks fall back to `selftune hook`, which works but starts .NET on every event; build with clang installed (apt-get install clang), then reinstall the hooks",
            "selftune install");

    /// <summary>Whether the agent can see selftune's own skill: it is in the folder the agent reads user skills from.</summary>
    private static HealthCheck Skill(string platform, AgentDetection detection) => detection.UserSkillFolder switch
    {
        null => new HealthCheck($"skill {platform}", "ok", "the agent reads no user skills"),
        var folder when File.Exists(Path.Combine(folder, InstallCommands.SelftuneSkill, "SKILL.md")) =>
            new HealthCheck($"skill {platform}", "ok", $"selftune's skill is in {folder}, where {platform} reads user skills"),
        var folder => new HealthCheck($"skill {platform}", "warn",
            $"selftune's skill is not in {folder}, where {platform} reads user skills, so the agent cannot drive selftune on its own",
            ShellCommand.Line($"selftune init --agent {platform} --no-sync")),
    };

    private static HealthCheck LastSync(App a)
    {
        try
        {
            if (!File.Exists(a.Home.DatabasePath))
            {
                return new HealthCheck("last sync", "warn", "never synced", "selftune sync");
            }

            using var store = a.OpenStore();
            return SyncJob.LastStartedAt(store) is { } at
                ? new HealthCheck("last sync", "ok", at.ToString("u", CultureInfo.InvariantCulture))
                : new HealthCheck("last sync", "warn", "never synced", "selftune sync");
        }
        catch (SelftuneException ex)
        {
            return new HealthCheck("last sync", "fail", ex.Message, ex.NextCommand);
        }
    }

    private static HealthCheck Spool(App a)
    {
        try
        {
            var (events, bytes, oldest) = HookSpool.Backlog(a.Home);
            if (events == 0)
            {
                return new HealthCheck("hook spool", "ok", "empty");
            }

            var message = $"{events} events ({bytes} bytes) waiting in {a.Home.SpoolPath}";
            return oldest < DateTime.UtcNow.AddHours(-StaleSpoolHours)
                ? new HealthCheck("hook spool", "warn", $"{message} since {oldest:u}: they are stored by sync and at the end of each turn", "selftune sync")
                : new HealthCheck("hook spool", "ok", $"{message}; stored at the end of each turn and by sync");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return new HealthCheck("hook spool", "fail", $"cannot read {a.Home.SpoolPath}: {ex.Message}", ShellCommand.Line($"ls -l {a.Home.SpoolPath}"));
        }
    }

    private static HealthCheck Errors(App a)
    {
        var log = HookSpool.ErrorLogPath(a.Home);
        try
        {
            if (!File.Exists(log) || new FileInfo(log).Length == 0)
            {
                return new HealthCheck("hook errors", "ok", "none logged");
            }

            var lines = File.ReadAllLines(log);
            var since = DateTime.UtcNow.AddHours(-24).ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture);
            var recent = lines.Count(l => string.CompareOrdinal(l, 0, since, 0, since.Length) >= 0);
            return recent == 0
                ? new HealthCheck("hook errors", "ok", $"none in the last 24 h ({lines.Length} older in {log})")
                : new HealthCheck("hook errors", "warn", $"{recent} in the last 24 h; latest: {lines[^1]}", $"tail -n 20 '{log}'");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return new HealthCheck("hook errors", "fail", $"cannot read {log}: {ex.Message}", ShellCommand.Line($"ls -l {log}"));
        }
    }
}
