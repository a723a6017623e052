namespace Keisei.Shogi.Tests;

public class SfenTests
{
    // Every SFEN of the reference (start position and perft table), already in canonical form (hands R B G S N L P).
    public static TheoryData<string> CanonicalSfens => new()
    {
        Position.StartSfen,
        "R8/2K1S1SSk/4B4/9/9/9/9/9/1L1L1L3 b RBGSNLP3g3n17p 1",
        "8l/1l+R2P3/p2pBG1pp/kps1p4/Nn1P2G2/P1P1P2PP/1PS6/1KSG3+r1/LN2+p3L w Sbgn3p 124",
        "9/9/9/3k5/9/5K3/9/9/9 b RB2G2S2N2L9Prb2g2s2n2l9p 1",
        "4k4/9/9/9/9/9/9/9/9 b 16P 1",
        "+R+N+SGKG+S+N+R/+B+N+SG+LG+S+N+B/P+LPP+LPP+LP/1P2P2P1/9/9/9/9/4k4 b 9P 200",
        "l6nl/5+P1gk/2np1S3/p1p4Pp/3P2Sp1/1PPb2P1P/P5GS1/R8/LN4bKL w RGgsn5p 1",
    };

    [Theory]
    [MemberData(nameof(CanonicalSfens))]
    public void RoundTrip(string sfen)
    {
        var p = Position.FromSfen(sfen);
        Assert.Equal(sfen, p.ToSfen());
        Assert.Equal(p.ComputeHash(), p.Hash);
    }

    [Fact]
    public void ReferenceHandWrittenOutOfOrderIsReadAndWrittenCanonically()
    {
        var p = Position.FromSfen("l6nl/5+P1gk/2np1S3/p1p4Pp/3P2Sp1/1PPb2P1P/P5GS1/R8/LN4bKL w GR5pnsg 1");
        Assert.Equal("l6nl/5+P1gk/2np1S3/p1p4Pp/3P2Sp1/1PPb2P1P/P5GS1/R8/LN4bKL w RGgsn5p 1", p.ToSfen());
        Assert.Equal(1, p.HandCount(Color.Black, PieceType.Rook));
        Assert.Equal(1, p.HandCount(Color.Black, PieceType.Gold));
        Assert.Equal(5, p.HandCount(Color.White, PieceType.Pawn));
        Assert.Equal(1, p.HandCount(Color.White, PieceType.Knight));
        Assert.Equal(1, p.HandCount(Color.White, PieceType.Silver));
        Assert.Equal(1, p.HandCount(Color.White, PieceType.Gold));
    }

    [Theory]
    [InlineData("2PpRgSb", "RS2Pbgp")]
    [InlineData("pbgSR2P", "RS2Pbgp")]
    [InlineData("PPP", "3P")]
    [InlineData("P2P", "3P")]
    [InlineData("plnsgbrPLNSGBR", "RBGSNLPrbgsnlp")]
    public void HandsInAnyOrderAreAccepted(string hands, string canonical)
    {
        var p = Position.FromSfen($"4k4/9/9/9/9/9/9/9/4K4 b {hands} 1");
        Assert.Equal($"4k4/9/9/9/9/9/9/9/4K4 b {canonical} 1", p.ToSfen());
        Assert.Equal(Position.FromSfen(p.ToSfen()).Hash, p.Hash);
    }

    [Fact]
    public void RoundTripAlongDeterministicPlayouts()
    {
        string[] starts =
        [
            Position.StartSfen,
            "l6nl/5+P1gk/2np1S3/p1p4Pp/3P2Sp1/1PPb2P1P/P5GS1/R8/LN4bKL w GR5pnsg 1",
            "8l/1l+R2P3/p2pBG1pp/kps1p4/Nn1P2G2/P1P1P2PP/1PS6/1KSG3+r1/LN2+p3L w Sbgn3p 124",
            "9/9/9/3k5/9/5K3/9/9/9 b RB2G2S2N2L9Prb2g2s2n2l9p 1",
        ];
        var rng = new Random(20240601);
        int checkedPositions = 0;
        foreach (var start in starts)
        {
            var p = Position.FromSfen(start);
            for (int ply = 0; ply < 80; ply++)
            {
                var list = new MoveList();
                p.GenerateLegalMoves(ref list);
                if (list.Count == 0) break;
                p.DoMove(list[rng.Next(list.Count)]);
                string sfen = p.ToSfen();
                var q = Position.FromSfen(sfen);
                Assert.Equal(sfen, q.ToSfen());
                Assert.Equal(p.Hash, q.Hash);
                Assert.Equal(p.InCheck, q.InCheck);
                checkedPositions++;
            }
        }
        Assert.True(checkedPositions > 200);
    }

