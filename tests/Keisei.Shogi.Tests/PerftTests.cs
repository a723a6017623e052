namespace Keisei.Shogi.Tests;

public class PerftTests
{
    [Theory]
    [InlineData(1, 30L)]
    [InlineData(2, 900L)]
    [InlineData(3, 25_470L)]
    [InlineData(4, 719_731L)]
    [InlineData(5, 19_861_490L)]
    public void StartPosition(int depth, long expected) =>
        Assert.Equal(expected, Perft.Count(Position.StartPosition(), depth));

    [Fact]
    [Trait("Category", "Slow")]
    public void StartPositionDepth6() => Assert.Equal(547_581_517L, Perft.Count(Position.StartPosition(), 6));

    public static TheoryData<string, int, long> ReferencePositions => new()
    {
        { "l6nl/5+P1gk/2np1S3/p1p4Pp/3P2Sp1/1PPb2P1P/P5GS1/R8/LN4bKL w GR5pnsg 1", 1, 207 },
        { "l6nl/5+P1gk/2np1S3/p1p4Pp/3P2Sp1/1PPb2P1P/P5GS1/R8/LN4bKL w GR5pnsg 1", 2, 28_684 },
        { "l6nl/5+P1gk/2np1S3/p1p4Pp/3P2Sp1/1PPb2P1P/P5GS1/R8/LN4bKL w GR5pnsg 1", 3, 4_809_015 },
        { "R8/2K1S1SSk/4B4/9/9/9/9/9/1L1L1L3 b RBGSNLP3g3n17p 1", 1, 593 },
        { "R8/2K1S1SSk/4B4/9/9/9/9/9/1L1L1L3 b RBGSNLP3g3n17p 1", 2, 105_677 },
        { "R8/2K1S1SSk/4B4/9/9/9/9/9/1L1L1L3 b RBGSNLP3g3n17p 1", 3, 53_393_368 },
        { "8l/1l+R2P3/p2pBG1pp/kps1p4/Nn1P2G2/P1P1P2PP/1PS6/1KSG3+r1/LN2+p3L w Sbgn3p 124", 1, 178 },
        { "8l/1l+R2P3/p2pBG1pp/kps1p4/Nn1P2G2/P1P1P2PP/1PS6/1KSG3+r1/LN2+p3L w Sbgn3p 124", 2, 18_041 },
        { "8l/1l+R2P3/p2pBG1pp/kps1p4/Nn1P2G2/P1P1P2PP/1PS6/1KSG3+r1/LN2+p3L w Sbgn3p 124", 3, 2_552_846 },
        { "9/9/9/3k5/9/5K3/9/9/9 b RB2G2S2N2L9Prb2g2s2n2l9p 1", 1, 524 },
        { "9/9/9/3k5/9/5K3/9/9/9 b RB2G2S2N2L9Prb2g2s2n2l9p 1", 2, 248_257 },
        { "9/9/9/3k5/9/5K3/9/9/9 b RB2G2S2N2L9Prb2g2s2n2l9p 1", 3, 112_911_856 },
        { "4k4/9/9/9/9/9/9/9/9 b 16P 1", 1, 72 },
        { "4k4/9/9/9/9/9/9/9/9 b 16P 1", 2, 355 },
        { "+R+N+SGKG+S+N+R/+B+N+SG+LG+S+N+B/P+LPP+LPP+LP/1P2P2P1/9/9/9/9/4k4 b 9P 200", 1, 0 },
    };

    [Theory]
    [MemberData(nameof(ReferencePositions))]
    public void ReferenceTable(string sfen, int depth, long expected) =>
        Assert.Equal(expected, Perft.Count(Position.FromSfen(sfen), depth));

    [Theory]
    [Trait("Category", "Slow")]
    [InlineData("l6nl/5+P1gk/2np1S3/p1p4Pp/3P2Sp1/1PPb2P1P/P5GS1/R8/LN4bKL w GR5pnsg 1", 4, 516_925_165L)]
    [InlineData("8l/1l+R2P3/p2pBG1pp/kps1p4/Nn1P2G2/P1P1P2PP/1PS6/1KSG3+r1/LN2+p3L w Sbgn3p 124", 4, 207_741_677L)]
    public void ReferenceTableDeep(string sfen, int depth, long expected) =>
        Assert.Equal(expected, Perft.Count(Position.FromSfen(sfen), depth));

    [Fact]
    public void DivideSumsToCountAndIsSortedByMove()
    {
        var divide = Perft.Divide(Position.StartPosition(), 3);
        Assert.Equal(30, divide.Count);
        Assert.Equal(25_470L, divide.Sum(x => x.Nodes));
        Assert.Equal(divide.Select(x => x.Move).Order(StringComparer.Ordinal), divide.Select(x => x.Move));
        Assert.All(Perft.Divide(Position.StartPosition(), 2), x => Assert.Equal(30L, x.Nodes));
    }

    [Fact]
    public void PerftLeavesThePositionUnchanged()
    {
        var p = Position.FromSfen("l6nl/5+P1gk/2np1S3/p1p4Pp/3P2Sp1/1PPb2P1P/P5GS1/R8/LN4bKL w GR5pnsg 1");
        string before = p.ToSfen();
        ulong hash = p.Hash;
        Perft.Count(p, 3);
        Assert.Equal(before, p.ToSfen());
        Assert.Equal(hash, p.Hash);
    }
}
