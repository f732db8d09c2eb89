using System.CommandLine;
using Selftune.Core;
using Selftune.Core.Configuration;
using Selftune.Core.Hooks;
using Selftune.Host.Cli;
using Spectre.Console;

namespace Selftune.Host.Commands;

/// <summary><c>selftune config list|get|set|unset</c>: read and change <c>config.json</c>.</summary>
internal static class ConfigCommands
{
    /// <summary>Creates the command group.</summary>
    public static Command Create(Func<App> app)
    {
        var config = new Command("config", "Show or change settings (config.json; precedence: flags > environment > file > defaults).");

        var list = new Command("list", "List every setting with its value, where the value came from, and its environment variable.").Runs(app, (a, _) =>
        {
            var entries = a.Config.Entries.Select(e => new { key = e.Key.Key, value = e.Value, source = e.Source, env = e.Key.EnvironmentVariable, accepts = e.Key.Accepts, description = e.Key.Description, problem = e.Key.Problem(e.Value) }).ToList();
            a.Output.Result(new { config_path = a.Home.ConfigPath, settings = entries }, console =>
            {
                var table = new Table().AddColumns("key", "value", "from", "env", "meaning");
                foreach (var e in entries)
                {
                    table.AddRow(Markup.Escape(e.key), (e.problem is null ? string.Empty : "[red]invalid[/] ") + Markup.Escape(e.value ?? "(unset)"), e.source.ToString().ToLowerInvariant(), Markup.Escape(e.env), Markup.Escape($"{e.description} Accepts {e.accepts}."));
                }

                console.Write(table);
            });
            return 0;
        });

        var keyArg = new Argument<string>("key") { Description = "The setting's dotted key, e.g. redaction.enabled." };
        var get = new Command("get", "Print one setting's effective value.") { keyArg }.Runs(app, (a, p) =>
        {
            var key = Known(p.GetValue(keyArg)!);
            var value = a.Config.Get(key);
            var problem = ConfigKeys.Find(key)!.Problem(value);
            a.Output.Result(new { key, value, source = a.Config.SourceOf(key), problem }, console => console.WriteLine((value ?? "(unset)") + (problem is null ? string.Empty : $"  ({problem})")));
            return 0;
        });

        var valueArg = new Argument<string>("value") { Description = "The new value." };
        var set = new Command("set", "Set a setting in config.json (other keys are kept); a value the setting does not accept is refused, naming what it accepts.") { keyArg, valueArg }.Runs(app, (a, p) =>
        {
            var key = Known(p.GetValue(keyArg)!);
            a.Home.EnsureExists();
            SelftuneConfig.Set(a.Home.ConfigPath, key, p.GetValue(valueArg));
            RefreshHookState(a, key);
            a.Output.Result(new { key, value = p.GetValue(valueArg), config_path = a.Home.ConfigPath }, console => console.MarkupLine($"Set [bold]{Markup.Escape(key)}[/] in {Markup.Escape(a.Home.ConfigPath)}."));
            return 0;
        });

        var unset = new Command("unset", "Remove a setting from config.json (its default applies again).") { keyArg }.Runs(app, (a, p) =>
        {
            var key = Known(p.GetValue(keyArg)!);
            SelftuneConfig.Set(a.Home.ConfigPath, key, null);
            RefreshHookState(a, key);
            a.Output.Result(new { key, config_path = a.Home.ConfigPath }, console => console.MarkupLine($"Removed [bold]{Markup.Escape(key)}[/] from {Markup.Escape(a.Home.ConfigPath)}."));
            return 0;
        });

        config.Subcommands.Add(list);
        config.Subcommands.Add(get);
        config.Subcommands.Add(set);
        config.Subcommands.Add(unset);
        return config;
    }

    private static string Known(string key) => ConfigKeys.Find(key) is not null
        ? key
        : throw new SelftuneException(ErrorCodes.InvalidArgument, $"Unknown setting {ShellCommand.Quoted(key)}.{Suggest.DidYouMean(key, ConfigKeys.All.Select(k => k.Key))}", "selftune config list", exitCode: 2);

    /// <summary>A switch of the in-turn hooks (or the watch window) changed: rewrite their state now, not at the next turn's end.</summary>
    private static void RefreshHookState(App a, string key)
    {
        if ((key.StartsWith("hooks.", StringComparison.Ordinal) || key == ConfigKeys.RunWatchDays.Key) && File.Exists(a.Home.DatabasePath))
        {
            using var store = a.OpenStore();
            HookState.Refresh(store, a.Home, DateTimeOffset.UtcNow);
        }
    }
}
