using Selftune.Abstractions;
using Selftune.Core.Ingest;
using Selftune.Core.Privacy;
using Selftune.Core.Store;

namespace Selftune.Host.Tests.Support;

/// <summary>Writes Claude Code sessions straight into a store, as the transcript ingest would store them: one actionable
/// prompt each, and a skill invoked by the agent itself (implicit) or by the user by name (explicit) when given.</summary>
public static class StoredSessions
{
    /// <summary>Stores <paramref name="sessions"/> in the store of <paramref name="selftuneHome"/> (created when missing).</summary>
    /// <param name="selftuneHome">The selftune home.</param>
    /// <param name="skill">The skill the sessions invoke.</param>
    /// <param name="sessions">Each session's id, time, prompt and how the skill was invoked (null: not at all).</param>
    public static void Write(string selftuneHome, string skill, IEnumerable<(string Id, DateTimeOffset At, string Prompt, InvocationKind? Skill)> sessions)
    {
        Directory.CreateDirectory(selftuneHome);
        using var store = SelftuneStore.Open(Path.Combine(selftuneHome, "selftune.db"));
        using var tx = store.BeginTransaction();
        using var writer = new RecordWriter(store, new Redactor(), null, p => new IngestCounters { Platform = p }, DateTimeOffset.UtcNow);
        var provenance = new Provenance(Platforms.ClaudeCode, CaptureMode.Transcript);
        foreach (var (id, at, prompt, kind) in sessions)
        {
            writer.Session(new SessionRecord(id, provenance, StartedAt: at, EndedAt: at.AddMinutes(10), Cwd: "/work/project"));
            writer.Prompt(new PromptRecord(id + "-p", id, at, prompt, PromptKind.User, provenance));
            if (kind is { } k)
            {
                writer.SkillInvocation(new SkillInvocationRecord($"{id}-i-{skill}", id, at.AddSeconds(5), skill, k, provenance, id + "-p"));
            }
        }

        tx.Commit();
    }
}
