using Keisei.Evaluation.Statistics;

namespace Keisei.Evaluation.Tests.Statistics;

/// <summary>Golden vectors of reference/ratings.md (tolerances: half a unit of the printed last digit) and edge cases.</summary>
public class EloEstimateTests
{
    [Fact]
    public void Golden_W136_L96_D111()
    {
        var e = EloEstimate.FromCounts(new WdlCounts(136, 111, 96));
        Assert.Equal(EstimateValidity.Ok, e.Validity);
        Assert.Equal(40.70, e.Elo, 0.005);
        Assert.Equal(30.43, e.EloHalfWidth, 0.005);
        Assert.Equal(49.77, e.NElo, 0.005);
        Assert.Equal(36.77, e.NEloHalfWidth, 0.005);
        Assert.Equal(99.60, 100 * e.Los, 0.005);
        Assert.Equal(0.558, e.Score, 0.0005);
    }

    [Fact]
    public void Golden_W76_L89_D123()
    {
        var e = EloEstimate.FromCounts(new WdlCounts(76, 123, 89));
        Assert.Equal(-20.76, e.NElo, 0.005);
        Assert.Equal(40.13, e.NEloHalfWidth, 0.005);
        Assert.Equal(15.53, 100 * e.Los, 0.005);
        Assert.Equal(0.477, e.Score, 0.0005);
    }

    [Fact]
    public void Golden_Pairs()
    {
        var e = EloEstimate.FromPairs(new PairCounts(34, 54, 31, 32, 64, 75));
        Assert.Equal(OutcomeModel.Pentanomial, e.Model);
        Assert.Equal(290, e.Samples);
        Assert.Equal(580, e.Games);
        Assert.Equal(55.58, e.Elo, 0.005);
        Assert.Equal(27.65, e.EloHalfWidth, 0.005);
        Assert.Equal(57.94, e.NElo, 0.005);
        Assert.Equal(28.28, e.NEloHalfWidth, 0.005);
        Assert.Equal(100.00, 100 * e.Los, 0.005);
        Assert.Equal(0.579, e.Score, 0.0005);
    }

    [Fact]
    public void Golden_W60_D20_L20()
    {
        var e = EloEstimate.FromCounts(new WdlCounts(60, 20, 20));
        Assert.Equal(0.70, e.Score, 0.005);
        Assert.Equal(147.19, e.Elo, 0.005);
        Assert.Equal(66.01, e.EloHalfWidth, 0.005);
        Assert.Equal(173.72, e.NElo, 0.005);
    }

    [Fact]
    public void TrinomialFormulasByHand()
    {
        // W=60 D=20 L=20: s = 0.7, σ² = 0.6·0.09 + 0.2·0.04 + 0.2·0.49 = 0.16, SE = 0.4/10 = 0.04.
        var e = EloEstimate.FromCounts(new WdlCounts(60, 20, 20));
        Assert.Equal(0.4, e.Sigma, 1e-12);
        Assert.Equal(0.04, e.StandardError, 1e-12);
        Assert.Equal(Normal.EloFromScore(0.7 - Normal.Z95 * 0.04), e.EloLower, 1e-9);
        Assert.Equal(Normal.EloFromScore(0.7 + Normal.Z95 * 0.04), e.EloUpper, 1e-9);
        Assert.Equal(Normal.Cdf(0.2 / 0.04), e.Los, 1e-12);
        // Draw-free LOS: ½[1 + erf((60 − 20)/√(2·80))].
        Assert.Equal(0.5 * (1 + Normal.Erf(40 / Math.Sqrt(160))), e.LosDrawFree, 1e-12);
    }

    [Fact]
    public void DrawFreeLos()
    {
        // W=136 L=96: ½[1 + erf(40/√464)] = 99.568 %; W=76 L=89: 15.576 %.
        Assert.Equal(0.99568, EloEstimate.FromCounts(new WdlCounts(136, 111, 96)).LosDrawFree, 0.000005);
        Assert.Equal(0.15576, EloEstimate.FromCounts(new WdlCounts(76, 123, 89)).LosDrawFree, 0.000005);
    }

