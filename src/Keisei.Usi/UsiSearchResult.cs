using Keisei.Shogi;

namespace Keisei.Usi;

/// <summary>What an engine's <c>bestmove</c> token means.</summary>
public enum UsiBestMoveKind
{
    /// <summary>A move in USI syntax (its legality is for the referee to check).</summary>
    Move,

    /// <summary><c>bestmove resign</c>.</summary>
    Resign,

    /// <summary><c>bestmove win</c>: an entering-king declaration the referee must verify.</summary>
    Win,
}

/// <summary>Whether a score is exact or only a bound.</summary>
public enum UsiScoreBound
{
    Exact,
    LowerBound,
    UpperBound,
}

/// <summary>An engine's evaluation from its own side: centipawns, or plies to mate.</summary>
/// <param name="IsMate">True for <c>score mate</c>, false for <c>score cp</c>.</param>
/// <param name="Value">
/// Centipawns, or plies to mate (positive: the engine mates; negative: it is mated). A mate given only
/// as a sign (<c>mate +</c> / <c>mate -</c>) is <see cref="int.MaxValue"/> / −<see cref="int.MaxValue"/>.
/// </param>
/// <param name="Bound">Whether the engine reported an exact score or a bound.</param>
public readonly record struct UsiScore(bool IsMate, int Value, UsiScoreBound Bound = UsiScoreBound.Exact)
{
    public override string ToString() =>
        (IsMate ? $"mate {Value}" : $"cp {Value}") + Bound switch
        {
            UsiScoreBound.LowerBound => " lowerbound",
            UsiScoreBound.UpperBound => " upperbound",
            _ => "",
        };
}

/// <summary>The answer to one <c>go</c>: the raw <c>bestmove</c> and the last search information before it.</summary>
public sealed record UsiSearchResult
{
    /// <summary>The <c>bestmove</c> token exactly as the engine sent it.</summary>
    public required string BestMove { get; init; }

    public required UsiBestMoveKind Kind { get; init; }

    /// <summary>The <c>ponder</c> move, if the engine gave one.</summary>
    public string? Ponder { get; init; }

    /// <summary>The last score reported for the main line (null if none).</summary>
    public UsiScore? Score { get; init; }

    /// <summary>The last depth reported.</summary>
    public int? Depth { get; init; }

    /// <summary>The last node count reported.</summary>
    public long? Nodes { get; init; }

    /// <summary>The last principal variation reported for the main line, as raw tokens.</summary>
    public IReadOnlyList<string> Pv { get; init; } = [];

    /// <summary>Time from sending <c>go</c> to receiving <c>bestmove</c>.</summary>
    public TimeSpan Elapsed { get; init; }

    /// <summary>
    /// Parses <see cref="BestMove"/> as a move that is legal in <paramref name="position"/>;
    /// false for resign, win, or a move that is not legal there.
    /// </summary>
    public bool TryParseBestMove(Position position, out Move move)
    {
        ArgumentNullException.ThrowIfNull(position);
        move = Move.None;
        if (Kind != UsiBestMoveKind.Move) return false;
        try
        {
            move = UsiNotation.ParseMove(position, BestMove);
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }
}
