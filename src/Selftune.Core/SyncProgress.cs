namespace Selftune.Core;

/// <summary>An <see cref="IProgress{T}"/> that reports on the caller's thread, in order: <see cref="Progress{T}"/> posts to
/// the synchronization context or the thread pool, which can reorder reports and run them beside the work (a store
/// connection must not be).</summary>
/// <typeparam name="T">What is reported.</typeparam>
/// <param name="report">Called with each report, before <see cref="Report"/> returns.</param>
internal sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
{
    /// <inheritdoc/>
    public void Report(T value) => report(value);
}
