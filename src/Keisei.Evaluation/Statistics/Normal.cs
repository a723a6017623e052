namespace Keisei.Evaluation.Statistics;

/// <summary>The error function, the standard normal distribution and the logistic Elo scale, accurate to about 1e-14.</summary>
public static class Normal
{
    /// <summary>The two-sided 95 % quantile of the standard normal distribution, Φ⁻¹(0.975).</summary>
    public const double Z95 = 1.959963984540054;

    /// <summary>800 / ln 10: the factor that turns a t-value (score excess over its standard deviation) into normalized Elo.</summary>
    public const double NEloPerT = 347.43558552260146;

    private const double TwoOverSqrtPi = 1.1283791670955126;
    private const double OneOverSqrtPi = 0.5641895835477563;
    private const double Sqrt2 = 1.4142135623730951;

    /// <summary>erf(x).</summary>
    public static double Erf(double x)
    {
        if (double.IsNaN(x))
        {
            return double.NaN;
        }

        var ax = Math.Abs(x);
        var r = ax < 2.5 ? ErfSeries(ax) : 1.0 - ErfcContinuedFraction(ax);
        return x < 0 ? -r : r;
    }

    /// <summary>erfc(x) = 1 − erf(x), without cancellation for large positive x.</summary>
    public static double Erfc(double x)
    {
        if (double.IsNaN(x))
        {
            return double.NaN;
        }

        if (x >= 2.5)
        {
            return ErfcContinuedFraction(x);
        }

        if (x <= -2.5)
        {
            return 2.0 - ErfcContinuedFraction(-x);
        }

        return 1.0 - Erf(x);
    }

    /// <summary>Φ(x), the standard normal cumulative distribution function.</summary>
    public static double Cdf(double x) => 0.5 * Erfc(-x / Sqrt2);

    /// <summary>φ(x), the standard normal density.</summary>
    public static double Pdf(double x) => Math.Exp(-0.5 * x * x) / Math.Sqrt(2.0 * Math.PI);

    /// <summary>Φ⁻¹(p), the standard normal quantile: −∞ at 0, +∞ at 1, NaN outside [0, 1].</summary>
    public static double Quantile(double p)
    {
        if (double.IsNaN(p) || p < 0 || p > 1)
        {
            return double.NaN;
        }

        if (p == 0)
        {
            return double.NegativeInfinity;
        }

        if (p == 1)
        {
            return double.PositiveInfinity;
        }

        // Safeguarded Newton on Φ(x) − p; Φ is increasing, so a bracket always holds the root.
        double lo = -40, hi = 40, x = 0;
        for (var i = 0; i < 200; i++)
        {
            var f = p < 0.5 ? Cdf(x) - p : (1.0 - p) - Cdf(-x); // Φ(x) − p, computed from the nearer tail
            if (f > 0)
            {
                hi = x;
            }
            else
            {
                lo = x;
            }

            var d = Pdf(x);
            var next = d > 0 ? x - f / d : double.NaN;
            if (!(next > lo && next < hi))
            {
                next = 0.5 * (lo + hi);
            }

            if (Math.Abs(next - x) <= 1e-15 * Math.Max(1.0, Math.Abs(x)))
            {
                return next;
            }

            x = next;
        }

        return x;
    }

    /// <summary>The z for a two-sided interval of the given confidence (0.95 → 1.95996…).</summary>
    public static double ZForConfidence(double confidence) => Quantile(0.5 + confidence / 2);

    /// <summary>Logistic Elo of a score, −400·log10(1/s − 1): −∞ at or below 0, +∞ at or above 1, NaN for NaN.</summary>
    public static double EloFromScore(double score)
    {
        if (double.IsNaN(score))
        {
            return double.NaN;
        }

        if (score <= 0)
        {
            return double.NegativeInfinity;
        }

        if (score >= 1)
        {
            return double.PositiveInfinity;
        }

        return -400.0 * Math.Log10(1.0 / score - 1.0);
    }

    /// <summary>Expected score of a logistic Elo difference, 1 / (1 + 10^(−E/400)).</summary>
    public static double ScoreFromElo(double elo) => 1.0 / (1.0 + Math.Pow(10.0, -elo / 400.0));

    // erf(x) = 2/√π · e^(−x²) · Σ 2ⁿ x^(2n+1) / (1·3·…·(2n+1)): all terms positive, no cancellation.
    private static double ErfSeries(double x)
    {
        var x2 = x * x;
        var term = x;
        var sum = x;
        for (var n = 1; n < 200; n++)
        {
            term *= 2.0 * x2 / (2 * n + 1);
            sum += term;
            if (term < 1e-17 * sum)
            {
                break;
            }
        }

        return TwoOverSqrtPi * Math.Exp(-x2) * sum;
    }

    // erfc(x) = e^(−x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + …))))), by the modified Lentz method.
    private static double ErfcContinuedFraction(double x)
    {
        const double tiny = 1e-300;
        var f = x;
        var c = x;
        var d = 0.0;
        for (var n = 1; n < 500; n++)
        {
            var a = n / 2.0;
            d = x + a * d;
            d = Math.Abs(d) < tiny ? tiny : d;
            c = x + a / c;
            c = Math.Abs(c) < tiny ? tiny : c;
            d = 1.0 / d;
            var delta = c * d;
            f *= delta;
            if (Math.Abs(delta - 1.0) < 1e-16)
            {
                break;
            }
        }

        return OneOverSqrtPi * Math.Exp(-x * x) / f;
    }
}
