using System.CommandLine;
using System.Text;
using Selftune.Abstractions;
using Selftune.Host.Cli;

using Selftune.Host.Tests.Support;

namespace Selftune.Host.Tests;

/// <summary>
/// <c>skill/references/cli.md</c> is generated from the real command tree, so the agent's reference cannot drift from the
/// CLI: <see cref="TheCommittedReferenceIsCurrent"/> fails when the file is stale (regenerate it with the command in its
/// message), and <see cref="TheReferenceMatchesHelp"/> checks the generated rows against each command's real
/// <c>--help</c> output.
/// </summary>
public sealed class CliReferenceTests
{
    /// <summary>Set to 1 to rewrite the committed file instead of failing.</summary>
    public const string UpdateVariable = "SELFTUNE_UPDATE_CLI_REFERENCE";

    private const string Regenerate = $"{UpdateVariable}=1 dotnet test tests/Selftune.Host.Tests --filter FullyQualifiedName~CliReferenceTests";

    private static string ReferencePath => Path.Combine(Repository.Root, "skill", "references", "cli.md");

    [Fact]
    public void TheCommittedReferenceIsCurrent()
    {
        var generated = Render(CommandTree.Build(() => null!));
        if (Environment.GetEnvironmentVariable(UpdateVariable) == "1")
        {
            File.WriteAllText(ReferencePath, generated);
        }

        var committed = File.Exists(ReferencePath) ? File.ReadAllText(ReferencePath) : string.Empty;
        Assert.True(committed == generated, $"skill/references/cli.md is stale: the command tree changed. Regenerate it with:\n  {Regenerate}\nand commit it.");
    }

    [Fact]
    public async Task TheReferenceMatchesHelp()
    {
        var root = CommandTree.Build(() => null!);
        foreach (var (path, command) in Walk(root, []))
        {
            var help = await HelpOf(path);
            Assert.Contains(command.Description!, help, StringComparison.Ordinal);
            Assert.Equal(Section(help, "Options:"), Options(command).Select(o => o.Required ? o.Syntax + " (REQUIRED)" : o.Syntax).Order(StringComparer.Ordinal));
            Assert.Equal(Section(help, "Commands:"), command.Subcommands.Where(c => !c.Hidden).Select(c => string.Join(' ', c.Arguments.Where(a => !a.Hidden).Select(a => $"<{a.Name}>").Prepend(string.Join(", ", c.Aliases.Order(StringComparer.Ordinal).Append(c.Name))))).Order(StringComparer.Ordinal));
            Assert.Equal(Section(help, "Arguments:"), command.Arguments.Where(a => !a.Hidden).Select(a => $"<{a.Name}>").Order(StringComparer.Ordinal));
        }
    }

    /// <summary>Renders the reference for <paramref name="root"/>.</summary>
    internal static string Render(RootCommand root)
    {
        var text = new StringBuilder()
            .Append("# selftune command reference\n\n")
            .Append("Generated from the command tree by `tests/Selftune.Host.Tests/CliReferenceTests.cs`; do not edit by hand. Regenerate with\n")
            .Append("`").Append(Regenerate).Append("`.\n\n")
            .Append(root.Description).Append("\n\n")
            .Append("Every command accepts `--help`, and `--json`: ").Append(CommandTree.JsonOption.Description).Append(' ')
            .Append("Errors print `{\"error\":{\"code\",\"message\",\"next_command\"}}` on stderr in JSON mode and exit non-zero; ")
            .Append("run the `next_command` to fix or work around the problem.\n\n")
            .Append("## Commands\n\n");
        var commands = Walk(root, []).Skip(1).ToList();
        foreach (var (path, command) in commands)
        {
            text.Append("- [`selftune ").Append(string.Join(' ', path)).Append("`](#").Append(Anchor(path)).Append("): ").Append(FirstSentence(command.Description)).Append('\n');
        }

        foreach (var (path, command) in commands)
        {
            text.Append("\n## selftune ").Append(string.Join(' ', path)).Append("\n\n").Append(command.Description).Append("\n\n");
            if (command.Aliases.Count > 0)
            {
                text.Append("Also: ").Append(string.Join(", ", command.Aliases.Order(StringComparer.Ordinal).Select(x => $"`selftune {string.Join(' ', path[..^1].Append(x))}`"))).Append("\n\n");
            }

            var usage = new StringBuilder("selftune ").Append(string.Join(' ', path));
            foreach (var argument in command.Arguments.Where(a => !a.Hidden))
            {
                usage.Append(" <").Append(argument.Name).Append('>');
            }

            if (command.Subcommands.Any(c => !c.Hidden))
            {
                usage.Append(" [command]");
            }

            text.Append("Usage: `").Append(usage).Append(Options(command).Count > 0 ? " [options]" : string.Empty).Append("`\n");
            var rows = command.Arguments.Where(a => !a.Hidden).Select(a => ($"<{a.Name}>", a.Description ?? string.Empty))
                .Concat(Options(command).Select(o => (o.Syntax, (o.Required ? "Required. " : string.Empty) + o.Description)))
                .ToList();
            if (rows.Count > 0)
            {
                text.Append("\n| argument or option | meaning |\n|---|---|\n");
                foreach (var (syntax, description) in rows)
                {
                    text.Append("| `").Append(syntax.Replace("|", "\\|", StringComparison.Ordinal)).Append("` | ").Append(description.Replace("|", "\\|", StringComparison.Ordinal)).Append(" |\n");
                }
            }

            if (command.Subcommands.Any(c => !c.Hidden))
            {
                text.Append("\nSubcommands: ").Append(string.Join(", ", command.Subcommands.Where(c => !c.Hidden).Select(c => $"[`{c.Name}`](#{Anchor([.. path, c.Name])})"))).Append('\n');
            }
        }

        return text.ToString();
    }

