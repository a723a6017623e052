using Keisei.Evaluation.Statistics;
using Keisei.Shogi;

namespace Keisei.Evaluation.Tests.Statistics;

public class MatchSummaryTests
{
    private static readonly GameOutcome[] Games =
    [
        new(1, Color.Black, 80, TerminationReason.Checkmate),
        new(1, Color.Black, 120, TerminationReason.Resignation),
        new(0.5, Color.Black, 512, TerminationReason.MaxMoves),
        new(0, Color.White, 60, TerminationReason.Checkmate),
        new(1, Color.White, 100, TerminationReason.TimeForfeit),
        new(0.5, Color.White, 200, TerminationReason.Sennichite),
        new(0, Color.White, 40, TerminationReason.IllegalMove),
    ];

    [Fact]
    public void PerColourResults()
    {
        var summary = MatchSummary.From(Games);
        Assert.Equal(new WdlCounts(2, 1, 0), summary.AsBlack);
        Assert.Equal(new WdlCounts(1, 1, 2), summary.AsWhite);
        Assert.Equal(new WdlCounts(3, 2, 2), summary.Total);
        Assert.Equal(MatchSummary.ByColor(Games), (summary.AsBlack, summary.AsWhite));
    }

    [Fact]
    public void GameLengthDistribution()
    {
        // Sorted: 40 60 80 100 120 200 512. Median = 100; p90 at rank 0.9·6 = 5.4: 200 + 0.4·312 = 324.8.
        var lengths = MatchSummary.From(Games).Lengths;
        Assert.Equal(7, lengths.Count);
        Assert.Equal(40, lengths.Min);
        Assert.Equal(100, lengths.Median, 1e-12);
        Assert.Equal(1112 / 7.0, lengths.Mean, 1e-12);
        Assert.Equal(324.8, lengths.P90, 1e-9);
        Assert.Equal(512, lengths.Max);

        var even = GameLengthStats.From([10, 20, 30, 40]);
        Assert.Equal(25, even.Median, 1e-12);
        Assert.Equal(37, even.P90, 1e-12);

        var one = GameLengthStats.From([77]);
        Assert.Equal((77, 77.0, 77.0, 77.0, 77), (one.Min, one.Median, one.Mean, one.P90, one.Max));
    }

    [Fact]
    public void TerminationReasonCounts()
    {
        var counts = MatchSummary.From(Games).Terminations;
        Assert.Equal(2, counts[TerminationReason.Checkmate]);
        Assert.Equal(1, counts[TerminationReason.Resignation]);
        Assert.Equal(1, counts[TerminationReason.MaxMoves]);
        Assert.Equal(1, counts[TerminationReason.IllegalMove]);
        Assert.False(counts.ContainsKey(TerminationReason.Stall));
        Assert.Equal(Games.Length, counts.Values.Sum());
        Assert.Equal(counts.Keys.OrderBy(k => k), counts.Keys);
    }

    [Fact]
    public void EmptyMatch()
    {
        var summary = MatchSummary.From([]);
        Assert.Equal(WdlCounts.Empty, summary.Total);
        Assert.Equal(0, summary.Lengths.Count);
        Assert.True(double.IsNaN(summary.Lengths.Median));
        Assert.True(double.IsNaN(summary.Lengths.Mean));
        Assert.Empty(summary.Terminations);
    }

    [Fact]
    public void InvalidOutcomesAreRejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new GameOutcome(0.7, Color.Black, 10, TerminationReason.Checkmate));
        Assert.Throws<ArgumentOutOfRangeException>(() => new GameOutcome(1, Color.Black, -1, TerminationReason.Checkmate));
    }
}
