namespace Keisei.Evaluation.Statistics;

/// <summary>Which sample the statistics are computed over: single games (W/D/L) or colour-swapped game pairs.</summary>
public enum OutcomeModel
{
    /// <summary>Per-game W/D/L outcomes (0, 0.5, 1).</summary>
    Trinomial,

    /// <summary>Per-pair outcomes (0, 0.25, 0.5, 0.75, 1).</summary>
    Pentanomial,
}

/// <summary>Whether the normal-approximation statistics of an estimate are defined.</summary>
public enum EstimateValidity
{
    /// <summary>At least one sample and a non-zero variance: every number is finite or a documented infinity.</summary>
    Ok,

    /// <summary>No games: every statistic is NaN.</summary>
    NoGames,

    /// <summary>Every sample has the same outcome (all wins, all losses, all draws, or all pairs alike): the variance is 0.</summary>
    ZeroVariance,
}

/// <summary>A proportion with a confidence interval (lower ≤ estimate ≤ upper, all in [0, 1]).</summary>
public readonly record struct ProportionInterval(double Estimate, double Lower, double Upper)
{
    /// <summary>The undefined interval of an empty sample (all NaN).</summary>
    public static ProportionInterval Undefined => new(double.NaN, double.NaN, double.NaN);

    /// <summary>Wilson score interval for <paramref name="successes"/> out of <paramref name="trials"/> (successes may be fractional, e.g. points); NaN when trials is 0.</summary>
    public static ProportionInterval Wilson(double successes, double trials, double z = Normal.Z95)
    {
        if (!(trials > 0))
        {
            return Undefined;
        }

        var p = successes / trials;
        var z2 = z * z;
        var denominator = 1.0 + z2 / trials;
        var center = (p + z2 / (2.0 * trials)) / denominator;
        var half = z / denominator * Math.Sqrt(Math.Max(0.0, p * (1.0 - p) / trials + z2 / (4.0 * trials * trials)));
        return new ProportionInterval(p, Math.Max(0.0, center - half), Math.Min(1.0, center + half));
    }
}

/// <summary>Elo, normalized Elo, LOS and score intervals of one evaluated player's results, per game or per pair.</summary>
/// <remarks>
/// Formulas follow reference/ratings.md. Special values, never exceptions:
/// <list type="bullet">
/// <item><see cref="EstimateValidity.NoGames"/>: every number is NaN.</item>
/// <item><see cref="EstimateValidity.ZeroVariance"/>: <see cref="Elo"/> is E(s): +∞ (all wins), −∞ (all losses), 0 (all draws);
/// <see cref="NElo"/> is ±∞ (NaN when the score is ½); both half-widths are NaN; <see cref="Los"/> is 1, 0 or ½.</item>
/// <item>When s ± z·SE leaves (0, 1) the corresponding Elo bound is ±∞ and so is <see cref="EloHalfWidth"/>.</item>
/// <item><see cref="LosDrawFree"/> is ½ when there are no decisive games.</item>
/// </list>
/// </remarks>
public sealed record EloEstimate
{
    private EloEstimate()
    {
    }

    /// <summary>Per-game or per-pair statistics.</summary>
    public OutcomeModel Model { get; private init; }

    /// <summary>Whether the statistics are defined (see the remarks of the type).</summary>
    public EstimateValidity Validity { get; private init; }

    /// <summary>The z used for the intervals (default <see cref="Normal.Z95"/>).</summary>
    public double Z { get; private init; }

    /// <summary>Number of games.</summary>
    public int Games { get; private init; }

    /// <summary>Number of samples: games (trinomial) or pairs (pentanomial).</summary>
    public int Samples { get; private init; }

    /// <summary>Game-level W/D/L counts.</summary>
    public WdlCounts Counts { get; private init; }

    /// <summary>Score s = (W + D/2)/N.</summary>
    public double Score { get; private init; }

    /// <summary>Standard deviation of one sample's score (σ per game, or σ_pair per pair).</summary>
    public double Sigma { get; private init; }

    /// <summary>Standard error of the score, σ/√samples.</summary>
    public double StandardError { get; private init; }

    /// <summary>Logistic Elo of the score.</summary>
    public double Elo { get; private init; }

    /// <summary>Lower Elo bound, E(s − z·SE).</summary>
    public double EloLower { get; private init; }

    /// <summary>Upper Elo bound, E(s + z·SE).</summary>
    public double EloUpper { get; private init; }

    /// <summary>Half-width of the Elo interval, (E(s + z·SE) − E(s − z·SE))/2.</summary>
    public double EloHalfWidth { get; private init; }

    /// <summary>Normalized Elo: (s − ½)/σ · 800/ln 10 (pentanomial: σ_pair·√2 in place of σ).</summary>
    public double NElo { get; private init; }

    /// <summary>Half-width of the nElo interval: z·SE mapped by the same linear map.</summary>
    public double NEloHalfWidth { get; private init; }

    /// <summary>Likelihood of superiority, normal form: Φ((s − ½)/SE).</summary>
    public double Los { get; private init; }

    /// <summary>Likelihood of superiority, draw-free form: ½·[1 + erf((W − L)/√(2(W + L)))].</summary>
    public double LosDrawFree { get; private init; }

