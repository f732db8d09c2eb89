using Selftune.Abstractions;
using Selftune.Core.Analysis;
using Selftune.Core.Tests.Support;

namespace Selftune.Core.Tests.Analysis;

public sealed class ErrorPatternsTests
{
    [Theory]
    [InlineData("<tool_use_error>File does not exist: /home/ana/shop/src/app.ts</tool_use_error>", "<tool_use_error>File does not exist: C:\\Users\\bo\\work\\lib\\x.ts</tool_use_error>")]
    [InlineData("Exit code 1\nls: cannot access '/tmp/build-8812/out': No such file or directory", "Exit code 2\nls: cannot access '/var/tmp/x': No such file or directory")]
    [InlineData("cat: notes.txt: No such file or directory", "cat: README.md: No such file or directory")]
    [InlineData("Exit code 127\n/bin/bash: line 3: python: command not found", "Exit code 127\n/usr/bin/bash: line 41: python: command not found")]
    [InlineData("Request req_011CY1DV6ZcyGeWGTb4kSw2L failed after 30000 ms (session 0a1b2c3d-4e5f-4061-8071-2a3b4c5d6e7f)", "Request req_99 failed after 120 ms (session 7f2abd2d-7cfc-4447-9ddd-3ca8d14e02e9)")]
    [InlineData("fetch https://api.example.com/v1/items?id=3 failed: \u001b[31mECONNRESET\u001b[0m", "fetch http://localhost:8080/x failed: ECONNRESET")]
    public void CopiesOfOneErrorWithDifferentPathsNumbersAndIdsShareASignature(string one, string other)
    {
        Assert.Equal(ErrorPatterns.Signature(one), ErrorPatterns.Signature(other));
        Assert.DoesNotContain("/", ErrorPatterns.Signature(one).Replace("</", string.Empty, StringComparison.Ordinal));
    }

    [Fact]
    public void DifferentErrorsKeepDifferentSignatures() =>
        Assert.NotEqual(ErrorPatterns.Signature("File does not exist: /a/b.ts"), ErrorPatterns.Signature("String to replace not found in file: /a/b.ts"));

    [Theory]
    [InlineData("tool_error", "Exit code 127\nbash: rg: command not found", "rg -n foo", "Bash", "command_not_found")]
    [InlineData("tool_error", "<tool_use_error>String to replace not found in file.</tool_use_error>", "/src/a.cs", "Edit", "edit_conflict")]
    [InlineData("tool_error", "Exit code 1\nFAILED tests/test_a.py::test_x - AssertionError", "pytest -q", "Bash", "test_failure")]
    [InlineData("tool_error", "Command timed out after 2m 0s", "npm run build", "Bash", "timeout")]
    [InlineData("tool_error", "The user doesn't want to proceed with this tool use.", "rm -rf build", "Bash", "rejected")]
    [InlineData("tool_error", "Exit code 1\nerror: pathspec 'x' did not match", "git checkout x", "Bash", "command_failed")]
    [InlineData("tool_error", "EISDIR: illegal operation on a directory, read", "/src", "Read", "tool_failed")]
    [InlineData("api_error", "API Error: 429 rate_limit_error", null, null, "rate_limit")]
    [InlineData("api_error", "API Error: 400 prompt is too long: 201000 tokens > 200000 maximum", null, null, "context_limit")]
    [InlineData("api_error", "API Error: 500 Internal server error", null, null, "api_error")]
    public void ErrorsAreCategorised(string kind, string message, string? command, string? tool, string category) =>
        Assert.Equal(category, ErrorPatterns.Category(kind, message, command, tool));

    [Fact]
    public void OnePatternCountsItsSessionsSkillsAndSuggestsTheMissingTool()
    {
        using var store = new TestStore();
        store.Write(w =>
        {
            foreach (var (session, minute, path) in new[] { ("s1", 0, "/home/ana/a"), ("s2", 60, "/srv/b/c") })
            {
                w.Session(new SessionRecord(session, TestStore.Transcript, StartedAt: TestStore.T0.AddMinutes(minute), Cwd: "/home/ana/shop"));
                w.SkillInvocation(new SkillInvocationRecord(session + "-k", session, TestStore.T0.AddMinutes(minute + 1), "deploy", InvocationKind.Implicit, TestStore.Transcript));
                w.ToolCall(new ToolCallRecord(session + "-t", session, TestStore.T0.AddMinutes(minute + 2), "Bash", TestStore.Transcript, IsError: true, Detail: "rg -n TODO " + path));
                w.Error(new ErrorRecord(session + "-t", session, TestStore.T0.AddMinutes(minute + 2), "tool_error", $"Exit code 127\n{path}/run.sh: line {minute + 3}: rg: command not found", TestStore.Transcript));
            }

            // A failed call of a platform that logs no message still counts, by its tool and command.
            w.ToolCall(new ToolCallRecord("s2-u", "s2", TestStore.T0.AddMinutes(70), "shell", TestStore.Transcript, IsError: true, Detail: "npm test"));
            // Interruptions are not errors.
            w.Error(new ErrorRecord("s2-i", "s2", TestStore.T0.AddMinutes(71), "interrupted", "The user interrupted the turn.", TestStore.Transcript));
        });

        var report = ErrorPatterns.Find(store.Store, new ErrorFilter());
        Assert.Equal(3, report.Errors);
        var rg = report.Patterns[0];
        Assert.Equal(("command_not_found", 2, 2), (rg.Category, rg.Count, rg.Sessions));
        Assert.Equal(["Bash"], rg.Tools);
        Assert.Equal([new KeyValuePair<string, int>("deploy", 2)], rg.Skills);
        Assert.Contains("`rg`", rg.SuggestedFix);
        Assert.True(rg.New);
        Assert.Equal(("shell failed: npm test", "test_failure"), (report.Patterns[1].Signature, report.Patterns[1].Category));

        Assert.Equal(2, ErrorPatterns.Notice(store.Store, report.Patterns, TestStore.T0).Count);
        Assert.Empty(ErrorPatterns.Notice(store.Store, report.Patterns, TestStore.T0));
        Assert.All(ErrorPatterns.Find(store.Store, new ErrorFilter()).Patterns, p => Assert.False(p.New));
        Assert.Single(ErrorPatterns.Find(store.Store, new ErrorFilter(Since: TestStore.T0.AddMinutes(65))).Patterns);
        Assert.Empty(ErrorPatterns.Find(store.Store, new ErrorFilter(Skill: "other")).Patterns);
        Assert.Empty(ErrorPatterns.Find(store.Store, new ErrorFilter(Project: "elsewhere")).Patterns);
    }
}
