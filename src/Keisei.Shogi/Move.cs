using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace Keisei.Shogi;

/// <summary>
/// A move in 16 bits: destination (bits 0–6), origin (bits 7–13; 81 + kind − 1 for a drop), promotion (bit 14).
/// </summary>
public readonly struct Move : IEquatable<Move>
{
    private const int DropBase = 81;
    private const ushort PromoteFlag = 1 << 14;

    public readonly ushort Value;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private Move(int value) => Value = (ushort)value;

    /// <summary>No move (not a legal move in any position).</summary>
    public static Move None => default;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Move Board(int from, int to, bool promote = false) => new(to | from << 7 | (promote ? PromoteFlag : 0));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Move Drop(PieceType kind, int to) => new(to | (DropBase + (int)kind - 1) << 7);

    public int To
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Value & 127;
    }

    /// <summary>Origin square of a board move (meaningless for a drop).</summary>
    public int From
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Value >> 7 & 127;
    }

    public bool IsDrop
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => (Value >> 7 & 127) >= DropBase;
    }

    /// <summary>Kind dropped (P..R) for a drop, else None.</summary>
    public PieceType DropKind => IsDrop ? (PieceType)((Value >> 7 & 127) - DropBase + 1) : PieceType.None;

    public bool IsPromotion
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => (Value & PromoteFlag) != 0;
    }

    public bool IsNone => Value == 0;

    /// <summary>USI notation: <c>7g7f</c>, <c>8h2b+</c>, <c>P*5e</c>.</summary>
    public string ToUsi()
    {
        if (IsNone) return "none";
        if (IsDrop) return $"{Pieces.Letter(DropKind)}*{Squares.ToUsi(To)}";
        return Squares.ToUsi(From) + Squares.ToUsi(To) + (IsPromotion ? "+" : "");
    }

    public override string ToString() => ToUsi();
    public bool Equals(Move other) => Value == other.Value;
    public override bool Equals(object? obj) => obj is Move m && m.Value == Value;
    public override int GetHashCode() => Value;
    public static bool operator ==(Move a, Move b) => a.Value == b.Value;
    public static bool operator !=(Move a, Move b) => a.Value != b.Value;
}

/// <summary>A fixed-capacity move list that lives on the stack: the generator writes into it without allocating.</summary>
public struct MoveList
{
    /// <summary>More than the most legal moves any shogi position has (593).</summary>
    public const int Capacity = 600;

    private MoveBuffer _moves;
    private int _count;

    public readonly int Count => _count;

    public readonly Move this[int index]
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get
        {
            if ((uint)index >= (uint)_count) throw new ArgumentOutOfRangeException(nameof(index));
            return _moves[index];
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void Add(Move m) => _moves[_count++] = m;

    public void Clear() => _count = 0;

    public readonly bool Contains(Move m)
    {
        for (int i = 0; i < _count; i++)
            if (_moves[i] == m) return true;
        return false;
    }

    /// <summary>The moves as a span over this list's storage (valid while the list is alive and unchanged).</summary>
    [UnscopedRef]
    public Span<Move> AsSpan() => ((Span<Move>)_moves)[.._count];

    public readonly Move[] ToArray()
    {
        var result = new Move[_count];
        for (int i = 0; i < _count; i++) result[i] = _moves[i];
        return result;
    }

    [InlineArray(Capacity)]
    private struct MoveBuffer
    {
        private Move _element;
    }
}
