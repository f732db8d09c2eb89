using System.Text.Json;
using System.Text.Json.Serialization;
using Selftune.Abstractions;

namespace Selftune.Plugin.Shared.PiFormat;

/// <summary>
/// What a transcript read so far says about its session, kept between incremental reads in
/// <see cref="SourceCursor.State"/> as a small JSON object (a few hundred bytes: ids, times and at most
/// <see cref="MaxModels"/> model ids).
/// </summary>
internal sealed class PiTranscriptState
{
    /// <summary>Model ids kept in <see cref="Models"/>, at most.</summary>
    public const int MaxModels = 16;

    /// <summary>Shell commands awaiting their result kept in <see cref="GitCommands"/>, at most.</summary>
    public const int MaxGitCommands = 8;

    private static readonly JsonSerializerOptions Options = new() { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    /// <summary>The session id (the header's <c>id</c>, else the file name's).</summary>
    public string Session { get; set; } = "";

    /// <summary>Complete lines consumed so far: the number of the last line read.</summary>
    public long Line { get; set; }

    /// <summary>Line of the <c>session</c> header, when there was one.</summary>
    public long? HeaderLine { get; set; }

    /// <summary>The header's working directory.</summary>
    public string? Cwd { get; set; }

    /// <summary>The session this one was branched from (header <c>parentSession</c> / <c>branchedFrom</c>).</summary>
    public string? Parent { get; set; }

    /// <summary>For a branched session, the header's time: entries stamped earlier are the parent's history, copied
    /// into this file when it was branched.</summary>
    public DateTimeOffset? ForkedAt { get; set; }

    /// <summary>Earliest event time seen.</summary>
    public DateTimeOffset? Start { get; set; }

    /// <summary>Latest event time seen.</summary>
    public DateTimeOffset? End { get; set; }

    /// <summary>Distinct models that answered, in first-use order.</summary>
    public List<string> Models { get; set; } = [];

    /// <summary>The model selected last (<c>model_change</c>, header, snapshot): used when a response names none.</summary>
    public string? Model { get; set; }

    /// <summary>Id of the actionable prompt of the current turn, or null when the turn began with a non-actionable message.</summary>
    public string? Prompt { get; set; }

    /// <summary>Tool calls whose shell command runs <c>git commit|merge|cherry-pick|revert</c>, by id, until their result is read.</summary>
    public Dictionary<string, string> GitCommands { get; set; } = [];

    /// <summary>How the last finished response ended.</summary>
    public CompletionStatus Status { get; set; }

    /// <summary>Reads a saved state; null when there is none or it cannot be read (the caller then starts over).</summary>
    public static PiTranscriptState? Parse(string? json)
    {
        if (string.IsNullOrEmpty(json))
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize<PiTranscriptState>(json, Options) is { Session.Length: > 0 } state ? state : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>The state as JSON.</summary>
    public string Serialize() => JsonSerializer.Serialize(this, Options);

    /// <summary>Widens the session's time span to include <paramref name="at"/>.</summary>
    public void See(DateTimeOffset at)
    {
        Start = Start is null || at < Start ? at : Start;
        End = End is null || at > End ? at : End;
    }

    /// <summary>Records that <paramref name="model"/> answered.</summary>
    public void Use(string model)
    {
        if (Models.Count < MaxModels && !Models.Contains(model))
        {
            Models.Add(model);
        }
    }
}
