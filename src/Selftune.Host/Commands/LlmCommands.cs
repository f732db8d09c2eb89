using System.CommandLine;
using System.Globalization;
using Selftune.Core.Configuration;
using Selftune.Core.Llm;
using Selftune.Host.Cli;
using Spectre.Console;

namespace Selftune.Host.Commands;

/// <summary><c>selftune llm test</c>, and the <c>--llm</c>/<c>--model</c> flags every LLM-using command takes.</summary>
internal static class LlmCommands
{
    /// <summary>Creates the command group.</summary>
    public static Command Create(Func<App> app)
    {
        var llm = new Command("llm", "The LLM selftune asks (your agent CLI by default, or an API): check it.");
        var test = new Command("test", "Send one tiny request to the configured LLM backend end to end and report backend, model, latency, tokens and cost.");
        var flags = AddFlags(test);
        test.Runs(app, async (a, p, ct) =>
        {
            flags.Apply(a, p);
            var factory = a.Get<ILlmClientFactory>();
            var available = factory.IsAvailable(out var reason);
            var client = factory.Create(RunId(a, "llm-test"));
            var answer = await client.CompleteJsonAsync<PingAnswer>(
                new LlmRequest("llm-test", "You are a connectivity check. Answer with JSON only.", """Reply with exactly {"ok": true, "echo": "selftune"}.""", 50),
                ct).ConfigureAwait(false);
            var usage = client.Usage;
            var result = new { backend = client.Backend, model = client.Model, available, detail = reason, ok = answer.Ok, echo = answer.Echo, usage };
            a.Output.Result(result, console =>
            {
                console.MarkupLine($"[green]ok[/] {Markup.Escape(client.Backend)}{(client.Model is { } m ? " / " + Markup.Escape(m) : string.Empty)}: answered in {usage.ElapsedMs} ms, {usage.InputTokens} tokens in, {usage.OutputTokens} out, ${usage.CostUsd.ToString("0.####", CultureInfo.InvariantCulture)}.");
                console.MarkupLine(Markup.Escape(reason));
            });
            return answer.Ok ? 0 : 1;
        });
        llm.Subcommands.Add(test);
        return llm;
    }

    /// <summary>Adds <c>--llm</c> and <c>--model</c> to <paramref name="command"/>.</summary>
    public static LlmFlags AddFlags(Command command)
    {
        var backend = new Option<string?>("--llm") { Description = "LLM backend for this run: agent, anthropic, openai-compatible or offline (overrides llm.backend)." }.Like(ConfigKeys.LlmBackend);
        var model = new Option<string?>("--model") { Description = "Model for this run (overrides llm.model)." };
        command.Options.Add(backend);
        command.Options.Add(model);
        return new LlmFlags(backend, model);
    }

    /// <summary>A run id: the command, the UTC time and a random suffix (e.g. <c>grade-20260501T101500Z-3f9a1c</c>).</summary>
    public static string RunId(App a, string command) =>
        $"{command}-{a.Get<TimeProvider>().GetUtcNow().UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture)}-{Guid.NewGuid().ToString("N")[..6]}";

    /// <summary>The <c>--llm</c> and <c>--model</c> options of one command.</summary>
    /// <param name="Backend">The <c>--llm</c> option.</param>
    /// <param name="Model">The <c>--model</c> option.</param>
    public sealed record LlmFlags(Option<string?> Backend, Option<string?> Model)
    {
        /// <summary>Applies the flags given to the configuration; call before any service is resolved.</summary>
        public void Apply(App a, ParseResult p)
        {
            a.Flag(ConfigKeys.LlmBackend.Key, p.GetValue(Backend));
            a.Flag(ConfigKeys.LlmModel.Key, p.GetValue(Model));
        }
    }

    private sealed record PingAnswer(bool Ok, string? Echo = null);
}
