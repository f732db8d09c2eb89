using System.Text.Json;
using Selftune.AdapterKit;
using Selftune.Host.Tests.Support;

namespace Selftune.Host.Tests;

/// <summary><c>export</c> then <c>recover</c> gives back the same <c>status</c> and <c>sessions</c> (tokens and cost included),
/// on real transcripts; bad exports lose only the bad lines, each named with its file and line.</summary>
public sealed class ExportRecoverTests : IDisposable
{
    private readonly SelftuneCli _cli = new();

    public ExportRecoverTests()
    {
        IngestorContractTests.CopyTree(IngestorContractTests.CorpusPath("claude-code", "selftune-fixtures"), Path.Combine(_cli.UserHome, ".claude", "projects", "selftune-fixtures"));
        var pi = Path.Combine(_cli.UserHome, ".pi", "agent", "sessions", "--work--");
        Directory.CreateDirectory(pi);
        File.Copy(IngestorContractTests.CorpusPath("openclaw", "pi-mono-fixtures", "large-session.jsonl"), Path.Combine(pi, "2025-11-20T09-00-00-000Z_d703a1a9-1b7b-4fb1-b512-c9738b1fe617.jsonl"));
        Assert.Equal(0, _cli.Run("sync", "--json").ExitCode);
    }

    private string Export => Path.Combine(_cli.Root, "export");

    [Fact]
    public void ARoundTripGivesIdenticalStatusAndSessions()
    {
        var status = Stable(_cli.Run("status", "--json").Stdout);
        var sessions = _cli.Run("sessions", "--limit", "1000", "--json").Stdout;
        Assert.True(JsonDocument.Parse(sessions).RootElement.GetProperty("sessions").GetArrayLength() >= 2);

        var export = _cli.Run("export", "-o", Export, "--json");
        Assert.True(export.ExitCode == 0, export.ToString());
        Assert.True(export.Json.GetProperty("tables").GetProperty("prompts").GetInt64() > 0);

        var refused = _cli.Run("recover", "--from", Export, "--json");
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("--force", refused.Error.GetProperty("message").GetString(), StringComparison.Ordinal);

        var recover = _cli.Run("recover", "--from", Export, "--force", "--json");
        Assert.True(recover.ExitCode == 0, recover.ToString());
        Assert.True(File.Exists(recover.Json.GetProperty("backup").GetString()));
        Assert.Equal(0, recover.Json.GetProperty("skipped").GetInt32());
        Assert.Equal(sessions, _cli.Run("sessions", "--limit", "1000", "--json").Stdout);
        Assert.Equal(status, Stable(_cli.Run("status", "--json").Stdout));

        // Into an empty store elsewhere: no --force needed, the same sessions with the same tokens and cost.
        using var other = new SelftuneCli();
        var fresh = other.Run("recover", "--from", Export, "--json");
        Assert.True(fresh.ExitCode == 0, fresh.ToString());
        Assert.False(fresh.Json.TryGetProperty("backup", out var backup) && backup.ValueKind != JsonValueKind.Null); // nothing to back up
        Assert.Equal(sessions, other.Run("sessions", "--limit", "1000", "--json").Stdout);
    }

    [Fact]
    public void AMissingTableANewerSchemasLineAndABrokenLineAreSkippedAndCounted()
    {
        Assert.Equal(0, _cli.Run("export", "-o", Export, "--json").ExitCode);
        File.Delete(Path.Combine(Export, "session_errors.jsonl"));
        var prompts = Path.Combine(Export, "prompts.jsonl");
        var lines = File.ReadAllLines(prompts).ToList();
        lines.Insert(1, lines[0].Replace("{\"prompt_id\":\"", "{\"sentiment\":0.5,\"prompt_id\":\"x", StringComparison.Ordinal));
        lines.Insert(3, "{\"prompt_id\":");
        File.WriteAllLines(prompts, lines);

        var recover = _cli.Run("recover", "--from", Export, "--force", "--json");

        Assert.True(recover.ExitCode == 0, recover.ToString());
        Assert.Equal(["session_errors"], recover.Json.GetProperty("missing_tables").EnumerateArray().Select(t => t.GetString()));
        Assert.Equal(2, recover.Json.GetProperty("skipped").GetInt32());
        var skipped = recover.Json.GetProperty("skipped_details").EnumerateArray().Select(s => (s.GetProperty("path").GetString(), s.GetProperty("line").GetInt64(), s.GetProperty("reason").GetString()!)).ToList();
        Assert.Equal([(prompts, 2L), (prompts, 4L)], skipped.Select(s => (s.Item1, s.Item2)));
        Assert.Contains("column 'sentiment' is unknown", skipped[0].Item3, StringComparison.Ordinal);
        Assert.Equal(lines.Count - 2, recover.Json.GetProperty("tables").GetProperty("prompts").GetInt64());
    }

    public void Dispose() => _cli.Dispose();

    /// <summary>The status without what moves with the clock between two runs: <c>as_of</c> and the windows' <c>start</c> and
    /// <c>end</c>, which count back from now.</summary>
    private static string Stable(string json)
    {
        var node = System.Text.Json.Nodes.JsonNode.Parse(json)!;
        Strip(node);
        return node.ToJsonString();

        static void Strip(System.Text.Json.Nodes.JsonNode? node)
        {
            if (node is System.Text.Json.Nodes.JsonObject o)
            {
                foreach (var key in new[] { "as_of", "start", "end" })
                {
                    o.Remove(key);
                }

                foreach (var (_, child) in o.ToList())
                {
                    Strip(child);
                }
            }
            else if (node is System.Text.Json.Nodes.JsonArray a)
            {
                foreach (var child in a)
                {
                    Strip(child);
                }
            }
        }
    }
}
