using System.Text.Json;
using System.Text.Json.Serialization;
using Selftune.Abstractions;

namespace Selftune.Plugin.Codex.Rollout;

/// <summary>
/// What a rollout read needs to resume mid-file, saved as <see cref="SourceCursor.State"/> (small JSON: ids, totals,
/// a handful of unanswered tool calls; never message text).
/// </summary>
internal sealed class RolloutState
{
    /// <summary>Most unanswered tool calls remembered (parallel calls are few; older ones are dropped).</summary>
    public const int MaxPendingCalls = 32;

    /// <summary>Lines consumed so far (the next line's number is <c>Line + 1</c>).</summary>
    public long Line { get; set; }
    /// <summary>The rollout's session id, once known.</summary>
    public string? SessionId { get; set; }
    /// <summary>The session that spawned this one (sub-agents).</summary>
    public string? ParentSessionId { get; set; }
    /// <summary>True when this rollout is a sub-agent's.</summary>
    public bool IsSubagent { get; set; }
    /// <summary>True once the sibling rollouts were searched for a review parent.</summary>
    public bool ParentSearched { get; set; }
    /// <summary>True once the rollout's own header (its first <c>session_meta</c>) was read.</summary>
    public bool HeaderSeen { get; set; }
    /// <summary>True when the rollout copies another thread's history (fork, or a later foreign <c>session_meta</c>).</summary>
    public bool HasInheritedHistory { get; set; }
    /// <summary>True once the rollout yielded anything that makes it a Codex session.</summary>
    public bool HasContent { get; set; }
    /// <summary>Session start (UTC).</summary>
    public DateTimeOffset? StartedAt { get; set; }
    /// <summary>Latest line time (UTC).</summary>
    public DateTimeOffset? LastAt { get; set; }
    /// <summary>Working directory.</summary>
    public string? Cwd { get; set; }
    /// <summary>Git branch at start.</summary>
    public string? GitBranch { get; set; }
    /// <summary>CLI version.</summary>
    public string? AgentVersion { get; set; }
    /// <summary>Models used, first-use order.</summary>
    public List<string> Models { get; set; } = [];
    /// <summary>The model of the current turn.</summary>
    public string? Model { get; set; }
    /// <summary>How the last turn ended.</summary>
    public CompletionStatus Status { get; set; }
    /// <summary>The current turn's id (newer rollouts), and whether a prompt already took it as its id.</summary>
    public string? TurnId { get; set; }
    /// <summary>True when a prompt already used <see cref="TurnId"/> as its id.</summary>
    public bool TurnIdUsed { get; set; }
    /// <summary>The actionable prompt of the current turn.</summary>
    public string? PromptId { get; set; }
    /// <summary>True while the current turn answers a prompt selftune itself sent (its skill reads are not the user's triggers).</summary>
    public bool SelftuneTurn { get; set; }
    /// <summary>Skills the current prompt named explicitly (their reads are not counted as implicit triggers).</summary>
    public List<string> PromptExplicitSkills { get; set; } = [];
    /// <summary>Hash of the last user message, while its twin (the same text as the other record kind) may follow.</summary>
    public string? TwinHash { get; set; }
    /// <summary>True when the last user message came from an <c>event_msg</c> (its twin is a <c>response_item</c>).</summary>
    public bool TwinFromEvent { get; set; }
    /// <summary>Cumulative token totals of the last <c>token_count</c>: input (cached included), cached input, output.</summary>
    public long[] Totals { get; set; } = [0, 0, 0];
    /// <summary>Tool calls whose output has not been read yet, by call id.</summary>
    public Dictionary<string, PendingCall> PendingCalls { get; set; } = [];

    /// <summary>Serializes the state.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, RolloutStateJson.Default.RolloutState);

    /// <summary>Reads a saved state; null when absent or unreadable (the caller then starts over).</summary>
    public static RolloutState? FromJson(string? json)
    {
        if (string.IsNullOrEmpty(json))
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize(json, RolloutStateJson.Default.RolloutState);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

/// <summary>A tool call awaiting its output.</summary>
/// <param name="Name">Tool name.</param>
/// <param name="At">When it was requested.</param>
/// <param name="Detail">Short input description.</param>
/// <param name="PromptId">The actionable prompt of its turn.</param>
/// <param name="Line">Its line.</param>
/// <param name="LinesAdded">Lines its patch adds (<c>apply_patch</c>), reported with a successful output.</param>
/// <param name="LinesRemoved">Lines its patch removes.</param>
internal sealed record PendingCall(string Name, DateTimeOffset At, string? Detail, string? PromptId, long Line, int? LinesAdded = null, int? LinesRemoved = null);

[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, UseStringEnumConverter = true)]
[JsonSerializable(typeof(RolloutState))]
internal sealed partial class RolloutStateJson : JsonSerializerContext;
