using System.Text;
using System.Text.Json;

namespace Selftune.Core.Hooks;

/// <summary>
/// The hooks that act inside the agent's turn (Claude Code's hook protocol, code.claude.com/docs/en/hooks), run by the
/// hook after it has spooled the event:
/// <list type="bullet">
/// <item><b>auto-activate</b> (<c>UserPromptSubmit</c>): when the state file names something to act on (this session's
/// prompts keep using no skill, a skill failed its latest grading, proposals wait for review), one short line for the
/// agent as <c>{"hookSpecificOutput":{"hookEventName":"UserPromptSubmit","additionalContext":…}}</c> on stdout, at
/// most once per rule per session;</item>
/// <item><b>evolution guard</b> (<c>PreToolUse</c> of a tool writing a <c>SKILL.md</c> that selftune deployed and is still
/// watching): exit 2 with the reason on stderr (Claude Code blocks the call and shows the reason to the agent), unless
/// the hook runs with <see cref="NoGuardFlag"/>;</item>
/// <item><b>skill-change guard</b> (<c>PreToolUse</c> writing any other <c>SKILL.md</c>): once per skill per session, a
/// line telling the agent that selftune tracks the skill and what <c>selftune history</c> shows.</item>
/// </list>
/// What to act on comes from <see cref="StateFileName"/>, written by the core where that state changes
/// (<c>HookState</c>); the hook never opens the store. It reads the file only for these events, and for
/// <c>PreToolUse</c> only when the payload names a <c>SKILL.md</c>. Once-only markers are empty files under
/// <c>hook-sessions/&lt;session&gt;/</c>, created exclusively (a concurrent hook loses the race and says nothing). Fail-open:
/// any error (a garbage state file, an unreadable payload) lets the agent go on, and is logged.
/// </summary>
internal static class InTurnHooks
{
    /// <summary>The state file in the home.</summary>
    public const string StateFileName = "hook-state.json";

    /// <summary>The folder of per-session once-only markers in the home.</summary>
    public const string SessionsFolder = "hook-sessions";

    /// <summary>The hook flag that turns the evolution guard off for that hook command.</summary>
    public const string NoGuardFlag = "--no-guard";

    /// <summary>The exit code that makes Claude Code block a tool call and show stderr to the agent.</summary>
    public const int BlockExitCode = 2;

    /// <summary>True when <paramref name="eventName"/> with <paramref name="payload"/> may need the state file: a
    /// prompt, or a tool call whose payload names a <c>SKILL.md</c> (the cheap checks, before any file is read).</summary>
    public static bool Applies(string? eventName, ReadOnlySpan<byte> payload) =>
        eventName == "UserPromptSubmit" || (eventName == "PreToolUse" && payload.IndexOf("SKILL.md"u8) >= 0);

    /// <summary>Runs the in-turn hooks for one event.</summary>
    /// <param name="home">The home folder.</param>
    /// <param name="eventName">The event.</param>
    /// <param name="payload">The payload (JSON).</param>
    /// <param name="noGuard">The hook ran with <see cref="NoGuardFlag"/>.</param>
    /// <param name="stdout">Where the agent reads hook output.</param>
    /// <param name="stderr">Where the block reason goes.</param>
    /// <returns>0, or <see cref="BlockExitCode"/> when the evolution guard blocks the edit.</returns>
    /// <exception cref="Exception">Anything reading the state or the payload throws; the caller logs it and lets the
    /// agent go on.</exception>
    public static int Run(string home, string? eventName, ReadOnlySpan<byte> payload, bool noGuard, Stream stdout, TextWriter stderr)
    {
        var statePath = Path.Combine(home, StateFileName);
        if (!File.Exists(statePath))
        {
            return 0;
        }

        using var state = JsonDocument.Parse(File.ReadAllBytes(statePath));
        var s = state.RootElement;
        using var input = JsonDocument.Parse(payload.ToArray());
        var p = input.RootElement;
        var session = Text(p, "session_id") is { Length: > 0 } id ? Safe(id) : "unknown";
        return eventName == "UserPromptSubmit" ? Nudge(home, s, session, stdout) : Guard(home, s, p, session, noGuard, stdout, stderr);
    }

