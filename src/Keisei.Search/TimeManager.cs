using Keisei.Shogi;
using Keisei.Usi;

namespace Keisei.Search;

/// <summary>
/// How long one search may think, in milliseconds from the moment its clock starts (the <c>go</c>, or the
/// <c>ponderhit</c>): it should end at <see cref="SoftMs"/> and never runs past <see cref="HardMs"/>.
/// <see cref="MayStopEarly"/>: it may end before <see cref="SoftMs"/> once its best move can no longer be overtaken.
/// </summary>
public readonly record struct TimeBudget(long SoftMs, long HardMs, bool MayStopEarly);

/// <summary>
/// Time management. With R the side to move's remaining main time, B the byoyomi, I its increment, D the
/// <c>NetworkDelay</c> and M the <c>MinimumThinkingTime</c>:
/// <list type="bullet">
/// <item><c>movetime T</c>: soft = hard = T − D.</item>
/// <item>a clock: hard = R + B − D (all the clock holds for this move; the increment is not counted, since GUIs differ on
/// when they add it); soft = max(R / <see cref="MovesToGo"/> + I, B, M') − D, within [0, hard], where M' = M with byoyomi
/// and min(M, R / 5 + I) without (so that a sudden-death clock is never spent on minimum times).</item>
/// <item>no time at all (<c>go nodes</c>, <c>go infinite</c>, a bare <c>go</c>): no budget.</item>
/// </list>
/// A clock-managed search also stops before the soft time once the most visited move leads the second by more visits
/// than the search can still make by then at its speed so far (<see cref="Decided"/>).
/// </summary>
public static class TimeManager
{
    /// <summary>The share of the remaining main time one move may use: R / MovesToGo.</summary>
    public const int MovesToGo = 30;

    /// <summary>The budget for <paramref name="side"/> under <paramref name="go"/>; null when the command sets no time.</summary>
    public static TimeBudget? For(UsiGoLimits go, Color side, long networkDelay, long minimumThinkingTime)
    {
        if (go.Infinite) return null;
        if (go.MoveTimeMs is { } moveTime)
        {
            long exact = Math.Max(0, moveTime - networkDelay);
            return new TimeBudget(exact, exact, MayStopEarly: false);
        }
        if (!go.HasClock) return null;
        long remaining = (side == Color.Black ? go.BlackTimeMs : go.WhiteTimeMs) ?? 0;
        long increment = (side == Color.Black ? go.BlackIncrementMs : go.WhiteIncrementMs) ?? 0;
        long byoyomi = go.ByoyomiMs ?? 0;
        long hard = Math.Max(0, remaining + byoyomi - networkDelay);
        long minimum = byoyomi > 0 ? minimumThinkingTime : Math.Min(minimumThinkingTime, remaining / 5 + increment);
        long soft = Math.Max(Math.Max(remaining / MovesToGo + increment, byoyomi), minimum) - networkDelay;
        return new TimeBudget(Math.Clamp(soft, 0, hard), hard, MayStopEarly: true);
    }

    /// <summary>
    /// Whether the most visited root move (<paramref name="bestVisits"/>) can no longer be overtaken by the second
    /// (<paramref name="secondVisits"/>) in the <paramref name="msLeft"/> milliseconds left at
    /// <paramref name="playoutsPerMs"/>: true when the lead is larger than the playouts still to come.
    /// </summary>
    public static bool Decided(int bestVisits, int secondVisits, double playoutsPerMs, double msLeft)
    {
        if (!(playoutsPerMs > 0)) return false;
        return bestVisits - secondVisits > playoutsPerMs * Math.Max(0, msLeft);
    }
}
