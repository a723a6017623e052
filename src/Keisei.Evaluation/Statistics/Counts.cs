namespace Keisei.Evaluation.Statistics;

/// <summary>Wins, draws and losses of one game series, counted from the evaluated player's side.</summary>
public readonly record struct WdlCounts
{
    /// <summary>Creates counts; each must be non-negative.</summary>
    public WdlCounts(int wins, int draws, int losses)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(wins);
        ArgumentOutOfRangeException.ThrowIfNegative(draws);
        ArgumentOutOfRangeException.ThrowIfNegative(losses);
        Wins = wins;
        Draws = draws;
        Losses = losses;
    }

    /// <summary>No games.</summary>
    public static WdlCounts Empty => default;

    public int Wins { get; }
    public int Draws { get; }
    public int Losses { get; }

    /// <summary>W + D + L.</summary>
    public int Games => Wins + Draws + Losses;

    /// <summary>Points scored: W + D/2.</summary>
    public double Points => Wins + 0.5 * Draws;

    /// <summary>Score s = (W + D/2)/N; NaN when there are no games.</summary>
    public double Score => Games == 0 ? double.NaN : Points / Games;

    /// <summary>Counts with one more game of the given score (0, 0.5 or 1).</summary>
    public WdlCounts Add(double score) => GameScore.Classify(score) switch
    {
        GameScore.Outcome.Win => new WdlCounts(Wins + 1, Draws, Losses),
        GameScore.Outcome.Draw => new WdlCounts(Wins, Draws + 1, Losses),
        _ => new WdlCounts(Wins, Draws, Losses + 1),
    };

    /// <summary>The same games seen from the opponent's side (wins and losses swapped).</summary>
    public WdlCounts Mirrored => new(Losses, Draws, Wins);

    /// <summary>Counts the per-game scores (each 0, 0.5 or 1) of a series.</summary>
    public static WdlCounts FromScores(IEnumerable<double> scores)
    {
        ArgumentNullException.ThrowIfNull(scores);
        int w = 0, d = 0, l = 0;
        foreach (var s in scores)
        {
            switch (GameScore.Classify(s))
            {
                case GameScore.Outcome.Win: w++; break;
                case GameScore.Outcome.Draw: d++; break;
                default: l++; break;
            }
        }

        return new WdlCounts(w, d, l);
    }

    public static WdlCounts operator +(WdlCounts a, WdlCounts b) =>
        new(a.Wins + b.Wins, a.Draws + b.Draws, a.Losses + b.Losses);

    /// <summary>"W-D-L".</summary>
    public override string ToString() => $"{Wins}-{Draws}-{Losses}";
}