    private static int Nudge(string home, JsonElement s, string session, Stream stdout)
    {
        string? line = null;
        if (s.GetProperty("failing_skills") is { ValueKind: JsonValueKind.Array } failing && failing.GetArrayLength() > 0 && Once(home, session, "failing-gradings"))
        {
            var names = string.Join(", ", failing.EnumerateArray().Select(e => e.GetString()).Take(3));
            var first = failing[0].GetString();
            line = $"selftune: the latest grading of {names} failed; `selftune status` shows why, and `selftune evolve --skill {first}` improves it.";
        }
        else if (s.GetProperty("pending_proposals").GetInt64() is var pending and > 0 && Once(home, session, "pending-proposals"))
        {
            line = $"selftune: {pending} validated skill proposal(s) wait for review: `selftune proposals list`, then `selftune proposals approve ID`.";
        }
        else if (s.GetProperty("unmatched_sessions").TryGetProperty(session, out var count) && Once(home, session, "unmatched"))
        {
            line = $"selftune: {count.GetInt64()} prompts of this session used no skill; `selftune misses` shows which skill each should have used.";
        }

        if (line is not null)
        {
            Write(stdout, "UserPromptSubmit", line);
        }

        return 0;
    }

    private static int Guard(string home, JsonElement s, JsonElement p, string session, bool noGuard, Stream stdout, TextWriter stderr)
    {
        if (SkillFile(p) is not { } file)
        {
            return 0;
        }

        var skill = Path.GetFileName(Path.GetDirectoryName(file)) ?? "unknown";
        if (!noGuard)
        {
            foreach (var watched in s.GetProperty("watched").EnumerateArray())
            {
                if (string.Equals(Path.GetFullPath(watched.GetProperty("path").GetString()!), file, StringComparison.Ordinal))
                {
                    var name = watched.GetProperty("skill").GetString();
                    stderr.WriteLine(
                        $"selftune deployed a new description of the skill {name} to {file} ({watched.GetProperty("deployed_at").GetString()}) and is still watching how it does, so this edit was blocked: " +
                        $"an edit now would spoil the comparison. Run `selftune watch --skill {name}` to see its verdict, or `selftune rollback --skill {name}` to restore the previous version; " +
                        "to allow edits anyway: `selftune config set hooks.evolution_guard false`.");
                    return BlockExitCode;
                }
            }
        }

        if (s.GetProperty("skill_change_guard").GetBoolean() && Once(home, session, "skill-change-" + Safe(skill)))
        {
            Write(stdout, "PreToolUse", $"selftune tracks the skill {skill} ({file}): `selftune history --skill {skill}` shows its proposals, deploys and rollbacks; after this edit `selftune watch --skill {skill}` compares sessions before and after it.");
        }

        return 0;
    }

    /// <summary>The absolute <c>SKILL.md</c> a tool call writes (<c>tool_input.file_path</c>, or <c>path</c>), or null.</summary>
    private static string? SkillFile(JsonElement p)
    {
        if (!p.TryGetProperty("tool_input", out var input) || input.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        var path = Text(input, "file_path") ?? Text(input, "path");
        if (path is null || !string.Equals(Path.GetFileName(path), "SKILL.md", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        return Path.GetFullPath(Path.IsPathRooted(path) ? path : Path.Combine(Text(p, "cwd") ?? Environment.CurrentDirectory, path));
    }

    /// <summary>Creates the marker of <paramref name="rule"/> in <paramref name="session"/>; false when it existed.</summary>
    private static bool Once(string home, string session, string rule)
    {
        var folder = Path.Combine(home, SessionsFolder, session);
        Directory.CreateDirectory(folder);
        try
        {
            new FileStream(Path.Combine(folder, rule), FileMode.CreateNew, FileAccess.Write).Dispose();
            return true;
        }
        catch (IOException) when (File.Exists(Path.Combine(folder, rule)))
        {
            return false;
        }
    }

    private static void Write(Stream stdout, string eventName, string context)
    {
        using var json = new MemoryStream();
        using (var w = new Utf8JsonWriter(json))
        {
            w.WriteStartObject();
            w.WriteStartObject("hookSpecificOutput");
            w.WriteString("hookEventName", eventName);
            w.WriteString("additionalContext", context);
            w.WriteEndObject();
            w.WriteEndObject();
        }

        json.WriteByte((byte)'\n');
        stdout.Write(json.GetBuffer(), 0, (int)json.Length);
        stdout.Flush();
    }

    private static string? Text(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    /// <summary>A file-name-safe form of an id: letters, digits, <c>-</c>, <c>_</c>, <c>.</c> kept, anything else <c>_</c>, at most 100.</summary>
    private static string Safe(string id)
    {
        var b = new StringBuilder(Math.Min(id.Length, 100));
        foreach (var c in id.AsSpan(0, Math.Min(id.Length, 100)))
        {
            b.Append(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '_');
        }

        return b.ToString();
    }
}
