using System.CommandLine;
using Selftune.Abstractions;
using Selftune.Core;
using Selftune.Core.Configuration;
using Selftune.Core.Ingest;
using Selftune.Core.Install;
using Selftune.Core.Scheduling;
using Selftune.Host.Cli;
using Spectre.Console;

namespace Selftune.Host.Commands;

/// <summary>What happened to one agent's configuration.</summary>
/// <param name="Platform">The agent platform.</param>
/// <param name="Scope">User or project settings.</param>
/// <param name="Changes">Files changed (or, in a dry run, that would change); empty when already as wanted.</param>
internal sealed record AgentInstall(string Platform, InstallScope Scope, IReadOnlyList<AppliedChange> Changes);

/// <summary>One agent as <c>selftune init</c> found it.</summary>
/// <param name="Platform">The agent platform.</param>
/// <param name="Detected">True when the agent is installed on this machine.</param>
/// <param name="Evidence">What was found.</param>
/// <param name="SettingsPath">Its settings file, when it has one.</param>
/// <param name="HooksInstalled">True when selftune's hooks are now installed for it.</param>
/// <param name="Changes">What the install changed.</param>
internal sealed record InitAgent(string Platform, bool Detected, string Evidence, string? SettingsPath, bool HooksInstalled, IReadOnlyList<AppliedChange> Changes);

/// <summary>selftune's own skill (<c>skill/</c>) in one agent skills folder.</summary>
/// <param name="Platforms">The agents that read that folder.</param>
/// <param name="Target">The skill's folder.</param>
/// <param name="Action"><c>created</c>, <c>updated</c> (the previous one was backed up), <c>unchanged</c>, <c>removed</c> or <c>absent</c>.</param>
/// <param name="BackupPath">The copy of the folder it replaced or removed, if any.</param>
internal sealed record AgentSkill(IReadOnlyList<string> Platforms, string Target, string Action, string? BackupPath);

/// <summary><c>selftune install</c>, <c>selftune uninstall</c> and <c>selftune init</c>: selftune's hooks in the agents' settings.</summary>
internal static class InstallCommands
{
    /// <summary>The name of selftune's own skill, installed for the agents by <c>init</c>.</summary>
    public const string SelftuneSkill = "selftune";

    /// <summary>The command prefix installed into agents (<see cref="Installation.HookCommand"/>): the native hook beside
    /// this executable, else this executable followed by <c>hook</c>; quoted for a POSIX shell where needed.</summary>
    public static string HookCommand => Installation.HookCommand;

    /// <summary>Creates <c>install</c>.</summary>
    public static Command Install(Func<App> app)
    {
        var agent = AgentOption();
        var scope = ScopeOption();
        var dryRun = new Option<bool>("--dry-run") { Description = "Print the change as a diff; write nothing." };
        var force = ForceOption();
        return new Command("install", "Install selftune's hooks into agents' settings (merged: every other setting and hook is kept; backed up first).") { agent, scope, dryRun, force }
            .Runs(app, (a, p) =>
            {
                var installers = Select(a, p.GetValue(agent));
                var results = installers.Select(i => InstallOne(a, i, p.GetValue(scope), p.GetValue(dryRun), p.GetValue(force))).ToList();
                a.Output.Result(new { dry_run = p.GetValue(dryRun), hook_command = HookCommand, agents = results }, console => Render(console, results, p.GetValue(dryRun)));
                return 0;
            });
    }

