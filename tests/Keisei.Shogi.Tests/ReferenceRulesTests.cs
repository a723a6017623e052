namespace Keisei.Shogi.Tests;

/// <summary>
/// Hand-built tricky positions. Each one is checked three ways: the engine's legal moves equal the reference
/// generator's (<see cref="ReferenceRules"/>), and both contain the moves a human expects and lack the ones a
/// human rules out (so the reference is itself checked, not just trusted). Every position is also checked
/// rotated by 180° with colours swapped, so Black and White code paths are both exercised.
/// </summary>
public class ReferenceRulesTests
{
    /// <summary>
    /// Sets up <paramref name="sfen"/>, plays <paramref name="play"/> (space-separated USI moves, may be empty), then checks
    /// the engine against the reference and both against the expectations; <paramref name="exactly"/> pins the whole set.
    /// </summary>
    private static void Check(string sfen, string play = "", string[]? present = null, string[]? absent = null, string[]? exactly = null, bool? inCheck = null)
    {
        foreach (bool flipped in new[] { false, true })
        {
            string start = flipped ? FlipSfen(sfen) : sfen;
            string Fix(string m) => flipped ? FlipMove(m) : m;
            var p = Position.FromSfen(start);
            foreach (var m in play.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                p.DoMove(UsiNotation.ParseMove(p, Fix(m)));

            var list = new MoveList();
            p.GenerateLegalMoves(ref list);
            var engineMoves = list.ToArray();
            string? diff = PlayoutProperties.CompareWithReference(p, engineMoves);
            Assert.True(diff == null, diff);

            var engine = engineMoves.Select(m => m.ToUsi()).ToHashSet();
            var reference = ReferenceRules.LegalMoveStrings(p);
            string where = $"in {p.ToSfen()} (flipped: {flipped})";
            foreach (var m in (present ?? []).Select(Fix))
            {
                Assert.True(reference.Contains(m), $"reference lacks {m} {where}");
                Assert.True(engine.Contains(m), $"engine lacks {m} {where}");
            }
            foreach (var m in (absent ?? []).Select(Fix))
            {
                Assert.False(reference.Contains(m), $"reference allows {m} {where}");
                Assert.False(engine.Contains(m), $"engine allows {m} {where}");
            }
            if (exactly != null)
                Assert.Equal(exactly.Select(Fix).Order(StringComparer.Ordinal), reference);
            if (inCheck != null)
            {
                Assert.Equal(inCheck.Value, p.InCheck);
                Assert.Equal(inCheck.Value, ReferenceRules.InCheck(p));
            }
        }
    }

    [Fact]
    public void LancePinnedGoldMovesOnlyAlongTheFile()
    {
        // White lance 5a pins Black's gold 5h to the king on 5i.
        Check("4l3k/9/9/9/9/9/9/4G4/4K4 b - 1",
            present: ["5h5g", "5i4i", "5i6i", "5i4h", "5i6h"],
            absent: ["5h4h", "5h6h", "5h4g", "5h6g"]);
    }

    [Fact]
    public void PinnedPieceMayCaptureItsPinnerAlongThePinLine()
    {
        // White lance 5g pins the gold 5h; taking the lance stays on the line.
        Check("8k/9/9/9/9/9/4l4/4G4/4K4 b - 1",
            present: ["5h5g"],
            absent: ["5h4g", "5h6g", "5h4h", "5h6h"]);
        // Bishop pinned on a diagonal by a bishop: it slides along the diagonal, capture included, nowhere else.
        Check("8k/9/9/9/8b/9/6B2/9/4K4 b - 1",
            present: ["3g4h", "3g2f", "3g1e"],
            absent: ["3g2h", "3g4f", "3g1i", "3g5e"]);
    }

    [Fact]
    public void RookPinnedSilverCannotMoveAtAll()
    {
        // White rook 9e pins the silver 6e along rank e: a silver never moves sideways, so it has no move.
        Check("8k/9/9/9/r2S1K3/9/9/9/9 b - 1",
            present: ["4e5e", "4e5d", "4e3e"],
            absent: ["6e6d", "6e5d", "6e7d", "6e5f", "6e7f"]);
    }

    [Fact]
    public void PinnedPieceCannotCaptureTheCheckerOffThePinLine()
    {
        // Knight 4g checks the king 5i; the gold 4h could take it but is pinned by the bishop 1e (4h-3g-2f-1e).
        // (A pinned piece can never take the checker *along* its pin line: the checker would have to stand on that line,
        // behind the pinned piece, and could not then attack the king; the legal capture of a pinner is tested above.)
        Check("8k/9/9/9/8b/9/5n3/5G3/4K4 b - 1", inCheck: true,
            present: ["5i5h", "5i6h", "5i4i", "5i6i"],
            absent: ["4h4g", "4h3g"]);
        // The same gold, unpinned, takes the knight.
        Check("8k/9/9/9/9/9/5n3/5G3/4K4 b B 1", inCheck: true, present: ["4h4g"]);
    }

    [Fact]
    public void DiscoveredAndDoubleCheck()
    {
        const string sfen = "4k4/9/9/9/4N4/9/9/9/4L3K b g 1";
        // 5e4c uncovers the lance on 5i and the knight itself attacks 5a: double check, only king moves (no drop, no 5b).
        Check(sfen, play: "5e4c", inCheck: true, exactly: ["5a4a", "5a6a", "5a4b", "5a6b"]);
        var p = Position.FromSfen(sfen);
        p.DoMove(UsiNotation.ParseMove(p, "5e4c"));
        Assert.Equal(2, p.Checkers.Count);
        // 5e4c+ gives only the discovered check: the gold in hand may interpose anywhere on the file.
        Check(sfen, play: "5e4c+", inCheck: true,
            exactly: ["5a4a", "5a6a", "5a6b", "G*5b", "G*5c", "G*5d", "G*5e", "G*5f", "G*5g", "G*5h"]);
    }

    [Fact]
    public void DropsInterposeASliderCheckAndTheKingCannotRetreatAlongItsLine()
    {
        // Rook 9e checks the king 5e along rank e: drops only between them; 4e stays on the rook's line (x-ray through the king).
        Check("k8/9/9/9/r3K4/9/9/9/9 b GP 1", inCheck: true,
            exactly: ["P*6e", "P*7e", "P*8e", "G*6e", "G*7e", "G*8e", "5e5d", "5e5f", "5e4d", "5e4f", "5e6d", "5e6f"]);
        // Bishop 9a checks 5e along the diagonal: 4f (away on the diagonal) and 6d (towards it) are attacked.
        Check("b7k/9/9/9/4K4/9/9/9/9 b - 1", inCheck: true,
            exactly: ["5e5d", "5e5f", "5e4e", "5e6e", "5e4d", "5e6f"]);
        // A lance's check along the file: retreating down the file stays attacked; an adjacent check cannot be blocked.
        Check("4l3k/9/9/9/4K4/9/9/9/9 b S 1", inCheck: true,
            present: ["S*5b", "S*5c", "S*5d", "5e4e", "5e6e", "5e4f", "5e6f"],
            absent: ["5e5f", "5e5d", "S*4e"]);
        Check("8k/9/9/4l4/4K4/9/9/9/9 b S 1", inCheck: true,
            present: ["5e5d"],
            absent: ["5e5f", "S*5c"]);
    }

    [Fact]
    public void PawnDropMateIsIllegalWhenTheOnlyDefenderIsPinned()
    {
        // P*1b would mate: the gold 2a could take the pawn but is pinned by the rook 9a along rank a,
        // the king cannot take (gold 1c guards 1b) nor flee to 2b (guarded by the gold 1c).
        Check("R6gk/9/8G/9/9/9/9/9/K8 b P 1", present: ["P*2b", "P*1d"], absent: ["P*1b"]);
        // Without the pin (rook in hand) the gold takes the pawn: the drop is legal.
        Check("7gk/9/8G/9/9/9/9/9/K8 b RP 1", present: ["P*1b"]);
    }

    [Fact]
    public void PawnDropIsLegalWhenThePinnedDefenderCapturesAlongItsPinLine()
    {
        // The rook 1e is pinned on file 1 by the lance 1i, but taking a pawn on 1b keeps it on that file.
        const string sfen = "7pk/9/6S2/7N1/8r/9/9/9/K7L b P 1";
        Check(sfen, present: ["P*1b"]);
        Check(sfen, play: "P*1b", inCheck: true, exactly: ["1e1b"]);
    }

    [Fact]
    public void PawnDropIsLegalWhenTheKingCanTakeThePawn()
    {
        // Same net as the pinned-defender mate (gold 2a pinned, silver 3c guards 2b), but nothing guards 1b: the king takes the pawn.
        Check("R6gk/9/6S2/9/9/9/9/9/K8 b P 1", present: ["P*1b"]);
    }

    [Fact]
    public void PawnMoveThatMatesIsLegal()
    {
        // A pawn *moved* (not dropped) to 1b mates: allowed, with or without promotion.
        const string sfen = "R6gk/9/6S1P/7N1/9/9/9/9/K8 b - 1";
        Check(sfen, present: ["1c1b", "1c1b+"]);
        Check(sfen, play: "1c1b", inCheck: true, exactly: []);
    }

    [Fact]
    public void DropRanksNifuAndForcedPromotions()
    {
        // Pawn 5c and lance 1c may promote or not on rank b, must promote on rank a; knight 3d lands on rank b: must promote.
        // Drops: no pawn/lance on rank a, no knight on ranks a-b, no second pawn on file 5 (nifu).
        const string sfen = "4k4/9/4P3L/6N2/9/9/9/9/4K4 b NLP 1";
        Check(sfen,
            present: ["5c5b", "5c5b+", "1c1b", "1c1b+", "1c1a+", "3d2b+", "3d4b+", "P*9b", "L*9b", "N*9c", "P*1d"],
            absent: ["1c1a", "3d2b", "3d4b", "P*9a", "L*9a", "N*9b", "N*9a", "P*5d", "P*5h"]);
        // Knight 3e reaches rank c: promotion optional; moving out of the zone from inside also offers promotion.
        Check("4k4/9/9/9/6N2/9/9/9/4K4 b - 1", present: ["3e2c", "3e2c+", "3e4c", "3e4c+"]);
        Check("4k4/9/7R1/9/9/9/9/9/4K4 b - 1", present: ["2c2i", "2c2i+", "2c2d+", "2c9c+"]);
    }

    /// <summary>The same position seen from the other side: board rotated 180°, colours and side to move swapped.</summary>
    private static string FlipSfen(string sfen)
    {
        var f = sfen.Split(' ');
        var ranks = f[0].Split('/').Reverse().Select(rank =>
        {
            var tokens = new List<string>();
            for (int i = 0; i < rank.Length; i++)
            {
                if (rank[i] == '+') { tokens.Add("+" + rank[i + 1]); i++; }
                else tokens.Add(rank[i].ToString());
            }
            tokens.Reverse();
            return string.Concat(tokens.Select(SwapCase));
        });
        string side = f[1] == "b" ? "w" : "b";
        string hands = f[2] == "-" ? "-" : SwapCase(f[2]);
        return $"{string.Join('/', ranks)} {side} {hands} {f[3]}";
    }

    private static string SwapCase(string s) =>
        string.Concat(s.Select(c => char.IsUpper(c) ? char.ToLowerInvariant(c) : char.ToUpperInvariant(c)));

    /// <summary>A USI move rotated 180° (file f → 10 − f, rank r → i − r); drop letters stay uppercase.</summary>
    private static string FlipMove(string m)
    {
        static string Sq(string s) => $"{(char)('0' + 10 - (s[0] - '0'))}{(char)('a' + 'i' - s[1])}";
        if (m[1] == '*') return m[..2] + Sq(m[2..4]);
        return Sq(m[..2]) + Sq(m[2..4]) + m[4..];
    }
}
