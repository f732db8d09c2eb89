using System.Text.Json;
using System.Text.Json.Nodes;
using Selftune.Abstractions;

namespace Selftune.Plugin.Claude;

/// <summary>
/// Installs selftune's hooks in Claude Code's <c>settings.json</c> (user: <c>~/.claude/settings.json</c>, or
/// <c>$CLAUDE_CONFIG_DIR/settings.json</c>; project: <c>.claude/settings.json</c> under the working directory).
/// Settings shape (code.claude.com/docs/en/hooks): <c>{"hooks":{"&lt;Event&gt;":[{"matcher"?,"hooks":[{"type":"command","command",…}]}]}}</c>.
/// <para>The file is edited as text (<see cref="JsonTextEditor"/>): every user setting and every other hook keeps its
/// bytes; selftune adds one group of its own per event, written in the file's indentation style. An entry is selftune's
/// when its command runs an executable with the same name as the installed one followed by <c>hook</c>, so an install
/// from another path replaces the old entries instead of adding a second set. Uninstall removes those entries, and the
/// groups, event lists and <c>hooks</c> object that only held them.</para>
/// </summary>
public sealed class ClaudeInstaller : IInstaller
{
    /// <summary>Seconds Claude Code waits for a hook before giving up on it (the hook bounds itself to less).</summary>
    public const int HookTimeoutSeconds = 10;

    /// <summary>The hooks selftune installs: event, tool matcher (null: every occurrence), and whether Claude Code may
    /// run it in the background (<c>async</c>: only where the hook answers nothing and the session goes on). <c>Stop</c>
    /// is not async: <c>claude -p</c> cancels background hooks once its result is out and fires no <c>SessionEnd</c>, so a
    /// headless turn would never be stored live; the hook only spools and starts a detached drain (~30 ms).</summary>
    public static IReadOnlyList<(string Event, string? Matcher, bool Async)> Hooks { get; } =
    [
        ("UserPromptSubmit", null, false),
        ("PostToolUse", "Skill|Read", true),
        ("Stop", null, false),
        ("SessionEnd", null, false),
        ("SessionStart", null, false),
    ];

    /// <summary>The events that end a turn or a session: their commands carry <see cref="PluginContract.TurnEndFlag"/>.</summary>
    public static IReadOnlyList<string> TurnEndEvents { get; } = ["Stop", "SessionEnd"];

    /// <inheritdoc />
    public string Platform => Platforms.ClaudeCode;

    /// <inheritdoc />
    public IReadOnlyList<string> ProjectSkillFolders { get; } = [ClaudeDetection.ProjectSkillFolder];

    /// <inheritdoc />
    public IReadOnlyList<string> EnvironmentVariables => ClaudeDetection.EnvironmentVariables;

