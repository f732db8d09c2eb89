#:project ../plugins/Codex/Selftune.Plugin.Codex.csproj
#:property PublishAot=false
// Measures CodexIngestor throughput: builds a fake ~/.codex holding N copies of the corpus's cli 0.45 rollout
// (1.2 MB, 1,177 lines each, as rollout-<i>.jsonl), ingests every file from the start with a counting sink, and
// prints files, MB, records, wall and CPU seconds (CPU time is the fairer figure on a shared machine). Usage: dotnet run bench/codex-ingest.cs [copies=200]
using System.Diagnostics;
using Selftune.Abstractions;

var copies = args.Length > 0 ? int.Parse(args[0]) : 200;
var corpus = Path.GetFullPath(Path.Combine(AppContext.GetData("EntryPointFileDirectoryPath") as string ?? ".", "..", "..", "shared", "corpus", "codex", "sessions", "2025", "10", "06"));
var sample = Directory.GetFiles(corpus, "rollout-*.jsonl").Single();
var home = Directory.CreateTempSubdirectory("selftune-bench-codex-").FullName;
try
{
    var day = Path.Combine(home, ".codex", "sessions", "2025", "10", "06");
    Directory.CreateDirectory(day);
    for (var i = 0; i < copies; i++)
    {
        File.Copy(sample, Path.Combine(day, $"rollout-{i:D5}.jsonl"));
    }

    var ingestor = new Selftune.Plugin.Codex.CodexIngestor();
    var context = new PlatformContext(home, home, _ => null);
    var sink = new CountingSink();
    var cpu = Process.GetCurrentProcess().TotalProcessorTime;
    var clock = Stopwatch.StartNew();
    var sources = ingestor.Discover(context, (_, _) => { }).ToList();
    var bytes = 0L;
    foreach (var source in sources)
    {
        ingestor.Ingest(source, null, sink, CancellationToken.None);
        bytes += source.Length;
    }

    clock.Stop();
    var cpuSeconds = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds;
    var mb = bytes / 1024.0 / 1024.0;
    Console.WriteLine($"files={sources.Count} MB={mb:F1} records={sink.Count} wall_s={clock.Elapsed.TotalSeconds:F2} cpu_s={cpuSeconds:F2} MB_per_cpu_s={mb / cpuSeconds:F0} load={File.ReadAllText("/proc/loadavg").Split(' ')[0]}");
}
finally
{
    Directory.Delete(home, recursive: true);
}

sealed class CountingSink : IRecordSink
{
    public long Count { get; private set; }
    public void Session(SessionRecord session) => Count++;
    public void Prompt(PromptRecord prompt) => Count++;
    public void SkillInvocation(SkillInvocationRecord invocation) => Count++;
    public void ToolCall(ToolCallRecord call) => Count++;
    public void Usage(TokenUsageRecord usage) => Count++;
    public void Error(ErrorRecord error) => Count++;
    public void Malformed(string path, long line, string reason) => Count++;
}
