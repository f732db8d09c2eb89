using System.CommandLine;
using System.CommandLine.Parsing;
using Selftune.Core;

namespace Selftune.Host.Cli;

/// <summary>
/// What is wrong with a command line, as the error contract (<see cref="ErrorCodes.InvalidArgument"/>, exit code 2)
/// in JSON and text alike: an unknown command or option names the closest known one, even when <c>--help</c> was given
/// (<c>selftune baseline --help</c> is an error, not the root help with exit code 0: an agent would take that for success);
/// a refused value says what is accepted (<see cref="OptionRules"/>).
/// </summary>
internal static class CommandLineErrors
{
    /// <summary>The error of <paramref name="parse"/>, or null when the command line is valid.</summary>
    public static SelftuneException? Find(ParseResult parse)
    {
        ArgumentNullException.ThrowIfNull(parse);
        var command = parse.CommandResult.Command;
        var path = Path(parse.CommandResult);
        var messages = new List<string>();
        foreach (var token in parse.UnmatchedTokens)
        {
            messages.Add(token.StartsWith('-')
                ? $"Unknown option {ShellCommand.Quoted(token)} for '{path}'.{Suggest.DidYouMean(token, Options(parse.CommandResult))}"
                : command.Subcommands.Count > 0
                    ? $"Unknown command {ShellCommand.Quoted(token)}{(command is RootCommand ? string.Empty : $" for '{path}'")}.{Closest(token, command)}"
                    : $"Unexpected argument {ShellCommand.Quoted(token)} for '{path}'.");
        }

        messages.AddRange(parse.Errors.Where(e => !parse.UnmatchedTokens.Any(t => e.Message.Contains($"'{t}'", StringComparison.Ordinal))).Select(e => e.Message));
        if (messages.Count > 0 && parse.UnmatchedTokens.Count == 0 && command.Action is null && command.Subcommands.Count > 0)
        {
            messages.Add($"The commands of '{path}' are: {string.Join(", ", command.Subcommands.Where(c => !c.Hidden).Select(c => c.Name))}.");
        }
        return messages.Count == 0
            ? null
            : new SelftuneException(ErrorCodes.InvalidArgument, string.Join(" ", messages.Distinct(StringComparer.Ordinal)), $"{path} --help", exitCode: 2);
    }

    /// <summary>" Did you mean 'X'?" for the closest subcommand of <paramref name="command"/>, else the list of them.</summary>
    private static string Closest(string token, Command command)
    {
        var visible = command.Subcommands.Where(c => !c.Hidden).ToList();
        var suggestion = Suggest.DidYouMean(token, visible.SelectMany(c => c.Aliases.Prepend(c.Name)));
        return suggestion.Length > 0 ? suggestion : $" The commands are: {string.Join(", ", visible.Select(c => c.Name))}.";
    }

    /// <summary>The command's path as typed, from the root: <c>selftune eval generate</c>.</summary>
    private static string Path(CommandResult result)
    {
        var names = new List<string>();
        for (SymbolResult? at = result; at is not null; at = at.Parent)
        {
            if (at is CommandResult c)
            {
                names.Add(c.Command is RootCommand ? "selftune" : c.Command.Name);
            }
        }

        names.Reverse();
        return string.Join(' ', names);
    }

    /// <summary>The options a command accepts, its own and those inherited from its parents (<c>--json</c>).</summary>
    private static IEnumerable<string> Options(CommandResult result)
    {
        for (SymbolResult? at = result; at is not null; at = at.Parent)
        {
            if (at is CommandResult c)
            {
                foreach (var option in c.Command.Options.Where(o => !o.Hidden && (at == result || o.Recursive)))
                {
                    yield return option.Name;
                    foreach (var alias in option.Aliases)
                    {
                        yield return alias;
                    }
                }
            }
        }
    }
}
