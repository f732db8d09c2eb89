using Selftune.Core.Configuration;

namespace Selftune.Core.Tests;

public sealed class ConfigTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("selftune-config-").FullName;

    private string ConfigPath => Path.Combine(_dir, "config.json");

    [Fact]
    public void FlagsBeatEnvironmentBeatFileBeatDefaults()
    {
        var key = ConfigKeys.RedactionEnabled;
        Assert.Equal(ConfigSource.Default, SelftuneConfig.Load(ConfigPath, _ => null).SourceOf(key.Key));

        File.WriteAllText(ConfigPath, """{ "redaction": { "enabled": false } }""");
        var fromFile = SelftuneConfig.Load(ConfigPath, _ => null);
        Assert.False(fromFile.GetBool(key.Key));
        Assert.Equal(ConfigSource.File, fromFile.SourceOf(key.Key));

        var fromEnv = SelftuneConfig.Load(ConfigPath, name => name == key.EnvironmentVariable ? "yes" : null);
        Assert.True(fromEnv.GetBool(key.Key));
        Assert.Equal("SELFTUNE_REDACTION_ENABLED", key.EnvironmentVariable);

        var fromFlag = SelftuneConfig.Load(ConfigPath, name => name == key.EnvironmentVariable ? "yes" : null, new Dictionary<string, string?> { [key.Key] = "off" });
        Assert.False(fromFlag.GetBool(key.Key));
        Assert.Equal(ConfigSource.Flag, fromFlag.SourceOf(key.Key));
    }

    [Fact]
    public void SetKeepsEveryOtherKeyIncludingUnknownOnes()
    {
        File.WriteAllText(ConfigPath, """{ "theirs": { "x": [1, 2] }, "redaction": { "enabled": true, "note": "keep" } }""");
        SelftuneConfig.Set(ConfigPath, ConfigKeys.RedactionEnabled.Key, "false");
        var text = File.ReadAllText(ConfigPath);
        Assert.Contains("\"theirs\"", text);
        Assert.Contains("\"note\": \"keep\"", text);
        Assert.False(SelftuneConfig.Load(ConfigPath, _ => null).GetBool(ConfigKeys.RedactionEnabled.Key));
    }

    [Fact]
    public void AWrongTypeNamesTheKeyAndTheFix()
    {
        var config = SelftuneConfig.Load(ConfigPath, name => name == "SELFTUNE_REDACTION_ENABLED" ? "maybe" : null);
        var error = Assert.Throws<SelftuneException>(() => config.GetBool(ConfigKeys.RedactionEnabled.Key));
        Assert.Equal(ErrorCodes.ConfigInvalid, error.Code);
        Assert.Contains("redaction.enabled", error.Message);
        Assert.Contains("true or false", error.Message);
        Assert.Contains("SELFTUNE_REDACTION_ENABLED", error.Message); // where the value came from, and what clears it
        Assert.Equal("unset SELFTUNE_REDACTION_ENABLED", error.NextCommand);
    }

    [Fact]
    public void TheHomeIsReRootedBySelftuneHome()
    {
        Assert.Equal(Path.GetFullPath("/tmp/elsewhere"), SelftuneHome.Resolve(n => n == "SELFTUNE_HOME" ? "/tmp/elsewhere" : null, "/home/u").Root);
        Assert.Equal("/home/u/.selftune", SelftuneHome.Resolve(_ => null, "/home/u").Root);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
