namespace Keisei.Shogi.Tests;

/// <summary>Small helpers shared by the rule, game, SFEN and USI tests.</summary>
internal static class Util
{
    public static Position Pos(string sfen) => Position.FromSfen(sfen);

    public static int Sq(string usi)
    {
        int sq = Squares.Parse(usi);
        if (sq < 0) throw new ArgumentException($"bad square '{usi}'", nameof(usi));
        return sq;
    }

    public static Move M(string usi) => UsiNotation.TryParseSyntax(usi) ?? throw new ArgumentException($"bad USI move '{usi}'", nameof(usi));

    /// <summary>The legal moves of the side to move, in USI.</summary>
    public static HashSet<string> Legal(Position p)
    {
        var list = new MoveList();
        p.GenerateLegalMoves(ref list);
        return [.. list.ToArray().Select(m => m.ToUsi())];
    }

    /// <summary>The piece on a square as an SFEN token (<c>G</c>, <c>+p</c>), or "" when empty: checks a hand-written SFEN.</summary>
    public static string At(Position p, string square)
    {
        int piece = p.PieceOn(Sq(square));
        if (piece == 0) return "";
        var kind = Pieces.TypeOf(piece);
        char letter = Pieces.Letter(kind);
        if (Pieces.ColorOf(piece) == Color.White) letter = char.ToLowerInvariant(letter);
        return (Pieces.IsPromoted(kind) ? "+" : "") + letter;
    }

    public static IEnumerable<int> Files => Enumerable.Range(1, 9);
}

public class RuleTests
{
    // ---------------------------------------------------------------- drops

    [Fact]
    public void BlackCannotDropPawnOrLanceOnRankAOrKnightOnRanksAB()
    {
        var p = Util.Pos("4k4/9/9/9/9/9/9/9/4K4 b PLNpln 1");
        var legal = Util.Legal(p);
        foreach (int f in Util.Files)
        {
            if (f != 5)
            {
                Assert.DoesNotContain($"P*{f}a", legal);
                Assert.DoesNotContain($"L*{f}a", legal);
                Assert.DoesNotContain($"N*{f}a", legal);
            }
            Assert.DoesNotContain($"N*{f}b", legal);
            Assert.Contains($"P*{f}b", legal);
            Assert.Contains($"L*{f}b", legal);
            Assert.Contains($"N*{f}c", legal);
        }
        Assert.False(p.IsLegal(Util.M("P*1a")));
        Assert.False(p.IsLegal(Util.M("L*9a")));
        Assert.False(p.IsLegal(Util.M("N*1b")));
    }

    [Fact]
    public void WhiteCannotDropPawnOrLanceOnRankIOrKnightOnRanksHI()
    {
        var p = Util.Pos("4k4/9/9/9/9/9/9/9/4K4 w PLNpln 1");
        var legal = Util.Legal(p);
        foreach (int f in Util.Files)
        {
            if (f != 5)
            {
                Assert.DoesNotContain($"P*{f}i", legal);
                Assert.DoesNotContain($"L*{f}i", legal);
                Assert.DoesNotContain($"N*{f}i", legal);
            }
            Assert.DoesNotContain($"N*{f}h", legal);
            Assert.Contains($"P*{f}h", legal);
            Assert.Contains($"L*{f}h", legal);
            Assert.Contains($"N*{f}g", legal);
        }
        Assert.False(p.IsLegal(Util.M("P*1i")));
        Assert.False(p.IsLegal(Util.M("L*9i")));
        Assert.False(p.IsLegal(Util.M("N*1h")));
    }