    private static IEnumerable<(string[] Path, Command Command)> Walk(Command command, string[] path)
    {
        yield return (path, command);
        foreach (var child in command.Subcommands.Where(c => !c.Hidden))
        {
            foreach (var item in Walk(child, [.. path, child.Name]))
            {
                yield return item;
            }
        }
    }

    /// <summary>A command's own visible options (not <c>--help</c>, not the recursive <c>--json</c>), as help shows them.</summary>
    private static List<(string Syntax, string Description, bool Required)> Options(Command command) => command.Options
        .Where(o => !o.Hidden && !o.Recursive && o is not System.CommandLine.Help.HelpOption && o is not VersionOption)
        .Select(o =>
        {
            var names = string.Join(", ", o.Aliases.Order(StringComparer.Ordinal).Append(o.Name));
            var takesValue = o.ValueType != typeof(bool) && o.Arity.MaximumNumberOfValues > 0;
            var completions = o.GetCompletions(System.CommandLine.Completions.CompletionContext.Empty).Select(c => c.Label).ToList();
            var label = o.HelpName ?? (completions.Count > 0 ? string.Join('|', completions) : o.Name.TrimStart('-'));
            var syntax = takesValue ? $"{names} <{label}>" : names;
            var description = o.Description ?? string.Empty;
            if (takesValue && o.HasDefaultValue && o.GetDefaultValue() is { } value && !(value is Array { Length: 0 }))
            {
                description += $" Default: `{value}`.";
            }

            return (syntax, description, o.Required);
        })
        .ToList();

    /// <summary>The first column of each row of a <c>--help</c> section ("Options:", "Commands:", "Arguments:"), without help and
    /// <c>--json</c>.</summary>
    private static IEnumerable<string> Section(string help, string header)
    {
        var lines = help.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        var start = Array.IndexOf(lines, header);
        if (start < 0)
        {
            return [];
        }

        return lines.Skip(start + 1)
            .TakeWhile(l => l.StartsWith("  ", StringComparison.Ordinal))
            .Where(l => !l.StartsWith("   ", StringComparison.Ordinal))
            .Select(l => l.Trim().Split("  ", 2)[0].Trim())
            .Where(s => s is not "-?, -h, --help" and not "--json" && !s.StartsWith("--version", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .ToList();
    }

    private static async Task<string> HelpOf(string[] path)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var context = new PlatformContext(Path.GetTempPath(), Path.GetTempPath(), _ => null);
        var exit = await Program.RunAsync([.. path, "--help"], stdout, stderr, context, stdoutRedirected: true);
        Assert.True(exit == 0, $"selftune {string.Join(' ', path)} --help exited {exit}: {stderr}");
        return stdout.ToString();
    }

    private static string FirstSentence(string? description)
    {
        var text = description ?? string.Empty;
        var end = text.IndexOf(". ", StringComparison.Ordinal);
        return end < 0 ? text : text[..(end + 1)];
    }

    private static string Anchor(IEnumerable<string> path) => "selftune-" + string.Join('-', path).ToLowerInvariant();
}