    /// <summary>Wilson interval of the win rate W/N over games.</summary>
    public ProportionInterval WinRate { get; private init; }

    /// <summary>Wilson interval of the score over games, treating points as successes.</summary>
    public ProportionInterval ScoreInterval { get; private init; }

    /// <summary>Per-game (trinomial) statistics of W/D/L counts.</summary>
    public static EloEstimate FromCounts(WdlCounts counts, double z = Normal.Z95)
    {
        var n = counts.Games;
        if (n == 0)
        {
            return Build(OutcomeModel.Trinomial, counts, 0, [], [], z);
        }

        return Build(
            OutcomeModel.Trinomial,
            counts,
            n,
            [0.0, 0.5, 1.0],
            [counts.Losses / (double)n, counts.Draws / (double)n, counts.Wins / (double)n],
            z);
    }

    /// <summary>Per-pair (pentanomial) statistics of colour-swapped game pairs.</summary>
    public static EloEstimate FromPairs(PairCounts pairs, double z = Normal.Z95)
    {
        var n = pairs.Pairs;
        var counts = pairs.ToWdl();
        if (n == 0)
        {
            return Build(OutcomeModel.Pentanomial, counts, 0, [], [], z);
        }

        var (p0, p25, p50, p75, p100) = pairs.Pentanomial;
        return Build(
            OutcomeModel.Pentanomial,
            counts,
            n,
            [0.0, 0.25, 0.5, 0.75, 1.0],
            [p0 / (double)n, p25 / (double)n, p50 / (double)n, p75 / (double)n, p100 / (double)n],
            z);
    }

    private static EloEstimate Build(OutcomeModel model, WdlCounts counts, int samples, double[] a, double[] p, double z)
    {
        if (!(z > 0) || double.IsInfinity(z))
        {
            throw new ArgumentOutOfRangeException(nameof(z), z, "z must be a positive finite number");
        }

        var games = counts.Games;
        var winRate = ProportionInterval.Wilson(counts.Wins, games, z);
        var scoreInterval = ProportionInterval.Wilson(counts.Points, games, z);
        var losDrawFree = counts.Wins + counts.Losses == 0
            ? (games == 0 ? double.NaN : 0.5)
            : 0.5 * (1.0 + Normal.Erf((counts.Wins - counts.Losses) / Math.Sqrt(2.0 * (counts.Wins + counts.Losses))));

        if (samples == 0)
        {
            var nan = double.NaN;
            return new EloEstimate
            {
                Model = model, Validity = EstimateValidity.NoGames, Z = z, Games = 0, Samples = 0, Counts = counts,
                Score = nan, Sigma = nan, StandardError = nan, Elo = nan, EloLower = nan, EloUpper = nan,
                EloHalfWidth = nan, NElo = nan, NEloHalfWidth = nan, Los = nan, LosDrawFree = nan,
                WinRate = winRate, ScoreInterval = scoreInterval,
            };
        }

        var s = 0.0;
        for (var i = 0; i < a.Length; i++)
        {
            s += p[i] * a[i];
        }

        var variance = 0.0;
        for (var i = 0; i < a.Length; i++)
        {
            variance += p[i] * (a[i] - s) * (a[i] - s);
        }

        var sigma = Math.Sqrt(variance);
        var se = sigma / Math.Sqrt(samples);
        var nEloScale = model == OutcomeModel.Pentanomial ? Normal.NEloPerT / Math.Sqrt(2.0) : Normal.NEloPerT;
        var elo = Normal.EloFromScore(s);

        // Treat a variance that is zero up to rounding (all samples alike) as exactly zero.
        if (variance <= 1e-15)
        {
            var excess = s - 0.5;
            var sign = Math.Abs(excess) < 1e-12 ? 0 : Math.Sign(excess);
            return new EloEstimate
            {
                Model = model, Validity = EstimateValidity.ZeroVariance, Z = z, Games = games, Samples = samples, Counts = counts,
                Score = s, Sigma = 0, StandardError = 0,
                Elo = sign == 0 ? 0 : elo, EloLower = sign == 0 ? 0 : elo, EloUpper = sign == 0 ? 0 : elo,
                EloHalfWidth = double.NaN,
                NElo = sign == 0 ? double.NaN : sign * double.PositiveInfinity, NEloHalfWidth = double.NaN,
                Los = sign == 0 ? 0.5 : (sign > 0 ? 1.0 : 0.0), LosDrawFree = losDrawFree,
                WinRate = winRate, ScoreInterval = scoreInterval,
            };
        }

        var lower = Normal.EloFromScore(s - z * se);
        var upper = Normal.EloFromScore(s + z * se);
        return new EloEstimate
        {
            Model = model, Validity = EstimateValidity.Ok, Z = z, Games = games, Samples = samples, Counts = counts,
            Score = s, Sigma = sigma, StandardError = se,
            Elo = elo, EloLower = lower, EloUpper = upper, EloHalfWidth = (upper - lower) / 2.0,
            NElo = (s - 0.5) / sigma * nEloScale, NEloHalfWidth = z * se / sigma * nEloScale,
            Los = Normal.Cdf((s - 0.5) / se), LosDrawFree = losDrawFree,
            WinRate = winRate, ScoreInterval = scoreInterval,
        };
    }
}
