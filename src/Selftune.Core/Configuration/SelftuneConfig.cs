using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Selftune.Core.Configuration;

/// <summary>A setting selftune knows: its dotted key (<c>llm.backend</c>), default, meaning and the values it accepts
/// (<see cref="Kind"/>, <see cref="Minimum"/>/<see cref="Maximum"/>, <see cref="Values"/>). The environment variable that
/// overrides it is <c>SELFTUNE_</c> + the key upper-cased with dots as underscores.</summary>
/// <param name="Key">Dotted key; in <c>config.json</c> each dot is a nested object.</param>
/// <param name="Default">Default value as text, or null for "unset".</param>
/// <param name="Description">What it does, for <c>selftune config</c>.</param>
internal sealed record ConfigKey(string Key, string? Default, string Description)
{
    /// <summary>The environment variable that overrides this key.</summary>
    public string EnvironmentVariable => "SELFTUNE_" + Key.Replace('.', '_').Replace('-', '_').ToUpperInvariant();

    /// <summary>What kind of value it takes (default: free text).</summary>
    public ConfigKind Kind { get; init; } = ConfigKind.Text;

    /// <summary>Smallest accepted value of an <see cref="ConfigKind.Integer"/> or <see cref="ConfigKind.Number"/> key, if any.</summary>
    public double? Minimum { get; init; }

    /// <summary>Largest accepted value of an <see cref="ConfigKind.Integer"/> or <see cref="ConfigKind.Number"/> key, if any.</summary>
    public double? Maximum { get; init; }

    /// <summary>The accepted values of a <see cref="ConfigKind.Choice"/> key.</summary>
    public IReadOnlyList<string> Values { get; init; } = [];

    /// <summary>What the key accepts, as a phrase: <c>a whole number from 1 to 10</c>, <c>one of auto, judge, replay</c>.</summary>
    public string Accepts => Kind switch
    {
        ConfigKind.Boolean => "true or false",
        ConfigKind.Integer => "a whole number" + Range(),
        ConfigKind.Number => "a number" + Range(),
        ConfigKind.Choice => "one of " + string.Join(", ", Values),
        ConfigKind.Url => "an absolute http:// or https:// URL",
        ConfigKind.EnvironmentVariable => "an environment variable name (letters, digits and _, not starting with a digit)",
        _ => "any text",
    };

