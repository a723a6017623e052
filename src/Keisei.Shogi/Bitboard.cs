using System.Numerics;
using System.Runtime.CompilerServices;

namespace Keisei.Shogi;

/// <summary>A set of squares: bits 0..62 of <see cref="Lo"/> are squares 0..62 (files 1–7), bits 0..17 of <see cref="Hi"/> squares 63..80.</summary>
public struct Bitboard : IEquatable<Bitboard>
{
    public const ulong LoMask = (1UL << 63) - 1;
    public const ulong HiMask = (1UL << 18) - 1;

    public ulong Lo;
    public ulong Hi;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Bitboard(ulong lo, ulong hi)
    {
        Lo = lo;
        Hi = hi;
    }

    public static Bitboard Empty => default;
    public static Bitboard All => new(LoMask, HiMask);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Bitboard FromSquare(int sq) => sq < 63 ? new Bitboard(1UL << sq, 0) : new Bitboard(0, 1UL << (sq - 63));

    public readonly bool IsEmpty
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => (Lo | Hi) == 0;
    }

    public readonly bool Any
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => (Lo | Hi) != 0;
    }

    public readonly int Count
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => BitOperations.PopCount(Lo) + BitOperations.PopCount(Hi);
    }

    /// <summary>True when the set has two or more squares.</summary>
    public readonly bool HasMoreThanOne
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => (Lo & (Lo - 1)) != 0 || (Hi & (Hi - 1)) != 0 || (Lo != 0 && Hi != 0);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly bool Contains(int sq) => sq < 63 ? (Lo >> sq & 1) != 0 : (Hi >> (sq - 63) & 1) != 0;

    /// <summary>The lowest square in the set (the set must not be empty).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly int First() => Lo != 0 ? BitOperations.TrailingZeroCount(Lo) : 63 + BitOperations.TrailingZeroCount(Hi);

    /// <summary>Removes and returns the lowest square (the set must not be empty).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Pop()
    {
        if (Lo != 0)
        {
            int sq = BitOperations.TrailingZeroCount(Lo);
            Lo &= Lo - 1;
            return sq;
        }
        int s = 63 + BitOperations.TrailingZeroCount(Hi);
        Hi &= Hi - 1;
        return s;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Bitboard operator &(Bitboard a, Bitboard b) => new(a.Lo & b.Lo, a.Hi & b.Hi);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Bitboard operator |(Bitboard a, Bitboard b) => new(a.Lo | b.Lo, a.Hi | b.Hi);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Bitboard operator ^(Bitboard a, Bitboard b) => new(a.Lo ^ b.Lo, a.Hi ^ b.Hi);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Bitboard operator ~(Bitboard a) => new(~a.Lo & LoMask, ~a.Hi & HiMask);

    /// <summary>Squares of <paramref name="a"/> not in <paramref name="b"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Bitboard AndNot(Bitboard a, Bitboard b) => new(a.Lo & ~b.Lo, a.Hi & ~b.Hi);

    public static bool operator ==(Bitboard a, Bitboard b) => a.Lo == b.Lo && a.Hi == b.Hi;
    public static bool operator !=(Bitboard a, Bitboard b) => !(a == b);
    public readonly bool Equals(Bitboard other) => this == other;
    public override readonly bool Equals(object? obj) => obj is Bitboard b && this == b;
    public override readonly int GetHashCode() => HashCode.Combine(Lo, Hi);

    /// <summary>A 9×9 picture, rank a at the top, file 9 at the left (for debugging).</summary>
    public override readonly string ToString()
    {
        var sb = new System.Text.StringBuilder();
        for (int rank = 0; rank < 9; rank++)
        {
            for (int file = 9; file >= 1; file--) sb.Append(Contains(Squares.Of(file, rank)) ? 'X' : '.');
            sb.Append('\n');
        }
        return sb.ToString();
    }
}
