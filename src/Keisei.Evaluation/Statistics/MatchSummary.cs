using Keisei.Shogi;

namespace Keisei.Evaluation.Statistics;

/// <summary>One finished game seen from the evaluated agent: its score (0, 0.5, 1), colour, length and how it ended.</summary>
public sealed record GameOutcome
{
    /// <summary>Creates an outcome; the score must be 0, 0.5 or 1 and plies non-negative.</summary>
    public GameOutcome(double Score, Color AgentColor, int Plies, TerminationReason Reason)
    {
        GameScore.Validate(Score);
        ArgumentOutOfRangeException.ThrowIfNegative(Plies);
        this.Score = Score;
        this.AgentColor = AgentColor;
        this.Plies = Plies;
        this.Reason = Reason;
    }

    public double Score { get; }
    public Color AgentColor { get; }
    public int Plies { get; }
    public TerminationReason Reason { get; }
}

/// <summary>Distribution of game lengths in plies; all statistics NaN (and Min/Max 0) when there are no games.</summary>
/// <remarks>Median and P90 interpolate linearly between order statistics at rank q·(n − 1) (the usual "type 7" quantile).</remarks>
public readonly record struct GameLengthStats(int Count, int Min, double Median, double Mean, double P90, int Max)
{
    /// <summary>Length statistics of the given ply counts.</summary>
    public static GameLengthStats From(IEnumerable<int> plies)
    {
        ArgumentNullException.ThrowIfNull(plies);
        var sorted = plies.ToArray();
        if (sorted.Length == 0)
        {
            return new GameLengthStats(0, 0, double.NaN, double.NaN, double.NaN, 0);
        }

        Array.Sort(sorted);
        return new GameLengthStats(
            sorted.Length,
            sorted[0],
            Quantile(sorted, 0.5),
            sorted.Average(p => (double)p),
            Quantile(sorted, 0.9),
            sorted[^1]);
    }

    private static double Quantile(int[] sorted, double q)
    {
        var h = q * (sorted.Length - 1);
        var lo = (int)Math.Floor(h);
        var hi = Math.Min(lo + 1, sorted.Length - 1);
        return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
    }
}

/// <summary>Summary of a match from the agent's side: overall and per-colour W/D/L, game lengths and termination reasons.</summary>
/// <param name="Total">All games.</param>
/// <param name="AsBlack">Games in which the agent played Black (sente).</param>
/// <param name="AsWhite">Games in which the agent played White (gote).</param>
/// <param name="Lengths">Game lengths in plies.</param>
/// <param name="Terminations">Number of games per termination reason, in enum order; reasons that never occurred are absent.</param>
public sealed record MatchSummary(
    WdlCounts Total,
    WdlCounts AsBlack,
    WdlCounts AsWhite,
    GameLengthStats Lengths,
    IReadOnlyDictionary<TerminationReason, int> Terminations)
{
    /// <summary>Summarises the outcomes of a match.</summary>
    public static MatchSummary From(IEnumerable<GameOutcome> games)
    {
        ArgumentNullException.ThrowIfNull(games);
        var list = games.ToList();
        var (black, white) = ByColor(list);
        return new MatchSummary(black + white, black, white, GameLengths(list), TerminationCounts(list));
    }

    /// <summary>W/D/L of the agent as Black and as White.</summary>
    public static (WdlCounts AsBlack, WdlCounts AsWhite) ByColor(IEnumerable<GameOutcome> games)
    {
        ArgumentNullException.ThrowIfNull(games);
        var black = WdlCounts.Empty;
        var white = WdlCounts.Empty;
        foreach (var g in games)
        {
            if (g.AgentColor == Color.Black)
            {
                black = black.Add(g.Score);
            }
            else
            {
                white = white.Add(g.Score);
            }
        }

        return (black, white);
    }

    /// <summary>Distribution of game lengths in plies.</summary>
    public static GameLengthStats GameLengths(IEnumerable<GameOutcome> games)
    {
        ArgumentNullException.ThrowIfNull(games);
        return GameLengthStats.From(games.Select(g => g.Plies));
    }

    /// <summary>Number of games per termination reason, in enum order.</summary>
    public static IReadOnlyDictionary<TerminationReason, int> TerminationCounts(IEnumerable<GameOutcome> games)
    {
        ArgumentNullException.ThrowIfNull(games);
        var counts = new SortedDictionary<TerminationReason, int>();
        foreach (var g in games)
        {
            counts[g.Reason] = counts.GetValueOrDefault(g.Reason) + 1;
        }

        return counts;
    }
}
