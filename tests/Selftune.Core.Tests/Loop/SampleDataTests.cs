using NSubstitute;
using Selftune.Abstractions;
using Selftune.Core.Configuration;
using Selftune.Core.Loop;

namespace Selftune.Core.Tests.Loop;

/// <summary>A run on the bundled samples hides from every plugin the environment variables the plugins declare as
/// locating their agent's data, whatever the agent: none of the user's sessions or settings is read.</summary>
public sealed class SampleDataTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("selftune-sample-").FullName;

    [Fact]
    public void ThePluginsDeclaredVariablesAreHiddenAndTheRestPassesThrough()
    {
        var home = new SelftuneHome(Path.Combine(_dir, ".selftune"));
        Directory.CreateDirectory(SampleData.BundledHome); // this test assembly's output has no samples ...
        Directory.CreateDirectory(SampleData.HomeFolder(home)); // ... and an earlier run's copy is kept

        var ingestor = Substitute.For<IIngestor>();
        ingestor.EnvironmentVariables.Returns(["ZED_AGENT_HOME"]);
        var installer = Substitute.For<IInstaller>();
        installer.EnvironmentVariables.Returns(["ZED_CONFIG_*"]);
        var real = new PlatformContext(_dir, _dir, name => "real " + name);

        var sample = SampleData.Prepare(home, real, [ingestor], [installer]);

        Assert.Null(sample.Environment("ZED_AGENT_HOME"));
        Assert.Null(sample.Environment("ZED_CONFIG_DIR"));
        Assert.Equal("real PATH", sample.Environment("PATH"));
        Assert.Equal("real ZED_AGENT_HOMEPAGE", sample.Environment("ZED_AGENT_HOMEPAGE"));
        Assert.Equal(SampleData.HomeFolder(home), sample.Environment("HOME"));
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
