using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Selftune.Core.Configuration;

/// <summary>A setting selftune knows: its dotted key (<c>llm.backend</c>), default and meaning. The environment
/// variable that overrides it is <c>SELFTUNE_</c> + the key upper-cased with dots as underscores.</summary>
/// <param name="Key">Dotted key; in <c>config.json</c> each dot is a nested object.</param>
/// <param name="Default">Default value as text, or null for "unset".</param>
/// <param name="Description">What it does, for <c>selftune config</c>.</param>
public sealed record ConfigKey(string Key, string? Default, string Description)
{
    /// <summary>The environment variable that overrides this key.</summary>
    public string EnvironmentVariable => "SELFTUNE_" + Key.Replace('.', '_').Replace('-', '_').ToUpperInvariant();
}

/// <summary>Where a setting's effective value came from.</summary>
public enum ConfigSource
{
    /// <summary>The built-in default.</summary>
    Default,
    /// <summary><c>config.json</c>.</summary>
    File,
    /// <summary>An environment variable.</summary>
    Environment,
    /// <summary>A command-line flag.</summary>
    Flag,
}

/// <summary>
/// Effective configuration. Precedence: flags &gt; environment &gt; <c>config.json</c> &gt; defaults.
/// Keys are declared in <see cref="ConfigKeys"/>.
/// </summary>
public sealed class SelftuneConfig
{
    private readonly Dictionary<string, (string? Value, ConfigSource Source)> _values = new(StringComparer.Ordinal);

    private SelftuneConfig()
    {
    }

    /// <summary>Every known key with its effective value and source.</summary>
    public IEnumerable<(ConfigKey Key, string? Value, ConfigSource Source)> Entries =>
        ConfigKeys.All.Select(k => (k, _values[k.Key].Value, _values[k.Key].Source));

    /// <summary>Loads the configuration.</summary>
    /// <param name="configPath">Path of <c>config.json</c>; a missing file means defaults.</param>
    /// <param name="environment">Reads an environment variable.</param>
    /// <param name="flags">Values given as command-line flags, by key.</param>
    /// <exception cref="SelftuneException"><see cref="ErrorCodes.ConfigInvalid"/> when the file is not valid JSON (with line
    /// and column) or has a value of the wrong type; the file is left as it is.</exception>
    public static SelftuneConfig Load(string configPath, Func<string, string?> environment, IReadOnlyDictionary<string, string?>? flags = null)
    {
        var config = new SelftuneConfig();
        var file = ReadFile(configPath);
        foreach (var key in ConfigKeys.All)
        {
            (string?, ConfigSource) value = (key.Default, ConfigSource.Default);
            if (file.TryGetValue(key.Key, out var fromFile))
            {
                value = (fromFile, ConfigSource.File);
            }

            if (environment(key.EnvironmentVariable) is { } fromEnv)
            {
                value = (fromEnv, ConfigSource.Environment);
            }

            if (flags is not null && flags.TryGetValue(key.Key, out var fromFlag) && fromFlag is not null)
            {
                value = (fromFlag, ConfigSource.Flag);
            }

            config._values[key.Key] = value;
        }

        return config;
    }

    /// <summary>The effective text value of <paramref name="key"/>, or null when unset.</summary>
    /// <exception cref="ArgumentException">The key is not declared in <see cref="ConfigKeys"/>.</exception>
    public string? Get(string key) =>
        _values.TryGetValue(key, out var v) ? v.Value : throw new ArgumentException($"Unknown configuration key {ShellCommand.Quoted(key)}.", nameof(key));

    /// <summary>Where the effective value of <paramref name="key"/> came from.</summary>
    public ConfigSource SourceOf(string key) => _values[key].Source;

    /// <summary>The value as a boolean (<c>true/false/1/0/yes/no/on/off</c>).</summary>
    /// <exception cref="SelftuneException"><see cref="ErrorCodes.ConfigInvalid"/> when it is not a boolean.</exception>
    public bool GetBool(string key) => Get(key)?.Trim().ToLowerInvariant() switch
    {
        "true" or "1" or "yes" or "on" => true,
        "false" or "0" or "no" or "off" or null or "" => false,
        var other => throw Invalid(key, other, "true or false"),
    };

