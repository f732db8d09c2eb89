using Selftune.Core.Store;
using Selftune.Host.Tests.Support;

namespace Selftune.Host.Tests;

/// <summary>The output contract every command keeps: JSON when stdout is not a terminal, errors as a JSON object on
/// stderr with a code and a next command, non-zero exit codes on failure, help everywhere.</summary>
public sealed class CliContractTests : IDisposable
{
    private readonly SelftuneCli _cli = new();

    [Fact]
    public void HelpListsTheCommands()
    {
        var result = _cli.Run("--help");
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("sync", result.Stdout);
        Assert.Contains("doctor", result.Stdout);
        Assert.Contains("plugins", result.Stdout);
    }

    [Fact]
    public void UnknownCommandIsAJsonErrorOnStderr()
    {
        var result = _cli.Run("no-such-command");
        Assert.Equal(2, result.ExitCode);
        Assert.Equal(string.Empty, result.Stdout);
        Assert.Equal("INVALID_ARGUMENT", result.Error.GetProperty("code").GetString());
        Assert.Contains("--help", result.Error.GetProperty("next_command").GetString());
    }

    [Fact]
    public void MalformedConfigIsRefusedWithFileAndLineAndLeftAsItIs()
    {
        Directory.CreateDirectory(_cli.SelftuneHome);
        var config = Path.Combine(_cli.SelftuneHome, "config.json");
        const string broken = "{\n  \"redaction\": { \"enabled\": tru }\n}\n";
        File.WriteAllText(config, broken);

        var result = _cli.Run("config", "get", "redaction.enabled");

        Assert.Equal(1, result.ExitCode);
        Assert.Equal("CONFIG_INVALID", result.Error.GetProperty("code").GetString());
        var message = result.Error.GetProperty("message").GetString()!;
        Assert.Contains(config, message);
        Assert.Contains("line 2", message);
        Assert.Equal(broken, File.ReadAllText(config));
    }

    /// <summary>A first sync composes its services on another thread while it creates the store: a failure there still
    /// leaves as the error contract, and the store it created is complete.</summary>
    [Fact]
    public void AFirstSyncWithAMalformedConfigIsRefusedWithTheConfigError()
    {
        Directory.CreateDirectory(_cli.SelftuneHome);
        File.WriteAllText(Path.Combine(_cli.SelftuneHome, "config.json"), "{ broken");

        var result = _cli.Run("sync", "--json");

        Assert.Equal(1, result.ExitCode);
        Assert.Equal("CONFIG_INVALID", result.Error.GetProperty("code").GetString());
        using var store = SelftuneStore.Open(Path.Combine(_cli.SelftuneHome, "selftune.db"), readOnly: true);
        Assert.Equal(SelftuneStore.LatestVersion, store.SchemaVersion);
    }

    [Fact]
    public void ConfigPrecedenceIsEnvironmentOverFileOverDefault()
    {
        Assert.Equal("true", _cli.Run("config", "get", "redaction.enabled").Json.GetProperty("value").GetString());
        Assert.Equal(0, _cli.Run("config", "set", "redaction.enabled", "false").ExitCode);
        var fromFile = _cli.Run("config", "get", "redaction.enabled").Json;
        Assert.Equal("false", fromFile.GetProperty("value").GetString());
        Assert.Equal("file", fromFile.GetProperty("source").GetString());

        _cli.Environment["SELFTUNE_REDACTION_ENABLED"] = "true";
        var fromEnv = _cli.Run("config", "get", "redaction.enabled").Json;
        Assert.Equal("true", fromEnv.GetProperty("value").GetString());
        Assert.Equal("environment", fromEnv.GetProperty("source").GetString());
    }

    [Fact]
    public void DoctorReportsADamagedStoreWithTheFixAndLeavesItAlone()
    {
        Directory.CreateDirectory(_cli.SelftuneHome);
        var db = Path.Combine(_cli.SelftuneHome, "selftune.db");
        var garbage = new byte[8192];
        new Random(7).NextBytes(garbage);
        File.WriteAllBytes(db, garbage);

        var result = _cli.Run("doctor", "--json");

        Assert.Equal(1, result.ExitCode);
        var store = result.Json.GetProperty("checks").EnumerateArray().Single(c => c.GetProperty("name").GetString() == "store");
        Assert.Equal("fail", store.GetProperty("status").GetString());
        Assert.Contains("selftune sync --force", store.GetProperty("next_command").GetString());
        Assert.Equal(garbage, File.ReadAllBytes(db));
    }

    [Fact]
    public void UnwritableHomeIsAClearError()
    {
        // A file where the home folder should be: it can never be created, whoever runs the test (root included).
        File.WriteAllText(_cli.SelftuneHome, "not a folder");
        var result = _cli.Run("sync");
        Assert.NotEqual(0, result.ExitCode);
        Assert.Equal("HOME_UNWRITABLE", result.Error.GetProperty("code").GetString());
        Assert.Contains(_cli.SelftuneHome, result.Error.GetProperty("message").GetString());
    }

    [Fact]
    public void ErrorsFromTheRuntimeReadAsSentencesNotResourceKeys()
    {
        // A file where the home folder should be: the runtime's own message for it is part of the error.
        File.WriteAllText(_cli.SelftuneHome, "not a folder");

        foreach (var result in new[] { _cli.Run("sync"), _cli.Run("config", "set", "llm.model", "m") })
        {
            var message = result.Error.GetProperty("message").GetString()!;
            Assert.DoesNotMatch(@"\b[A-Z][A-Za-z]*_[A-Za-z_]*[a-z][A-Za-z_]*\b", message.Replace(_cli.Root, "ROOT", StringComparison.Ordinal)); // IO_PathNotFound_Path
        }
    }

    public void Dispose() => _cli.Dispose();
}
