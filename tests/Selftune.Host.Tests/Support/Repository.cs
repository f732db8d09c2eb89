namespace Selftune.Host.Tests.Support;

/// <summary>The repository these tests run from.</summary>
public static class Repository
{
    /// <summary>The folder holding <c>Selftune.sln</c>, found above the test assembly.</summary>
    public static string Root { get; } = Find();

    private static string Find()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Selftune.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("Selftune.sln not found above the test folder.");
    }
}
