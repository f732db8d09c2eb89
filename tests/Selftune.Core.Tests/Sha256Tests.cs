using System.Text;

namespace Selftune.Core.Tests;

/// <summary>The managed SHA-256 gives the BCL's digest for every length around the block and padding boundaries and for
/// the FIPS 180-4 examples.</summary>
public sealed class Sha256Tests
{
    [Fact]
    public void EveryLengthUpToThreeBlocksHashesAsTheBcl()
    {
        var random = new Random(19);
        for (var length = 0; length <= 192; length++)
        {
            var data = new byte[length];
            random.NextBytes(data);
            Assert.Equal(System.Security.Cryptography.SHA256.HashData(data), Sha256.HashData(data));
        }
    }

    [Theory]
    [InlineData("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")]
    [InlineData("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")]
    [InlineData("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")]
    public void TheStandardsExamples(string text, string hex) =>
        Assert.Equal(hex, Convert.ToHexStringLower(Sha256.HashData(Encoding.UTF8.GetBytes(text))));
}

/// <summary>Miss ids are stored and named in commands: hashing them in managed code changed none.</summary>
public sealed class MissIdTests
{
    [Fact]
    public void AMissIdIsAsBefore() =>
        Assert.Equal("m-3223a7a64ba4", Selftune.Core.Misses.Miss.IdOf("session-003:L3", "ai-image-generation"));
}
