using System.Text.Json;
using Selftune.Abstractions;
using Selftune.Plugin.Codex.Skills;

namespace Selftune.Plugin.Codex.Install;

/// <summary>
/// Plans the edits of a Codex <c>hooks.json</c>: <c>{"hooks": {"&lt;Event&gt;": [{"matcher"?: …, "hooks":
/// [{"type": "command", "command": …, "timeout": seconds}]}]}}</c> (developers.openai.com/codex/hooks; the same
/// event → matcher group → handlers shape as Claude Code). Edits are textual (<see cref="JsonLayout"/>): every other
/// key, hook and byte stays as it was.
/// </summary>
internal static class HooksFile
{
    /// <summary>The events selftune installs, with their handler timeouts in seconds. <c>PreToolUse</c> is left
    /// out: <c>PostToolUse</c> carries the same input plus the result, and every hook delays the agent.</summary>
    public static readonly IReadOnlyList<(string Event, int TimeoutSeconds)> Events =
    [
        ("SessionStart", 30), ("UserPromptSubmit", 10), ("PostToolUse", 10), ("Stop", 30),
    ];

    /// <summary>The command installed for <paramref name="hookEvent"/>.</summary>
    public static string Command(string hookCommand, string hookEvent) =>
        $"{hookCommand} {hookEvent} --platform codex" + (hookEvent == "Stop" ? " " + PluginContract.TurnEndFlag : string.Empty);

    /// <summary>True when <paramref name="command"/> is a selftune hook: it starts with <paramref name="hookCommand"/>,
    /// or runs an executable of the same name followed by <c>hook</c> (an install from another location).</summary>
    public static bool IsOurs(string command, string hookCommand)
    {
        if (command.StartsWith(hookCommand + " ", StringComparison.Ordinal))
        {
            return true;
        }

        var ours = ShellWords.Split(hookCommand);
        var theirs = ShellWords.Split(command);
        return ours.Count >= 2 && ours[1] == "hook" && theirs.Count >= 2 && theirs[1] == "hook" && ProgramName(ours[0]) == ProgramName(theirs[0]);
    }