    /// <summary>Creates <c>uninstall</c>.</summary>
    public static Command Uninstall(Func<App> app)
    {
        var keepData = new Option<bool>("--keep-data") { Description = "Keep the selftune home (store, config, backups)." };
        var dryRun = new Option<bool>("--dry-run") { Description = "Print what would change; change nothing." };
        var force = ForceOption();
        return new Command("uninstall", "Remove selftune's hooks from every agent's user and project settings, then the selftune home (unless --keep-data).") { keepData, dryRun, force }
            .Runs(app, (a, p) =>
            {
                var dry = p.GetValue(dryRun);
                var results = new List<AgentInstall>();
                // The installs recorded say which files selftune created (or found blank): those end as they began.
                using var history = File.Exists(a.Home.DatabasePath) ? a.OpenStore() : null;
                var skipped = new List<string>();
                foreach (var installer in a.All<IInstaller>())
                {
                    foreach (var scope in new[] { InstallScope.User, InstallScope.Project })
                    {
                        InstallPlan plan;
                        try
                        {
                            plan = installer.PlanUninstall(a.Context, scope, HookCommand);
                        }
                        catch (InstallerException ex) when (scope == InstallScope.Project)
                        {
                            // A project without (readable) settings of that agent, or an agent without project hooks.
                            skipped.Add($"{installer.Platform} (project): {ex.Message}");
                            continue;
                        }
                        catch (InstallerException ex)
                        {
                            throw new SelftuneException(ErrorCodes.UnsafeEdit, ex.Message + " The selftune home was kept.", "selftune uninstall --dry-run", inner: ex);
                        }

                        results.Add(new AgentInstall(installer.Platform, scope, a.Get<InstallService>().Apply(plan, a.Home, dry, p.GetValue(force), history)));
                    }
                }

                var skills = Skills(a, a.All<IInstaller>().Select(i => (i.Platform, i.Detect(a.Context))), remove: true, dry).Where(x => x.Action != "absent").ToList();
                var removeHome = !dry && !p.GetValue(keepData);
                if (!dry && p.GetValue(keepData) && results.Any(r => r.Changes.Count > 0))
                {
                    var store = history ?? a.OpenStore();
                    foreach (var r in results)
                    {
                        a.Get<InstallService>().Record(store, r.Platform, "uninstall", r.Scope, HookCommand, r.Changes);
                    }

                    if (history is null)
                    {
                        store.Dispose();
                    }
                }

                history?.Dispose();

                var homeRemoved = removeHome && RemoveHome(a);
                var backupsKept = homeRemoved && Directory.Exists(a.Home.BackupsPath) ? a.Home.BackupsPath : null;
                var changed = results.Where(r => r.Changes.Count > 0).ToList();
                a.Output.Result(new { dry_run = dry, home = a.Home.Root, home_removed = homeRemoved, backups_kept = backupsKept, agents = changed, skills, skipped }, console =>
                {
                    Render(console, changed, dry);
                    Render(console, skills);
                    foreach (var s in skipped)
                    {
                        console.MarkupLine($"[grey]skipped[/] {Markup.Escape(s)}");
                    }

                    console.MarkupLine(homeRemoved ? $"Removed {Markup.Escape(a.Home.Root)}." : $"Kept {Markup.Escape(a.Home.Root)}.");
                    if (backupsKept is not null)
                    {
                        console.MarkupLine($"Kept the backups of your files in {Markup.Escape(backupsKept)}; delete them when you no longer need them.");
                    }
                });
                return 0;
            });
    }

