using System.Text.Json;
using System.Text.Json.Nodes;
using Selftune.Abstractions;

namespace Selftune.Plugin.Shared;

/// <summary>One handler selftune wants under an event: <c>{"matcher"?: …, "hooks": [handler]}</c>.</summary>
/// <param name="Event">The event name (<c>Stop</c>, <c>PostToolUse</c>, …).</param>
/// <param name="Matcher">The group's matcher; null: a group without one (every occurrence).</param>
/// <param name="Handler">The handler object; its <c>command</c> string identifies it.</param>
internal sealed record HookEntry(string Event, string? Matcher, JsonObject Handler)
{
    /// <summary>The handler's command.</summary>
    public string Command => Handler["command"]?.GetValue<string>() ?? string.Empty;
}

/// <summary>What an install edit did.</summary>
/// <param name="Text">The new text (the input's when nothing changed).</param>
/// <param name="Added">Events a group was added to, in the order of the wanted entries.</param>
/// <param name="Replaced">True when entries of selftune's that are no longer wanted (another install location, an
/// event no longer used) were removed.</param>
internal sealed record HookEdit(string Text, IReadOnlyList<string> Added, bool Replaced);

/// <summary>
/// Edits the hook lists of an agent settings file shaped <c>{"hooks": {"&lt;Event&gt;": [{"matcher"?: …, "hooks":
/// [{"type": "command", "command": …, …}]}]}}</c> (Claude Code's <c>settings.json</c>, code.claude.com/docs/en/hooks;
/// Codex's <c>hooks.json</c>, developers.openai.com/codex/hooks) as text with <see cref="JsonTextEditor"/>: every
/// other key, hook and byte stays, and uninstall gives back the bytes install started from. Which handlers are
/// selftune's is the plugin's call (a predicate on the command); what they contain is the plugin's too.
/// </summary>
internal static class HookSettings
{
    private const int MaxEdits = 1000;

    /// <summary>Adds the wanted entries that are missing, after removing selftune's entries that are not wanted
    /// (every event is searched, so an entry of an event no longer installed goes too).</summary>
    /// <param name="text">The file's text; null or blank: a new file.</param>
    /// <param name="path">The file (for messages).</param>
    /// <param name="wanted">The entries to have, in the order to add them.</param>
    /// <param name="isOurs">True for a command selftune installed (from any location).</param>
    /// <param name="lenient">Accept comments and trailing commas (see <see cref="JsonTextEditor.Parse"/>).</param>
    /// <exception cref="InstallerException">The file is not JSON, or not shaped like a hooks file.</exception>
    public static HookEdit Install(string? text, string path, IReadOnlyList<HookEntry> wanted, Func<string, bool> isOurs, bool lenient)
    {
        var current = string.IsNullOrWhiteSpace(text) ? "{}\n" : text;
        var added = new HashSet<string>(StringComparer.Ordinal);
        var replaced = false;
        for (var step = 0; ; step++)
        {
            var editor = Parse(current, path, lenient);
            var root = editor.Root.Kind == JsonValueKind.Object
                ? editor.Root
                : throw new InstallerException($"'{path}' must hold a JSON object ({{\"hooks\": {{…}}}}), so selftune cannot edit its hooks. The file was left as it is; fix it and run the command again.", path);
            string? next;
            if (root["hooks"] is not { } hooks)
            {
                var all = new JsonObject();
                foreach (var group in wanted.GroupBy(w => w.Event))
                {
                    all[group.Key] = new JsonArray([.. group.Select(Group)]);
                    added.Add(group.Key);
                }

                next = editor.Insert(root, "hooks", all);
            }
            else
            {
                RequireEvents(hooks, wanted, path);
                if (StaleEntry(hooks, wanted, isOurs) is { } stale)
                {
                    replaced = true;
                    next = Remove(editor, hooks, stale, isOurs);
                }
                else if (wanted.FirstOrDefault(w => !Has(hooks, w, isOurs)) is { } missing)
                {
                    added.Add(missing.Event);
                    next = hooks[missing.Event] is { } groups ? editor.Insert(groups, null, Group(missing)) : editor.Insert(hooks, missing.Event, new JsonArray(Group(missing)));
                }
                else
                {
                    next = null;
                }
            }

            if (next is null)
            {
                return new HookEdit(current, wanted.Select(w => w.Event).Distinct().Where(added.Contains).ToList(), replaced);
            }

            current = next;
            Bound(step, path);
        }
    }

    /// <summary>Removes every handler <paramref name="isOurs"/> accepts, with the matcher group, event list and
    /// <c>hooks</c> object it leaves empty. A file of another shape holds none of selftune's handlers and is left as it is.</summary>
    /// <returns>The new text (the input's when nothing is selftune's).</returns>
    /// <exception cref="InstallerException">The file is not JSON.</exception>
    public static string Uninstall(string text, string path, Func<string, bool> isOurs, bool lenient)
    {
        for (var step = 0; ; step++)
        {
            var editor = Parse(text, path, lenient);
            if (editor.Root.Kind != JsonValueKind.Object || editor.Root["hooks"] is not { Kind: JsonValueKind.Object } hooks
                || Entries(hooks, isOurs).FirstOrDefault() is not { } entry)
            {
                return text;
            }

            text = Remove(editor, hooks, entry, isOurs);
            Bound(step, path);
        }
    }

