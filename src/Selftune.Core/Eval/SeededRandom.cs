namespace Selftune.Core.Eval;

/// <summary>
/// A small deterministic random source (SplitMix64, Steele, Lea &amp; Flood 2014): the same seed yields the same sequence
/// on every platform and .NET version, which <see cref="Random"/> does not promise. Used for eval-set shuffles and splits.
/// </summary>
internal sealed class SeededRandom
{
    private ulong _state;

    /// <summary>Creates the source.</summary>
    public SeededRandom(int seed) => _state = unchecked((ulong)seed * 0x9E3779B97F4A7C15UL + 0x2545F4914F6CDD1DUL);

    /// <summary>The next 64 random bits.</summary>
    public ulong Next()
    {
        unchecked
        {
            var z = _state += 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }
    }

    /// <summary>A number in [0, <paramref name="bound"/>).</summary>
    public int Below(int bound) => bound <= 1 ? 0 : (int)(Next() % (ulong)bound);

    /// <summary>Shuffles <paramref name="items"/> in place (Fisher–Yates).</summary>
    public void Shuffle<T>(IList<T> items)
    {
        for (var i = items.Count - 1; i > 0; i--)
        {
            var j = Below(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }
}
