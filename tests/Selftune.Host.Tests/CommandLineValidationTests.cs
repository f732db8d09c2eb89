using System.Text.Json;
using Selftune.Host.Tests.Support;

namespace Selftune.Host.Tests;

/// <summary>Bad input on the command line is refused before anything runs, exit code 2, with what is accepted; unknown
/// commands are errors with the closest one, also with <c>--help</c>; <c>config set</c> refuses values a setting does
/// not accept, and an invalid config file can still be read and fixed.</summary>
public sealed class CommandLineValidationTests : IDisposable
{
    private readonly SelftuneCli _cli = new();

    [Theory]
    [InlineData("1 to 10", "evolve", "--skill", "pdf", "--candidates", "-1")]
    [InlineData("1 to 1000", "grade", "auto", "--max", "-1")]
    [InlineData("1 to 100", "run", "--max-skills", "-1")]
    [InlineData("at least 1", "sessions", "--limit", "0")]
    [InlineData("at least 1", "runs", "--limit", "-5")]
    [InlineData("1 to 10000", "eval", "generate", "--skill", "pdf", "--max", "0")]
    [InlineData("YYYY-MM-DD", "sync", "--since", "yesterday")]
    [InlineData("YYYY-MM-DD", "sessions", "--since", "2026-13-45")]
    [InlineData("1h, 2h", "run", "--loop", "--interval", "7m")]
    [InlineData("1h, 2h", "schedule", "install", "--interval", "90m", "--dry-run")]
    [InlineData("agent, anthropic, openai-compatible, offline", "grade", "auto", "--llm", "bogus")]
    [InlineData("auto, judge, replay", "evolve", "--skill", "pdf", "--validation", "both")]
    public void ABadValueIsRefusedWithWhatIsAccepted(string accepted, params string[] args)
    {
        var result = _cli.Run(args);

        Assert.Equal(2, result.ExitCode);
        Assert.Equal("INVALID_ARGUMENT", result.Error.GetProperty("code").GetString());
        Assert.Contains(accepted, result.Error.GetProperty("message").GetString());
        Assert.False(Directory.Exists(Path.Combine(_cli.SelftuneHome, "backups")));
    }

    [Fact]
    public void AnUnknownPlatformIsRefusedNamingTheLoadedPluginsPlatforms()
    {
        var result = _cli.Run("sync", "--platform", "nonexistent");

        Assert.Equal(2, result.ExitCode);
        var message = result.Error.GetProperty("message").GetString()!;
        var plugins = _cli.Run("plugins", "--json").Json.GetProperty("plugins").EnumerateArray()
            .SelectMany(p => p.GetProperty("capabilities").EnumerateArray().Select(c => c.GetString()!))
            .Where(c => c.StartsWith("ingestor:", StringComparison.Ordinal)).Select(c => c["ingestor:".Length..]).ToList();
        Assert.NotEmpty(plugins);
        Assert.Contains("'nonexistent'", message);
        Assert.All(plugins, platform => Assert.Contains(platform, message));
    }

    [Theory]
    [InlineData("Did you mean 'status'?", "staus", "--help")]
    [InlineData("Did you mean 'list'?", "eval", "lst", "--help")]
    [InlineData("The commands are: sync", "zeppelin", "--help")]
    [InlineData("The commands are: sync", "zeppelin")]
    [InlineData("Did you mean '--candidates'?", "evolve", "--skill", "pdf", "--candidatez", "2")]
    [InlineData("The commands of 'selftune config' are: list, get, set, unset.", "config")]
    public void AnUnknownCommandIsAnErrorWithTheClosestOneEvenWithHelp(string suggestion, params string[] args)
    {
        var result = _cli.Run(args);

        Assert.Equal(2, result.ExitCode);
        Assert.Equal(string.Empty, result.Stdout);
        Assert.Contains(suggestion, result.Error.GetProperty("message").GetString());
    }

    [Theory]
    [InlineData("llm.max_calls", "-3", "at least 1")]
    [InlineData("llm.backend", "bogus", "one of agent, anthropic, openai-compatible, offline")]
    [InlineData("evolve.candidates", "11", "from 1 to 10")]
    [InlineData("watch.threshold", "1.5", "from 0 to 1")]
    [InlineData("redaction.enabled", "maybe", "true or false")]
    [InlineData("llm.base_url", "localhost:11434", "http://")]
    [InlineData("llm.api_key_env", "MY KEY", "environment variable name")]
    public void ConfigSetRefusesAValueTheSettingDoesNotAcceptAndChangesNothing(string key, string value, string accepted)
    {
        Assert.Equal(0, _cli.Run("config", "set", "evolve.judge_runs", "5").ExitCode);
        var config = Path.Combine(_cli.SelftuneHome, "config.json");
        var before = File.ReadAllText(config);

        var result = _cli.Run("config", "set", key, value);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains(accepted, result.Error.GetProperty("message").GetString());
        Assert.Equal(before, File.ReadAllText(config));
    }

    [Fact]
    public void AConfigFileWithInvalidValuesCanStillBeListedReadAndFixed()
    {
        Directory.CreateDirectory(_cli.SelftuneHome);
        var config = Path.Combine(_cli.SelftuneHome, "config.json");
        File.WriteAllText(config, """{ "llm": { "max_calls": -3, "backend": "bogus" } }""");

        var list = _cli.Run("config", "list");
        Assert.Equal(0, list.ExitCode);
        var problems = list.Json.GetProperty("settings").EnumerateArray().Where(s => s.TryGetProperty("problem", out var p) && p.ValueKind == JsonValueKind.String).Select(s => s.GetProperty("key").GetString()).ToList();
        Assert.Equal(["llm.backend", "llm.max_calls"], problems.Order());

        var get = _cli.Run("config", "get", "llm.max_calls");
        Assert.Equal(0, get.ExitCode);
        Assert.Equal("-3", get.Json.GetProperty("value").GetString());
        Assert.Contains("at least 1", get.Json.GetProperty("problem").GetString());

        var doctor = _cli.Run("doctor").Json.GetProperty("checks").EnumerateArray().Single(c => c.GetProperty("name").GetString() == "config");
        Assert.Equal("fail", doctor.GetProperty("status").GetString());
        Assert.StartsWith("selftune config unset llm.", doctor.GetProperty("next_command").GetString());

        Assert.Equal(0, _cli.Run("config", "set", "evolve.candidates", "2").ExitCode);
        Assert.Equal(0, _cli.Run("config", "unset", "llm.max_calls").ExitCode);
        Assert.Equal(0, _cli.Run("config", "set", "llm.backend", "offline").ExitCode);
        Assert.DoesNotContain(_cli.Run("config", "list").Json.GetProperty("settings").EnumerateArray(), s => s.TryGetProperty("problem", out var p) && p.ValueKind == JsonValueKind.String);
    }

    [Fact]
    public void AnInvalidValueFromTheEnvironmentIsACommandErrorNamingTheVariable()
    {
        _cli.Environment["SELFTUNE_RUN_LOCK_STALE_MINUTES"] = "0";

        var result = _cli.Run("run", "--dry-run");

        Assert.NotEqual(0, result.ExitCode);
        Assert.Equal("CONFIG_INVALID", result.Error.GetProperty("code").GetString());
        Assert.Contains("SELFTUNE_RUN_LOCK_STALE_MINUTES", result.Error.GetProperty("message").GetString());
        Assert.Contains("from 1 to 10080", result.Error.GetProperty("message").GetString());
    }

    public void Dispose() => _cli.Dispose();
}
