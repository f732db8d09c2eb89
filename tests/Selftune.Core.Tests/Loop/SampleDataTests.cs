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
        if (!Directory.Exists(SampleData.BundledHome))
        {
            Directory.CreateDirectory(SampleData.BundledHome); // this test assembly's output has no samples: an empty set will do
        }

        var ingestor = Substitute.For<IIngestor>();
        ingestor.EnvironmentVariables.Returns(["ZED_AGENT_HOME"]);
        var installer = Substitute.For<IInstaller>();
        installer.EnvironmentVariables.Returns(["ZED_CONFIG_*"]);
        var real = new PlatformContext(_dir, _dir, name => "real " + name);

        var sample = SampleData.Prepare(new SelftuneHome(Path.Combine(_dir, ".selftune")), real, [ingestor], [installer]);

        Assert.Null(sample.Environment("ZED_AGENT_HOME"));
        Assert.Null(sample.Environment("ZED_CONFIG_DIR"));
        Assert.Equal("real PATH", sample.Environment("PATH"));
        Assert.Equal("real ZED_AGENT_HOMEPAGE", sample.Environment("ZED_AGENT_HOMEPAGE"));
        Assert.Equal(SampleData.HomeFolder(new SelftuneHome(Path.Combine(_dir, ".selftune"))), sample.Environment("HOME"));
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