    [Fact]
    public void OptionalPartsAreAccepted()
    {
        Assert.Equal(Position.StartSfen, Position.FromSfen("lnsgkgsnl/1r5b1/ppppppppp/9/9/9/PPPPPPPPP/1B5R1/LNSGKGSNL b -").ToSfen());
        Assert.Equal(Position.StartSfen, Position.FromSfen("sfen " + Position.StartSfen).ToSfen());
        Assert.Equal(Position.StartSfen, Position.FromSfen("startpos").ToSfen());
        Assert.Equal(37, Position.FromSfen("4k4/9/9/9/9/9/9/9/4K4 w - 37").MoveNumber);
    }

    [Fact]
    public void NoKingAndPawnsOfBothColoursOnOneFileAreAccepted()
    {
        var p = Position.FromSfen("9/4p4/9/9/9/9/4P4/4+P4/9 b - 1");
        Assert.Equal(Position.NoSquare, p.KingSquare(Color.Black));
        Assert.Equal("9/4p4/9/9/9/9/4P4/4+P4/9 b - 1", p.ToSfen());
    }

    // ---------------------------------------------------------------- rejections

    private static string Problem(string sfen)
    {
        var e = Assert.Throws<SfenException>(() => Position.FromSfen(sfen));
        Assert.Equal(sfen, e.Sfen);
        Assert.Contains(e.Problem, e.Message, StringComparison.Ordinal);
        return e.Problem;
    }

    private static void AssertMentions(string problem, params string[] parts)
    {
        foreach (var part in parts) Assert.Contains(part, problem, StringComparison.Ordinal);
    }

    [Fact]
    public void RankTooShort()
    {
        var problem = Problem("lnsgkgsnl/1r5b1/ppppppppp/9/9/9/PPPPPPPPP/1B5R/LNSGKGSNL b - 1");
        AssertMentions(problem, "rank h", "1B5R", "8 squares");
    }

    [Fact]
    public void RankTooLong()
    {
        AssertMentions(Problem("lnsgkgsnl/1r5b1/ppppppppp/9/9/9/PPPPPPPPP/1B5R11/LNSGKGSNL b - 1"), "rank h", "1B5R11", "more than 9");
        AssertMentions(Problem("lnsgkgsnlp/1r5b1/ppppppppp/9/9/9/PPPPPPPPP/1B5R1/LNSGKGSNL b - 1"), "rank a", "more than 9");
    }

    [Theory]
    [InlineData("lnsgkgsnl/1r5b1/ppppppppp/9/9/PPPPPPPPP/1B5R1/LNSGKGSNL b - 1", "found 8")]
    [InlineData("lnsgkgsnl/1r5b1/ppppppppp/9/9/9/9/PPPPPPPPP/1B5R1/LNSGKGSNL b - 1", "found 10")]
    public void WrongRankCount(string sfen, string found) => AssertMentions(Problem(sfen), "9 ranks", found);

    [Fact]
    public void UnknownLetter() =>
        AssertMentions(Problem("lnsgkgsnl/1r5b1/ppppppppp/9/4X4/9/PPPPPPPPP/1B5R1/LNSGKGSNL b - 1"), "'X'", "rank e");

    [Theory]
    [InlineData("lnsg+kgsnl/1r5b1/ppppppppp/9/9/9/PPPPPPPPP/1B5R1/LNSGKGSNL b - 1", "+k", "king")]
    [InlineData("lnsgkgsnl/1r5b1/ppppppppp/9/9/9/PPPPPPPPP/1B5R1/LNS+GKGSNL b - 1", "+G", "gold")]
    public void PromotedKingOrGold(string sfen, string token, string kind) =>
        AssertMentions(Problem(sfen), token, kind);

    [Fact]
    public void PlusOnADigit() =>
        AssertMentions(Problem("lnsgkgsnl/1r5b1/ppppppppp/+9/9/9/PPPPPPPPP/1B5R1/LNSGKGSNL b - 1"), "'+'", "'9'", "rank d");

    [Theory]
    [InlineData("4k4/9/9/9/9/9/9/9/3KK4 b - 1", "two Black kings", "6i", "5i")]
    [InlineData("4k4/9/9/9/9/9/9/k8/4K4 b - 1", "two White kings", "5a", "9h")]
    public void TwoKingsOfOneColour(string sfen, string what, string sq1, string sq2) =>
        AssertMentions(Problem(sfen), what, sq1, sq2);