    [Fact]
    public void NifuForbidsASecondPawnOnAFileButAPromotedPawnDoesNotCount()
    {
        // Black pawn on 5g, Black +P on 3c, White pawn on 7c; Black holds a pawn.
        var p = Util.Pos("4k4/9/2p3+P2/9/9/9/4P4/9/4K4 b P 1");
        Assert.Equal("P", Util.At(p, "5g"));
        Assert.Equal("+P", Util.At(p, "3c"));
        Assert.Equal("p", Util.At(p, "7c"));
        var legal = Util.Legal(p);
        foreach (char r in "bcdefh")
            Assert.DoesNotContain($"P*5{r}", legal);
        Assert.Contains("P*3e", legal); // only a promoted pawn on file 3
        Assert.Contains("P*7e", legal); // only an enemy pawn on file 7
        Assert.Contains("P*4e", legal);
    }

    [Fact]
    public void NifuForWhite()
    {
        var p = Util.Pos("4k4/4p4/9/9/9/9/2P3+p2/9/4K4 w p 1");
        Assert.Equal("p", Util.At(p, "5b"));
        Assert.Equal("+p", Util.At(p, "3g"));
        var legal = Util.Legal(p);
        foreach (char r in "cdefgh")
            Assert.DoesNotContain($"P*5{r}", legal);
        Assert.Contains("P*3e", legal);
        Assert.Contains("P*7e", legal);
    }

    [Fact]
    public void UchiFuZume_PawnDropThatMatesIsIllegal()
    {
        // White king 1a; Black knight 3c covers 2a, Black silver 2c covers 2b and protects 1b.
        var p = Util.Pos("8k/9/6NS1/9/9/9/9/9/4K4 b P 1");
        Assert.Equal("k", Util.At(p, "1a"));
        Assert.Equal("N", Util.At(p, "3c"));
        Assert.Equal("S", Util.At(p, "2c"));
        var drop = Util.M("P*1b");
        Assert.False(p.IsLegal(drop));
        Assert.DoesNotContain("P*1b", Util.Legal(p));
        Assert.Contains("P*1c", Util.Legal(p)); // other pawn drops are fine

        // The drop really would be mate (that is what makes it illegal).
        p.DoMove(drop);
        Assert.True(p.InCheck);
        Assert.False(p.HasLegalMove());
    }

    [Fact]
    public void UchiFuZume_DefenderPinnedStillMate()
    {
        // White gold 2a could take a pawn on 1b but is pinned to the king on 1a by the Black rook on 5a.
        var p = Util.Pos("4R2gk/9/7S1/9/9/9/9/9/4K4 b P 1");
        Assert.Equal("R", Util.At(p, "5a"));
        Assert.Equal("g", Util.At(p, "2a"));
        Assert.False(p.IsLegal(Util.M("P*1b")));
        p.DoMove(Util.M("P*1b"));
        Assert.True(p.InCheck);
        Assert.False(p.HasLegalMove());
    }

    [Fact]
    public void SameMateByPawnMoveIsLegal()
    {
        // As above, but the pawn is on 1c and moves to 1b (with or without promotion): legal, and mate.
        var p = Util.Pos("8k/9/6NSP/9/9/9/9/9/4K4 b - 1");
        Assert.Equal("P", Util.At(p, "1c"));
        var legal = Util.Legal(p);
        Assert.Contains("1c1b", legal);
        Assert.Contains("1c1b+", legal);
        p.DoMove(Util.M("1c1b"));
        Assert.True(p.InCheck);
        Assert.False(p.HasLegalMove());
    }

    [Fact]
    public void PawnDropCheck_KingCanEscape_IsLegal()
    {
        // Only the silver on 2c: the pawn on 1b is protected but 2a is free.
        var p = Util.Pos("8k/9/7S1/9/9/9/9/9/4K4 b P 1");
        Assert.True(p.IsLegal(Util.M("P*1b")));
        p.DoMove(Util.M("P*1b"));
        Assert.True(p.InCheck);
        Assert.Equal(["1a2a"], Util.Legal(p));
    }

    [Fact]
    public void PawnDropCheck_PieceCanCapture_IsLegal()
    {
        // The White gold on 2a is not pinned (no rook on 5a): it can take the pawn.
        var p = Util.Pos("7gk/9/7S1/9/9/9/9/9/4K4 b P 1");
        Assert.True(p.IsLegal(Util.M("P*1b")));
        p.DoMove(Util.M("P*1b"));
        Assert.True(p.InCheck);
        Assert.Equal(["2a1b"], Util.Legal(p));
    }

