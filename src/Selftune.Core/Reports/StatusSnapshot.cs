using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using Selftune.Core.Eval;
using Selftune.Core.Misses;
using Selftune.Core.Skills;
using Selftune.Core.Store;

namespace Selftune.Core.Reports;

/// <summary>A miss as <c>status</c> reports it: what <see cref="Miss"/> holds, its text as a report example.</summary>
/// <param name="Id">The miss id (<see cref="Miss.IdOf"/>).</param>
/// <param name="Kind">How it was found.</param>
/// <param name="Confidence">How sure (0–1).</param>
/// <param name="PromptId">The prompt.</param>
/// <param name="SessionId">Its session.</param>
/// <param name="OccurredAt">When it was sent (Unix ms).</param>
/// <param name="Example">The miss's text as <see cref="PromptExample.Of"/> shows it (one line, at most 160 characters).</param>
internal sealed record StatusMiss(string Id, MissKind Kind, double Confidence, string PromptId, string SessionId, long OccurredAt, string Example)
{
    /// <summary>True when the miss is evidence (<see cref="Miss.IsEvidence"/>).</summary>
    public bool IsEvidence => Confidence >= MissFinder.EvidenceConfidence;

    /// <summary>The prompt as a report example.</summary>
    public PromptExample Prompt => new(PromptId, SessionId, DateTimeOffset.FromUnixTimeMilliseconds(OccurredAt), Example);
}

/// <summary>
/// The miss set of <c>status</c> (<see cref="MissFinder"/> over every actionable prompt and the installed skills), kept
/// in the store's <c>status_snapshot</c> so that a status whose inputs did not change reads a few rows instead of every
/// prompt's text (and hashes no miss id). The snapshot is used only while its signature equals the store's now: the
/// count of changes to the rows the miss set is derived from (<c>evidence_changes</c>, bumped by triggers on every
/// insert, update and delete of prompts, skill invocations, improvement signals and stored misses, whoever writes them),
/// the selftune build (core and contract assemblies' module version ids) and the installed skills' names in order.
/// Otherwise the miss set is computed anew, exactly as before, and the snapshot rewritten when no other process holds
/// the store's write lock (a status never waits for one). The report is the same either way.
/// </summary>
/// <remarks>Measured on the 930-file benchmark corpus (bench/RESULTS.md, issue 19): computing the miss set costs
/// ~50–70 ms of a ~150 ms status (every prompt's text read, stripped and lower-cased, mention scans, SHA-256 ids);
/// reading the snapshot ~1 ms.</remarks>
internal static class StatusSnapshot
{
    /// <summary>The misses of every skill by skill key (<see cref="MissSet"/>), each skill's newest first: from the
    /// snapshot when it is current, else computed (<see cref="MissFinder.Find(SelftuneStore, IEnumerable{string}?, DateTimeOffset?)"/>)
    /// and the snapshot rewritten (skipped when another process holds the write lock or the store cannot be written).</summary>
    /// <param name="store">The store.</param>
    /// <param name="installed">The installed skills (<see cref="SkillCatalog"/>); the shadowed ones are left out.</param>
    /// <exception cref="SelftuneException">The store failed.</exception>
    public static Dictionary<string, List<StatusMiss>> Misses(SelftuneStore store, IReadOnlyList<InstalledSkill> installed)
    {
        var skills = installed.Where(s => s.ShadowedBy is null).Select(s => s.Name).ToList();
        // The signature is read before the misses are computed: a change made meanwhile leaves a snapshot whose signature
        // is older than its content, which is never used (the count of changes only grows).
        var signature = Signature(store, skills);
        var stored = store.Query("SELECT signature, misses FROM status_snapshot WHERE id = 1", r => new[] { r.GetString(0), r.GetString(1) });
        if (stored.Count == 1 && stored[0][0] == signature && Read(stored[0][1]) is { } kept)
        {
            return kept;
        }

        var misses = Compute(store, skills);
        try
        {
            store.TryWithoutWaiting(
                "INSERT INTO status_snapshot (id, signature, misses) VALUES (1, ?1, ?2) ON CONFLICT (id) DO UPDATE SET signature = excluded.signature, misses = excluded.misses",
                signature, Write(misses));
        }
        catch (SelftuneException ex) when (ex.Code == ErrorCodes.HomeUnwritable)
        {
            // A store opened read-only, or a full disk: the report does not need the snapshot, the next status tries again.
        }

        return misses;
    }

