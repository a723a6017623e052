using System.Text;
using FsCheck.Xunit;

namespace Keisei.Shogi.Tests;

/// <summary>
/// Properties checked at every ply of seed-driven random playouts (see <see cref="Playout"/>). Every property has a
/// fixed <c>Replay</c> seed, so the same playouts run every time; to explore new ones, change or remove the seed.
/// A failure reports the playout (seed, start SFEN, plies) and the USI moves that reach the failing position.
/// </summary>
public class PlayoutProperties
{
    /// <summary>Everything observable about a position that make/unmake must restore exactly.</summary>
    private sealed record Snapshot(
        string Sfen, ulong Hash, bool InCheck, Bitboard Checkers, int PliesPlayed, Move LastMove,
        int BlackKing, int WhiteKing, Bitboard Occupied, Bitboard Black, Bitboard White)
    {
        public static Snapshot Of(Position p) => new(
            p.ToSfen(), p.Hash, p.InCheck, p.Checkers, p.PliesPlayed, p.LastMove,
            p.KingSquare(Color.Black), p.KingSquare(Color.White), p.Occupied, p.PiecesOf(Color.Black), p.PiecesOf(Color.White));
    }

    /// <summary>A cheap exact fingerprint (board, hands, side, move number, hash, check state) for checking every move's unmake.</summary>
    private static void Fingerprint(Position p, List<ulong> into)
    {
        into.Clear();
        for (int sq = 0; sq < 81; sq++) into.Add((ulong)p.PieceOn(sq));
        for (int c = 0; c < 2; c++)
            for (var k = PieceType.Pawn; k <= PieceType.Rook; k++)
                into.Add((ulong)p.HandCount((Color)c, k));
        into.Add((ulong)p.SideToMove);
        into.Add((ulong)p.MoveNumber);
        into.Add(p.Hash);
        into.Add(p.Checkers.Lo);
        into.Add(p.Checkers.Hi);
        into.Add(p.Occupied.Lo);
        into.Add(p.Occupied.Hi);
        into.Add((ulong)p.PliesPlayed);
    }

    private static void Fail(Playout playout, IReadOnlyList<Move> played, string what) =>
        Assert.Fail($"{what}\n{Playouts.Describe(playout, played)}");

    /// <summary>
    /// Property 1: at every ply, making then unmaking the chosen move restores the exact position (SFEN with move
    /// number, hash, check state, king squares, bitboards); making and unmaking every other legal move restores
    /// board, hands, side, move number, hash and checkers; undoing the whole playout walks back through the same
    /// positions to the start.
    /// </summary>
    [Property(Arbitrary = [typeof(PlayoutArbitrary)], Replay = "(1234567,7654321)", MaxTest = 60)]
    public void UnmakeRestoresThePositionExactly(Playout playout)
    {
        var history = new List<Snapshot>();
        var before = new List<ulong>();
        var after = new List<ulong>();
        var (pos, played) = Playouts.Run(playout, (p, moves, playedSoFar) =>
        {
            var snap = Snapshot.Of(p);
            history.Add(snap);
            Fingerprint(p, before);
            foreach (var m in moves)
            {
                p.DoMove(m);
                p.UndoMove();
                Fingerprint(p, after);
                if (!before.SequenceEqual(after))
                    Fail(playout, playedSoFar, $"do/undo of {m.ToUsi()} changed the position {snap.Sfen} into {p.ToSfen()}");
            }
        });

        // The chosen moves: undo each one and compare with the snapshot taken before it was made.
        for (int i = played.Count - 1; i >= 0; i--)
        {
            pos.UndoMove();
            var now = Snapshot.Of(pos);
            if (now != history[i])
                Fail(playout, played.Take(i).ToList(), $"undoing {played[i].ToUsi()} (ply {i}) gave\n  {now}\nexpected\n  {history[i]}");
        }
        Assert.Equal(0, pos.PliesPlayed);
        Assert.Equal(Position.FromSfen(playout.StartSfen).ToSfen(), pos.ToSfen());
        Assert.Throws<InvalidOperationException>(pos.UndoMove);
    }