    [Fact]
    public void RulesOfThumbWithoutDraws()
    {
        // "About ±68 at 100 games": the formula gives 68.99 (E(0.598) − E(0.402))/2, so "about" is read as ±1.5.
        Assert.Equal(68, EloEstimate.FromCounts(new WdlCounts(50, 0, 50)).EloHalfWidth, 1.5);
        Assert.Equal(34, EloEstimate.FromCounts(new WdlCounts(200, 0, 200)).EloHalfWidth, 0.5);
        Assert.Equal(21.5, EloEstimate.FromCounts(new WdlCounts(500, 0, 500)).EloHalfWidth, 0.1);

        // "55 % over 400 games is +34.9 Elo at z = 2.0": E(0.55) = 34.9, and at z = 2 the lower bound just clears 0.
        var e = EloEstimate.FromCounts(new WdlCounts(220, 0, 180), z: 2.0);
        Assert.Equal(34.9, e.Elo, 0.05);
        Assert.InRange(e.EloLower, 0.0, 1.0);
    }

    [Fact]
    public void ConfigurableZ()
    {
        var e95 = EloEstimate.FromCounts(new WdlCounts(136, 111, 96));
        var e2 = EloEstimate.FromCounts(new WdlCounts(136, 111, 96), z: 2.0);
        Assert.Equal(2.0, e2.Z);
        Assert.Equal(e95.NEloHalfWidth * 2.0 / Normal.Z95, e2.NEloHalfWidth, 1e-9);
        Assert.True(e2.EloHalfWidth > e95.EloHalfWidth);
        Assert.Throws<ArgumentOutOfRangeException>(() => EloEstimate.FromCounts(new WdlCounts(1, 1, 1), z: 0));
    }

    [Fact]
    public void WilsonIntervalByHand()
    {
        // 8 of 10 at z = 2: centre (0.8 + 0.2)/1.4, half-width (2/1.4)·√(0.016 + 0.01).
        var w = ProportionInterval.Wilson(8, 10, 2.0);
        Assert.Equal(0.8, w.Estimate, 1e-15);
        Assert.Equal(1.0 / 1.4 - 2.0 / 1.4 * Math.Sqrt(0.026), w.Lower, 1e-12);
        Assert.Equal(1.0 / 1.4 + 2.0 / 1.4 * Math.Sqrt(0.026), w.Upper, 1e-12);
        Assert.Equal(0.48393549290575577, w.Lower, 1e-12);
        Assert.Equal(0.9446359356656728, w.Upper, 1e-12);

        // 0 of 10 at z = 1.96: [0, z²/(n + z²)]; 10 of 10 mirrors it.
        var zero = ProportionInterval.Wilson(0, 10, 1.96);
        Assert.Equal(0.0, zero.Lower, 1e-15);
        Assert.Equal(3.8416 / 13.8416, zero.Upper, 1e-12);
        var all = ProportionInterval.Wilson(10, 10, 1.96);
        Assert.Equal(10 / 13.8416, all.Lower, 1e-12);
        Assert.Equal(1.0, all.Upper, 1e-15);

        // 60 of 100 at 1.96.
        var sixty = ProportionInterval.Wilson(60, 100, 1.96);
        Assert.Equal(0.5020007846184025, sixty.Lower, 1e-12);
        Assert.Equal(0.6906002538863971, sixty.Upper, 1e-12);
    }

    [Fact]
    public void EstimateCarriesWilsonIntervalsOfWinRateAndScore()
    {
        var e = EloEstimate.FromCounts(new WdlCounts(60, 20, 20));
        Assert.Equal(ProportionInterval.Wilson(60, 100), e.WinRate);
        Assert.Equal(ProportionInterval.Wilson(70, 100), e.ScoreInterval);
        Assert.Equal(0.6041514536665332, e.ScoreInterval.Lower, 1e-12);
        Assert.Equal(0.7810511470506724, e.ScoreInterval.Upper, 1e-12);

        var p = EloEstimate.FromPairs(new PairCounts(34, 54, 31, 32, 64, 75));
        Assert.Equal(ProportionInterval.Wilson(p.Counts.Wins, 580), p.WinRate);
        Assert.Equal(ProportionInterval.Wilson(p.Counts.Points, 580), p.ScoreInterval);
    }

