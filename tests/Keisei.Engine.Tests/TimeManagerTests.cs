using Keisei.Search;
using Keisei.Shogi;
using Keisei.Usi;

namespace Keisei.Engine.Tests;

public class TimeManagerTests
{
    private static UsiGoLimits Go(string text)
    {
        var warnings = new List<string>();
        var go = UsiServer.ParseGo(text.Split(' ', StringSplitOptions.RemoveEmptyEntries), warnings);
        Assert.Empty(warnings);
        return go;
    }

    [Fact]
    public void ByoyomiAloneThinksTheByoyomiLessTheDelayAndNeverMore()
    {
        Assert.Equal(new TimeBudget(880, 880, true), TimeManager.For(Go("btime 0 wtime 0 byoyomi 1000"), Color.Black, 120, 1000));
        Assert.Equal(new TimeBudget(880, 880, true), TimeManager.For(Go("btime 0 wtime 0 byoyomi 1000"), Color.White, 120, 5000));
    }

    [Fact]
    public void MainTimeIsSharedAndTheByoyomiIsTheFloor()
    {
        // R = 60000: R/30 = 2000 > byoyomi 1000; hard = R + B - D.
        Assert.Equal(new TimeBudget(1880, 60880, true), TimeManager.For(Go("btime 60000 wtime 3000 byoyomi 1000"), Color.Black, 120, 0));
        // White has 3000: R/30 = 100 < byoyomi, so the byoyomi is the floor.
        Assert.Equal(new TimeBudget(880, 3880, true), TimeManager.For(Go("btime 60000 wtime 3000 byoyomi 1000"), Color.White, 120, 0));
    }

    [Fact]
    public void AnIncrementIsAddedToTheShareButNotCountedAsAvailable()
    {
        Assert.Equal(new TimeBudget(2880, 59880, true), TimeManager.For(Go("btime 60000 wtime 60000 binc 1000 winc 1000"), Color.Black, 120, 0));
        // Little time left: the share with increment exceeds what the clock holds, so the hard limit caps it.
        Assert.Equal(new TimeBudget(380, 380, true), TimeManager.For(Go("btime 500 wtime 500 binc 1000 winc 1000"), Color.White, 120, 0));
    }

    [Fact]
    public void TheMinimumThinkingTimeIsAFloorThatNeverSpendsASuddenDeathClock()
    {
        Assert.Equal(new TimeBudget(2880, 60880, true), TimeManager.For(Go("btime 60000 wtime 0 byoyomi 1000"), Color.Black, 120, 3000));
        // Sudden death with 10 s: the minimum is capped at R/5 = 2000.
        Assert.Equal(new TimeBudget(1880, 9880, true), TimeManager.For(Go("btime 10000 wtime 10000"), Color.Black, 120, 5000));
    }

    [Fact]
    public void AClockShorterThanTheDelayLeavesNoTimeAtAll()
    {
        Assert.Equal(new TimeBudget(0, 0, true), TimeManager.For(Go("btime 50 wtime 50"), Color.Black, 120, 1000));
    }

    [Fact]
    public void MovetimeIsExactAndLimitsWithoutTimeHaveNoBudget()
    {
        Assert.Equal(new TimeBudget(380, 380, false), TimeManager.For(Go("movetime 500"), Color.Black, 120, 1000));
        Assert.Null(TimeManager.For(Go("nodes 100"), Color.Black, 120, 1000));
        Assert.Null(TimeManager.For(Go(""), Color.Black, 120, 1000));
        Assert.Null(TimeManager.For(Go("infinite"), Color.Black, 120, 1000));
    }

    [Theory]
    [InlineData(100, 40, 1.0, 50.0, true)]   // lead 60 > 50 playouts still to come
    [InlineData(100, 40, 1.0, 70.0, false)]  // 70 to come could overtake
    [InlineData(100, 40, 0.0, 1.0, false)]   // speed unknown
    [InlineData(10, 9, 5.0, -3.0, true)]     // past the deadline: any lead holds
    public void DecidedWhenTheLeadExceedsThePlayoutsStillToCome(int best, int second, double rate, double msLeft, bool decided) =>
        Assert.Equal(decided, TimeManager.Decided(best, second, rate, msLeft));
}

public class GoCommandTests
{
    [Fact]
    public void ReadsEveryLimit()
    {
        var warnings = new List<string>();
        var go = UsiServer.ParseGo("ponder btime 1 wtime 2 byoyomi 3 binc 4 winc 5 movetime 6 nodes 7".Split(' '), warnings);
        Assert.Empty(warnings);
        Assert.Equal(new UsiGoLimits { Ponder = true, BlackTimeMs = 1, WhiteTimeMs = 2, ByoyomiMs = 3, BlackIncrementMs = 4, WhiteIncrementMs = 5, MoveTimeMs = 6, Nodes = 7 }, go);
        Assert.True(go.HasClock);
        Assert.True(UsiServer.ParseGo(["infinite"], warnings).Infinite);
        Assert.True(UsiServer.ParseGo(["mate", "infinite"], warnings).Mate);
        Assert.True(UsiServer.ParseGo(["mate", "5000"], warnings).Mate);
        Assert.Empty(warnings);
        Assert.False(UsiServer.ParseGo(["nodes", "5"], warnings).HasClock);
    }

    [Theory]
    [InlineData("btime", "'btime' has no value")]
    [InlineData("btime byoyomi 100", "'btime' has no value")]
    [InlineData("nodes -5", "'nodes' expects a whole number of at least 0, found '-5'")]
    [InlineData("movetime soon", "found 'soon'")]
    [InlineData("quickly", "unknown token 'quickly'")]
    [InlineData("searchmoves 7g7f 2g2f nodes 5", "'searchmoves' is not supported")]
    [InlineData("depth 5", "'depth' has no meaning")]
    public void WhatCannotBeUsedIsNamedAndSkipped(string text, string warning)
    {
        var warnings = new List<string>();
        var go = UsiServer.ParseGo(text.Split(' '), warnings);
        Assert.Contains(warnings, w => w.Contains(warning, StringComparison.Ordinal));
        if (text.StartsWith("btime byoyomi", StringComparison.Ordinal)) Assert.Equal(100, go.ByoyomiMs);
        if (text.StartsWith("searchmoves", StringComparison.Ordinal)) Assert.Equal(5, go.Nodes);
    }
}

public class ScoresTests
{
    [Theory]
    [InlineData(0.0, 0)]
    [InlineData(0.5, 831)]     // win rate 0.75: 756.09 * ln 3
    [InlineData(-0.5, -831)]
    [InlineData(0.8, 1661)]    // win rate 0.9: 756.09 * ln 9
    [InlineData(1.0, 30000)]
    [InlineData(-1.0, -30000)]
    public void WinRateMapsToDlshogisCentipawnScale(double value, int cp) => Assert.Equal(cp, Scores.Centipawns(value));

    [Fact]
    public void WinRateIsHalfTheValuePlusOne()
    {
        Assert.Equal(0.5, Scores.WinRate(0));
        Assert.Equal(0.25, Scores.WinRate(-0.5));
        Assert.Equal(1, Scores.WinRate(3));
    }
}