    [Theory]
    [InlineData("P3k4/9/9/9/9/9/9/9/4K4 b - 1", "Black Pawn", "9a")]
    [InlineData("3Lk4/9/9/9/9/9/9/9/4K4 b - 1", "Black Lance", "6a")]
    [InlineData("4k1N2/9/9/9/9/9/9/9/4K4 b - 1", "Black Knight", "3a")]
    [InlineData("4k4/8N/9/9/9/9/9/9/4K4 b - 1", "Black Knight", "1b")]
    [InlineData("4k4/9/9/9/9/9/9/9/4K3p b - 1", "White Pawn", "1i")]
    [InlineData("4k4/9/9/9/9/9/9/9/l3K4 b - 1", "White Lance", "9i")]
    [InlineData("4k4/9/9/9/9/9/9/9/4K1n2 b - 1", "White Knight", "3i")]
    [InlineData("4k4/9/9/9/9/9/9/1n7/4K4 b - 1", "White Knight", "8h")]
    public void PieceOnADeadRank(string sfen, string piece, string square) =>
        AssertMentions(Problem(sfen), piece, square);

    [Theory]
    [InlineData("4k4/9/4P4/9/9/9/4P4/9/4K4 b - 1", "Black", "file 5")]
    [InlineData("4k4/p8/9/9/p8/9/9/9/4K4 b - 1", "White", "file 9")]
    public void Nifu(string sfen, string colour, string file) =>
        AssertMentions(Problem(sfen), colour, file, "nifu");

    [Theory]
    [InlineData("4k4/9/9/9/9/9/9/9/4K4 b 19P 1", "19")]
    [InlineData("4k4/9/9/9/9/9/9/9/4K4 b 3R 1", "Rook")]
    [InlineData("4k4/9/9/9/9/9/9/9/4K4 b 3Bb 1", "Bishop")]
    [InlineData("4k4/9/9/9/9/9/9/9/4K4 b 5g 1", "Gold")]
    [InlineData("4k4/9/9/9/9/9/9/9/4K4 b 0P 1", "'P'")]
    [InlineData("lnsgkgsnl/1r5b1/ppppppppp/9/9/9/PPPPPPPPP/1B5R1/LNSGKGSNL b B 1", "Bishop")]
    [InlineData("lnsgkgsnl/1r5b1/ppppppppp/9/9/9/PPPPPPPPP/1B5R1/LNSGKGSNL b p 1", "Pawn")]
    public void CountOutOfRange(string sfen, string part) => AssertMentions(Problem(sfen), part);

    [Theory]
    [InlineData("4k4/9/9/9/9/9/9/9/4K4 b K 1", "'K'")]
    [InlineData("4k4/9/9/9/9/9/9/9/4K4 b 2 1", "count")]
    [InlineData("4k4/9/9/9/9/9/9/9/4K4 b P+ 1", "'+'")]
    public void MalformedHands(string sfen, string part) => AssertMentions(Problem(sfen), part);

    [Theory]
    [InlineData("4k4/4R4/9/9/9/9/9/9/4K4 b - 1", "Black", "5a")]
    [InlineData("4k4/9/9/9/9/9/9/4r4/4K4 w - 1", "White", "5i")]
    public void SideToMoveCanCaptureTheEnemyKing(string sfen, string side, string square)
    {
        AssertMentions(Problem(sfen), side, "capture", square);
        // The same board with the other side to move is merely check.
        var other = sfen.Replace(" b ", " x ", StringComparison.Ordinal).Replace(" w ", " b ", StringComparison.Ordinal)
            .Replace(" x ", " w ", StringComparison.Ordinal);
        Assert.True(Position.FromSfen(other).InCheck);
    }

    [Theory]
    [InlineData("x")]
    [InlineData("B")]
    [InlineData("black")]
    public void BadSideLetter(string side) =>
        AssertMentions(Problem($"4k4/9/9/9/9/9/9/9/4K4 {side} - 1"), "side to move", $"'{side}'");

    [Theory]
    [InlineData("0")]
    [InlineData("-3")]
    [InlineData("abc")]
    [InlineData("1.5")]
    public void BadMoveNumber(string number) =>
        AssertMentions(Problem($"4k4/9/9/9/9/9/9/9/4K4 b - {number}"), "move number", $"'{number}'");

    [Theory]
    [InlineData("4k4/9/9/9/9/9/9/9/4K4 b", "found 2")]
    [InlineData("4k4/9/9/9/9/9/9/9/4K4 b - 1 extra", "found 5")]
    [InlineData("", "found 0")]
    public void WrongFieldCount(string sfen, string found) => AssertMentions(Problem(sfen), "fields", found);
}
