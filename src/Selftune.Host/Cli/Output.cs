using System.Text.Json;
using Selftune.Core;
using Spectre.Console;

namespace Selftune.Host.Cli;

/// <summary>
/// The output contract: JSON on stdout when <c>--json</c> is given or stdout is not a terminal, human text
/// otherwise; progress and reports for people on stderr, never mixed into JSON; errors as
/// <c>{"error":{"code","message","next_command"}}</c> on stderr in JSON mode.
/// </summary>
internal sealed class Output
{
    /// <summary>Creates the output for this process.</summary>
    /// <param name="json">True for JSON mode.</param>
    /// <param name="stdout">Where results go.</param>
    /// <param name="stderr">Where progress, reports and errors go.</param>
    public Output(bool json, TextWriter stdout, TextWriter stderr)
    {
        Json = json;
        Stdout = stdout;
        Stderr = stderr;
    }

    /// <summary>True in JSON mode.</summary>
    public bool Json { get; }

    /// <summary>Raw stdout.</summary>
    public TextWriter Stdout { get; }

    /// <summary>Raw stderr.</summary>
    public TextWriter Stderr { get; }

    /// <summary>Rich console on stdout (human mode only). Created on first use: JSON mode never pays for it.</summary>
    public IAnsiConsole Console => field ??= AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Stdout) });

    /// <summary>Rich console on stderr: progress bars and human reports. Created on first use.</summary>
    public IAnsiConsole Error => field ??= AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Stderr) });

    /// <summary>True when progress bars may be drawn (human mode, stderr is a terminal).</summary>
    public bool CanShowProgress => !Json && !System.Console.IsErrorRedirected;

    /// <summary>Prints a command's result: <paramref name="data"/> as JSON in JSON mode, else <paramref name="human"/>.</summary>
    /// <param name="data">The machine-readable result (serialized with <see cref="Core.Json.Options"/>).</param>
    /// <param name="human">Renders the result for a person; null prints the JSON indented.</param>
    public void Result<T>(T data, Action<IAnsiConsole>? human = null)
    {
        if (Json || human is null)
        {
            Stdout.WriteLine(JsonSerializer.Serialize(data, Json ? Core.Json.Options : Core.Json.Indented));
        }
        else
        {
            human(Console);
        }
    }

    /// <summary>Prints a command's result already serialized: <paramref name="json"/> in JSON mode, else <paramref name="human"/>.</summary>
    /// <param name="json">The machine-readable result, compact JSON in <see cref="Core.Json.Options"/>' conventions.</param>
    /// <param name="human">Renders the result for a person on <see cref="Console"/>. Its type names no Spectre.Console
    /// type, so the JSON path (what agents run) never loads that assembly (bench/RESULTS.md, issue 19).</param>
    public void ResultJson(string json, Action<Output> human)
    {
        if (Json)
        {
            Stdout.WriteLine(json);
        }
        else
        {
            human(this);
        }
    }

    /// <summary>Prints an error in the contract's form.</summary>
    public void Failure(SelftuneException error)
    {
        if (Json)
        {
            var payload = new { error = new { code = error.Code, message = error.Message, next_command = error.NextCommand } };
            Stderr.WriteLine(JsonSerializer.Serialize(payload, Core.Json.Options));
        }
        else
        {
            Error.MarkupLine($"[red]error[/] [grey]({Markup.Escape(error.Code)})[/]: {Markup.Escape(error.Message)}");
            if (error.NextCommand is { } next)
            {
                Error.MarkupLine($"  next: [bold]{Markup.Escape(next)}[/]");
            }
        }
    }
}
