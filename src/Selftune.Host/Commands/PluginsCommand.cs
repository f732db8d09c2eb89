using System.CommandLine;
using Selftune.Host.Cli;
using Selftune.Host.Plugins;
using Spectre.Console;

namespace Selftune.Host.Commands;

/// <summary><c>selftune plugins</c>: what loaded, from where, with which capabilities, and why anything did not.</summary>
internal static class PluginsCommand
{
    /// <summary>Creates the command.</summary>
    public static Command Create(Func<App> app) => new Command("plugins", "List agent platform plugins: what loaded, from where, with which capabilities, and why any did not.")
        .Runs(app, (a, _) =>
        {
            var plugins = a.Plugins;
            a.Output.Result(new { plugins, search_path = a.PluginFolders.Select(f => new { origin = f.Origin, folder = f.Folder }) }, console =>
            {
                var table = new Table().AddColumns("plugin", "status", "capabilities", "from");
                foreach (var p in plugins)
                {
                    var status = p.Status == PluginStatus.Loaded ? "[green]loaded[/]" : $"[red]{p.Status.ToString().ToLowerInvariant()}[/]: {Markup.Escape(p.Reason ?? string.Empty)}";
                    table.AddRow(Markup.Escape(p.Name), status, Markup.Escape(string.Join(", ", p.Capabilities)), Markup.Escape($"{p.Origin}: {p.Path}"));
                }

                console.Write(table);
                if (plugins.Count == 0)
                {
                    console.MarkupLine($"No plugins found in {Markup.Escape(string.Join(" or ", a.PluginFolders.Select(f => f.Folder)))}.");
                }
            });
            return 0;
        });
}
