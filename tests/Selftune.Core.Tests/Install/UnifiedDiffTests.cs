using Selftune.Core.Install;

namespace Selftune.Core.Tests.Install;

public sealed class UnifiedDiffTests
{
    [Fact]
    public void AnInsertionIsShownWithThreeLinesOfContext()
    {
        var before = "1\n2\n3\n4\n5\n6\n7\n8\n";
        var after = "1\n2\n3\n4\n4a\n4b\n5\n6\n7\n8\n";

        Assert.Equal("--- f\n+++ f\n@@ -2,6 +2,8 @@\n 2\n 3\n 4\n+4a\n+4b\n 5\n 6\n 7\n", UnifiedDiff.Create("f", before, after));
    }

    [Fact]
    public void DistantChangesMakeSeparateHunks()
    {
        var lines = Enumerable.Range(1, 20).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        var before = string.Join('\n', lines) + "\n";
        lines[1] = "two";
        lines[18] = "nineteen";
        var after = string.Join('\n', lines) + "\n";

        var diff = UnifiedDiff.Create("f", before, after);

        Assert.Equal(2, diff.Split('\n').Count(l => l.StartsWith("@@", StringComparison.Ordinal)));
        Assert.Contains("@@ -1,5 +1,5 @@\n 1\n-2\n+two\n 3\n", diff);
        Assert.Contains("@@ -16,5 +16,5 @@\n 16\n 17\n 18\n-19\n+nineteen\n 20\n", diff);
    }

    [Fact]
    public void ANewFileIsAllAdditionsAndTheSameTextIsNoDiff()
    {
        Assert.Equal("--- f\n+++ f\n@@ -0,0 +1,2 @@\n+{\n+}\n", UnifiedDiff.Create("f", string.Empty, "{\n}\n"));
        Assert.Equal(string.Empty, UnifiedDiff.Create("f", "a\r\nb\r\n", "a\nb\n"));
    }
}