    /// <summary>The value as an integer.</summary>
    /// <exception cref="SelftuneException"><see cref="ErrorCodes.ConfigInvalid"/> when it is not an integer.</exception>
    public long GetInt(string key) =>
        long.TryParse(Get(key), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : throw Invalid(key, Get(key), "a whole number");

    /// <summary>The value as a number.</summary>
    /// <exception cref="SelftuneException"><see cref="ErrorCodes.ConfigInvalid"/> when it is not a number.</exception>
    public double GetDouble(string key) =>
        double.TryParse(Get(key), NumberStyles.Float, CultureInfo.InvariantCulture, out var n) ? n : throw Invalid(key, Get(key), "a number");

    /// <summary>Sets <paramref name="key"/> in <c>config.json</c>, keeping every other key (ours or not), atomically.</summary>
    /// <param name="configPath">The file.</param>
    /// <param name="key">A declared key.</param>
    /// <param name="value">The value; null removes the key.</param>
    /// <exception cref="SelftuneException">The key is unknown, or the file is malformed (it is then left as it is).</exception>
    public static void Set(string configPath, string key, string? value)
    {
        if (!ConfigKeys.All.Any(k => k.Key == key))
        {
            throw new SelftuneException(ErrorCodes.InvalidArgument, $"Unknown configuration key {ShellCommand.Quoted(key)}.", "selftune config list");
        }

        var root = ReadDocument(configPath) ?? new JsonObject();
        var parts = key.Split('.');
        var node = root;
        foreach (var part in parts[..^1])
        {
            if (node[part] is not JsonObject child)
            {
                child = new JsonObject();
                node[part] = child;
            }

            node = child;
        }

        if (value is null)
        {
            node.Remove(parts[^1]);
        }
        else
        {
            node[parts[^1]] = JsonValue.Create(value);
        }

        AtomicFile.WriteAllText(configPath, root.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
    }

    private static SelftuneException Invalid(string key, string? value, string expected) => new(
        ErrorCodes.ConfigInvalid,
        $"Setting {ShellCommand.Quoted(key)} is {ShellCommand.Quoted(value)}, but it must be {expected}.",
        ShellCommand.Line($"selftune config set {key} <value>"));

    private static Dictionary<string, string?> ReadFile(string path)
    {
        var result = new Dictionary<string, string?>(StringComparer.Ordinal);
        if (ReadDocument(path) is { } root)
        {
            Flatten(root, string.Empty, result);
        }

        return result;
    }

    private static JsonObject? ReadDocument(string path)
    {
        string text;
        try
        {
            if (!File.Exists(path))
            {
                return null;
            }

            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new SelftuneException(ErrorCodes.ConfigInvalid, $"Cannot read '{path}': {ex.Message}.", ShellCommand.Line($"chmod u+rw {path}"), inner: ex);
        }

        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        try
        {
            return JsonNode.Parse(text, documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true }) as JsonObject
                ?? throw new SelftuneException(ErrorCodes.ConfigInvalid, $"'{path}' must hold a JSON object; it was left as it is.", ShellCommand.Line($"mv {path} {path + ".invalid"}"));
        }
        catch (JsonException ex)
        {
            throw new SelftuneException(
                ErrorCodes.ConfigInvalid,
                $"'{path}' is not valid JSON (line {(ex.LineNumber ?? 0) + 1}, column {(ex.BytePositionInLine ?? 0) + 1}). The file was left as it is; fix it, or move it aside to start from defaults.",
                ShellCommand.Line($"mv {path} {path + ".invalid"}"),
                inner: ex);
        }
    }

    private static void Flatten(JsonObject node, string prefix, Dictionary<string, string?> into)
    {
        foreach (var (name, value) in node)
        {
            var key = prefix.Length == 0 ? name : prefix + "." + name;
            switch (value)
            {
                case JsonObject child:
                    Flatten(child, key, into);
                    break;
                case null:
                    into[key] = null;
                    break;
                case JsonValue v when v.TryGetValue<string>(out var s):
                    into[key] = s;
                    break;
                default:
                    into[key] = value.ToJsonString();
                    break;
            }
        }
    }
}
