using Selftune.Core.Store;

namespace Selftune.Core.Eval;

/// <summary>An actionable prompt as the eval code sees it.</summary>
/// <param name="promptId">The stored prompt id.</param>
/// <param name="sessionId">Its session.</param>
/// <param name="occurredAt">When it was sent (Unix ms).</param>
/// <param name="text">The stored (redacted) text.</param>
internal sealed class PromptRow(string promptId, string sessionId, long occurredAt, string text)
{
    /// <summary>The stored prompt id.</summary>
    public string PromptId { get; } = promptId;

    /// <summary>Its session.</summary>
    public string SessionId { get; } = sessionId;

    /// <summary>When it was sent (Unix ms).</summary>
    public long OccurredAt { get; } = occurredAt;

    /// <summary>The stored (redacted) text.</summary>
    public string Text { get; } = text;

    /// <summary>Its de-duplication key (<see cref="QueryText.Key"/>), made on first use: <c>status</c> reads every
    /// actionable prompt and needs the keys of none (bench/RESULTS.md, issue 19).</summary>
    public string Key => field ??= QueryText.Key(Text);
}

/// <summary>An actionable prompt that triggered a skill per source truth.</summary>
/// <param name="Prompt">The prompt.</param>
/// <param name="Explicit">True when the user invoked the skill explicitly.</param>
/// <remarks>A class, not a value tuple: a dictionary of value tuples is compiled at run time on every <c>status</c>
/// (ReadyToRun cannot precompile generic code over another assembly's value types; bench/RESULTS.md, issue 19).</remarks>
internal sealed record TrustedPrompt(PromptRow Prompt, bool Explicit);

/// <summary>What the store knows of one skill name's triggers.</summary>
internal sealed class SkillTriggers(string skill)
{
    /// <summary>The skill name as stored (may carry a plugin prefix).</summary>
    public string Skill { get; } = skill;

    /// <summary>Actionable prompts that triggered it per source truth (transcript or repair; implicit or explicit), by prompt id,
    /// with whether the user invoked it explicitly.</summary>
    public Dictionary<string, TrustedPrompt> Trusted { get; } = new(StringComparer.Ordinal);

    /// <summary>Keys of prompts known to have triggered it, from any capture mode (hook hints included).</summary>
    public HashSet<string> TriggeredKeys { get; } = new(StringComparer.Ordinal);

    /// <summary>Keys of prompts after which its SKILL.md was read without an invocation.</summary>
    public HashSet<string> ReadKeys { get; } = new(StringComparer.Ordinal);

    /// <summary>Prompts after which its SKILL.md was read (any capture mode), by prompt id.</summary>
    public Dictionary<string, PromptRow> ReadPrompts { get; } = new(StringComparer.Ordinal);

    /// <summary>Ids of prompts it was used for (triggered or invoked by name; any capture mode).</summary>
    public HashSet<string> UsedPromptIds { get; } = new(StringComparer.Ordinal);

    /// <summary>Ids of prompts for which the agent invoked it by itself (an implicit invocation; any capture mode).</summary>
    public HashSet<string> ImplicitPromptIds { get; } = new(StringComparer.Ordinal);

    /// <summary>Triggers known only from hooks (no transcript row yet).</summary>
    public int HookOnlyTriggers { get; set; }

    /// <summary>SKILL.md reads without invocation.</summary>
    public int Reads { get; set; }

    /// <summary>Sessions with a trigger of any capture mode.</summary>
    public HashSet<string> Sessions { get; } = new(StringComparer.Ordinal);

    /// <summary>Latest trigger time (Unix ms), 0 when none.</summary>
    public long LastTriggeredAt { get; set; }
}

/// <summary>
/// Every actionable prompt and every skill invocation of the store, with each invocation resolved to the actionable
/// prompt that led to it: the invocation's <c>prompt_id</c> when that prompt is stored; when it is not (a hook row whose
/// hook prompt was superseded by the transcript's, or no id), the latest actionable prompt of the same session at or
/// before the invocation. A slash command that invokes a skill (<c>/slides make a deck</c>: prompt kind <c>command</c>)
/// resolves to its arguments, as a prompt of its own (<see cref="CommandArguments"/>), when they are long enough to be
/// actionable. Any other invocation whose prompt is stored but not actionable (selftune's own replay prompt) resolves to
/// nothing.
/// </summary>
internal sealed class TriggerIndex
{
    private TriggerIndex(IReadOnlyList<PromptRow> prompts, IReadOnlyDictionary<string, SkillTriggers> skills)
    {
        Prompts = prompts;
        Skills = skills;
    }

    /// <summary>Actionable prompts, oldest first (ties by id).</summary>
    public IReadOnlyList<PromptRow> Prompts { get; }

    /// <summary>Per stored skill name.</summary>
    public IReadOnlyDictionary<string, SkillTriggers> Skills { get; }

