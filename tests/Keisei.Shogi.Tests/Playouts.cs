using FsCheck;
using FsCheck.Fluent;

namespace Keisei.Shogi.Tests;

/// <summary>
/// A random playout, fully determined by its fields: <see cref="Seed"/> drives a <see cref="System.Random"/> that
/// picks each move, <see cref="StartIndex"/> picks the start position from <see cref="Playouts.StartSfens"/>,
/// and at most <see cref="MaxPlies"/> moves are played (fewer if the side to move has no legal move).
/// A playout with a smaller <see cref="MaxPlies"/> is a prefix of the same playout, which is how it shrinks.
/// </summary>
public sealed record Playout(int Seed, int StartIndex, int MaxPlies)
{
    public string StartSfen => Playouts.StartSfens[StartIndex];

    public override string ToString() => $"Playout(Seed={Seed}, StartIndex={StartIndex} \"{StartSfen}\", MaxPlies={MaxPlies})";
}

/// <summary>FsCheck arbitrary for <see cref="Playout"/>: any seed, any start position, up to 150 plies.</summary>
public static class PlayoutArbitrary
{
    public const int MaxPlies = 150;

    public static Arbitrary<Playout> Playouts() =>
        Arb.From(
            from seed in Gen.Choose(0, int.MaxValue)
            from start in Gen.Choose(0, Tests.Playouts.StartSfens.Length - 1)
            from plies in Gen.Choose(MaxPlies / 2, MaxPlies)
            select new Playout(seed, start, plies),
            Shrink);

    /// <summary>Shorter prefixes of the same playout (half, three quarters, ...): the seed itself does not shrink meaningfully.</summary>
    private static IEnumerable<Playout> Shrink(Playout p)
    {
        for (int plies = p.MaxPlies / 2; plies < p.MaxPlies; plies += Math.Max(1, (p.MaxPlies - plies) / 2))
            if (plies > 0) yield return p with { MaxPlies = plies };
    }
}

/// <summary>Plays seed-driven random games from a few start positions.</summary>
public static class Playouts
{
    /// <summary>Start positions: the initial position plus rich positions with many drops, pins, promotions and no-king edge cases.</summary>
    public static readonly string[] StartSfens =
    [
        Position.StartSfen,
        "9/9/9/3k5/9/5K3/9/9/9 b RB2G2S2N2L9Prb2g2s2n2l9p 1",
        "l6nl/5+P1gk/2np1S3/p1p4Pp/3P2Sp1/1PPb2P1P/P5GS1/R8/LN4bKL w GR5pnsg 1",
        "8l/1l+R2P3/p2pBG1pp/kps1p4/Nn1P2G2/P1P1P2PP/1PS6/1KSG3+r1/LN2+p3L w Sbgn3p 124",
        "R8/2K1S1SSk/4B4/9/9/9/9/9/1L1L1L3 b RBGSNLP3g3n17p 1",
        // Black has no king: the generator must still be right for the side with one.
        "4k4/9/9/9/9/9/9/9/9 b 2R2B4G4S4N4L18P 1",
    ];

    /// <summary>
    /// Runs <paramref name="playout"/>: before each move calls <paramref name="onPly"/> with the position and the
    /// engine's legal moves, then plays a randomly chosen one. Returns the position at the end (moves not undone)
    /// and the moves played.
    /// </summary>
    public static (Position Final, List<Move> Moves) Run(Playout playout, Action<Position, Move[], IReadOnlyList<Move>>? onPly = null)
    {
        var rng = new Random(playout.Seed);
        var pos = Position.FromSfen(playout.StartSfen);
        var played = new List<Move>();
        var list = new MoveList();
        for (int ply = 0; ply < playout.MaxPlies; ply++)
        {
            pos.GenerateLegalMoves(ref list);
            var moves = list.ToArray();
            onPly?.Invoke(pos, moves, played);
            if (moves.Length == 0) break;
            var m = Choose(pos, moves, rng);
            pos.DoMove(m);
            played.Add(m);
        }
        return (pos, played);
    }

    /// <summary>Half the time a uniformly random move; otherwise a random capture or promotion when there is one (so games get sharp quickly).</summary>
    private static Move Choose(Position pos, Move[] moves, Random rng)
    {
        if (rng.Next(2) == 0)
        {
            var sharp = moves.Where(m => m.IsPromotion || (!m.IsDrop && pos.PieceOn(m.To) != 0)).ToArray();
            if (sharp.Length > 0) return sharp[rng.Next(sharp.Length)];
        }
        return moves[rng.Next(moves.Length)];
    }

    /// <summary>How a failure is reproduced: start SFEN and the USI moves played.</summary>
    public static string Describe(Playout playout, IReadOnlyList<Move> played) =>
        $"{playout}\nposition sfen {playout.StartSfen} moves {string.Join(' ', played.Select(m => m.ToUsi()))}";
}
