using System.Text.Json.Serialization;
using Selftune.Core.Ingest;
using Selftune.Core.Reports;

namespace Selftune.Core;

/// <summary>
/// Compile-time JSON metadata for the reports written on every sync and status (reflection-based metadata costs tens of
/// milliseconds per process at first use). <see cref="Json.Options"/> consults it first and falls back to reflection
/// for every other type; the options (snake_case, string enums, nulls omitted) are <see cref="Json.Options"/>' own.
/// </summary>
[JsonSerializable(typeof(SyncReport))]
[JsonSerializable(typeof(StatusReport))]
[JsonSerializable(typeof(LastSessionReport))]
[JsonSerializable(typeof(SessionList))]
internal sealed partial class CoreJsonContext : JsonSerializerContext;
