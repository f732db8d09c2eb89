using System.Text.Json;
using Selftune.Core.Configuration;
using Selftune.Core.Hooks;
using Selftune.Core.Tests.Support;

namespace Selftune.Core.Tests.Hooks;

/// <summary>What the in-turn hooks' state file says, from a real store: a deploy is watched until a watch calls it
/// stable or the watch window passes, and only while it is in effect; a session with enough unserved prompts, a skill
/// whose latest grading failed and validated proposals are nudged; a rule turned off leaves its part empty.</summary>
public sealed class HookStateTests : IDisposable
{
    private static readonly DateTimeOffset Now = TestStore.T0.AddHours(2);
    private readonly TestStore _store = new();

    [Fact]
    public void TheStateNamesWhatIsWatchedAndWhatToNudge()
    {
        Deploy("pdf-tools", "/skills/pdf-tools/SKILL.md", "p1", "deployed", Now.AddDays(-1));
        Deploy("stable", "/skills/stable/SKILL.md", "p2", "deployed", Now.AddDays(-1));
        Watch("stable", "p2", Now.AddHours(-1), "stable");
        Deploy("old", "/skills/old/SKILL.md", "p3", "deployed", Now.AddDays(-30));
        Deploy("undone", "/skills/undone/SKILL.md", "p4", "rolled_back", Now.AddDays(-1));
        Proposal("slides", "p5", "validated");
        Grading("slides", Now.AddHours(-3), failed: 0);
        Grading("slides", Now.AddHours(-2), failed: 1);
        Grading("pdf-tools", Now.AddHours(-3), failed: 2);
        Grading("pdf-tools", Now.AddHours(-2), failed: 0);
        _store.Session("busy", 0, "write the report", "fix the build", "add a chart");
        _store.Session("quiet", 10, "write the report");

        var state = Build(new Dictionary<string, string?>());

        Assert.Equal(["pdf-tools"], state.GetProperty("watched").EnumerateArray().Select(w => w.GetProperty("skill").GetString()));
        Assert.Equal(Path.GetFullPath("/skills/pdf-tools/SKILL.md"), state.GetProperty("watched")[0].GetProperty("path").GetString());
        Assert.Equal(["slides"], state.GetProperty("failing_skills").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(1, state.GetProperty("pending_proposals").GetInt64());
        Assert.Equal(3, state.GetProperty("unmatched_sessions").GetProperty("busy").GetInt64());
        Assert.False(state.GetProperty("unmatched_sessions").TryGetProperty("quiet", out _));
        Assert.True(state.GetProperty("skill_change_guard").GetBoolean());
    }

    [Fact]
    public void ARuleTurnedOffLeavesItsPartEmpty()
    {
        Deploy("pdf-tools", "/skills/pdf-tools/SKILL.md", "p1", "deployed", Now.AddDays(-1));
        Proposal("slides", "p5", "validated");
        _store.Session("busy", 0, "write the report", "fix the build", "add a chart");

        var state = Build(new Dictionary<string, string?>
        {
            [ConfigKeys.HooksEvolutionGuard.EnvironmentVariable] = "false",
            [ConfigKeys.HooksNudgePendingProposals.EnvironmentVariable] = "false",
            [ConfigKeys.HooksSkillChangeGuard.EnvironmentVariable] = "false",
            [ConfigKeys.HooksNudgeUnmatchedMin.EnvironmentVariable] = "4",
        });

        Assert.Empty(state.GetProperty("watched").EnumerateArray());
        Assert.Equal(0, state.GetProperty("pending_proposals").GetInt64());
        Assert.False(state.GetProperty("skill_change_guard").GetBoolean());
        Assert.Empty(state.GetProperty("unmatched_sessions").EnumerateObject());
    }

    public void Dispose() => _store.Dispose();

    private JsonElement Build(Dictionary<string, string?> environment)
    {
        var config = SelftuneConfig.Load(Path.Combine(_store.Folder, "config.json"), k => environment.GetValueOrDefault(k));
        return JsonDocument.Parse(HookState.Build(_store.Store, config, Now)).RootElement.Clone();
    }

    private void Proposal(string skill, string id, string status) => _store.Store.Execute(
        """
        INSERT INTO evolution_proposals (proposal_id, run_id, skill_name, skill_path, created_at, heuristic, aim, original_description, proposed_description, original_sha256, status)
        VALUES ($id, 'r', $s, '/x', 0, 0, 'aim', 'a', 'b', 'sha', $status)
        """,
        ("$id", id), ("$s", skill), ("$status", status));

    private void Deploy(string skill, string path, string id, string status, DateTimeOffset at)
    {
        Proposal(skill, id, status);
        _store.Store.Execute(
            """
            INSERT INTO skill_versions (skill_name, skill_path, proposal_id, action, occurred_at, before_sha256, before_bytes, after_sha256, after_bytes)
            VALUES ($s, $path, $id, 'deployed', $at, 'a', x'00', 'b', x'00')
            """,
            ("$s", skill), ("$path", path), ("$id", id), ("$at", at.ToUnixTimeMilliseconds()));
    }

    private void Watch(string skill, string id, DateTimeOffset at, string verdict) => _store.Store.Execute(
        "INSERT INTO watch_checks (skill_name, proposal_id, checked_at, verdict, evidence) VALUES ($s, $id, $at, $v, '{}')",
        ("$s", skill), ("$id", id), ("$at", at.ToUnixTimeMilliseconds()), ("$v", verdict));

    private void Grading(string skill, DateTimeOffset at, int failed) => _store.Store.Execute(
        """
        INSERT INTO grading_results (grading_id, session_id, skill, graded_at, passed, failed, total, pass_rate, mean_score, result_json)
        VALUES ($id, 's', $s, $at, 1, $f, 1 + $f, 0.5, 0.5, '{}')
        """,
        ("$id", $"{skill}-{at.ToUnixTimeMilliseconds()}"), ("$s", skill), ("$at", at.ToUnixTimeMilliseconds()), ("$f", failed));
}
