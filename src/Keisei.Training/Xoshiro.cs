using System.Globalization;
using Keisei.Shogi;

namespace Keisei.Training;

/// <summary>xoshiro256** — a small, fast generator whose whole state can be saved in a checkpoint and restored exactly.</summary>
public sealed class Xoshiro
{
    private ulong _s0, _s1, _s2, _s3;

    public Xoshiro(long seed)
    {
        ulong x = (ulong)seed;
        _s0 = SplitMix64.Next(ref x);
        _s1 = SplitMix64.Next(ref x);
        _s2 = SplitMix64.Next(ref x);
        _s3 = SplitMix64.Next(ref x);
    }

    public ulong NextUInt64()
    {
        ulong result = ulong.RotateLeft(_s1 * 5, 7) * 9;
        ulong t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = ulong.RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>Uniform in [0, 1).</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform in [0, n).</summary>
    public int Next(int n) => (int)((NextUInt64() >> 33) * (ulong)n >> 31);

    /// <summary>Fisher–Yates shuffle in place.</summary>
    public void Shuffle(Span<int> items)
    {
        for (int i = items.Length - 1; i > 0; i--)
        {
            int j = Next(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }

    /// <summary>The state as text, for checkpoints.</summary>
    public string SaveState() => string.Join(',', new[] { _s0, _s1, _s2, _s3 }.Select(v => v.ToString("x16", CultureInfo.InvariantCulture)));

    /// <summary>Restores a state written by <see cref="SaveState"/>.</summary>
    public void RestoreState(string state)
    {
        var parts = state.Split(',');
        if (parts.Length != 4) throw new FormatException($"Generator state '{state}' must have 4 parts.");
        _s0 = ulong.Parse(parts[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        _s1 = ulong.Parse(parts[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        _s2 = ulong.Parse(parts[2], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        _s3 = ulong.Parse(parts[3], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
    }
}