    /// <summary>Creates <c>init</c>.</summary>
    public static Command Init(Func<App> app)
    {
        var agent = AgentOption();
        var scope = ScopeOption();
        var noSync = new Option<bool>("--no-sync") { Description = "Do not run the first sync." };
        return new Command("init", "Set selftune up: detect agents, write the config, install hooks for the detected agents, run a first sync. Asks nothing when not on a terminal.") { agent, scope, noSync }
            .Runs(app, (a, p, ct) =>
            {
                a.Home.EnsureExists();
                var interactive = !a.Output.Json && !Console.IsInputRedirected && !Console.IsOutputRedirected;
                var wanted = p.GetValue(agent);
                if (wanted is { Length: > 0 })
                {
                    _ = Select(a, wanted); // names an unknown platform: refuse before changing anything
                }

                var agents = new List<InitAgent>();
                foreach (var installer in a.All<IInstaller>())
                {
                    var detection = installer.Detect(a.Context);
                    var chosen = wanted is { Length: > 0 }
                        ? wanted.Contains(installer.Platform)
                        : detection.Installed && (!interactive || a.Output.Console.Confirm($"Install selftune's hooks for [bold]{Markup.Escape(installer.Platform)}[/] ({Markup.Escape(detection.Evidence)})?"));
                    var changes = chosen ? InstallOne(a, installer, p.GetValue(scope), dryRun: false).Changes : [];
                    agents.Add(new InitAgent(installer.Platform, detection.Installed, detection.Evidence, detection.SettingsPath, chosen, changes));
                }

                var installed = agents.Where(x => x.HooksInstalled).Select(x => x.Platform).ToList();
                SelftuneConfig.Set(a.Home.ConfigPath, ConfigKeys.Agents.Key, string.Join(',', installed));
                var skills = Skills(a, a.All<IInstaller>().Where(i => installed.Contains(i.Platform)).Select(i => (i.Platform, i.Detect(a.Context))), remove: false, dryRun: false);
                SyncReport? sync = p.GetValue(noSync) ? null : SyncCommands.Run(a, new SyncOptions(), ct);
                a.Output.Result(new { home = a.Home.Root, config_path = a.Home.ConfigPath, hook_command = HookCommand, agents, skills, sync }, console =>
                {
                    foreach (var x in agents)
                    {
                        console.MarkupLine($"{(x.HooksInstalled ? "[green]hooks installed[/]" : x.Detected ? "[yellow]skipped[/]" : "[grey]not found[/]")} {Markup.Escape(x.Platform)}: {Markup.Escape(x.Evidence)}");
                    }

                    Render(console, skills);

                    if (sync is not null)
                    {
                        console.MarkupLine($"First sync: {sync.Platforms.Sum(c => c.Sessions)} sessions, {sync.Platforms.Sum(c => c.ActionablePrompts)} actionable prompts in {sync.ElapsedMs} ms.");
                    }

                    if (installed.Count == 0)
                    {
                        console.MarkupLine("No hooks installed: run [bold]selftune install --agent <platform>[/] to capture sessions live.");
                    }
                });
                return Task.FromResult(0);
            });
    }

    /// <summary>Installs (or removes) selftune's skill in each agent's <see cref="AgentDetection.UserSkillFolder"/> (where it
    /// reads the user's skills, whatever the working directory). Agents sharing a folder get one copy.</summary>
    private static IReadOnlyList<AgentSkill> Skills(App a, IEnumerable<(string Platform, AgentDetection Detection)> agents, bool remove, bool dryRun)
    {
        var installer = a.Get<SkillFolderInstaller>();
        var source = Path.Combine(AppContext.BaseDirectory, "skill");
        return agents
            .Select(x => (x.Platform, Root: x.Detection.UserSkillFolder))
            .Where(x => x.Root is not null)
            .GroupBy(x => x.Root!, StringComparer.Ordinal)
            .Select(g =>
            {
                var change = remove ? installer.Remove(g.Key, SelftuneSkill, a.Home, dryRun) : installer.Install(source, g.Key, SelftuneSkill, a.Home, dryRun);
                return new AgentSkill(g.Select(x => x.Platform).ToList(), change.Target, change.Action, change.BackupPath);
            })
            .ToList();
    }

    private static void Render(IAnsiConsole console, IReadOnlyList<AgentSkill> skills)
    {
        foreach (var x in skills)
        {
            console.MarkupLine($"skill {Markup.Escape(x.Action)} {Markup.Escape(x.Target)} ({Markup.Escape(string.Join(", ", x.Platforms))})" + (x.BackupPath is { } b ? $" [grey](backup {Markup.Escape(b)})[/]" : string.Empty));
        }
    }

    private static Option<bool> ForceOption() => new("--force") { Description = "Write settings files even when they are read-only (their mode is kept)." };

    private static AgentInstall InstallOne(App a, IInstaller installer, InstallScope scope, bool dryRun, bool force = false)
    {
        var plan = Plan(() => installer.PlanInstall(a.Context, scope, HookCommand), ShellCommand.Line($"selftune install --agent {installer.Platform} --dry-run"));
        var changes = a.Get<InstallService>().Apply(plan, a.Home, dryRun, force);
        if (!dryRun && changes.Count > 0)
        {
            using var store = a.OpenStore();
            a.Get<InstallService>().Record(store, installer.Platform, "install", scope, HookCommand, changes);
        }

        return new AgentInstall(installer.Platform, scope, changes);
    }

    private static InstallPlan Plan(Func<InstallPlan> plan, string? nextCommand)
    {
        try
        {
            return plan();
        }
        catch (InstallerException ex)
        {
            throw new SelftuneException(ErrorCodes.UnsafeEdit, ex.Message, nextCommand, inner: ex);
        }
    }