    /// <summary>
    /// Property 2: the incrementally updated hash equals <see cref="Position.ComputeHash"/> at every ply and after
    /// every legal move, and the bitboards agree with the mailbox (<see cref="Position.PieceOn"/>).
    /// </summary>
    [Property(Arbitrary = [typeof(PlayoutArbitrary)], Replay = "(2468013,1357911)", MaxTest = 60)]
    public void IncrementalHashMatchesFullRecomputation(Playout playout)
    {
        var seen = new Dictionary<ulong, string>();
        Playouts.Run(playout, (p, moves, playedSoFar) =>
        {
            if (p.Hash != p.ComputeHash())
                Fail(playout, playedSoFar, $"incremental hash {p.Hash:X16} != computed {p.ComputeHash():X16} in {p.ToSfen()}");
            CheckBitboards(playout, playedSoFar, p);

            // Equal hashes must mean equal positions (board, hands, side) along one playout: catches a hash that ignores something.
            string key = p.ToSfen()[..p.ToSfen().LastIndexOf(' ')];
            if (seen.TryGetValue(p.Hash, out var other) && other != key)
                Fail(playout, playedSoFar, $"hash collision along the playout: {key} and {other}");
            seen[p.Hash] = key;

            foreach (var m in moves)
            {
                p.DoMove(m);
                ulong inc = p.Hash, full = p.ComputeHash();
                p.UndoMove();
                if (inc != full)
                    Fail(playout, playedSoFar, $"after {m.ToUsi()} from {p.ToSfen()}: incremental hash {inc:X16} != computed {full:X16}");
            }
        });
    }

    private static void CheckBitboards(Playout playout, IReadOnlyList<Move> played, Position p)
    {
        for (int sq = 0; sq < 81; sq++)
        {
            int piece = p.PieceOn(sq);
            if (p.Occupied.Contains(sq) != (piece != 0))
                Fail(playout, played, $"Occupied disagrees with PieceOn at {Squares.ToUsi(sq)} in {p.ToSfen()}");
            for (int c = 0; c < 2; c++)
            {
                if (p.PiecesOf((Color)c).Contains(sq) != (piece != 0 && piece >> 4 == c))
                    Fail(playout, played, $"PiecesOf({(Color)c}) disagrees with PieceOn at {Squares.ToUsi(sq)} in {p.ToSfen()}");
                foreach (var t in Enum.GetValues<PieceType>())
                {
                    if (t == PieceType.None) continue;
                    if (p.PiecesOf((Color)c, t).Contains(sq) != (piece == Pieces.Make(t, (Color)c)))
                        Fail(playout, played, $"PiecesOf({(Color)c}, {t}) disagrees with PieceOn at {Squares.ToUsi(sq)} in {p.ToSfen()}");
                }
            }
            if (piece != 0 && Pieces.TypeOf(piece) == PieceType.King && p.KingSquare(Pieces.ColorOf(piece)) != sq)
                Fail(playout, played, $"KingSquare({Pieces.ColorOf(piece)}) is not {Squares.ToUsi(sq)} in {p.ToSfen()}");
        }
    }

    /// <summary>
    /// Property 3: at every ply the engine's legal moves are exactly the reference generator's
    /// (<see cref="ReferenceRules"/>), with no duplicates, and the engine's check flag agrees with the reference attack test.
    /// </summary>
    [Property(Arbitrary = [typeof(PlayoutArbitrary)], Replay = "(9876543,3456789)", MaxTest = 200)]
    public void LegalMovesMatchTheReferenceGenerator(Playout playout)
    {
        Playouts.Run(playout, (p, moves, playedSoFar) =>
        {
            string? diff = CompareWithReference(p, moves);
            if (diff != null) Fail(playout, playedSoFar, diff);
        });
    }

    /// <summary>Null when the engine and the reference agree on <paramref name="p"/>; otherwise a message with the SFEN and the missing and extra moves.</summary>
    public static string? CompareWithReference(Position p, Move[] engineMoves)
    {
        var engine = engineMoves.Select(m => m.ToUsi()).ToList();
        var engineSet = new SortedSet<string>(engine, StringComparer.Ordinal);
        var reference = ReferenceRules.LegalMoveStrings(p);
        var sb = new StringBuilder();
        if (engineSet.Count != engine.Count)
            sb.Append("duplicate moves: ").AppendJoin(' ', engine.GroupBy(x => x).Where(g => g.Count() > 1).Select(g => g.Key)).Append('\n');
        var missing = reference.Except(engineSet).ToList();
        var extra = engineSet.Except(reference).ToList();
        if (missing.Count > 0) sb.Append("missing (legal, not generated): ").AppendJoin(' ', missing).Append('\n');
        if (extra.Count > 0) sb.Append("extra (generated, not legal): ").AppendJoin(' ', extra).Append('\n');
        bool refCheck = ReferenceRules.InCheck(p);
        if (refCheck != p.InCheck) sb.Append($"InCheck is {p.InCheck}, reference says {refCheck}\n");
        return sb.Length == 0 ? null : $"move generation differs from the reference in\n  {p.ToSfen()}\n{sb}";
    }
}