    /// <summary>Plans the install: stale selftune handlers are replaced, missing events added.</summary>
    /// <param name="text">The current file, or null when it does not exist.</param>
    /// <param name="path">The file (for messages).</param>
    /// <param name="hookCommand">The command prefix to install.</param>
    /// <returns>The new text and the events added (empty when already installed).</returns>
    /// <exception cref="InstallerException">The file is not JSON, or not shaped like a hooks file.</exception>
    public static (string Text, IReadOnlyList<string> Added) Install(string? text, string path, string hookCommand)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return (NewFile(hookCommand, text), [.. Events.Select(e => e.Event)]);
        }

        var current = RemoveHandlers(text, path, command => IsOurs(command, hookCommand) && !Events.Any(e => Command(hookCommand, e.Event) == command), deleteWhenEmpty: false)!;
        var layout = Parse(current, path);
        var hooks = layout.Root.Member("hooks")?.Value;
        var missing = Events.Where(e => hooks is null || !Contains(hooks.Member(e.Event)?.Value, Command(hookCommand, e.Event), path)).ToList();
        if (missing.Count == 0)
        {
            return (current, []);
        }

        if (hooks is null)
        {
            layout.Append(layout.Root, (_, indent) => "\"hooks\": " + layout.Render(w => WriteHooks(w, hookCommand, missing), indent), 1);
        }
        else
        {
            var toAdd = new List<(string Event, int TimeoutSeconds)>();
            foreach (var e in missing)
            {
                if (hooks.Member(e.Event)?.Value is { } groups)
                {
                    layout.Append(groups, (_, indent) => layout.Render(w => WriteGroup(w, Command(hookCommand, e.Event), e.TimeoutSeconds), indent), 1);
                }
                else
                {
                    toAdd.Add(e);
                }
            }

            if (toAdd.Count > 0)
            {
                layout.Append(hooks, (i, indent) => JsonEncodedName(toAdd[i].Event) + ": " + layout.Render(w => WriteGroups(w, Command(hookCommand, toAdd[i].Event), toAdd[i].TimeoutSeconds), indent), toAdd.Count);
            }
        }

        return (layout.Apply(), [.. missing.Select(e => e.Event)]);
    }

    /// <summary>Plans removing every handler <paramref name="isOurs"/> accepts. A matcher group left without handlers
    /// is removed, then an event left without groups, then <c>hooks</c> left without events.</summary>
    /// <returns>The new text, or null when the file would be left as an empty object and <paramref name="deleteWhenEmpty"/>.</returns>
    /// <exception cref="InstallerException">The file is not JSON, or not shaped like a hooks file.</exception>
    public static string? RemoveHandlers(string text, string path, Func<string, bool> isOurs, bool deleteWhenEmpty)
    {
        var layout = Parse(text, path);
        if (layout.Root.Member("hooks") is not { Value: { Kind: JsonTokenType.StartObject } hooks })
        {
            return text;
        }

        var emptiedEvents = new HashSet<int>();
        for (var e = 0; e < hooks.Members.Count; e++)
        {
            if (hooks.Members[e].Value is not { Kind: JsonTokenType.StartArray } groups)
            {
                continue;
            }

            var emptiedGroups = new HashSet<int>();
            for (var g = 0; g < groups.Items.Count; g++)
            {
                if (groups.Items[g].Member("hooks")?.Value is not { Kind: JsonTokenType.StartArray } handlers)
                {
                    continue;
                }

                var ours = Enumerable.Range(0, handlers.Items.Count).Where(h => handlers.Items[h].Member("command")?.Value.Text is { } c && isOurs(c)).ToHashSet();
                if (ours.Count == handlers.Items.Count && ours.Count > 0)
                {
                    emptiedGroups.Add(g);
                }
                else if (ours.Count > 0)
                {
                    layout.Remove(handlers, ours);
                }
            }

            if (emptiedGroups.Count > 0 && emptiedGroups.Count == groups.Items.Count)
            {
                emptiedEvents.Add(e);
            }
            else if (emptiedGroups.Count > 0)
            {
                layout.Remove(groups, emptiedGroups);
            }
        }

        if (emptiedEvents.Count > 0 && emptiedEvents.Count == hooks.Members.Count)
        {
            if (layout.Root.Members.Count > 1)
            {
                layout.Remove(layout.Root, new HashSet<int> { layout.Root.Members.FindIndex(m => m.Name == "hooks") });
            }
            else if (deleteWhenEmpty)
            {
                return null;
            }
            else
            {
                layout.Clear(layout.Root);
            }
        }
        else if (emptiedEvents.Count > 0)
        {
            layout.Remove(hooks, emptiedEvents);
        }

        return layout.Changed ? layout.Apply() : text;
    }

    private static bool Contains(LayoutNode? groups, string command, string path)
    {
        if (groups is null)
        {
            return false;
        }

        if (groups.Kind != JsonTokenType.StartArray)
        {
            throw new InstallerException($"{path}: a hooks event must be an array of matcher groups; fix the file, then install again.", path);
        }

        return groups.Items.Any(g => g.Member("hooks")?.Value.Items.Any(h => h.Member("command")?.Value.Text == command) == true);
    }

    private static JsonLayout Parse(string text, string path)
    {
        JsonLayout layout;
        try
        {
            layout = JsonLayout.Parse(text);
        }
        catch (JsonException e)
        {
            throw new InstallerException(
                $"{path} is not valid JSON (line {(e.LineNumber ?? 0) + 1}, column {(e.BytePositionInLine ?? 0) + 1}): {e.Message} Fix the file or move it aside, then install again.", path);
        }

        if (layout.Root.Kind != JsonTokenType.StartObject)
        {
            throw new InstallerException($"{path} must hold a JSON object ({{\"hooks\": {{…}}}}); fix the file or move it aside, then install again.", path);
        }

        if (layout.Root.Member("hooks") is { Value.Kind: not JsonTokenType.StartObject })
        {
            throw new InstallerException($"{path}: \"hooks\" must be an object of events; fix the file or move it aside, then install again.", path);
        }

        return layout;
    }

    private static string NewFile(string hookCommand, string? whitespace)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, NewLine = "\n", Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            writer.WriteStartObject();
            writer.WritePropertyName("hooks");
            WriteHooks(writer, hookCommand, Events);
            writer.WriteEndObject();
        }

        return (whitespace ?? string.Empty) + System.Text.Encoding.UTF8.GetString(buffer.ToArray()) + "\n";
    }

    private static void WriteHooks(Utf8JsonWriter writer, string hookCommand, IEnumerable<(string Event, int TimeoutSeconds)> events)
    {
        writer.WriteStartObject();
        foreach (var (name, timeout) in events)
        {
            writer.WritePropertyName(name);
            WriteGroups(writer, Command(hookCommand, name), timeout);
        }

        writer.WriteEndObject();
    }

    private static void WriteGroups(Utf8JsonWriter writer, string command, int timeout)
    {
        writer.WriteStartArray();
        WriteGroup(writer, command, timeout);
        writer.WriteEndArray();
    }

    private static void WriteGroup(Utf8JsonWriter writer, string command, int timeout)
    {
        writer.WriteStartObject();
        writer.WriteStartArray("hooks");
        writer.WriteStartObject();
        writer.WriteString("type", "command");
        writer.WriteString("command", command);
        writer.WriteNumber("timeout", timeout);
        writer.WriteEndObject();
        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    private static string JsonEncodedName(string name) => JsonSerializer.Serialize(name);

    private static string ProgramName(string word)
    {
        var name = word.Replace('\\', '/');
        return Path.GetFileNameWithoutExtension(name[(name.LastIndexOf('/') + 1)..]);
    }
}
