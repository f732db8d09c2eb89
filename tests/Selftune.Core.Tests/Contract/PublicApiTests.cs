using System.Runtime.CompilerServices;
using System.Text;
using PublicApiGenerator;
using Selftune.Abstractions;

namespace Selftune.Core.Tests.Contract;

/// <summary>
/// Guards the plugin contract: the public API of <c>Selftune.Abstractions</c>, as PublicApiGenerator prints it, must equal
/// <c>Selftune.Abstractions.approved.txt</c> beside this file. Any change to the contract fails here with the diff, so it
/// is seen and versioned (<see cref="PluginContract"/>: additions bump the minor, removals and changes the major).
/// To approve a change: <c>SELFTUNE_APPROVE_API=1 dotnet test tests/Selftune.Core.Tests --filter FullyQualifiedName~PublicApiTests</c>,
/// then review and commit the approved file.
/// </summary>
public sealed class PublicApiTests
{
    /// <summary>Set to 1 to write the current API into the approved file instead of comparing.</summary>
    public const string ApproveVariable = "SELFTUNE_APPROVE_API";

    [Fact]
    public void TheContractsPublicApiIsTheApprovedOne()
    {
        var approvedPath = ApprovedPath();
        var current = Normalize(typeof(PluginContract).Assembly.GeneratePublicApi(new ApiGeneratorOptions { IncludeAssemblyAttributes = false }));
        if (Environment.GetEnvironmentVariable(ApproveVariable) == "1")
        {
            File.WriteAllText(approvedPath, current);
        }

        var approved = File.Exists(approvedPath) ? Normalize(File.ReadAllText(approvedPath)) : string.Empty;
        Assert.True(approved == current,
            $"The public API of Selftune.Abstractions differs from {approvedPath} (- approved, + current):\n{Diff(approved, current)}\n" +
            $"If the change is intended, bump the contract version (src/Selftune.Abstractions/Selftune.Abstractions.csproj) and run the test with {ApproveVariable}=1.");
    }

    /// <summary>Core is no public API: plugins see only the contract, and the host and tests reach Core through
    /// <c>InternalsVisibleTo</c>. A public type here would be surface nobody versions.</summary>
    [Fact]
    public void CoreExportsNoType() =>
        Assert.Empty(typeof(Selftune.Core.Store.SelftuneStore).Assembly.GetExportedTypes().Select(t => t.FullName));

    private static string ApprovedPath([CallerFilePath] string source = "") => Path.Combine(Path.GetDirectoryName(source)!, "Selftune.Abstractions.approved.txt");

    private static string Normalize(string text) => text.ReplaceLineEndings("\n").TrimEnd() + "\n";

    /// <summary>A line diff (longest common subsequence): unchanged lines are left out, removed lines start with <c>-</c>,
    /// added ones with <c>+</c>.</summary>
    private static string Diff(string before, string after)
    {
        var a = before.Split('\n');
        var b = after.Split('\n');
        var common = new int[a.Length + 1, b.Length + 1];
        for (var i = a.Length - 1; i >= 0; i--)
        {
            for (var j = b.Length - 1; j >= 0; j--)
            {
                common[i, j] = a[i] == b[j] ? common[i + 1, j + 1] + 1 : Math.Max(common[i + 1, j], common[i, j + 1]);
            }
        }

        var diff = new StringBuilder();
        int x = 0, y = 0;
        while (x < a.Length || y < b.Length)
        {
            if (x < a.Length && y < b.Length && a[x] == b[y])
            {
                x++;
                y++;
            }
            else if (y < b.Length && (x == a.Length || common[x, y + 1] >= common[x + 1, y]))
            {
                diff.Append('+').AppendLine(b[y++]);
            }
            else
            {
                diff.Append('-').AppendLine(a[x++]);
            }
        }

        return diff.ToString();
    }
}