    [Fact]
    public void PawnDropCheck_KingCanCaptureUnprotectedPawn_IsLegal()
    {
        var p = Util.Pos("8k/9/6N2/9/9/9/9/9/4K4 b P 1");
        Assert.True(p.IsLegal(Util.M("P*1b")));
        p.DoMove(Util.M("P*1b"));
        Assert.True(p.InCheck);
        Assert.Contains("1a1b", Util.Legal(p));
    }

    // ---------------------------------------------------------------- promotion

    [Fact]
    public void BlackForcedPromotion()
    {
        // Pawn 3b, lance 2d, knights 7d and 4e.
        var p = Util.Pos("k8/6P2/9/2N4L1/5N3/9/9/9/4K4 b - 1");
        Assert.Equal("P", Util.At(p, "3b"));
        Assert.Equal("L", Util.At(p, "2d"));
        Assert.Equal("N", Util.At(p, "7d"));
        Assert.Equal("N", Util.At(p, "4e"));
        var legal = Util.Legal(p);
        // Pawn / lance to the last rank: promoted only.
        Assert.Contains("3b3a+", legal);
        Assert.DoesNotContain("3b3a", legal);
        Assert.Contains("2d2a+", legal);
        Assert.DoesNotContain("2d2a", legal);
        Assert.Contains("2d2b", legal);
        Assert.Contains("2d2b+", legal);
        Assert.Contains("2d2c", legal);
        Assert.Contains("2d2c+", legal);
        // Knight to the last two ranks: promoted only; to the third rank: both.
        Assert.Contains("7d6b+", legal);
        Assert.Contains("7d8b+", legal);
        Assert.DoesNotContain("7d6b", legal);
        Assert.DoesNotContain("7d8b", legal);
        Assert.Contains("4e3c", legal);
        Assert.Contains("4e3c+", legal);
        Assert.Contains("4e5c", legal);
        Assert.Contains("4e5c+", legal);
    }

    [Fact]
    public void WhiteForcedPromotion()
    {
        // The position above turned 180° with colours swapped: pawn 7h, lance 8f, knights 3f and 6e.
        var p = Util.Pos("4k4/9/9/9/3n5/1l4n2/9/2p6/8K w - 1");
        Assert.Equal("p", Util.At(p, "7h"));
        Assert.Equal("l", Util.At(p, "8f"));
        Assert.Equal("n", Util.At(p, "3f"));
        Assert.Equal("n", Util.At(p, "6e"));
        var legal = Util.Legal(p);
        Assert.Contains("7h7i+", legal);
        Assert.DoesNotContain("7h7i", legal);
        Assert.Contains("8f8i+", legal);
        Assert.DoesNotContain("8f8i", legal);
        Assert.Contains("8f8h", legal);
        Assert.Contains("8f8h+", legal);
        Assert.Contains("8f8g", legal);
        Assert.Contains("8f8g+", legal);
        Assert.Contains("3f4h+", legal);
        Assert.Contains("3f2h+", legal);
        Assert.DoesNotContain("3f4h", legal);
        Assert.DoesNotContain("3f2h", legal);
        Assert.Contains("6e7g", legal);
        Assert.Contains("6e7g+", legal);
        Assert.Contains("6e5g", legal);
        Assert.Contains("6e5g+", legal);
    }

