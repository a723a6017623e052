namespace Keisei.Search;

/// <summary>Exact samples of a symmetric Dirichlet distribution (normalised Gamma variates, Marsaglia–Tsang).</summary>
public static class Dirichlet
{
    /// <summary>Fills <paramref name="destination"/> with one sample of Dirichlet(alpha, ..., alpha): non-negative, summing to 1.</summary>
    public static void Sample(Random random, double alpha, Span<double> destination)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(alpha, 0);
        if (destination.IsEmpty) return;
        double sum = 0;
        for (int i = 0; i < destination.Length; i++) sum += destination[i] = Gamma(random, alpha);
        if (sum > 0)
        {
            for (int i = 0; i < destination.Length; i++) destination[i] /= sum;
            return;
        }
        // Every variate underflowed (tiny alpha): the distribution's limit puts all mass on one uniform index.
        destination.Clear();
        destination[random.Next(destination.Length)] = 1;
    }

    /// <summary>A Gamma(shape, 1) variate.</summary>
    internal static double Gamma(Random random, double shape)
    {
        if (shape < 1)
        {
            // Gamma(a) = Gamma(a + 1) · U^(1/a).
            double u = 1 - random.NextDouble();
            return Gamma(random, shape + 1) * Math.Pow(u, 1 / shape);
        }
        double d = shape - 1.0 / 3, c = 1 / Math.Sqrt(9 * d);
        while (true)
        {
            double x, v;
            do
            {
                x = Normal(random);
                v = 1 + c * x;
            } while (v <= 0);
            v = v * v * v;
            double u = 1 - random.NextDouble();
            if (u < 1 - 0.0331 * x * x * x * x) return d * v;
            if (Math.Log(u) < 0.5 * x * x + d * (1 - v + Math.Log(v))) return d * v;
        }
    }

    private static double Normal(Random random)
    {
        double u1 = 1 - random.NextDouble(), u2 = random.NextDouble();
        return Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }
}
