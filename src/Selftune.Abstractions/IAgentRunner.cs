namespace Selftune.Abstractions;

/// <summary>A one-shot request to an agent used as a plain LLM (no tools wanted).</summary>
/// <param name="SystemPrompt">Instructions.</param>
/// <param name="UserPrompt">The request.</param>
/// <param name="Model">Model to ask for, or null for the agent's default.</param>
/// <param name="Timeout">Wall-clock limit for the process.</param>
public sealed record AgentCompletionRequest(string SystemPrompt, string UserPrompt, string? Model, TimeSpan Timeout);

/// <summary>An agent's answer.</summary>
/// <param name="Text">The final answer text.</param>
/// <param name="Model">Model that answered, when reported.</param>
/// <param name="InputTokens">Input tokens, when reported (cached tokens included).</param>
/// <param name="OutputTokens">Output tokens, when reported.</param>
/// <param name="CostUsd">Cost in USD, when the agent reports it.</param>
public sealed record AgentCompletion(string Text, string? Model, long? InputTokens, long? OutputTokens, decimal? CostUsd);

/// <summary>A query to replay through the real agent in a prepared workspace.</summary>
/// <param name="Query">The user prompt to send.</param>
/// <param name="WorkspaceDirectory">A temporary project folder, already holding the staged skills in the platform's
/// project skill folder (see <see cref="IAgentRunner.ProjectSkillFolder"/>).</param>
/// <param name="Timeout">Wall-clock limit for the process.</param>
/// <param name="Model">Model to ask for, or null for the agent's default.</param>
public sealed record ReplayRequest(string Query, string WorkspaceDirectory, TimeSpan Timeout, string? Model = null);

/// <summary>What the agent did with a replayed query.</summary>
/// <param name="SkillsInvoked">Names of skills the agent invoked anywhere in the turn (a skill tool call), in order.</param>
/// <param name="SkillsRead">Names of skills whose SKILL.md the agent read without invoking them.</param>
/// <param name="InputTokens">Input tokens, when reported.</param>
/// <param name="OutputTokens">Output tokens, when reported.</param>
/// <param name="CostUsd">Cost in USD, when reported.</param>
public sealed record ReplayResult(IReadOnlyList<string> SkillsInvoked, IReadOnlyList<string> SkillsRead, long? InputTokens, long? OutputTokens, decimal? CostUsd);

/// <summary>Raised when the agent process could not be started, timed out or answered with an error.</summary>
public sealed class AgentRunnerException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What happened, with the agent's stderr tail when there is one.</param>
    /// <param name="transient">True when a retry may succeed (timeout, rate limit, overload).</param>
    public AgentRunnerException(string message, bool transient) : base(message) => Transient = transient;

    /// <summary>True when a retry may succeed.</summary>
    public bool Transient { get; }
}

/// <summary>
/// Calls an agent CLI non-interactively: as an LLM (<see cref="CompleteAsync"/>) and, where the platform can,
/// to replay a query against staged skills and see which it invokes (<see cref="ReplayAsync"/>).
/// </summary>
public interface IAgentRunner
{
    /// <summary>The platform id.</summary>
    string Platform { get; }

    /// <summary>The executable name looked up on PATH (<c>claude</c>, <c>codex</c>, …).</summary>
    string Executable { get; }

    /// <summary>Relative folder of a project in which the agent discovers project skills (e.g. <c>.claude/skills</c>);
    /// null when the platform cannot replay.</summary>
    string? ProjectSkillFolder { get; }

    /// <summary>Which installed agent answers as the LLM when the configuration names none: the lowest value is asked
    /// first (ties: by platform id). The default is 100; selftune's own runners use 10 to 40. Added in contract 1.2.</summary>
    int Preference => 100;

    /// <summary>True when the executable is found on PATH.</summary>
    bool IsAvailable(PlatformContext context);

    /// <summary>Asks the agent for a completion.</summary>
    /// <exception cref="AgentRunnerException">The process failed, timed out or its output could not be read.</exception>
    Task<AgentCompletion> CompleteAsync(AgentCompletionRequest request, CancellationToken cancellationToken);

    /// <summary>Runs one query in a workspace and reports which skills the agent invoked.</summary>
    /// <exception cref="NotSupportedException">The platform cannot replay (<see cref="ProjectSkillFolder"/> is null).</exception>
    /// <exception cref="AgentRunnerException">The process failed, timed out or its output could not be read.</exception>
    Task<ReplayResult> ReplayAsync(ReplayRequest request, CancellationToken cancellationToken);
}