    private static IReadOnlyList<IInstaller> Select(App a, string[]? agents)
    {
        var all = a.All<IInstaller>();
        if (agents is { Length: > 0 })
        {
            OptionRules.RequirePlatforms("--agent", agents, all.Select(i => i.Platform));
            return all.Where(i => agents.Contains(i.Platform)).ToList();
        }

        var configured = a.Config.Get(ConfigKeys.Agents.Key)?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? [];
        var selected = configured.Length > 0
            ? all.Where(i => configured.Contains(i.Platform)).ToList()
            : all.Where(i => i.Detect(a.Context).Installed).ToList();
        return selected.Count > 0
            ? selected
            : throw new SelftuneException(ErrorCodes.NotFound, $"No agent was detected on this machine; name one with --agent ({string.Join(", ", all.Select(i => i.Platform))}).", all.Count > 0 ? ShellCommand.Line($"selftune install --agent {all[0].Platform}") : "selftune plugins");
    }

    /// <summary>Deletes the selftune home, if it is one (it holds selftune's store or config, and is not the user's home),
    /// except <c>backups/</c> when it holds anything: those are the only copies of the user's files as they were before
    /// selftune changed them.</summary>
    private static bool RemoveHome(App a)
    {
        var root = a.Home.Root;
        if (!Directory.Exists(root))
        {
            return false;
        }

        var isHome = File.Exists(a.Home.DatabasePath) || File.Exists(a.Home.ConfigPath) || Directory.Exists(a.Home.SpoolPath);
        if (!isHome || Path.GetFullPath(a.Context.UserHome).TrimEnd(Path.DirectorySeparatorChar) == root.TrimEnd(Path.DirectorySeparatorChar) || Path.GetPathRoot(root) == root)
        {
            throw new SelftuneException(ErrorCodes.UnsafeEdit, $"'{root}' does not look like a selftune home (no selftune.db, config.json or spool/); it was left as it is. The hooks were removed.", "selftune uninstall --keep-data");
        }

        try
        {
            var keepBackups = Directory.Exists(a.Home.BackupsPath) && Directory.EnumerateFileSystemEntries(a.Home.BackupsPath).Any();
            if (!keepBackups)
            {
                Directory.Delete(root, recursive: true);
                return true;
            }

            foreach (var entry in Directory.EnumerateFileSystemEntries(root).Where(e => Path.GetFullPath(e) != Path.GetFullPath(a.Home.BackupsPath)).ToList())
            {
                if (Directory.Exists(entry))
                {
                    Directory.Delete(entry, recursive: true);
                }
                else
                {
                    File.Delete(entry);
                }
            }

            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new SelftuneException(ErrorCodes.HomeUnwritable, $"The hooks were removed, but '{root}' could not be deleted: {ex.Message.TrimEnd('.')}.", ShellCommand.Line($"rm -r {root}"), inner: ex);
        }
    }

    private static Option<string[]> AgentOption() => new("--agent")
    {
        Description = "Only these agent platforms (platform ids from `selftune plugins`); repeatable. Default: the agents in config key 'agents', else those detected.",
        AllowMultipleArgumentsPerToken = true,
    };

    private static Option<InstallScope> ScopeOption() => new("--scope")
    {
        Description = "user: the agent's user settings (default); project: the settings of the project in the working directory.",
        DefaultValueFactory = _ => InstallScope.User,
    };

    private static void Render(IAnsiConsole console, IReadOnlyList<AgentInstall> results, bool dryRun)
    {
        foreach (var r in results)
        {
            if (r.Changes.Count == 0)
            {
                console.MarkupLine($"[green]up to date[/] {Markup.Escape(r.Platform)} ({r.Scope.ToString().ToLowerInvariant()})");
            }

            foreach (var c in r.Changes)
            {
                console.MarkupLine($"{(dryRun ? "[yellow]would change[/]" : "[green]changed[/]")} {Markup.Escape(c.Path)}: {Markup.Escape(c.Summary)}" +
                    (c.BackupPath is { } b ? $" [grey](backup {Markup.Escape(b)})[/]" : string.Empty));
                if (dryRun)
                {
                    console.WriteLine(c.Diff);
                }
            }
        }
    }
}
