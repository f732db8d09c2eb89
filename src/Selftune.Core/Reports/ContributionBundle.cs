using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Selftune.Core.Privacy;
using Selftune.Core.Store;

namespace Selftune.Core.Reports;

/// <summary>How much a contribution bundle keeps.</summary>
internal enum ContributionLevel
{
    /// <summary>Counts and rates only: no prompt text at all.</summary>
    Conservative,

    /// <summary>Also up to <see cref="ContributionBundle.MaxPrompts"/> actionable prompts, redacted and generalised.</summary>
    Aggressive,
}

/// <summary>
/// Writes the anonymised bundle of <c>selftune contribute</c> (schema: <c>docs/contribution-bundle.md</c>): per skill its
/// triggers, explicit uses, reads, sessions and the share of those sessions with a failed tool call, totals per platform,
/// and at the aggressive level a sample of prompts, redacted (<see cref="Redactor"/>) then generalised (URLs, e-mail
/// addresses, paths, quoted text and numbers replaced by placeholders). Skill names are hashed
/// (<c>sha256:</c> + 16 hex digits of SHA-256 over the name) unless the user keeps them. No session id, project folder,
/// model response, tool detail or time finer than a day is included. Nothing is sent anywhere.
/// </summary>
internal static partial class ContributionBundle
{
    /// <summary>The bundle's <c>format</c>.</summary>
    public const string Format = "selftune-contribution";

    /// <summary>Prompts included at the aggressive level, at most.</summary>
    public const int MaxPrompts = 50;

    /// <summary>Characters kept of each generalised prompt.</summary>
    public const int MaxPromptLength = 200;

    /// <summary>Writes the bundle for <paramref name="store"/> to <paramref name="path"/>; returns what it holds (the same JSON).</summary>
    public static string Write(SelftuneStore store, string path, ContributionLevel level, bool keepSkillNames, DateTimeOffset now)
    {
        string Skill(string name) => keepSkillNames ? name : "sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(name)))[..16];
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteString("format", Format);
            json.WriteNumber("version", 1);
            json.WriteString("level", level == ContributionLevel.Aggressive ? "aggressive" : "conservative");
            json.WriteString("skill_names", keepSkillNames ? "kept" : "hashed");
            json.WriteString("created_on", now.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
            json.WriteStartObject("platforms");
            foreach (var (platform, sessions, prompts) in store.Query(
                "SELECT s.platform, count(*), (SELECT count(*) FROM prompts p WHERE p.platform = s.platform AND p.actionable = 1) FROM sessions s WHERE s.parent_session_id IS NULL GROUP BY s.platform ORDER BY s.platform",
                r => (r.GetString(0), r.GetInt64(1), r.GetInt64(2))))
            {
                json.WriteStartObject(platform);
                json.WriteNumber("sessions", sessions);
                json.WriteNumber("actionable_prompts", prompts);
                json.WriteEndObject();
            }

            json.WriteEndObject();
            json.WriteStartArray("skills");
            foreach (var (name, triggers, explicitUses, reads, sessions, failed) in store.Query(
                """
                SELECT i.skill_name,
                       sum(i.kind = 'implicit'), sum(i.kind = 'explicit'), sum(i.kind = 'read'),
                       count(DISTINCT i.session_id),
                       count(DISTINCT CASE WHEN EXISTS (SELECT 1 FROM tool_calls t WHERE t.session_id = i.session_id AND t.is_error = 1) THEN i.session_id END)
                FROM skill_invocations i GROUP BY i.skill_name ORDER BY i.skill_name
                """,
                r => (r.GetString(0), r.GetInt64(1), r.GetInt64(2), r.GetInt64(3), r.GetInt64(4), r.GetInt64(5))).OrderBy(s => Skill(s.Item1), StringComparer.Ordinal))
            {
                json.WriteStartObject();
                json.WriteString("skill", Skill(name));
                json.WriteNumber("triggers", triggers);
                json.WriteNumber("explicit_uses", explicitUses);
                json.WriteNumber("reads", reads);
                json.WriteNumber("sessions", sessions);
                json.WriteNumber("sessions_with_tool_errors", failed);
                json.WriteNumber("tool_error_session_rate", sessions == 0 ? 0 : Math.Round((double)failed / sessions, 4));
                json.WriteEndObject();
            }

            json.WriteEndArray();
            if (level == ContributionLevel.Aggressive)
            {
                var redactor = new Redactor();
                json.WriteStartArray("prompts");
                foreach (var (text, skill) in store.Query(
                    $"SELECT p.text, (SELECT i.skill_name FROM skill_invocations i WHERE i.prompt_id = p.prompt_id AND i.kind <> 'read' ORDER BY i.occurred_at LIMIT 1) FROM prompts p WHERE p.actionable = 1 ORDER BY p.text_hash LIMIT {MaxPrompts}",
                    r => (r.GetString(0), r.IsDBNull(1) ? null : r.GetString(1))))
                {
                    json.WriteStartObject();
                    json.WriteString("text", Generalise(redactor.Redact(text, out _)));
                    if (skill is null)
                    {
                        json.WriteNull("skill");
                    }
                    else
                    {
                        json.WriteString("skill", Skill(skill));
                    }

                    json.WriteEndObject();
                }

                json.WriteEndArray();
            }

            json.WriteEndObject();
        }

        var bundle = Encoding.UTF8.GetString(buffer.ToArray()) + "\n";
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        AtomicFile.WriteAllText(path, bundle);
        return bundle;
    }

    /// <summary>Replaces what identifies a person, a project or a machine with placeholders: URLs (<c>&lt;url&gt;</c>), e-mail
    /// addresses (<c>&lt;email&gt;</c>), paths (<c>&lt;path&gt;</c>), quoted or back-ticked text (<c>&lt;text&gt;</c>) and numbers
    /// (<c>&lt;n&gt;</c>); then keeps the first <see cref="MaxPromptLength"/> characters.</summary>
    internal static string Generalise(string text)
    {
        var general = Url().Replace(text, "<url>");
        general = Email().Replace(general, "<email>");
        general = FilePath().Replace(general, "<path>");
        general = Quoted().Replace(general, "<text>");
        general = Number().Replace(general, "<n>");
        general = Spaces().Replace(general, " ").Trim();
        return general.Length > MaxPromptLength ? general[..MaxPromptLength] : general;
    }

    [GeneratedRegex(@"\b[a-z][a-z0-9+.-]*://\S+", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, 1000)]
    private static partial Regex Url();

    [GeneratedRegex(@"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex Email();

    [GeneratedRegex(@"(?:~|\.{1,2}|[A-Za-z]:)?(?:[\\/][\w.@+-]+){2,}[\\/]?|(?:~|\.{1,2})[\\/][\w.@+-]+", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex FilePath();

    [GeneratedRegex("`[^`\\n]*`|\"[^\"\\n]*\"|'[^'\\n]{2,}'", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex Quoted();

    [GeneratedRegex(@"\b\d[\d.,:_-]*\b", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex Number();

    [GeneratedRegex(@"\s+", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex Spaces();
}
