using System.Text.Json;
using Selftune.Host.Tests.Support;

namespace Selftune.Host.Tests;

/// <summary>Untrusted text (skill names from transcripts, values on the command line, paths) never reaches a command an
/// agent runs as shell syntax: the commands selftune prints are run here by <c>sh -c</c>, as an agent would.</summary>
public sealed class HostileInputTests : IDisposable
{
    private const string SessionId = "11111111-1111-1111-1111-111111111111";
    private readonly SelftuneCli _cli = new();

    private string Canary => Path.Combine(_cli.Root, "PWNED");

    [Fact]
    public void ASkillNameFromATranscriptThatIsShellSyntaxNeverBecomesACommand()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var hostile = $"rep$(touch${{IFS}}{Canary})";
        WriteTranscript(hostile);
        Assert.Equal(0, _cli.Run("sync", "--json").ExitCode);

        var list = _cli.Run("eval", "list", "--json");

        Assert.Equal(0, list.ExitCode);
        var skill = list.Json.GetProperty("skills").EnumerateArray().Single(s => s.GetProperty("skill").GetString() == hostile);
        Assert.False(skill.TryGetProperty("next_command", out var next) && next.ValueKind == JsonValueKind.String, $"a command was built from an invalid skill name: {next}");
        Assert.Contains("not a valid skill name", skill.GetProperty("next_command_omitted").GetString());
        foreach (var command in NextCommands(list.Stdout))
        {
            Sh(command);
        }

        Assert.False(File.Exists(Canary), "running the printed next_command created the file");
    }

    [Fact]
    public void ASkillNameGivenOnTheCommandLineIsQuotedInTheErrorAndNeverRun()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var hostile = $"x'; touch {Canary}; '";
        var result = _cli.Run("evolve", "--skill", hostile, "--llm", "offline", "--json");

        Assert.NotEqual(0, result.ExitCode);
        var message = result.Error.GetProperty("message").GetString()!;
        Assert.Contains("'x'\\''; touch", message);
        if (result.Error.TryGetProperty("next_command", out var next) && next.GetString() is { } command)
        {
            Sh(command);
        }

        Assert.False(File.Exists(Canary));
    }

    [Fact]
    public void APathInACommandIsOneWordEvenWhenItHoldsShellSyntax()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var home = Path.Combine(_cli.Root, $"h$(touch {Canary}) it's");
        Directory.CreateDirectory(home);
        var config = Path.Combine(home, "config.json");
        File.WriteAllText(config, "{ broken");
        _cli.Environment["SELFTUNE_HOME"] = home;

        var result = _cli.Run("config", "list", "--json");

        Assert.Equal("CONFIG_INVALID", result.Error.GetProperty("code").GetString());
        Sh(result.Error.GetProperty("next_command").GetString()!);
        Assert.False(File.Exists(Canary));
        Assert.True(File.Exists(config + ".invalid"), "the printed command did not move the file it names");
    }

    private void WriteTranscript(string skill)
    {
        var folder = Directory.CreateDirectory(Path.Combine(_cli.UserHome, ".claude", "projects", "-p")).FullName;
        var user = new { type = "user", message = new { role = "user", content = "make me a report of the sales" }, uuid = "u1", sessionId = SessionId, timestamp = "2026-11-01T10:00:00.000Z", cwd = "/p" };
        var assistant = new
        {
            type = "assistant",
            message = new { id = "m1", type = "message", role = "assistant", model = "claude-sonnet-4-5", content = new object[] { new { type = "tool_use", id = "t1", name = "Skill", input = new { skill } } }, usage = new { input_tokens = 10, output_tokens = 5 } },
            uuid = "a1",
            parentUuid = "u1",
            sessionId = SessionId,
            timestamp = "2026-11-01T10:00:01.000Z",
            cwd = "/p",
        };
        File.WriteAllText(Path.Combine(folder, SessionId + ".jsonl"), JsonSerializer.Serialize(user) + "\n" + JsonSerializer.Serialize(assistant) + "\n");
    }

    private static IEnumerable<string> NextCommands(string json)
    {
        var found = new List<string>();
        void Walk(JsonElement e)
        {
            if (e.ValueKind == JsonValueKind.Object)
            {
                foreach (var p in e.EnumerateObject())
                {
                    if (p.Name == "next_command" && p.Value.ValueKind == JsonValueKind.String)
                    {
                        found.Add(p.Value.GetString()!);
                    }
                    else
                    {
                        Walk(p.Value);
                    }
                }
            }
            else if (e.ValueKind == JsonValueKind.Array)
            {
                foreach (var item in e.EnumerateArray())
                {
                    Walk(item);
                }
            }
        }

        Walk(JsonDocument.Parse(json).RootElement);
        return found;
    }

    /// <summary>Runs <paramref name="command"/> as an agent would, with <c>selftune</c> replaced by <c>true</c> (only
    /// what the shell does with the line matters).</summary>
    private void Sh(string command) => _cli.Shell("selftune() { :; }; " + command, string.Empty);

    public void Dispose() => _cli.Dispose();
}
