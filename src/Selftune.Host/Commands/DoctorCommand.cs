using System.CommandLine;
using Selftune.Core;
using Selftune.Core.Configuration;
using Selftune.Core.Evolution;
using Selftune.Core.Llm;
using Selftune.Core.Store;
using Selftune.Host.Cli;
using Selftune.Host.Plugins;
using Spectre.Console;

namespace Selftune.Host.Commands;

/// <summary>One health check's verdict.</summary>
/// <param name="Name">What was checked.</param>
/// <param name="Status"><c>ok</c>, <c>warn</c> or <c>fail</c>.</param>
/// <param name="Message">What was found.</param>
/// <param name="NextCommand">The command that fixes it, for anything not ok.</param>
internal sealed record HealthCheck(string Name, string Status, string Message, string? NextCommand = null);

/// <summary><c>selftune doctor</c>: checks the home, config, store and plugins; exits 0 only when nothing failed.</summary>
internal static class DoctorCommand
{
    /// <summary>Creates the command.</summary>
    public static Command Create(Func<App> app)
    {
        var fix = new Option<bool>("--fix") { Description = "First make the home private again: take other users' permissions off it and everything in it." };
        return new Command("doctor", "Check selftune's health: home and its permissions, config, store, plugins, agents and their hooks, last sync, hook spool and errors. Each problem names the command that fixes it.") { fix }
        .Runs(app, (a, p) =>
        {
            var checks = Run(a, p.GetValue(fix));
            var healthy = checks.All(c => c.Status != "fail");
            a.Output.Result(new { healthy, checks }, console =>
            {
                foreach (var c in checks)
                {
                    var mark = c.Status switch { "ok" => "[green]ok[/]  ", "warn" => "[yellow]warn[/]", _ => "[red]fail[/]" };
                    console.MarkupLine($"{mark} {Markup.Escape(c.Name)}: {Markup.Escape(c.Message)}" + (c.NextCommand is { } n ? $"\n       next: [bold]{Markup.Escape(n)}[/]" : string.Empty));
                }
            });
            return healthy ? 0 : 1;
        });
    }

    /// <summary>Runs every check. Never throws: a failing check is a row.</summary>
    /// <param name="a">The application.</param>
    /// <param name="fix">Make the home private first (<c>--fix</c>).</param>
    public static List<HealthCheck> Run(App a, bool fix = false)
    {
        var checks = new List<HealthCheck>();
        try
        {
            a.Home.EnsureExists();
            checks.Add(new HealthCheck("home", "ok", a.Home.Root));
        }
        catch (SelftuneException ex)
        {
            checks.Add(new HealthCheck("home", "fail", ex.Message, ex.NextCommand));
        }

        if (checks[0].Status == "ok")
        {
            checks.Add(PermissionsCheck(a, fix));
        }

        try
        {
            foreach (var key in ConfigKeys.All)
            {
                a.Config.Checked(key.Key); // a value its setting does not accept fails the check, naming the fix
            }

            checks.Add(new HealthCheck("config", "ok", File.Exists(a.Home.ConfigPath) ? a.Home.ConfigPath : "no config.json; defaults apply"));
        }
        catch (SelftuneException ex)
        {
            checks.Add(new HealthCheck("config", "fail", ex.Message, ex.NextCommand));
        }

        if (checks[0].Status == "ok")
        {
            try
            {
                using var store = a.OpenStore();
                var integrity = store.IntegrityCheck();
                checks.Add(integrity == "ok"
                    ? new HealthCheck("store", "ok", $"{store.Path} (schema {store.SchemaVersion})")
                    : new HealthCheck("store", "fail", $"{store.Path} failed its integrity check: {integrity}", ShellCommand.Line($"mv {store.Path} {store.Path + ".damaged"} && selftune sync --force")));
            }
            catch (SelftuneException ex)
            {
                checks.Add(new HealthCheck("store", "fail", ex.Message, ex.NextCommand));
            }
        }

        var plugins = a.Plugins;
        var loaded = plugins.Count(p => p.Status == PluginStatus.Loaded);
        checks.Add(loaded > 0
            ? new HealthCheck("plugins", "ok", $"{loaded} loaded: {string.Join(", ", plugins.Where(p => p.Status == PluginStatus.Loaded).Select(p => p.Name))}")
            : new HealthCheck("plugins", "fail", "no plugin loaded, so no agent's sessions can be read", "selftune plugins"));
        foreach (var p in plugins.Where(p => p.Status != PluginStatus.Loaded))
        {
            checks.Add(new HealthCheck($"plugin {p.Name}", "warn", $"{p.Status.ToString().ToLowerInvariant()}: {p.Reason}", "selftune plugins"));
        }

        checks.AddRange(HookHealth.Checks(a));
        checks.Add(LlmCheck(a));
        if (checks[0].Status == "ok" && ReplayValidator.RecoverShadowed(ReplayValidator.JournalPath(a.Home)) is { Count: > 0 } restored)
        {
            checks.Add(new HealthCheck("replay", "warn", $"restored {restored.Count} skill(s) an interrupted evolve replay had left hidden: {string.Join(", ", restored)}"));
        }

        return checks;
    }

    /// <summary>Whether other users can read the home (stored prompts, backups, the spool); with <paramref name="fix"/>,
    /// takes their permissions off first.</summary>
    private static HealthCheck PermissionsCheck(App a, bool fix)
    {
        try
        {
            var fixedPaths = fix ? PrivateFiles.Fix(a.Home) : [];
            var loose = fix ? [] : PrivateFiles.Loose(a.Home); // a fix that returned has made every loose path private
            return loose.Count == 0
                ? new HealthCheck("permissions", "ok", fixedPaths.Count > 0 ? $"made {fixedPaths.Count} file(s) and folder(s) private to you" : "the home and its files are private to you (0700/0600)")
                : new HealthCheck("permissions", "warn", $"other users can read {loose.Count} file(s) or folder(s) of the home (stored prompts among them), e.g. {loose[0]}", "selftune doctor --fix");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return new HealthCheck("permissions", "warn", $"the home's permissions could not be changed: {ex.Message}. Files not owned by you need their owner (chmod go-rwx).", $"chmod -R go-rwx '{a.Home.Root}'");
        }
    }

    private static HealthCheck LlmCheck(App a)
    {
        try
        {
            return a.Get<ILlmClientFactory>().IsAvailable(out var reason)
                ? new HealthCheck("llm", "ok", reason)
                : new HealthCheck("llm", "warn", $"{reason} Commands that need an LLM (grade, eval generate --synthetic) fail until then; the rest work.", "selftune llm test");
        }
        catch (SelftuneException ex)
        {
            return new HealthCheck("llm", "fail", ex.Message, ex.NextCommand);
        }
    }
}
