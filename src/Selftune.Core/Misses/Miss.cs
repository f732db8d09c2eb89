using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Serialization;
using Selftune.Core.Skills;

namespace Selftune.Core.Misses;

/// <summary>How we know a skill should have triggered for a prompt (in JSON: <c>named</c>, <c>read_not_invoked</c>,
/// <c>discovered</c>, <c>confirmed</c>).</summary>
internal enum MissKind
{
    /// <summary>The user named the skill (in the prompt, with its slash command, or by asking "why didn't you use X" right
    /// after it), so the description did not make the agent reach for it by itself.</summary>
    Named,
    /// <summary>The agent opened the skill's SKILL.md for the prompt and did not use the skill.</summary>
    ReadNotInvoked,
    /// <summary>Found by discovery: lexical ranking (offline, low confidence) or the LLM choosing the skill from a shortlist.</summary>
    Discovered,
    /// <summary>A discovered miss a person or their agent confirmed (<c>selftune misses confirm ID</c>).</summary>
    Confirmed,
}

/// <summary>One miss: an actionable prompt for which an installed skill should have triggered by itself and did not.</summary>
/// <param name="Id">Stable id (<see cref="IdOf"/>): the same prompt and skill always give the same id.</param>
/// <param name="Skill">The skill's name (as installed, or as agents spell it).</param>
/// <param name="Kind">How we know.</param>
/// <param name="Confidence">How sure (0–1): named 1.0 (0.9 when inferred from a later "why didn't you use X"), confirmed 1.0,
/// discovered by the LLM <see cref="MissFinder.LlmConfidence"/>, read-not-invoked <see cref="MissFinder.ReadConfidence"/>,
/// discovered by lexical ranking alone <see cref="MissFinder.LexicalConfidence"/>.</param>
/// <param name="PromptId">The stored prompt (for a slash command, the command prompt).</param>
/// <param name="SessionId">Its session.</param>
/// <param name="OccurredAt">When it was sent (UTC).</param>
/// <param name="Text">What the user asked, wrappers stripped (a slash command's arguments).</param>
/// <param name="Reason">How it was found, for a person.</param>
internal sealed record Miss(string Id, string Skill, MissKind Kind, double Confidence, string PromptId, string SessionId, DateTimeOffset OccurredAt, string Text, string Reason)
{
    /// <summary>True when the miss is evidence enough to learn from (eval-set positive, candidate selection, trigger rate):
    /// confidence of at least <see cref="MissFinder.EvidenceConfidence"/>. Lexical-only discoveries are not: they wait for
    /// review.</summary>
    [JsonIgnore]
    public bool IsEvidence => Confidence >= MissFinder.EvidenceConfidence;

    /// <summary>The id of the miss of <paramref name="skill"/> on <paramref name="promptId"/>: <c>m-</c> + 12 hex digits of
    /// SHA-256 over the prompt id and the lower-case bare skill name.</summary>
    public static string IdOf(string promptId, string skill) =>
        "m-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(promptId + "\n" + SkillNames.Bare(skill).ToLowerInvariant())))[..12];
}
