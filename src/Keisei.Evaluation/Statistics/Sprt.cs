using System.Globalization;
using Keisei.Shogi;

namespace Keisei.Evaluation.Statistics;

/// <summary>How SPRT hypotheses are expressed: normalized Elo (nElo) or logistic Elo.</summary>
public enum SprtModel
{
    /// <summary>elo0/elo1 are normalized Elo (fishtest style); the test is on the t-value (s − ½)/σ.</summary>
    Normalized,

    /// <summary>elo0/elo1 are logistic Elo; the test is on the mean score s(elo).</summary>
    Logistic,
}

/// <summary>Outcome of an SPRT at its current log-likelihood ratio.</summary>
public enum SprtDecision
{
    /// <summary>Neither bound reached: keep playing.</summary>
    Continue,

    /// <summary>LLR at or below the lower bound ln(β/(1−α)).</summary>
    AcceptH0,

    /// <summary>LLR at or above the upper bound ln((1−β)/α).</summary>
    AcceptH1,
}

/// <summary>SPRT hypotheses H0: Elo = elo0 against H1: Elo = elo1 with error rates α and β.</summary>
public sealed record SprtParameters
{
    /// <summary>Creates validated parameters: elo0 &lt; elo1, both finite; 0 &lt; α, β and α + β &lt; 1.</summary>
    public SprtParameters(double elo0, double elo1, double alpha = 0.05, double beta = 0.05, SprtModel model = SprtModel.Normalized)
    {
        if (!double.IsFinite(elo0))
        {
            throw new ArgumentOutOfRangeException(nameof(elo0), elo0, "elo0 must be a finite number");
        }

        if (!double.IsFinite(elo1))
        {
            throw new ArgumentOutOfRangeException(nameof(elo1), elo1, "elo1 must be a finite number");
        }

        if (!(elo0 < elo1))
        {
            throw new ArgumentException($"elo0 ({Fmt(elo0)}) must be less than elo1 ({Fmt(elo1)})", nameof(elo1));
        }

        if (!(alpha > 0 && alpha < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "alpha must be in (0, 1)");
        }

        if (!(beta > 0 && beta < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(beta), beta, "beta must be in (0, 1)");
        }

        if (!(alpha + beta < 1))
        {
            throw new ArgumentException($"alpha + beta ({Fmt(alpha + beta)}) must be less than 1", nameof(beta));
        }

        if (!Enum.IsDefined(model))
        {
            throw new ArgumentOutOfRangeException(nameof(model), model, "unknown SPRT model");
        }

        Elo0 = elo0;
        Elo1 = elo1;
        Alpha = alpha;
        Beta = beta;
        Model = model;
    }

    public double Elo0 { get; }
    public double Elo1 { get; }
    public double Alpha { get; }
    public double Beta { get; }
    public SprtModel Model { get; }

    /// <summary>ln(β/(1−α)): at or below it, accept H0.</summary>
    public double LowerBound => Math.Log(Beta / (1.0 - Alpha));

    /// <summary>ln((1−β)/α): at or above it, accept H1.</summary>
    public double UpperBound => Math.Log((1.0 - Beta) / Alpha);

    /// <summary>The decision for a log-likelihood ratio (NaN → Continue).</summary>
    public SprtDecision Decide(double llr) =>
        llr >= UpperBound ? SprtDecision.AcceptH1 : llr <= LowerBound ? SprtDecision.AcceptH0 : SprtDecision.Continue;

    /// <summary>"elo0=…,elo1=…,alpha=…,beta=…,model=…", the form <see cref="Parse"/> reads.</summary>
    public override string ToString() =>
        $"elo0={Fmt(Elo0)},elo1={Fmt(Elo1)},alpha={Fmt(Alpha)},beta={Fmt(Beta)},model={(Model == SprtModel.Normalized ? "normalized" : "logistic")}";

    /// <summary>Parses "elo0=0,elo1=10,alpha=0.05,beta=0.05,model=normalized"; throws <see cref="FormatException"/> naming the bad key or value.</summary>
    /// <remarks>Keys are case-insensitive and may appear in any order; elo0 and elo1 are required; alpha and beta default to 0.05, model to normalized.</remarks>
    public static SprtParameters Parse(string text)
    {
        if (TryParse(text, out var result, out var error))
        {
            return result;
        }

        throw new FormatException(error);
    }