    /// <summary>Makes the snapshot current (a hook drain does, after storing a turn, so that the next <c>status</c> reads
    /// it); nothing is computed when it is.</summary>
    /// <inheritdoc cref="Misses" path="/param|/exception"/>
    public static void Refresh(SelftuneStore store, IReadOnlyList<InstalledSkill> installed) => Misses(store, installed);

    /// <summary>The misses computed from the store now, as <see cref="Misses"/> returns them.</summary>
    /// <param name="store">The store.</param>
    /// <param name="skills">The installed skills' names.</param>
    private static Dictionary<string, List<StatusMiss>> Compute(SelftuneStore store, List<string> skills)
    {
        var result = new Dictionary<string, List<StatusMiss>>(StringComparer.Ordinal);
        foreach (var m in MissFinder.Find(store, skills).All)
        {
            var key = MissSet.Canonical(m.Skill);
            if (!result.TryGetValue(key, out var list))
            {
                result[key] = list = [];
            }

            var at = m.OccurredAt.ToUnixTimeMilliseconds();
            list.Add(new StatusMiss(m.Id, m.Kind, m.Confidence, m.PromptId, m.SessionId, at, PromptExample.Of(m.PromptId, m.SessionId, at, m.Text).Text));
        }

        return result;
    }

    /// <summary>What the snapshot must have been computed from to be used now: the count of changes to its inputs, this
    /// build, the installed skills' names.</summary>
    private static string Signature(SelftuneStore store, List<string> skills)
    {
        var text = new StringBuilder();
        text.Append((long)store.Scalar("SELECT changes FROM evidence_changes WHERE id = 1")!).Append('\n');
        AppendId(text, typeof(StatusSnapshot).Assembly.ManifestModule.ModuleVersionId);
        AppendId(text, typeof(Selftune.Abstractions.PromptClassifier).Assembly.ManifestModule.ModuleVersionId);
        foreach (var skill in skills)
        {
            text.Append(skill).Append('\n');
        }

        return text.ToString();
    }

    /// <summary>Appends a module version id as two integers (formatting a <see cref="Guid"/> compiles vector code at run
    /// time on every status).</summary>
    private static void AppendId(StringBuilder text, Guid id)
    {
        Span<byte> bytes = stackalloc byte[16];
        id.TryWriteBytes(bytes);
        text.Append(BinaryPrimitives.ReadInt64LittleEndian(bytes)).Append(' ').Append(BinaryPrimitives.ReadInt64LittleEndian(bytes[8..])).Append('\n');
    }

    private static string Write(Dictionary<string, List<StatusMiss>> misses) => Json.Write(json =>
    {
        json.WriteStartArray();
        foreach (var (key, list) in misses)
        {
            foreach (var m in list)
            {
                json.WriteStartArray();
                json.WriteStringValue(key);
                json.WriteStringValue(m.Id);
                json.WriteNumberValue((int)m.Kind);
                json.WriteNumberValue(m.Confidence);
                json.WriteStringValue(m.PromptId);
                json.WriteStringValue(m.SessionId);
                json.WriteNumberValue(m.OccurredAt);
                json.WriteStringValue(m.Example);
                json.WriteEndArray();
            }
        }

        json.WriteEndArray();
    });

    /// <summary>The misses written by <see cref="Write"/>; null when the text is not such a list (then the snapshot is
    /// not used).</summary>
    private static Dictionary<string, List<StatusMiss>>? Read(string text)
    {
        var result = new Dictionary<string, List<StatusMiss>>(StringComparer.Ordinal);
        try
        {
            var json = new Utf8JsonReader(Encoding.UTF8.GetBytes(text));
            if (!json.Read() || json.TokenType != JsonTokenType.StartArray)
            {
                return null;
            }

            while (json.Read() && json.TokenType == JsonTokenType.StartArray)
            {
                json.Read();
                var key = json.GetString()!;
                json.Read();
                var id = json.GetString()!;
                json.Read();
                var kind = (MissKind)json.GetInt32();
                json.Read();
                var confidence = json.GetDouble();
                json.Read();
                var prompt = json.GetString()!;
                json.Read();
                var session = json.GetString()!;
                json.Read();
                var at = json.GetInt64();
                json.Read();
                var example = json.GetString()!;
                if (!json.Read() || json.TokenType != JsonTokenType.EndArray)
                {
                    return null;
                }

                if (!result.TryGetValue(key, out var list))
                {
                    result[key] = list = [];
                }

                list.Add(new StatusMiss(id, kind, confidence, prompt, session, at, example));
            }

            return json.TokenType == JsonTokenType.EndArray ? result : null;
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or FormatException)
        {
            return null;
        }
    }
}
