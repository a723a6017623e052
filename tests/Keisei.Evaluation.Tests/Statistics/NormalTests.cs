using Keisei.Evaluation.Statistics;

namespace Keisei.Evaluation.Tests.Statistics;

public class NormalTests
{
    [Theory]
    [InlineData(0.0, 0.0)]
    [InlineData(0.5, 0.5204998778130465)]
    [InlineData(1.0, 0.8427007929497149)]
    [InlineData(-1.5, -0.9661051464753108)]
    [InlineData(2.0, 0.9953222650189527)]
    [InlineData(2.5, 0.999593047982555)]
    [InlineData(3.0, 0.9999779095030014)]
    public void ErfMatchesReferenceValues(double x, double expected) =>
        Assert.Equal(expected, Normal.Erf(x), 1e-14);

    [Theory]
    [InlineData(2.5, 0.0004069520174449589)]
    [InlineData(3.0, 2.2090496998585438e-05)]
    [InlineData(5.0, 1.5374597944280351e-12)]
    [InlineData(10.0, 2.088487583762545e-45)]
    public void ErfcIsAccurateInTheTail(double x, double expected) =>
        Assert.Equal(1.0, Normal.Erfc(x) / expected, 1e-12);

    [Fact]
    public void CdfMatchesReferenceValues()
    {
        Assert.Equal(0.5, Normal.Cdf(0), 1e-15);
        Assert.Equal(0.9750021048517796, Normal.Cdf(1.96), 1e-14);
        Assert.Equal(1.0, Normal.Cdf(-6) / 9.865876450377012e-10, 1e-12); // erfc(6/√2)/2
        Assert.Equal(1.0, Normal.Cdf(40), 1e-15);
    }

    [Fact]
    public void QuantileInvertsTheCdf()
    {
        Assert.Equal(Normal.Z95, Normal.Quantile(0.975), 1e-12);
        Assert.Equal(Normal.Z95, Normal.ZForConfidence(0.95), 1e-12);
        Assert.Equal(0.8416212335729144, Normal.Quantile(0.8), 1e-12);
        Assert.Equal(-6.361340902404056, Normal.Quantile(1e-10), 1e-9);
        Assert.Equal(0.0, Normal.Quantile(0.5), 1e-15);
        Assert.Equal(double.NegativeInfinity, Normal.Quantile(0));
        Assert.Equal(double.PositiveInfinity, Normal.Quantile(1));
        Assert.True(double.IsNaN(Normal.Quantile(1.5)));
        foreach (var p in new[] { 1e-6, 0.01, 0.3, 0.7, 0.99, 1 - 1e-6 })
        {
            Assert.Equal(p, Normal.Cdf(Normal.Quantile(p)), 1e-13);
        }
    }

    [Fact]
    public void EloScaleRoundTripsAndSaturates()
    {
        Assert.Equal(0.0, Normal.EloFromScore(0.5), 1e-12);
        Assert.Equal(0.75, Normal.ScoreFromElo(Normal.EloFromScore(0.75)), 1e-14);
        Assert.Equal(double.PositiveInfinity, Normal.EloFromScore(1));
        Assert.Equal(double.NegativeInfinity, Normal.EloFromScore(0));
        Assert.Equal(double.PositiveInfinity, Normal.EloFromScore(1.2));
        Assert.Equal(Normal.NEloPerT, 800 / Math.Log(10), 1e-12);
    }
}
