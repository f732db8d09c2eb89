using System.Buffers;
using System.Text.Json;
using Selftune.Core.Configuration;
using Selftune.Core.Store;

namespace Selftune.Core.Hooks;

/// <summary>
/// Writes the in-turn hooks' state file (<see cref="InTurnHooks.StateFileName"/> in the home), so the hook, which never
/// opens the store, knows what to say or guard: the SKILL.md files selftune deployed and is still watching, this
/// state's nudges (sessions whose prompts keep using no skill, skills whose latest grading failed, proposals waiting for
/// review) and the skill-change guard's switch. A rule turned off in the config is left out, so the hook never acts on
/// it. Written where that state changes: deploy and rollback (<see cref="Evolution.SkillDeployer"/>), a watch
/// (<see cref="Monitoring.WatchService"/>), every drain of the hook spool (each turn's end, and sync), and
/// <c>selftune config set|unset hooks.*</c>.
/// </summary>
/// <remarks>Shape: <c>{"version":1,"written_at":ISO-8601,"skill_change_guard":bool,"watched":[{"skill","path","deployed_at"}],
/// "unmatched_sessions":{"&lt;session id&gt;":count},"failing_skills":[name],"pending_proposals":count}</c>.</remarks>
internal static class HookState
{
    /// <summary>Sessions older than this (hours) get no unmatched nudge.</summary>
    public const int SessionHours = 24;

    /// <summary>Rewrites the state file from the store and the config. Never throws: on failure the file is removed
    /// (the hooks then guard nothing: fail-open) and the reason goes to the hook error log.</summary>
    /// <param name="store">The store.</param>
    /// <param name="home">The home.</param>
    /// <param name="now">The current time.</param>
    public static void Refresh(SelftuneStore store, SelftuneHome home, DateTimeOffset now)
    {
        var path = Path.Combine(home.Root, InTurnHooks.StateFileName);
        try
        {
            var config = SelftuneConfig.Load(home.ConfigPath, Environment.GetEnvironmentVariable);
            AtomicFile.WriteAllBytes(path, Build(store, config, now));
        }
#pragma warning disable CA1031 // The state only feeds hooks that fail open; a failure must not fail a deploy, a watch or a drain.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            try
            {
                File.Delete(path);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
            }

            HookSpool.LogError(home, now, "hook state", $"{ex.GetType().Name}: {ex.Message}; the in-turn hooks guard nothing until the next refresh");
        }
    }

    /// <summary>The state file's bytes.</summary>
    internal static byte[] Build(SelftuneStore store, SelftuneConfig config, DateTimeOffset now)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = false }))
        {
            w.WriteStartObject();
            w.WriteNumber("version", 1);
            w.WriteString("written_at", now.UtcDateTime);
            w.WriteBoolean("skill_change_guard", config.GetBool(ConfigKeys.HooksSkillChangeGuard.Key));
            w.WriteStartArray("watched");
            if (config.GetBool(ConfigKeys.HooksEvolutionGuard.Key))
            {
                var since = now.AddDays(-config.GetDouble(ConfigKeys.RunWatchDays.Key)).ToUnixTimeMilliseconds();
                foreach (var (skill, skillPath, at) in Watched(store, since))
                {
                    w.WriteStartObject();
                    w.WriteString("skill", skill);
                    w.WriteString("path", Path.GetFullPath(skillPath));
                    w.WriteString("deployed_at", DateTimeOffset.FromUnixTimeMilliseconds(at).UtcDateTime);
                    w.WriteEndObject();
                }
            }

            w.WriteEndArray();
            w.WriteStartObject("unmatched_sessions");
            if (config.GetBool(ConfigKeys.HooksNudgeUnmatched.Key))
            {
                var min = config.GetInt(ConfigKeys.HooksNudgeUnmatchedMin.Key);
                foreach (var (session, count) in UnmatchedSessions(store, now.AddHours(-SessionHours).ToUnixTimeMilliseconds(), min))
                {
                    w.WriteNumber(session, count);
                }
            }

            w.WriteEndObject();
            w.WriteStartArray("failing_skills");
            if (config.GetBool(ConfigKeys.HooksNudgeFailingGradings.Key))
            {
                foreach (var skill in FailingSkills(store))
                {
                    w.WriteStringValue(skill);
                }
            }

            w.WriteEndArray();
            w.WriteNumber("pending_proposals", config.GetBool(ConfigKeys.HooksNudgePendingProposals.Key)
                ? (long)(store.Scalar("SELECT count(*) FROM evolution_proposals WHERE status = 'validated'") ?? 0L)
                : 0);
            w.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Skills with a deploy in effect made since <paramref name="since"/> (Unix ms) that no watch has called
    /// stable since: the watch is still on.</summary>
    private static List<(string Skill, string Path, long At)> Watched(SelftuneStore store, long since) => store.Query(
        """
        SELECT v.skill_name, v.skill_path, max(v.occurred_at) AS at
        FROM skill_versions v JOIN evolution_proposals p ON p.proposal_id = v.proposal_id
        WHERE v.action = 'deployed' AND p.status = 'deployed'
        GROUP BY v.skill_name, v.skill_path
        HAVING at >= $since AND NOT EXISTS (
            SELECT 1 FROM watch_checks w WHERE w.skill_name = v.skill_name AND w.checked_at >= at AND w.verdict = 'stable')
        ORDER BY v.skill_name
        """,
        r => (r.GetString(0), r.GetString(1), r.GetInt64(2)),
        ("$since", since));

    /// <summary>Sessions active since <paramref name="since"/> (Unix ms) with at least <paramref name="min"/> actionable
    /// prompts that no skill served (as <c>status</c> counts them: no invocation other than a read).</summary>
    private static List<(string Session, long Count)> UnmatchedSessions(SelftuneStore store, long since, long min) => store.Query(
        """
        SELECT p.session_id, count(*) FROM prompts p
        WHERE p.actionable = 1 AND p.occurred_at >= $since
          AND NOT EXISTS (SELECT 1 FROM skill_invocations i WHERE i.prompt_id = p.prompt_id AND i.kind <> 'read')
        GROUP BY p.session_id HAVING count(*) >= $min
        ORDER BY p.session_id
        """,
        r => (r.GetString(0), r.GetInt64(1)),
        ("$since", since),
        ("$min", min));

    /// <summary>Skills whose latest grading failed (not every expectation passed).</summary>
    private static List<string> FailingSkills(SelftuneStore store) => store.Query(
        """
        SELECT g.skill FROM grading_results g
        WHERE g.graded_at = (SELECT max(graded_at) FROM grading_results h WHERE h.skill = g.skill) AND g.failed > 0
        GROUP BY g.skill ORDER BY g.skill
        """,
        r => r.GetString(0));
}
