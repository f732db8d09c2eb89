using System.Text.Json;
using Selftune.Abstractions;

namespace Selftune.Plugin.Shared;

/// <summary>Opens the JSON payload a hook handler gets on stdin, the same way in every plugin. Compiled into each
/// plugin as a linked source file.</summary>
internal static class HookPayload
{
    /// <summary>Parses <paramref name="hookEvent"/>'s payload.</summary>
    /// <param name="hookEvent">The event.</param>
    /// <param name="sink">Where a payload that is not a JSON object is reported (never thrown: hooks must not fail).</param>
    /// <param name="source">What the report names (e.g. <c>codex hook Stop</c>).</param>
    /// <returns>The document, whose root is an object (the caller disposes it); null when it was reported.</returns>
    public static JsonDocument? Open(HookEvent hookEvent, IRecordSink sink, string source)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(hookEvent.Payload);
        }
        catch (JsonException ex)
        {
            sink.Malformed(source, 0, $"the payload is not valid JSON ({ex.Message}); ignored.");
            return null;
        }

        if (document.RootElement.ValueKind is var kind && kind != JsonValueKind.Object)
        {
            document.Dispose();
            sink.Malformed(source, 0, $"the payload is a JSON {kind.ToString().ToLowerInvariant()}, not an object; ignored.");
            return null;
        }

        return document;
    }

    /// <summary>True when <paramref name="payload"/> is a JSON object that <paramref name="accept"/> accepts; never throws
    /// (for <see cref="IHookHandler.Recognizes"/>).</summary>
    public static bool Matches(string payload, Func<JsonElement, bool> accept)
    {
        try
        {
            using var document = JsonDocument.Parse(payload);
            return document.RootElement.ValueKind == JsonValueKind.Object && accept(document.RootElement);
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>True when <paramref name="root"/>'s <c>selftune_hook</c> field starts with <paramref name="prefix"/>: the
    /// payload a hook file selftune wrote sends (e.g. <c>pi/</c>, <c>openclaw/</c>).</summary>
    public static bool IsTagged(JsonElement root, string prefix) =>
        JsonFields.Text(root, "selftune_hook")?.StartsWith(prefix, StringComparison.Ordinal) == true;
}