    /// <summary>Why <paramref name="value"/> is not acceptable for this key, as a sentence naming what is; null when it
    /// is acceptable (an unset value always is).</summary>
    public string? Problem(string? value)
    {
        if (value is null || (value.Length == 0 && Kind != ConfigKind.Choice))
        {
            return null;
        }

        var ok = Kind switch
        {
            ConfigKind.Boolean => ParseBool(value) is not null,
            ConfigKind.Integer => long.TryParse(value.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && InRange(n),
            ConfigKind.Number => double.TryParse(value.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d) && InRange(d),
            ConfigKind.Choice => Values.Contains(value, StringComparer.Ordinal),
            ConfigKind.Url => Uri.TryCreate(value, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https",
            ConfigKind.EnvironmentVariable => value.All(c => char.IsAsciiLetterOrDigit(c) || c == '_') && !char.IsAsciiDigit(value[0]),
            _ => true,
        };
        return ok ? null : $"Setting {ShellCommand.Quoted(Key)} cannot be {ShellCommand.Quoted(value)}: it must be {Accepts}.";
    }

    /// <summary>A boolean's text (<c>true/false/1/0/yes/no/on/off</c>, any case) as a value; null when it is none of them.</summary>
    internal static bool? ParseBool(string? value) => value?.Trim().ToLowerInvariant() switch
    {
        "true" or "1" or "yes" or "on" => true,
        "false" or "0" or "no" or "off" or null or "" => false,
        _ => null,
    };

    private bool InRange(double n) => (Minimum is not { } min || n >= min) && (Maximum is not { } max || n <= max);

    private string Range() => (Minimum, Maximum) switch
    {
        ({ } min, { } max) => string.Create(CultureInfo.InvariantCulture, $" from {min} to {max}"),
        ({ } min, null) => string.Create(CultureInfo.InvariantCulture, $" of at least {min}"),
        (null, { } max) => string.Create(CultureInfo.InvariantCulture, $" of at most {max}"),
        _ => string.Empty,
    };
}

/// <summary>The kind of value a <see cref="ConfigKey"/> takes.</summary>
internal enum ConfigKind
{
    /// <summary>Any text.</summary>
    Text,
    /// <summary><c>true</c> or <c>false</c> (also <c>1/0/yes/no/on/off</c>).</summary>
    Boolean,
    /// <summary>A whole number within <see cref="ConfigKey.Minimum"/>..<see cref="ConfigKey.Maximum"/>.</summary>
    Integer,
    /// <summary>A number within <see cref="ConfigKey.Minimum"/>..<see cref="ConfigKey.Maximum"/>.</summary>
    Number,
    /// <summary>One of <see cref="ConfigKey.Values"/>.</summary>
    Choice,
    /// <summary>An absolute http(s) URL.</summary>
    Url,
    /// <summary>The name of an environment variable.</summary>
    EnvironmentVariable,
}

/// <summary>Where a setting's effective value came from.</summary>
internal enum ConfigSource
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
internal sealed class SelftuneConfig
{
    /// <remarks>Values are a class, not a value tuple: a dictionary over a value type of this assembly has no precompiled
    /// code (ReadyToRun) and is compiled at run time by every command that reads the configuration (bench/RESULTS.md).</remarks>
    private readonly Dictionary<string, Entry> _values = new(StringComparer.Ordinal);

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
            var value = new Entry(key.Default, ConfigSource.Default);
            if (file.TryGetValue(key.Key, out var fromFile))
            {
                value = new Entry(fromFile, ConfigSource.File);
            }

            if (environment(key.EnvironmentVariable) is { } fromEnv)
            {
                value = new Entry(fromEnv, ConfigSource.Environment);
            }

            if (flags is not null && flags.TryGetValue(key.Key, out var fromFlag) && fromFlag is not null)
            {
                value = new Entry(fromFlag, ConfigSource.Flag);
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
    public bool GetBool(string key) => ConfigKey.ParseBool(Checked(key)) ?? throw Invalid(key, Get(key), "true or false");

    /// <summary>The value as an integer, within the key's declared range.</summary>
    /// <exception cref="SelftuneException"><see cref="ErrorCodes.ConfigInvalid"/> when it is not an integer or out of range.</exception>
    public long GetInt(string key) =>
        long.TryParse(Checked(key), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : throw Invalid(key, Get(key), "a whole number");

    /// <summary>The value as a number, within the key's declared range.</summary>
    /// <exception cref="SelftuneException"><see cref="ErrorCodes.ConfigInvalid"/> when it is not a number or out of range.</exception>
    public double GetDouble(string key) =>
        double.TryParse(Checked(key), NumberStyles.Float, CultureInfo.InvariantCulture, out var n) ? n : throw Invalid(key, Get(key), "a number");

    /// <summary>The effective value of <paramref name="key"/> after checking it against the key's declaration (<see cref="ConfigKey.Problem"/>).</summary>
    /// <exception cref="SelftuneException"><see cref="ErrorCodes.ConfigInvalid"/> naming where the value came from and what is accepted.</exception>
    public string? Checked(string key)
    {
        var value = Get(key);
        if (ConfigKeys.Find(key)?.Problem(value) is { } problem)
        {
            throw new SelftuneException(ErrorCodes.ConfigInvalid, $"{problem.TrimEnd('.')} (set in {Where(key)}).", Fix(key));
        }

        return value;
    }

    /// <summary>Sets <paramref name="key"/> in <c>config.json</c>, keeping every other key (ours or not), atomically.</summary>
    /// <param name="configPath">The file.</param>
    /// <param name="key">A declared key.</param>
    /// <param name="value">The value; null removes the key.</param>
    /// <exception cref="SelftuneException">The key is unknown or the value not one it accepts (<see cref="ConfigKey.Problem"/>;
    /// <see cref="ErrorCodes.InvalidArgument"/>, exit code 2), or the file is malformed (it is then left as it is).</exception>
    public static void Set(string configPath, string key, string? value)
    {
        var declared = ConfigKeys.Find(key)
            ?? throw new SelftuneException(ErrorCodes.InvalidArgument, $"Unknown configuration key {ShellCommand.Quoted(key)}.", "selftune config list", exitCode: 2);
        if (declared.Problem(value) is { } problem)
        {
            throw new SelftuneException(ErrorCodes.InvalidArgument, problem + " Nothing was changed.", ShellCommand.Line($"selftune config set {key} {declared.Default ?? "<value>"}"), exitCode: 2);
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

    private SelftuneException Invalid(string key, string? value, string expected) => new(
        ErrorCodes.ConfigInvalid,
        $"Setting {ShellCommand.Quoted(key)} is {ShellCommand.Quoted(value)} (from {Where(key)}), but it must be {expected}.",
        Fix(key));

    private string Where(string key) => SourceOf(key) switch
    {
        ConfigSource.Environment => ConfigKeys.Find(key)?.EnvironmentVariable ?? "the environment",
        ConfigSource.Flag => "a command-line flag",
        ConfigSource.File => "config.json",
        _ => "the default",
    };

    private string? Fix(string key) => SourceOf(key) switch
    {
        ConfigSource.File => ShellCommand.Line($"selftune config unset {key}"),
        ConfigSource.Environment => ShellCommand.Line($"unset {ConfigKeys.Find(key)?.EnvironmentVariable ?? key}"),
        _ => ShellCommand.Line($"selftune config set {key} <value>"),
    };

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
            throw new SelftuneException(ErrorCodes.ConfigInvalid, $"Cannot read '{path}': {ex.Message.TrimEnd('.')}.", ShellCommand.Line($"chmod u+rw {path}"), inner: ex);
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

    /// <summary>One key's effective value and where it came from.</summary>
    private sealed record Entry(string? Value, ConfigSource Source);
}