    /// <summary>True when <paramref name="text"/> is a JSON object with no members (what an uninstall leaves of a file
    /// that held only selftune's hooks).</summary>
    public static bool IsEmptyObject(string text)
    {
        var trimmed = text.AsSpan().Trim();
        return trimmed.StartsWith("{") && trimmed.EndsWith("}") && trimmed[1..^1].Trim().IsEmpty;
    }

    private static JsonObject Group(HookEntry entry)
    {
        var group = new JsonObject();
        if (entry.Matcher is not null)
        {
            group["matcher"] = entry.Matcher;
        }

        group["hooks"] = new JsonArray(entry.Handler.DeepClone());
        return group;
    }

    private static bool Matches(Entry entry, HookEntry wanted) =>
        entry.Event == wanted.Event && entry.Command == wanted.Command && entry.Group["matcher"]?.StringValue == wanted.Matcher;

    private static bool Has(JsonTextEditor.Node hooks, HookEntry wanted, Func<string, bool> isOurs) =>
        Entries(hooks, isOurs).Any(e => Matches(e, wanted));

    /// <summary>The first of selftune's entries that no wanted entry accounts for (each wanted entry accounts for one).</summary>
    private static Entry? StaleEntry(JsonTextEditor.Node hooks, IReadOnlyList<HookEntry> wanted, Func<string, bool> isOurs)
    {
        var unmatched = wanted.ToList();
        foreach (var entry in Entries(hooks, isOurs))
        {
            if (unmatched.FirstOrDefault(w => Matches(entry, w)) is { } match)
            {
                unmatched.Remove(match);
            }
            else
            {
                return entry;
            }
        }

        return null;
    }

    private static void RequireEvents(JsonTextEditor.Node hooks, IReadOnlyList<HookEntry> wanted, string path)
    {
        if (hooks.Kind != JsonValueKind.Object)
        {
            throw new InstallerException($"\"hooks\" in '{path}' must be a JSON object of events, so selftune cannot edit its hooks. The file was left as it is; fix it and run the command again.", path);
        }

        if (hooks.Children.FirstOrDefault(e => e.Kind != JsonValueKind.Array && wanted.Any(w => w.Event == e.Name)) is { } notList)
        {
            throw new InstallerException($"\"hooks.{notList.Name}\" in '{path}' is not a list of matcher groups, so selftune cannot edit its hooks. The file was left as it is; fix the entry and run the command again.", path);
        }
    }

    private static IEnumerable<Entry> Entries(JsonTextEditor.Node hooks, Func<string, bool> isOurs)
    {
        foreach (var groups in hooks.Children.Where(c => c.Kind == JsonValueKind.Array))
        {
            foreach (var group in groups.Children.Where(g => g.Kind == JsonValueKind.Object))
            {
                if (group["hooks"] is { Kind: JsonValueKind.Array } list)
                {
                    foreach (var handler in list.Children)
                    {
                        if (handler.Kind == JsonValueKind.Object && handler["command"]?.StringValue is { } command && isOurs(command))
                        {
                            yield return new Entry(groups.Name!, command, groups, group, list, handler);
                        }
                    }
                }
            }
        }
    }

    /// <summary>Removes one of selftune's handlers, or the innermost container it leaves empty: its group (when the
    /// group holds only selftune's handlers), the event's list, or the whole <c>hooks</c> object.</summary>
    private static string Remove(JsonTextEditor editor, JsonTextEditor.Node hooks, Entry entry, Func<string, bool> isOurs)
    {
        if (entry.List.Children.Any(h => !(h.Kind == JsonValueKind.Object && h["command"]?.StringValue is { } c && isOurs(c))))
        {
            return editor.Remove(entry.List, entry.Handler);
        }

        if (entry.Groups.Children.Count > 1)
        {
            return editor.Remove(entry.Groups, entry.Group);
        }

        return hooks.Children.Count > 1 ? editor.Remove(hooks, entry.Groups) : editor.Remove(editor.Root, hooks);
    }

    private static JsonTextEditor Parse(string text, string path, bool lenient)
    {
        try
        {
            return JsonTextEditor.Parse(text, lenient);
        }
        catch (JsonException ex)
        {
            throw new InstallerException(
                $"'{path}' is not valid JSON (line {(ex.LineNumber ?? 0) + 1}, column {(ex.BytePositionInLine ?? 0) + 1}): {ex.Message} The file was left as it is; fix it and run the command again.",
                path);
        }
    }

    private static void Bound(int step, string path)
    {
        // Each step removes or adds one entry; a settings file never needs more than a few hundred.
        if (step > MaxEdits)
        {
            throw new InstallerException($"Editing '{path}' did not settle; it was left as it is.", path);
        }
    }

    private sealed record Entry(string Event, string Command, JsonTextEditor.Node Groups, JsonTextEditor.Node Group, JsonTextEditor.Node List, JsonTextEditor.Node Handler);
}
