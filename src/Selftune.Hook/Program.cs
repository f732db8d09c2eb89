using Selftune.Core.Hooks;

namespace Selftune.Hook;

/// <summary>The native hook: <c>selftune-hook &lt;event&gt; [--platform p] [--turn-end] [payload]</c>.</summary>
internal static class Program
{
    /// <summary>Entry point: runs <see cref="HookFastPath"/>, which always returns 0.</summary>
    public static int Main(string[] args) => HookFastPath.Run(args);
}