    /// <summary>Parses like <see cref="Parse"/>; on failure returns false with the error message.</summary>
    public static bool TryParse(string? text, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out SprtParameters? result, out string error)
    {
        result = null;
        error = string.Empty;
        const string expected = "expected 'elo0=<number>,elo1=<number>[,alpha=<number>][,beta=<number>][,model=normalized|logistic]'";
        if (string.IsNullOrWhiteSpace(text))
        {
            error = $"SPRT parameters are empty; {expected}";
            return false;
        }

        double? elo0 = null, elo1 = null, alpha = null, beta = null;
        SprtModel? model = null;
        IReadOnlyList<(string Key, string Value)> pairs;
        try
        {
            pairs = KeyValues.List(text, "SPRT parameter", ["elo0", "elo1", "alpha", "beta", "model"]);
        }
        catch (FormatException e)
        {
            error = $"{e.Message}; {expected}";
            return false;
        }

        foreach (var (key, value) in pairs)
        {
            if (key == "model")
            {
                model = value.ToLowerInvariant() switch
                {
                    "normalized" or "normalised" => SprtModel.Normalized,
                    "logistic" => SprtModel.Logistic,
                    _ => null,
                };
                if (model is null)
                {
                    error = $"SPRT parameter 'model': expected 'normalized' or 'logistic', found '{value}'";
                    return false;
                }
                continue;
            }
            if (!double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) || !double.IsFinite(number))
            {
                error = $"SPRT parameter '{key}': expected a number, found '{value}'";
                return false;
            }
            if (key is "alpha" or "beta" && !(number > 0 && number < 1))
            {
                error = $"SPRT parameter '{key}': expected a number in (0, 1), found '{value}'";
                return false;
            }
            ref var slot = ref (key == "elo0" ? ref elo0 : ref key == "elo1" ? ref elo1 : ref key == "alpha" ? ref alpha : ref beta);
            slot = number;
        }

        if (elo0 is null)
        {
            error = $"SPRT parameter 'elo0' is missing; {expected}";
            return false;
        }

        if (elo1 is null)
        {
            error = $"SPRT parameter 'elo1' is missing; {expected}";
            return false;
        }

        if (!(elo0 < elo1))
        {
            error = $"SPRT parameter 'elo1': must be greater than elo0 ({Fmt(elo0.Value)}), found '{Fmt(elo1.Value)}'";
            return false;
        }

        var a = alpha ?? 0.05;
        var b = beta ?? 0.05;
        if (!(a + b < 1))
        {
            error = $"SPRT parameters 'alpha' and 'beta': their sum must be less than 1, found {Fmt(a)} + {Fmt(b)}";
            return false;
        }

        result = new SprtParameters(elo0.Value, elo1.Value, a, b, model ?? SprtModel.Normalized);
        return true;
    }

    private static string Fmt(double x) => x.ToString("R", CultureInfo.InvariantCulture);
}

/// <summary>The state of an SPRT: LLR, its bounds and the decision.</summary>
public readonly record struct SprtResult(double Llr, double LowerBound, double UpperBound, SprtDecision Decision);

/// <summary>Generalized SPRT log-likelihood ratios for trinomial (W/D/L) and pentanomial (pair) counts.</summary>
/// <remarks>
/// Follows reference/ratings.md: zero counts are replaced by 1e-3 to form the empirical distribution p̂; under each
/// hypothesis the maximum-likelihood distribution is p̂_i/(1 + θφ_i), θ the root of Σ p̂_i φ_i/(1 + θφ_i) = 0 found by
/// bisection to 1e-12; LLR = N·Σ p̂_i ln(p_i⁽¹⁾/p_i⁽⁰⁾) with N the real number of games or pairs (0 games → LLR 0).
/// A normalized hypothesis that no distribution can reach from the data (no sign change of φ) gives LLR NaN (Continue).
/// </remarks>
public static class Sprt
{
    private const double ZeroCountReplacement = 1e-3;
    private static readonly double[] TrinomialScores = [0.0, 0.5, 1.0];
    private static readonly double[] PentanomialScores = [0.0, 0.25, 0.5, 0.75, 1.0];

