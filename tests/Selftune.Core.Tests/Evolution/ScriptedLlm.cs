using System.Text.RegularExpressions;
using Microsoft.Extensions.AI;
using Selftune.Core.Evolution;

namespace Selftune.Core.Tests.Evolution;

/// <summary>An in-process chat backend for evolution: proposals come from a script, in order; the judge answers each
/// numbered request with the lexical rule (<see cref="LexicalValidator.Triggers"/>) applied to the description it was
/// shown. Every request is kept for assertions.</summary>
internal sealed partial class ScriptedLlm(params string[] proposals) : IChatClient
{
    private readonly Queue<string> _proposals = new(proposals);

    public List<(string System, string User)> Requests { get; } = [];

    public IEnumerable<string> ProposalPrompts => Requests.Where(r => r.System.Contains("description field", StringComparison.Ordinal)).Select(r => r.User);

    public IEnumerable<string> JudgePrompts => Requests.Where(r => r.System.Contains("routing decisions", StringComparison.Ordinal)).Select(r => r.User);

    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var list = messages.ToList();
        var system = list.First(m => m.Role == ChatRole.System).Text;
        var user = list.First(m => m.Role == ChatRole.User).Text;
        lock (Requests)
        {
            Requests.Add((system, user));
        }

        string answer;
        if (system.Contains("description field", StringComparison.Ordinal))
        {
            answer = "Here you go:\n```json\n" + System.Text.Json.JsonSerializer.Serialize(new { description = _proposals.Dequeue(), rationale = "covers the misses" }) + "\n```";
        }
        else
        {
            var name = NameLine().Match(user).Groups[1].Value.Trim();
            var description = Description().Match(user).Groups[1].Value.Trim();
            var lines = Request().Matches(user).Select(m => $"{m.Groups[1].Value}: {(LexicalValidator.Triggers(name, description, m.Groups[2].Value) ? "YES" : "NO")}");
            answer = string.Join('\n', lines);
        }

        return Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, answer)) { Usage = new UsageDetails { InputTokenCount = user.Length / 4, OutputTokenCount = answer.Length / 4 } });
    }

    public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException();

    public object? GetService(Type serviceType, object? serviceKey = null) => null;

    public void Dispose()
    {
    }

    [GeneratedRegex(@"^Skill name: (.*)$", RegexOptions.Multiline)]
    private static partial Regex NameLine();

    [GeneratedRegex(@"<<<\n([\s\S]*?)\n>>>")]
    private static partial Regex Description();

    [GeneratedRegex(@"^(\d+)\. (.*)$", RegexOptions.Multiline)]
    private static partial Regex Request();
}
