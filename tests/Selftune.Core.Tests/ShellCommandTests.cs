using System.Diagnostics;
using Selftune.Core;
using Selftune.Core.Skills;

namespace Selftune.Core.Tests;

/// <summary>Commands selftune prints for agents to run: a value in one reaches the command as one word, never as shell
/// syntax; an invalid skill name never gets into one.</summary>
public sealed class ShellCommandTests
{
    [Theory]
    [InlineData("pdf-report")]
    [InlineData("it's")]
    [InlineData("rep$(touch${IFS}/tmp/x)")]
    [InlineData("a b\tc\nd")]
    [InlineData("`id`;|&<>*?~#!\"\\")]
    [InlineData("''")]
    [InlineData("")]
    public void EveryValueReachesTheShellAsOneWordUnchanged(string value)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var command = ShellCommand.Line($"printf %s {value}")!;

        Assert.Equal(value, Sh(command));
    }

    [Fact]
    public void PlainValuesAreLeftUnquotedAndLiteralsAsWritten()
    {
        Assert.Equal("selftune watch --skill elixir:hex-docs-search", ShellCommand.Line($"selftune watch --skill {"elixir:hex-docs-search":skill}"));
        Assert.Equal("mv '/a b/c.json' '/a b/c.json.invalid' && selftune sync", ShellCommand.Line($"mv {"/a b/c.json"} {"/a b/c.json.invalid"} && selftune sync"));
        Assert.Equal("'it'\\''s'", ShellCommand.Quoted("it's"));
    }

    [Theory]
    [InlineData("rep$(touch${IFS}/tmp/x)")]
    [InlineData("PDF")]
    [InlineData("-rf")]
    [InlineData("a--b")]
    [InlineData("x:y:z")]
    [InlineData("")]
    public void AnInvalidSkillNameRefusesTheCommandAndSaysWhy(string name)
    {
        Assert.Null(ShellCommand.Line($"selftune eval generate --skill {name:skill}"));
        Assert.Contains("not a valid skill name", SkillNames.Problem(name));
    }

    [Fact]
    public void SkillNamesOfSixtyFourCharactersAreValidAndLongerOnesAreNot()
    {
        Assert.Null(SkillNames.Problem(new string('a', 64)));
        Assert.NotNull(SkillNames.Problem(new string('a', 65)));
    }

    private static string Sh(string command)
    {
        var info = new ProcessStartInfo("/bin/sh") { RedirectStandardOutput = true, UseShellExecute = false };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add(command);
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return output;
    }
}
