using System.CommandLine;
using Selftune.Core;
using Selftune.Host.Commands;

namespace Selftune.Host.Cli;

/// <summary>The <c>selftune</c> command tree. Each feature's commands live in <c>Commands/</c> and are added here.</summary>
internal static class CommandTree
{
    /// <summary><c>--json</c>: machine-readable output (the default when stdout is not a terminal).</summary>
    public static readonly Option<bool> JsonOption = new("--json")
    {
        Description = "Print machine-readable JSON (the default when stdout is not a terminal).",
        Recursive = true,
    };

    /// <summary>Builds the tree.</summary>
    /// <param name="app">The application the actions run against (created once per process, after parsing).</param>
    public static RootCommand Build(Func<App> app)
    {
        var root = new RootCommand("selftune: finds the prompts your agent's skills miss, proposes better skill descriptions, proves them on your real prompts, deploys, watches and rolls back.");
        root.Options.Add(JsonOption);
        root.Subcommands.Add(SyncCommands.Create(app));
        root.Subcommands.Add(PluginsCommand.Create(app));
        root.Subcommands.Add(DoctorCommand.Create(app));
        root.Subcommands.Add(ConfigCommands.Create(app));
        root.Subcommands.Add(HookCommands.Hook());
        root.Subcommands.Add(HookCommands.Drain(app));
        root.Subcommands.Add(InstallCommands.Install(app));
        root.Subcommands.Add(InstallCommands.Uninstall(app));
        root.Subcommands.Add(InstallCommands.Init(app));
        root.Subcommands.Add(StatusCommands.Status(app));
        root.Subcommands.Add(StatusCommands.Last(app));
        root.Subcommands.Add(StatusCommands.Sessions(app));
        root.Subcommands.Add(EvalCommands.Create(app));
        root.Subcommands.Add(MissesCommands.Create(app));
        root.Subcommands.Add(GradeCommands.Create(app));
        root.Subcommands.Add(LlmCommands.Create(app));
        EvolutionCommands.Create(app).ToList().ForEach(root.Subcommands.Add);
        root.Subcommands.Add(RunCommand.Create(app));
        root.Subcommands.Add(RunsCommand.Create(app));
        root.Subcommands.Add(ProposalsCommands.Create(app));
        root.Subcommands.Add(ScheduleCommands.Create(app));
        AuthoringCommands.Create(app).ToList().ForEach(root.Subcommands.Add);
        root.Subcommands.Add(CanaryCommands.Create(app));
        root.Subcommands.Add(ArchiveCommands.Export(app));
        root.Subcommands.Add(ArchiveCommands.Recover(app));
        root.Subcommands.Add(SkillsCommands.Create(app));
        root.Subcommands.Add(ContributeCommand.Create(app));
        root.Subcommands.Add(TeamCommands.Create(app));
        root.Subcommands.Add(CostCommand.Create(app));
        root.Subcommands.Add(ErrorsCommand.Create(app));
        root.Subcommands.Add(NotifyCommand.Create(app));
        root.Subcommands.Add(ReportCommand.Create(app));
        root.Subcommands.Add(Dashboard.DashboardCommand.Dashboard(app));
        root.Subcommands.Add(Dashboard.DashboardCommand.Badge(app));
        root.Runs(app, (a, _) => StatusCommands.RunStatus(a));
        Installation.UseVersionLine(root);
        return root;
    }

    /// <summary>Sets <paramref name="command"/>'s action, mapping errors to the output contract: a
    /// <see cref="SelftuneException"/> prints its code, message and next command and exits with its code; an unexpected
    /// exception prints <c>INTERNAL_ERROR</c> and exits 1.</summary>
    /// <param name="command">The command.</param>
    /// <param name="app">The application.</param>
    /// <param name="action">The work; returns the exit code.</param>
    public static Command Runs(this Command command, Func<App> app, Func<App, ParseResult, CancellationToken, Task<int>> action)
    {
        command.SetAction(async (parse, cancellationToken) =>
        {
            var a = app();
            try
            {
                return await action(a, parse, cancellationToken).ConfigureAwait(false);
            }
            catch (SelftuneException ex)
            {
                a.Output.Failure(ex);
                return ex.ExitCode;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                a.Output.Failure(new SelftuneException("CANCELLED", "Stopped before it finished; what was stored so far is kept.", exitCode: 130));
                return 130;
            }
        });
        return command;
    }

    /// <summary>Sets a synchronous action; see <see cref="Runs(Command, Func{App}, Func{App, ParseResult, CancellationToken, Task{int}})"/>.</summary>
    public static Command Runs(this Command command, Func<App> app, Func<App, ParseResult, int> action) =>
        command.Runs(app, (a, p, _) => Task.FromResult(action(a, p)));
}