/// <summary>Counts of colour-swapped game pairs by outcome (LL, LD, WL, DD, WD, WW), from the evaluated player's side.</summary>
/// <remarks>A pair's score is 0, 0.25, 0.5, 0.5, 0.75, 1 for LL, LD, WL, DD, WD, WW; the order of the two games does not matter.</remarks>
public readonly record struct PairCounts
{
    /// <summary>Creates counts; each must be non-negative.</summary>
    public PairCounts(int ll, int ld, int wl, int dd, int wd, int ww)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(ll);
        ArgumentOutOfRangeException.ThrowIfNegative(ld);
        ArgumentOutOfRangeException.ThrowIfNegative(wl);
        ArgumentOutOfRangeException.ThrowIfNegative(dd);
        ArgumentOutOfRangeException.ThrowIfNegative(wd);
        ArgumentOutOfRangeException.ThrowIfNegative(ww);
        LL = ll;
        LD = ld;
        WL = wl;
        DD = dd;
        WD = wd;
        WW = ww;
    }

    /// <summary>No pairs.</summary>
    public static PairCounts Empty => default;

    public int LL { get; }
    public int LD { get; }
    public int WL { get; }
    public int DD { get; }
    public int WD { get; }
    public int WW { get; }

    /// <summary>Number of pairs.</summary>
    public int Pairs => LL + LD + WL + DD + WD + WW;

    /// <summary>Number of games (two per pair).</summary>
    public int Games => 2 * Pairs;

    /// <summary>Points scored over all games of all pairs.</summary>
    public double Points => 0.5 * LD + WL + DD + 1.5 * WD + 2.0 * WW;

    /// <summary>Mean pair score (equal to the per-game score); NaN when there are no pairs.</summary>
    public double Score => Pairs == 0 ? double.NaN : Points / Games;

    /// <summary>The five pentanomial counts by pair score 0, 0.25, 0.5, 0.75, 1 (WL and DD pooled).</summary>
    public (int P0, int P25, int P50, int P75, int P100) Pentanomial => (LL, LD, WL + DD, WD, WW);

    /// <summary>The per-game win/draw/loss counts of all games in the pairs.</summary>
    public WdlCounts ToWdl() => new(2 * WW + WD + WL, LD + 2 * DD + WD, 2 * LL + LD + WL);

    /// <summary>Counts with one more pair made of two games with the given scores (each 0, 0.5 or 1).</summary>
    public PairCounts Add(double first, double second)
    {
        var a = GameScore.Classify(first);
        var b = GameScore.Classify(second);
        var wins = (a == GameScore.Outcome.Win ? 1 : 0) + (b == GameScore.Outcome.Win ? 1 : 0);
        var draws = (a == GameScore.Outcome.Draw ? 1 : 0) + (b == GameScore.Outcome.Draw ? 1 : 0);
        return (wins, draws) switch
        {
            (0, 0) => new PairCounts(LL + 1, LD, WL, DD, WD, WW),
            (0, 1) => new PairCounts(LL, LD + 1, WL, DD, WD, WW),
            (1, 0) => new PairCounts(LL, LD, WL + 1, DD, WD, WW),
            (0, 2) => new PairCounts(LL, LD, WL, DD + 1, WD, WW),
            (1, 1) => new PairCounts(LL, LD, WL, DD, WD + 1, WW),
            _ => new PairCounts(LL, LD, WL, DD, WD, WW + 1),
        };
    }

    /// <summary>Counts pairs given as the two game scores of each pair (each 0, 0.5 or 1).</summary>
    public static PairCounts FromPairs(IEnumerable<(double First, double Second)> pairs)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        var counts = Empty;
        foreach (var (first, second) in pairs)
        {
            counts = counts.Add(first, second);
        }

        return counts;
    }

    /// <summary>Counts pairs from a game sequence in which games 2k and 2k+1 form pair k.</summary>
    /// <remarks>A trailing game whose partner has not been played yet is not counted; it is reported in <paramref name="unpaired"/>.</remarks>
    public static PairCounts FromGameSequence(IEnumerable<double> scores, out double? unpaired)
    {
        ArgumentNullException.ThrowIfNull(scores);
        var counts = Empty;
        double? pending = null;
        foreach (var s in scores)
        {
            GameScore.Classify(s);
            if (pending is { } first)
            {
                counts = counts.Add(first, s);
                pending = null;
            }
            else
            {
                pending = s;
            }
        }

        unpaired = pending;
        return counts;
    }

    public static PairCounts operator +(PairCounts a, PairCounts b) =>
        new(a.LL + b.LL, a.LD + b.LD, a.WL + b.WL, a.DD + b.DD, a.WD + b.WD, a.WW + b.WW);

    public override string ToString() => $"LL={LL} LD={LD} WL={WL} DD={DD} WD={WD} WW={WW}";
}

/// <summary>Validation of single-game scores (0 loss, 0.5 draw, 1 win).</summary>
internal static class GameScore
{
    internal enum Outcome { Loss, Draw, Win }

    internal static Outcome Classify(double score) => score switch
    {
        1.0 => Outcome.Win,
        0.5 => Outcome.Draw,
        0.0 => Outcome.Loss,
        _ => throw new ArgumentOutOfRangeException(nameof(score), score, "a game score must be 0 (loss), 0.5 (draw) or 1 (win)"),
    };

    internal static double Validate(double score)
    {
        Classify(score);
        return score;
    }
}
