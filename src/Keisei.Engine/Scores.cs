namespace Keisei.Engine;

/// <summary>
/// How the engine turns its values into USI scores. A value v in [-1, 1] (side to move) is the win rate w = (v + 1) / 2,
/// and the score in centipawns is dlshogi's scale cp = -756.0864962951762 · ln(1/w − 1), so a win rate of 0.5 is 0, 0.75
/// is about +831, 0.9 about +1661; it is cut to ±<see cref="MaxCentipawns"/>, which a certain win or loss also gets.
/// </summary>
public static class Scores
{
    /// <summary>dlshogi's scale between the logit of the win rate and centipawns.</summary>
    public const double Scale = 756.0864962951762;

    /// <summary>The largest score in centipawns the engine reports.</summary>
    public const int MaxCentipawns = 30000;

    /// <summary>The win rate of a value: (v + 1) / 2, within [0, 1].</summary>
    public static double WinRate(double value) => Math.Clamp((value + 1) / 2, 0, 1);

    /// <summary>The score in centipawns of a value in [-1, 1] (side to move).</summary>
    public static int Centipawns(double value)
    {
        if (double.IsNaN(value)) return 0;
        double w = WinRate(value);
        if (w <= 0) return -MaxCentipawns;
        if (w >= 1) return MaxCentipawns;
        double cp = -Scale * Math.Log(1 / w - 1);
        return (int)Math.Round(Math.Clamp(cp, -MaxCentipawns, MaxCentipawns));
    }
}
