namespace Selftune.Plugin.Cline.Tests;

/// <summary>
/// The Cline fixtures (Fixtures/ATTRIBUTION.md: cline/cline's SDK fixtures, Apache-2.0, and a classic task folder written
/// for these tests) laid out in a fake home the way the Cline CLI stores them under <c>~/.cline/data</c>.
/// </summary>
internal static class Samples
{
    public const string TaskId = "1760000000000";
    public const string SdkSession = "1784094124598_rruoq";
    public const string SuccessSession = "fixture-success-01";
    public const string TaskUi = ".cline/data/tasks/" + TaskId + "/ui_messages.json";
    public const string TaskApi = ".cline/data/tasks/" + TaskId + "/api_conversation_history.json";
    public const string Sdk = ".cline/data/sessions/" + SdkSession + "/" + SdkSession + ".messages.json";
    public const string Success = ".cline/data/sessions/" + SuccessSession + "/" + SuccessSession + ".messages.json";

    private static readonly (string Fixture, string Home)[] Files =
    [
        ("task/ui_messages.json", TaskUi),
        ("task/api_conversation_history.json", TaskApi),
        ("sdk/session.messages.json", Sdk),
        ("sdk/session.json", ".cline/data/sessions/" + SdkSession + "/" + SdkSession + ".json"),
        ("sdk/success.messages.json", Success),
    ];

    /// <summary>Copies every fixture into <paramref name="home"/>, plus an empty task folder and the task history index.</summary>
    public static void Arrange(string home)
    {
        foreach (var (fixture, target) in Files)
        {
            var to = Path.Combine(home, target);
            Directory.CreateDirectory(Path.GetDirectoryName(to)!);
            File.Copy(Path.Combine(AppContext.BaseDirectory, "Fixtures", fixture), to, overwrite: true);
        }

        Directory.CreateDirectory(Path.Combine(home, ".cline/data/tasks/1760000099999"));
        Directory.CreateDirectory(Path.Combine(home, ".cline/data/state"));
        File.WriteAllText(Path.Combine(home, ".cline/data/state/taskHistory.json"), "[]");
    }
}