    /// <summary>LLR of H1 against H0 for per-game counts.</summary>
    public static double Llr(SprtParameters parameters, WdlCounts counts)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        return Llr(parameters, TrinomialScores, [counts.Losses, counts.Draws, counts.Wins], 1.0);
    }

    /// <summary>LLR of H1 against H0 for colour-swapped pair counts (WL and DD pooled).</summary>
    public static double Llr(SprtParameters parameters, PairCounts pairs)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var (p0, p25, p50, p75, p100) = pairs.Pentanomial;
        return Llr(parameters, PentanomialScores, [p0, p25, p50, p75, p100], Math.Sqrt(2.0));
    }

    /// <summary>LLR, bounds and decision for per-game counts.</summary>
    public static SprtResult Evaluate(SprtParameters parameters, WdlCounts counts) => Result(parameters, Llr(parameters, counts));

    /// <summary>LLR, bounds and decision for pair counts.</summary>
    public static SprtResult Evaluate(SprtParameters parameters, PairCounts pairs) => Result(parameters, Llr(parameters, pairs));

    private static SprtResult Result(SprtParameters p, double llr) => new(llr, p.LowerBound, p.UpperBound, p.Decide(llr));

    private static double Llr(SprtParameters parameters, double[] scores, int[] counts, double tScale)
    {
        long total = 0;
        foreach (var c in counts)
        {
            total += c;
        }

        if (total == 0)
        {
            return 0.0;
        }

        var pHat = new double[counts.Length];
        var sum = 0.0;
        for (var i = 0; i < counts.Length; i++)
        {
            pHat[i] = Math.Max(ZeroCountReplacement, counts[i]);
            sum += pHat[i];
        }

        for (var i = 0; i < pHat.Length; i++)
        {
            pHat[i] /= sum;
        }

        double[]? p0, p1;
        if (parameters.Model == SprtModel.Logistic)
        {
            p0 = MleWithMean(scores, pHat, Normal.ScoreFromElo(parameters.Elo0));
            p1 = MleWithMean(scores, pHat, Normal.ScoreFromElo(parameters.Elo1));
        }
        else
        {
            p0 = MleWithT(scores, pHat, parameters.Elo0 / Normal.NEloPerT * tScale);
            p1 = MleWithT(scores, pHat, parameters.Elo1 / Normal.NEloPerT * tScale);
        }

        if (p0 is null || p1 is null)
        {
            return double.NaN;
        }

        var llr = 0.0;
        for (var i = 0; i < pHat.Length; i++)
        {
            llr += pHat[i] * Math.Log(p1[i] / p0[i]);
        }

        return total * llr;
    }

    /// <summary>The maximum-likelihood distribution on <paramref name="scores"/> with mean <paramref name="mean"/>.</summary>
    internal static double[]? MleWithMean(double[] scores, double[] pHat, double mean)
    {
        var phi = new double[scores.Length];
        for (var i = 0; i < scores.Length; i++)
        {
            phi[i] = scores[i] - mean;
        }

        return Reweight(pHat, phi);
    }

    /// <summary>The maximum-likelihood distribution with (μ − ½)/σ = t, by fixed-point iteration.</summary>
    /// <remarks>The iteration starts from the uniform distribution (as fishtest does), not from p̂: with lopsided counts
    /// (e.g. all wins) p̂ has a tiny σ and the first φ may lose its sign change. Both starts reach the same fixed point
    /// whenever the p̂ start converges.</remarks>
    internal static double[]? MleWithT(double[] scores, double[] pHat, double t)
    {
        var p = new double[pHat.Length];
        Array.Fill(p, 1.0 / p.Length);
        var phi = new double[scores.Length];
        for (var iteration = 0; iteration < 1000; iteration++)
        {
            double mu = 0, variance = 0;
            for (var i = 0; i < p.Length; i++)
            {
                mu += p[i] * scores[i];
            }

            for (var i = 0; i < p.Length; i++)
            {
                variance += p[i] * (scores[i] - mu) * (scores[i] - mu);
            }

            var sigma = Math.Sqrt(variance);
            for (var i = 0; i < scores.Length; i++)
            {
                var u = (scores[i] - mu) / sigma;
                phi[i] = scores[i] - 0.5 - t * sigma * (1.0 + u * u) / 2.0;
            }

            var next = Reweight(pHat, phi);
            if (next is null)
            {
                return null;
            }

            var change = 0.0;
            for (var i = 0; i < p.Length; i++)
            {
                change = Math.Max(change, Math.Abs(next[i] - p[i]));
            }

            p = next;
            if (change < 1e-9)
            {
                break;
            }
        }

        return p;
    }

    /// <summary>p̂_i/(1 + θφ_i) for θ the root of Σ p̂_i φ_i/(1 + θφ_i) = 0, or null when φ does not change sign.</summary>
    private static double[]? Reweight(double[] pHat, double[] phi)
    {
        var theta = SecularRoot(pHat, phi);
        if (double.IsNaN(theta))
        {
            return null;
        }

        var p = new double[pHat.Length];
        for (var i = 0; i < p.Length; i++)
        {
            p[i] = pHat[i] / (1.0 + theta * phi[i]);
        }

        return p;
    }

    /// <summary>Root of f(θ) = Σ p̂_i φ_i/(1 + θφ_i) on (−1/max φ, −1/min φ) by bisection to 1e-12; NaN when min φ ≥ 0 or max φ ≤ 0.</summary>
    internal static double SecularRoot(double[] pHat, double[] phi)
    {
        double min = double.PositiveInfinity, max = double.NegativeInfinity;
        foreach (var f in phi)
        {
            min = Math.Min(min, f);
            max = Math.Max(max, f);
        }

        if (!(min < 0 && max > 0))
        {
            return double.NaN;
        }

        // f is strictly decreasing on the interval, +∞ at its left end and −∞ at its right end.
        double lo = -1.0 / max, hi = -1.0 / min;
        for (var i = 0; i < 200 && hi - lo > 1e-12; i++)
        {
            var mid = 0.5 * (lo + hi);
            if (mid <= lo || mid >= hi)
            {
                break;
            }

            var value = 0.0;
            for (var k = 0; k < phi.Length; k++)
            {
                value += pHat[k] * phi[k] / (1.0 + mid * phi[k]);
            }

            if (value > 0)
            {
                lo = mid;
            }
            else
            {
                hi = mid;
            }
        }

        return 0.5 * (lo + hi);
    }
}