    /// <inheritdoc />
    public AgentDetection Detect(PlatformContext context)
    {
        try
        {
            return ClaudeDetection.Detect(context);
        }
#pragma warning disable CA1031 // Detect never throws (contract): a machine it cannot read has no Claude Code as far as it can tell.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            return new AgentDetection(false, $"detection failed: {ex.Message}", null, []);
        }
    }

    /// <inheritdoc />
    public InstallPlan PlanInstall(PlatformContext context, InstallScope scope, string hookCommand)
    {
        var path = SettingsPath(context, scope);
        var original = Read(path);
        var text = original is null || original.Trim().Length == 0 ? "{}\n" : original;
        var exe = ExecutableName(hookCommand);
        var added = new List<string>();
        for (var step = 0; ; step++)
        {
            var editor = Parse(text, path);
            var next = NextInstallEdit(editor, hookCommand, exe, path, added);
            if (next is null)
            {
                break;
            }

            text = next;
            Bound(step, path);
        }

        return text == original
            ? new InstallPlan([])
            : new InstallPlan([new FileChange(path, original, text, $"add selftune hooks for {string.Join(", ", added.Distinct())}")]);
    }

    /// <inheritdoc />
    public InstallPlan PlanUninstall(PlatformContext context, InstallScope scope, string hookCommand)
    {
        var path = SettingsPath(context, scope);
        var original = Read(path);
        if (original is null || original.Trim().Length == 0)
        {
            return new InstallPlan([]);
        }

        var exe = ExecutableName(hookCommand);
        var text = original;
        var removed = 0;
        for (var step = 0; ; step++)
        {
            var editor = Parse(text, path);
            var next = NextUninstallEdit(editor, exe);
            if (next is null)
            {
                break;
            }

            text = next;
            removed++;
            Bound(step, path);
        }

        return removed == 0 ? new InstallPlan([]) : new InstallPlan([new FileChange(path, original, text, "remove selftune's hook entries")]);
    }

    /// <summary>The settings file of <paramref name="scope"/>.</summary>
    public static string SettingsPath(PlatformContext context, InstallScope scope) => scope == InstallScope.Project
        ? Path.Combine(context.WorkingDirectory, ".claude", "settings.json")
        : ClaudeDetection.UserSettingsPath(context);

    /// <summary>The command selftune installs for <paramref name="eventName"/>.</summary>
    public static string CommandFor(string hookCommand, string eventName) =>
        $"{hookCommand} {eventName} --platform {Platforms.ClaudeCode}" + (TurnEndEvents.Contains(eventName) ? " " + PluginContract.TurnEndFlag : string.Empty);

    private string? NextInstallEdit(JsonTextEditor editor, string hookCommand, string exe, string path, List<string> added)
    {
        var root = RequireObject(editor.Root, path, "The settings");
        if (root["hooks"] is not { } hooks)
        {
            var all = new JsonObject();
            foreach (var hook in Hooks)
            {
                all[hook.Event] = new JsonArray(Group(hookCommand, hook));
                added.Add(hook.Event);
            }

            return editor.Insert(root, "hooks", all);
        }

        RequireObject(hooks, path, "\"hooks\"");
        foreach (var hook in Hooks)
        {
            if (hooks[hook.Event] is not { } groups)
            {
                added.Add(hook.Event);
                return editor.Insert(hooks, hook.Event, new JsonArray(Group(hookCommand, hook)));
            }

            if (groups.Kind != JsonValueKind.Array)
            {
                throw new InstallerException($"\"hooks.{hook.Event}\" in '{path}' is not a list, so selftune cannot add its hook there. The file was left as it is; fix the entry.", path);
            }

            var wanted = CommandFor(hookCommand, hook.Event);
            var ours = Ours(groups, exe).ToList();
            var keep = ours.FirstOrDefault(o => o.Entry["command"]?.StringValue == wanted && o.Group["matcher"]?.StringValue == hook.Matcher);
            if (ours.FirstOrDefault(o => o != keep) is { } stale)
            {
                added.Add(hook.Event);
                return RemoveEntry(editor, hooks, groups, stale, exe);
            }

            if (keep is null)
            {
                added.Add(hook.Event);
                return editor.Insert(groups, null, Group(hookCommand, hook));
            }
        }

        return null;
    }

    private static string? NextUninstallEdit(JsonTextEditor editor, string exe)
    {
        if (editor.Root.Kind != JsonValueKind.Object || editor.Root["hooks"] is not { Kind: JsonValueKind.Object } hooks)
        {
            return null;
        }

        foreach (var groups in hooks.Children.Where(c => c.Kind == JsonValueKind.Array))
        {
            if (Ours(groups, exe).FirstOrDefault() is { } entry)
            {
                return RemoveEntry(editor, hooks, groups, entry, exe);
            }
        }

        return null;
    }

    /// <summary>Removes one of selftune's entries, or the innermost container it leaves empty: its group, the event's
    /// list, or the whole <c>hooks</c> object.</summary>
    private static string RemoveEntry(JsonTextEditor editor, JsonTextEditor.Node hooks, JsonTextEditor.Node groups, OurEntry entry, string exe)
    {
        if (entry.List.Children.Any(e => !IsOurs(e, exe)))
        {
            return editor.Remove(entry.List, entry.Entry);
        }

        if (groups.Children.Count > 1)
        {
            return editor.Remove(groups, entry.Group);
        }

        return hooks.Children.Count > 1 ? editor.Remove(hooks, groups) : editor.Remove(editor.Root, hooks);
    }

    private static IEnumerable<OurEntry> Ours(JsonTextEditor.Node groups, string exe)
    {
        foreach (var group in groups.Children.Where(g => g.Kind == JsonValueKind.Object))
        {
            if (group["hooks"] is { Kind: JsonValueKind.Array } list)
            {
                foreach (var entry in list.Children.Where(e => IsOurs(e, exe)))
                {
                    yield return new OurEntry(group, list, entry);
                }
            }
        }
    }

    private static bool IsOurs(JsonTextEditor.Node entry, string exe)
    {
        if (entry.Kind != JsonValueKind.Object || entry["command"]?.StringValue is not { } command)
        {
            return false;
        }

        var (program, rest) = SplitCommand(command);
        return ExecutableStem(program).Equals(exe, StringComparison.OrdinalIgnoreCase)
            && (rest == "hook" || rest.StartsWith("hook ", StringComparison.Ordinal));
    }

    private static JsonObject Group(string hookCommand, (string Event, string? Matcher, bool Async) hook)
    {
        var handler = new JsonObject
        {
            ["type"] = "command",
            ["command"] = CommandFor(hookCommand, hook.Event),
            ["timeout"] = HookTimeoutSeconds,
        };
        if (hook.Async)
        {
            handler["async"] = true;
        }

        var group = new JsonObject();
        if (hook.Matcher is not null)
        {
            group["matcher"] = hook.Matcher;
        }

        group["hooks"] = new JsonArray(handler);
        return group;
    }

    private static JsonTextEditor.Node RequireObject(JsonTextEditor.Node node, string path, string what) => node.Kind == JsonValueKind.Object
        ? node
        : throw new InstallerException($"{what} in '{path}' must be a JSON object, so selftune cannot add its hooks. The file was left as it is.", path);

    private static JsonTextEditor Parse(string text, string path)
    {
        try
        {
            return JsonTextEditor.Parse(text);
        }
        catch (JsonException ex)
        {
            throw new InstallerException(
                $"'{path}' is not valid JSON (line {(ex.LineNumber ?? 0) + 1}, column {(ex.BytePositionInLine ?? 0) + 1}): {ex.Message} The file was left as it is; fix it and run the command again.",
                path);
        }
    }

    private static string? Read(string path)
    {
        try
        {
            return File.Exists(path) ? File.ReadAllText(path) : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new InstallerException($"Cannot read '{path}': {ex.Message}. The file was left as it is.", path);
        }
    }

    private static void Bound(int step, string path)
    {
        // Each step removes or adds one entry; a settings file never needs more than a few hundred.
        if (step > 1000)
        {
            throw new InstallerException($"Editing '{path}' did not settle; it was left as it is.", path);
        }
    }

    private static string ExecutableName(string hookCommand) => ExecutableStem(SplitCommand(hookCommand).Program);

    private static string ExecutableStem(string program) => Path.GetFileNameWithoutExtension(program.Replace('\\', '/').Split('/')[^1]);

    /// <summary>Splits a POSIX shell command line (Claude Code runs hook commands through the shell) into its first word,
    /// unquoted (<c>'…'</c>; <c>"…"</c> with <c>\"</c>, <c>\\</c>, <c>\$</c>, <c>\`</c>; <c>\x</c> outside quotes; adjacent
    /// parts joined), and the rest (trimmed).</summary>
    private static (string Program, string Arguments) SplitCommand(string command)
    {
        var s = command.TrimStart();
        var word = new System.Text.StringBuilder();
        var i = 0;
        for (; i < s.Length && !char.IsWhiteSpace(s[i]); i++)
        {
            switch (s[i])
            {
                case '\'' when s.IndexOf('\'', i + 1) is var close and > 0:
                    word.Append(s, i + 1, close - i - 1);
                    i = close;
                    break;
                case '"':
                    for (i++; i < s.Length && s[i] != '"'; i++)
                    {
                        if (s[i] == '\\' && i + 1 < s.Length && s[i + 1] is '"' or '\\' or '$' or '`')
                        {
                            i++;
                        }

                        word.Append(s[i]);
                    }

                    break;
                case '\\' when i + 1 < s.Length:
                    word.Append(s[++i]);
                    break;
                default:
                    word.Append(s[i]);
                    break;
            }
        }

        return (word.ToString(), s[Math.Min(i, s.Length)..].Trim());
    }

    private sealed record OurEntry(JsonTextEditor.Node Group, JsonTextEditor.Node List, JsonTextEditor.Node Entry);
}