    /// <summary>Reads the index from the store.</summary>
    public static TriggerIndex Load(SelftuneStore store)
    {
        var prompts = store.Query(
            "SELECT prompt_id, session_id, occurred_at, text FROM prompts WHERE actionable = 1 ORDER BY occurred_at, prompt_id",
            r => new PromptRow(r.GetString(0), r.GetString(1), r.GetInt64(2), r.GetString(3)));
        var byId = prompts.ToDictionary(p => p.PromptId, StringComparer.Ordinal);
        var commands = store.Query(
            "SELECT prompt_id, session_id, occurred_at, text FROM prompts WHERE kind = 'command'",
            r => new CommandRow(r.GetString(0), r.GetString(1), r.GetInt64(2), CommandArguments(r.GetString(3))));
        foreach (var c in commands.Where(c => c.Args.Length >= Selftune.Abstractions.PromptClassifier.MinimumActionableLength))
        {
            byId[c.Id] = new PromptRow(c.Id, c.Session, c.At, c.Args);
        }

        var bySession = prompts.GroupBy(p => p.SessionId, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
        var skills = new Dictionary<string, SkillTriggers>(StringComparer.Ordinal);
        var rows = store.Query(
            """
            SELECT i.skill_name, i.kind, i.capture_mode, i.prompt_id, i.session_id, i.occurred_at, p.actionable
            FROM skill_invocations i LEFT JOIN prompts p ON p.prompt_id = i.prompt_id
            ORDER BY i.occurred_at, i.invocation_id
            """,
            r => new InvocationRow(r.GetString(0), r.GetString(1), r.GetString(2), r.IsDBNull(3) ? null : r.GetString(3),
                  r.GetString(4), r.GetInt64(5), r.IsDBNull(6) ? null : r.GetInt64(6)));
        foreach (var row in rows)
        {
            if (!skills.TryGetValue(row.Skill, out var triggers))
            {
                skills[row.Skill] = triggers = new SkillTriggers(row.Skill);
            }

            var prompt = row.Actionable switch
            {
                1 => byId[row.PromptId!],
                0 => byId.GetValueOrDefault(row.PromptId!),
                _ => Preceding(bySession, row.Session, row.At),
            };
            var isRead = row.Kind == "read";
            if (isRead)
            {
                triggers.Reads++;
                if (prompt is not null)
                {
                    triggers.ReadKeys.Add(prompt.Key);
                    triggers.ReadPrompts.TryAdd(prompt.PromptId, prompt);
                }

                continue;
            }

            triggers.Sessions.Add(row.Session);
            triggers.LastTriggeredAt = Math.Max(triggers.LastTriggeredAt, row.At);
            var sourceTruth = row.Mode is "transcript" or "repair";
            triggers.HookOnlyTriggers += sourceTruth ? 0 : 1;
            if (prompt is null)
            {
                continue;
            }

            triggers.TriggeredKeys.Add(prompt.Key);
            triggers.UsedPromptIds.Add(prompt.PromptId);
            if (row.Kind == "implicit")
            {
                triggers.ImplicitPromptIds.Add(prompt.PromptId);
            }

            if (sourceTruth)
            {
                var isExplicit = row.Kind == "explicit";
                triggers.Trusted[prompt.PromptId] = triggers.Trusted.TryGetValue(prompt.PromptId, out var seen)
                    ? new TrustedPrompt(prompt, seen.Explicit || isExplicit)
                    : new TrustedPrompt(prompt, isExplicit);
            }
        }

        return new TriggerIndex(prompts, skills);
    }

    /// <summary>What a slash command asked for: the text of its <c>&lt;command-args&gt;</c> block, or for a bare
    /// <c>/name args</c> line the text after the name; empty when it has none.</summary>
    /// <param name="text">The stored command prompt.</param>
    public static string CommandArguments(string text)
    {
        var start = text.IndexOf("<command-args>", StringComparison.Ordinal);
        if (start >= 0)
        {
            start += "<command-args>".Length;
            var end = text.IndexOf("</command-args>", start, StringComparison.Ordinal);
            return (end < 0 ? text[start..] : text[start..end]).Trim();
        }

        var stripped = Selftune.Abstractions.PromptClassifier.StripWrappers(text);
        var space = stripped.IndexOf(' ');
        return stripped.StartsWith('/') && space > 0 ? stripped[(space + 1)..].Trim() : string.Empty;
    }

    private static PromptRow? Preceding(Dictionary<string, List<PromptRow>> bySession, string session, long at)
    {
        if (!bySession.TryGetValue(session, out var list))
        {
            return null;
        }

        PromptRow? best = null;
        foreach (var p in list)
        {
            if (p.OccurredAt > at)
            {
                break;
            }

            best = p;
        }

        return best;
    }

    // Rows as classes: generic code over value tuples is compiled at run time on every status (ReadyToRun cannot
    // precompile it across assemblies).
    private sealed record CommandRow(string Id, string Session, long At, string Args);

    private sealed record InvocationRow(string Skill, string Kind, string Mode, string? PromptId, string Session, long At, long? Actionable);
}