    [Fact]
    public void OptionalPromotionEnteringInsideAndLeavingTheZone()
    {
        // Rook 1b, silvers 6c (in the zone) and 3d (outside).
        var p = Util.Pos("k8/8R/3S5/6S2/9/9/9/9/4K4 b - 1");
        Assert.Equal("R", Util.At(p, "1b"));
        Assert.Equal("S", Util.At(p, "6c"));
        Assert.Equal("S", Util.At(p, "3d"));
        var legal = Util.Legal(p);
        string[] both = ["3d3c", "3d2c", "3d4c", "6c6b", "6c5b", "6c7b", "6c5d", "6c7d", "1b1h", "1b1a", "1b5b"];
        foreach (var m in both)
        {
            Assert.Contains(m, legal);
            Assert.Contains(m + "+", legal);
        }
        // Outside the zone both before and after: no promotion.
        Assert.Contains("3d2e", legal);
        Assert.DoesNotContain("3d2e+", legal);
        Assert.Contains("3d4e", legal);
        Assert.DoesNotContain("3d4e+", legal);
    }

    [Fact]
    public void WhiteOptionalPromotionEnteringAndLeaving()
    {
        // White silver 5f enters g; White rook 9h leaves the zone.
        var p = Util.Pos("4k4/9/9/9/9/4s4/9/r8/8K w - 1");
        var legal = Util.Legal(p);
        foreach (var m in new[] { "5f5g", "5f4g", "5f6g", "9h9b", "9h9g", "9h5h" })
        {
            Assert.Contains(m, legal);
            Assert.Contains(m + "+", legal);
        }
        Assert.Contains("5f4e", legal);
        Assert.DoesNotContain("5f4e+", legal);
    }

    [Fact]
    public void GoldKingAndPromotedPiecesNeverPromote()
    {
        // Black king 2c and gold 5d (moving inside / into the zone), dragon 9b, tokin 7b; White king 1a.
        var p = Util.Pos("8k/+R1+P6/7K1/4G4/9/9/9/9/9 b - 1");
        Assert.Equal("K", Util.At(p, "2c"));
        Assert.Equal("G", Util.At(p, "5d"));
        Assert.Equal("+R", Util.At(p, "9b"));
        Assert.Equal("+P", Util.At(p, "7b"));
        var list = new MoveList();
        p.GenerateLegalMoves(ref list);
        Assert.Contains(Util.M("5d5c"), list.ToArray());
        Assert.Contains(Util.M("2c3b"), list.ToArray());
        Assert.Contains(Util.M("7b7a"), list.ToArray());
        Assert.Contains(Util.M("9b9c"), list.ToArray());
        Assert.DoesNotContain(list.ToArray(), m => m.IsPromotion);
        Assert.False(p.IsLegal(Util.M("5d5c+")));
        Assert.False(p.IsLegal(Util.M("2c3b+")));
    }

    // ---------------------------------------------------------------- check

    [Theory]
    [InlineData("4r3k/9/9/9/9/9/9/4G4/4K4 b - 1")] // rook pins the gold on file 5
    [InlineData("4l3k/9/9/9/9/9/9/4G4/4K4 b - 1")] // lance pins the gold on file 5
    public void PinnedPieceMovesOnlyAlongThePin(string sfen)
    {
        var p = Util.Pos(sfen);
        Assert.Equal("G", Util.At(p, "5h"));
        Assert.False(p.InCheck);
        var legal = Util.Legal(p);
        Assert.Contains("5h5g", legal);
        foreach (var m in new[] { "5h4h", "5h6h", "5h4g", "5h6g" })
            Assert.DoesNotContain(m, legal);
    }

    [Fact]
    public void DiagonallyPinnedSilverMovesOnlyTowardTheBishop()
    {
        // White bishop 1e pins the Black silver on 4h against the king on 5i.
        var p = Util.Pos("8k/9/9/9/8b/9/9/5S3/4K4 b - 1");
        Assert.Equal("S", Util.At(p, "4h"));
        Assert.Equal("b", Util.At(p, "1e"));
        var silverMoves = Util.Legal(p).Where(m => m.StartsWith("4h", StringComparison.Ordinal)).ToHashSet();
        Assert.Equal(["4h3g"], silverMoves);
    }

    [Fact]
    public void KingDoesNotMoveIntoCheck()
    {
        // White rooks on files 6 and 4 cover 6h, 6i, 4h, 4i.
        var p = Util.Pos("k2r1r3/9/9/9/9/9/9/9/4K4 b - 1");
        Assert.Equal(["5i5h"], Util.Legal(p));
    }

