namespace Keisei.Shogi.Tests;

public class UsiTests
{
    [Fact]
    public void BoardMoveRoundTrip()
    {
        var m = UsiNotation.TryParseSyntax("7g7f");
        Assert.NotNull(m);
        Assert.False(m.Value.IsDrop);
        Assert.False(m.Value.IsPromotion);
        Assert.Equal(Squares.Of(7, 6), m.Value.From);
        Assert.Equal(Squares.Of(7, 5), m.Value.To);
        Assert.Equal("7g7f", m.Value.ToUsi());
        Assert.Equal(m.Value, UsiNotation.ParseMove(Position.StartPosition(), "7g7f"));
    }

    [Fact]
    public void PromotionRoundTrip()
    {
        var m = UsiNotation.TryParseSyntax("8h2b+");
        Assert.NotNull(m);
        Assert.True(m.Value.IsPromotion);
        Assert.Equal(Squares.Of(8, 7), m.Value.From);
        Assert.Equal(Squares.Of(2, 1), m.Value.To);
        Assert.Equal("8h2b+", m.Value.ToUsi());
        Assert.NotEqual(m.Value, UsiNotation.TryParseSyntax("8h2b"));

        var p = Position.StartPosition();
        p.DoMove(UsiNotation.ParseMove(p, "7g7f"));
        p.DoMove(UsiNotation.ParseMove(p, "3c3d"));
        Assert.Equal(m.Value, UsiNotation.ParseMove(p, "8h2b+"));
        Assert.Equal("8h2b", UsiNotation.ParseMove(p, "8h2b").ToUsi()); // promotion is optional here
    }

    [Fact]
    public void DropRoundTrip()
    {
        var m = UsiNotation.TryParseSyntax("P*5e");
        Assert.NotNull(m);
        Assert.True(m.Value.IsDrop);
        Assert.Equal(PieceType.Pawn, m.Value.DropKind);
        Assert.Equal(Squares.Of(5, 4), m.Value.To);
        Assert.Equal("P*5e", m.Value.ToUsi());
        Assert.Equal(m.Value, UsiNotation.ParseMove(Position.FromSfen("4k4/9/9/9/9/9/9/9/4K4 b P 1"), "P*5e"));
    }

    [Theory]
    [InlineData("R*1i")]
    [InlineData("B*9a")]
    [InlineData("G*5e")]
    [InlineData("S*2c")]
    [InlineData("N*8g")]
    [InlineData("L*3h")]
    [InlineData("1a9i")]
    [InlineData("9i1a+")]
    public void SyntaxRoundTrip(string usi) => Assert.Equal(usi, UsiNotation.TryParseSyntax(usi)?.ToUsi());

    [Fact]
    public void EveryLegalMoveRoundTrips()
    {
        var p = Position.FromSfen("8l/1l+R2P3/p2pBG1pp/kps1p4/Nn1P2G2/P1P1P2PP/1PS6/1KSG3+r1/LN2+p3L w Sbgn3p 124");
        var list = new MoveList();
        p.GenerateLegalMoves(ref list);
        Assert.Equal(178, list.Count);
        foreach (var m in list.ToArray())
            Assert.Equal(m, UsiNotation.ParseMove(p, m.ToUsi()));
    }

    [Theory]
    [InlineData("")]
    [InlineData("7g")]
    [InlineData("7g7")]
    [InlineData("7g7f7")]
    [InlineData("7g7f=")]
    [InlineData("7g7f++")]
    [InlineData("0a1a")]
    [InlineData("7j7f")]
    [InlineData("7g7F")]
    [InlineData("g7f7")]
    [InlineData("7g7g")]
    [InlineData("p*5e")]
    [InlineData("K*5e")]
    [InlineData("X*5e")]
    [InlineData("P*5j")]
    [InlineData("P*5e+")]
    [InlineData("P+5e")]
    [InlineData(" 7g7f")]
    [InlineData("7g7f ")]
    [InlineData("resign")]
    public void MalformedIsRejectedWithAMessage(string text)
    {
        Assert.Null(UsiNotation.TryParseSyntax(text));
        var e = Assert.Throws<FormatException>(() => UsiNotation.ParseMove(Position.StartPosition(), text));
        Assert.Contains($"'{text}'", e.Message, StringComparison.Ordinal);
        Assert.Contains("not a USI move", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("7g7e")] // pawn moves one square
    [InlineData("8h2b+")] // bishop blocked by its own pawn
    [InlineData("P*5e")] // no pawn in hand
    [InlineData("7g7f+")] // no promotion outside the zone
    [InlineData("3c3d")] // White's pawn, Black to move
    public void IllegalMoveIsRejectedNamingThePosition(string text)
    {
        Assert.NotNull(UsiNotation.TryParseSyntax(text));
        var e = Assert.Throws<FormatException>(() => UsiNotation.ParseMove(Position.StartPosition(), text));
        Assert.Contains($"'{text}'", e.Message, StringComparison.Ordinal);
        Assert.Contains("not a legal move", e.Message, StringComparison.Ordinal);
        Assert.Contains(Position.StartSfen, e.Message, StringComparison.Ordinal);
    }
}