    [Fact]
    public void ZeroGamesIsUndefinedNotAnError()
    {
        foreach (var e in new[] { EloEstimate.FromCounts(WdlCounts.Empty), EloEstimate.FromPairs(PairCounts.Empty) })
        {
            Assert.Equal(EstimateValidity.NoGames, e.Validity);
            Assert.Equal(0, e.Games);
            Assert.True(double.IsNaN(e.Score));
            Assert.True(double.IsNaN(e.Elo));
            Assert.True(double.IsNaN(e.EloHalfWidth));
            Assert.True(double.IsNaN(e.NElo));
            Assert.True(double.IsNaN(e.Los));
            Assert.True(double.IsNaN(e.LosDrawFree));
            Assert.True(double.IsNaN(e.WinRate.Estimate));
            Assert.True(double.IsNaN(e.ScoreInterval.Upper));
        }
    }

    [Fact]
    public void AllWinsGivesInfiniteEloAndUndefinedWidth()
    {
        var e = EloEstimate.FromCounts(new WdlCounts(10, 0, 0));
        Assert.Equal(EstimateValidity.ZeroVariance, e.Validity);
        Assert.Equal(1.0, e.Score);
        Assert.Equal(double.PositiveInfinity, e.Elo);
        Assert.True(double.IsNaN(e.EloHalfWidth));
        Assert.Equal(double.PositiveInfinity, e.NElo);
        Assert.True(double.IsNaN(e.NEloHalfWidth));
        Assert.Equal(1.0, e.Los);
        Assert.True(e.LosDrawFree is > 0.99 and < 1.0);
        Assert.Equal(3.8416 / 13.8416, 1 - e.WinRate.Lower, 1e-3);
    }

    [Fact]
    public void AllLossesAndAllDraws()
    {
        var losses = EloEstimate.FromCounts(new WdlCounts(0, 0, 7));
        Assert.Equal(EstimateValidity.ZeroVariance, losses.Validity);
        Assert.Equal(double.NegativeInfinity, losses.Elo);
        Assert.Equal(double.NegativeInfinity, losses.NElo);
        Assert.Equal(0.0, losses.Los);

        var draws = EloEstimate.FromCounts(new WdlCounts(0, 9, 0));
        Assert.Equal(EstimateValidity.ZeroVariance, draws.Validity);
        Assert.Equal(0.0, draws.Elo);
        Assert.True(double.IsNaN(draws.NElo));
        Assert.Equal(0.5, draws.Los);
        Assert.Equal(0.5, draws.LosDrawFree);

        var sameP = EloEstimate.FromPairs(new PairCounts(0, 0, 0, 0, 5, 0));
        Assert.Equal(EstimateValidity.ZeroVariance, sameP.Validity);
        Assert.Equal(Normal.EloFromScore(0.75), sameP.Elo, 1e-9);
        Assert.Equal(1.0, sameP.Los);
    }

    [Fact]
    public void IntervalLeavingTheUnitRangeGivesAnInfiniteHalfWidth()
    {
        // 9 wins 1 loss: s + z·SE = 0.9 + 1.96·0.0949 > 1.
        var e = EloEstimate.FromCounts(new WdlCounts(9, 0, 1));
        Assert.Equal(EstimateValidity.Ok, e.Validity);
        Assert.Equal(double.PositiveInfinity, e.EloUpper);
        Assert.Equal(double.PositiveInfinity, e.EloHalfWidth);
        Assert.True(double.IsFinite(e.EloLower));
        Assert.True(double.IsFinite(e.NEloHalfWidth));
    }
}