    [Fact]
    public void EveryGeneratedMoveLeavesOwnKingSafe()
    {
        string[] sfens =
        [
            Position.StartSfen,
            "l6nl/5+P1gk/2np1S3/p1p4Pp/3P2Sp1/1PPb2P1P/P5GS1/R8/LN4bKL w GR5pnsg 1",
            "8l/1l+R2P3/p2pBG1pp/kps1p4/Nn1P2G2/P1P1P2PP/1PS6/1KSG3+r1/LN2+p3L w Sbgn3p 124",
            "9/9/9/3k5/9/5K3/9/9/9 b RB2G2S2N2L9Prb2g2s2n2l9p 1",
        ];
        foreach (var sfen in sfens)
        {
            var p = Util.Pos(sfen);
            var list = new MoveList();
            p.GenerateLegalMoves(ref list);
            foreach (var m in list.ToArray())
            {
                var us = p.SideToMove;
                p.DoMove(m);
                int ksq = p.KingSquare(us);
                Assert.False(p.IsAttacked(ksq, us.Opponent(), p.Occupied), $"{m} in {sfen} leaves the king in check");
                p.UndoMove();
            }
        }
    }

    [Fact]
    public void InCheckOnlyEvasionsAreGenerated()
    {
        // White rook 5a checks the Black king 5i down file 5; Black has a gold on 4h and a pawn in hand.
        var p = Util.Pos("k3r4/9/9/9/9/9/9/5G3/4K4 b P 1");
        Assert.True(p.InCheck);
        Assert.Equal("G", Util.At(p, "4h"));
        var legal = Util.Legal(p);
        Assert.Contains("4h5h", legal); // block
        Assert.Contains("4h5g", legal); // block
        Assert.Contains("P*5e", legal); // block by drop
        Assert.Contains("5i4i", legal); // king steps aside
        Assert.DoesNotContain("5i5h", legal); // still on the file
        Assert.DoesNotContain("4h4g", legal);
        Assert.DoesNotContain("4h3h", legal);
        Assert.DoesNotContain("P*4e", legal);
        foreach (var usi in legal)
        {
            var m = Util.M(usi);
            bool kingMove = !m.IsDrop && m.From == Util.Sq("5i");
            bool onCheckLine = Squares.File(m.To) == 5 && Squares.Rank(m.To) < 8;
            Assert.True(kingMove || onCheckLine, $"{usi} does not answer the check");
        }
    }

    [Fact]
    public void KingCannotRetreatAlongTheCheckingLine()
    {
        var p = Util.Pos("k3r4/9/9/9/4K4/9/9/9/9 b - 1");
        Assert.True(p.InCheck);
        var legal = Util.Legal(p);
        Assert.DoesNotContain("5e5f", legal);
        Assert.DoesNotContain("5e5d", legal);
        Assert.Contains("5e4f", legal);
        Assert.Contains("5e6d", legal);
    }

    [Fact]
    public void DoubleCheckAllowsOnlyKingMoves()
    {
        // White rook 5a (file 5) and White bishop 1e (diagonal 1e-5i) both check the Black king 5i.
        // Black could capture the rook with its rook on 9a, block the diagonal with the silver on 2g, or drop a pawn on file 5.
        var p = Util.Pos("R3r3k/9/9/9/8b/9/7S1/9/4K4 b P 1");
        Assert.True(p.InCheck);
        Assert.Equal(2, p.Checkers.Count);
        var legal = Util.Legal(p);
        Assert.NotEmpty(legal);
        Assert.All(legal, usi => Assert.StartsWith("5i", usi, StringComparison.Ordinal));
        Assert.DoesNotContain("9a5a", legal);
        Assert.DoesNotContain("2g2f", legal);
        Assert.DoesNotContain("P*5e", legal);
        Assert.Contains("5i6h", legal);
        Assert.Contains("5i4i", legal);
    }
}
