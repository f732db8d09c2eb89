using System.Text.Json;
using Selftune.Core.Hooks;

namespace Selftune.Core.Tests.Hooks;

/// <summary>A payload the hook cut at its limit becomes a valid JSON object: whole properties kept, the cut string
/// kept up to the cut with the marker, the rest left out.</summary>
public sealed class TruncatedPayloadTests
{
    private const string Head = """{"session_id":"s1","n":3,"tool_input":{"a":[1,2]},"prompt":"hello wor""";

    [Theory]
    [InlineData(Head, "hello wor")]
    [InlineData(Head + "\\", "hello wor")]          // cut inside an escape
    [InlineData(Head + "\\u00", "hello wor")]       // cut inside a \u escape
    [InlineData(Head + "\\n", "hello wor\n")]       // a whole escape stays
    [InlineData(Head + "\\\\", "hello wor\\")]      // an escaped backslash stays
    public void TheCutStringIsKeptWithTheMarker(string prefix, string kept)
    {
        using var closed = JsonDocument.Parse(TruncatedPayload.Close(prefix, 5_000_000)!);
        var root = closed.RootElement;

        Assert.Equal(("s1", 3, "[1,2]"), (root.GetProperty("session_id").GetString(), root.GetProperty("n").GetInt32(), root.GetProperty("tool_input").GetProperty("a").GetRawText()));
        Assert.Equal(kept + string.Format(System.Globalization.CultureInfo.InvariantCulture, TruncatedPayload.Marker, 5_000_000), root.GetProperty("prompt").GetString());
    }

    [Fact]
    public void APropertyCutInsideAnObjectIsLeftOutAndNonObjectsAreRefused()
    {
        using var closed = JsonDocument.Parse(TruncatedPayload.Close("""{"session_id":"s1","tool_input":{"command":"ls -""", 10)!);
        Assert.Equal("""{"session_id":"s1"}""", closed.RootElement.GetRawText());
        Assert.Null(TruncatedPayload.Close("[1,2,", 10));
        Assert.Null(TruncatedPayload.Close("not json", 10));
    }
}
