namespace Keisei.Search.Tests;

public class DirichletTests
{
    [Theory]
    [InlineData(0.03, 600)]
    [InlineData(0.15, 80)]
    [InlineData(1.0, 5)]
    [InlineData(10.0, 30)]
    public void SamplesAreDistributionsWithTheRightMean(double alpha, int size)
    {
        var random = new Random(11);
        var sample = new double[size];
        var mean = new double[size];
        const int draws = 2000;
        for (int d = 0; d < draws; d++)
        {
            Dirichlet.Sample(random, alpha, sample);
            Assert.All(sample, x => Assert.True(x >= 0 && double.IsFinite(x)));
            Assert.Equal(1.0, sample.Sum(), 9);
            for (int i = 0; i < size; i++) mean[i] += sample[i] / draws;
        }
        // Each component's mean is 1/size; over all components the average error is small.
        double error = mean.Average(m => Math.Abs(m - 1.0 / size));
        Assert.True(error < 0.25 / size, $"mean error {error} for 1/{size}");
    }

    [Theory]
    [InlineData(0.15)]
    [InlineData(0.5)]
    [InlineData(3.0)]
    public void GammaVariatesHaveTheShapeAsMeanAndVariance(double shape)
    {
        var random = new Random(5);
        const int n = 40_000;
        double sum = 0, squares = 0;
        for (int i = 0; i < n; i++)
        {
            double x = Dirichlet.Gamma(random, shape);
            sum += x;
            squares += x * x;
        }
        double mean = sum / n, variance = squares / n - mean * mean;
        Assert.InRange(mean, shape * 0.95, shape * 1.05);
        Assert.InRange(variance, shape * 0.9, shape * 1.1);
    }
}
