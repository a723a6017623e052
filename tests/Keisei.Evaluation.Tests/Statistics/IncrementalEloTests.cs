using Keisei.Evaluation.Statistics;

namespace Keisei.Evaluation.Tests.Statistics;

public class IncrementalEloTests
{
    [Fact]
    public void HandComputedUpdates()
    {
        var table = new IncrementalElo();
        Assert.Equal(1500, table.Rating("A"));

        // Equal ratings, A wins: E = ½, so A gains K/2 = 16 and B loses 16.
        table = table.Update("A", "B", 1);
        Assert.Equal(1516, table.Rating("A"), 1e-12);
        Assert.Equal(1484, table.Rating("B"), 1e-12);

        // A (1516) draws C (1500): E_A = 1/(1 + 10^(−16/400)) = 0.5230095872975623.
        table = table.Update("A", "C", 0.5);
        Assert.Equal(1516 + 32 * (0.5 - 0.5230095872975623), table.Rating("A"), 1e-9);
        Assert.Equal(1515.263693206478, table.Rating("A"), 1e-9);
        Assert.Equal(1500.736306793522, table.Rating("C"), 1e-9);
        Assert.Equal(2, table.GameCounts["A"]);
        Assert.Equal(1, table.GameCounts["C"]);

        // B (1484) loses to C: the rating total is conserved with equal K.
        var before = table.Ratings.Values.Sum();
        table = table.Update("B", "C", 0);
        Assert.Equal(before, table.Ratings.Values.Sum(), 1e-9);
    }

    [Fact]
    public void ExpectedScoreAnd400PointRule()
    {
        Assert.Equal(0.5, IncrementalElo.Expected(1500, 1500));
        Assert.Equal(10.0 / 11.0, IncrementalElo.Expected(1900, 1500), 1e-15);
        var (a, b) = IncrementalElo.Updated(1900, 1500, 0, k: 32);
        Assert.Equal(1900 - 32 * 10.0 / 11.0, a, 1e-12);
        Assert.Equal(1500 + 32 * 10.0 / 11.0, b, 1e-12);
    }

    [Fact]
    public void UpdatesAreImmutableAndOrdered()
    {
        var start = new IncrementalElo(1000, 16);
        var after = start.UpdateAll([new PairwiseGame("x", "y", 1), new PairwiseGame("y", "x", 1)]);
        Assert.Empty(start.Ratings);
        // x: 1000 → 1008, then loses as the 16-point favourite: 1008 − 16·0.5230095872975623.
        Assert.Equal(1008 - 16 * 0.5230095872975623, after.Rating("x"), 1e-9);
        Assert.Equal(992 + 16 * 0.5230095872975623, after.Rating("y"), 1e-9);
        Assert.Equal(2000, after.Rating("x") + after.Rating("y"), 1e-9);
        Assert.Throws<ArgumentOutOfRangeException>(() => start.Update("x", "y", 0.3));
        Assert.Throws<ArgumentException>(() => start.Update("x", "x", 1));
    }
}
