using Keisei.Evaluation.Statistics;

namespace Keisei.Evaluation.Tests.Statistics;

public class CountsTests
{
    [Fact]
    public void WdlCountsScoreAndTotals()
    {
        var c = new WdlCounts(60, 20, 20);
        Assert.Equal(100, c.Games);
        Assert.Equal(70.0, c.Points);
        Assert.Equal(0.70, c.Score, 1e-15);
        Assert.Equal(new WdlCounts(20, 20, 60), c.Mirrored);
        Assert.Equal(new WdlCounts(61, 20, 20), c.Add(1));
        Assert.True(double.IsNaN(WdlCounts.Empty.Score));
        Assert.Equal("60-20-20", c.ToString());
    }

    [Fact]
    public void WdlCountsFromScores()
    {
        var c = WdlCounts.FromScores([1, 0.5, 0, 1, 1]);
        Assert.Equal(new WdlCounts(3, 1, 1), c);
        Assert.Equal(new WdlCounts(4, 2, 2), c + new WdlCounts(1, 1, 1));
    }

    [Fact]
    public void InvalidScoresAndCountsAreRejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => WdlCounts.FromScores([0.25]));
        Assert.Throws<ArgumentOutOfRangeException>(() => new WdlCounts(-1, 0, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new PairCounts(0, 0, 0, -2, 0, 0));
    }

    [Fact]
    public void PairsAreClassifiedRegardlessOfGameOrder()
    {
        var pairs = PairCounts.FromPairs([(0, 0), (0, 0.5), (0.5, 0), (1, 0), (0, 1), (0.5, 0.5), (1, 0.5), (0.5, 1), (1, 1)]);
        Assert.Equal(new PairCounts(1, 2, 2, 1, 2, 1), pairs);
        Assert.Equal(9, pairs.Pairs);
        Assert.Equal(18, pairs.Games);
        Assert.Equal(9.0, pairs.Points);
        Assert.Equal(0.5, pairs.Score, 1e-15);
        Assert.Equal((1, 2, 3, 2, 1), pairs.Pentanomial);
    }

    [Fact]
    public void PairsFromAGameSequenceKeepTheUnpairedGameAside()
    {
        var pairs = PairCounts.FromGameSequence([1, 0.5, 0, 0, 1], out var unpaired);
        Assert.Equal(new PairCounts(1, 0, 0, 0, 1, 0), pairs);
        Assert.Equal(1.0, unpaired);

        PairCounts.FromGameSequence([1, 0], out var none);
        Assert.Null(none);
    }

    [Fact]
    public void PairsConvertToGameCounts()
    {
        var pairs = new PairCounts(34, 54, 31, 32, 64, 75);
        var wdl = pairs.ToWdl();
        Assert.Equal(2 * 75 + 64 + 31, wdl.Wins);
        Assert.Equal(54 + 2 * 32 + 64, wdl.Draws);
        Assert.Equal(2 * 34 + 54 + 31, wdl.Losses);
        Assert.Equal(pairs.Games, wdl.Games);
        Assert.Equal(pairs.Score, wdl.Score, 1e-15);
    }
}
