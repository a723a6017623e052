using System.Globalization;
using Keisei.Evaluation.Storage;
using Keisei.Shogi;
using Keisei.Usi;

namespace Keisei.Evaluation.Arena;

/// <summary>
/// A match's clock, the same for both sides, in milliseconds: main time, then either a Fischer increment added after each
/// move or a byoyomi (time per move once the main time is spent); never both, as USI's <c>go</c> allows one or the other.
/// Written <c>MAIN+INC</c> (<c>60000+1000</c>: one minute, one second added per move), <c>MAIN+byoBYOYOMI</c>
/// (<c>0+byo1000</c>: one second per move; <c>600000+byo10000</c>) or <c>MAIN</c> (sudden death). Unlike cutechess's
/// <c>tc=60+1</c> every number is in milliseconds, as USI's <c>btime</c>/<c>byoyomi</c>/<c>binc</c> are.
/// </summary>
public sealed record TimeControl
{
    /// <summary>Main time of each side.</summary>
    public long MainMs { get; }

    /// <summary>Fischer increment, added to the mover's main time after each move it makes in time.</summary>
    public long IncrementMs { get; }

    /// <summary>Time per move on top of whatever main time is left; it does not carry over between moves.</summary>
    public long ByoyomiMs { get; }

    /// <exception cref="ArgumentOutOfRangeException">A value is negative or above <see cref="int.MaxValue"/>, both increment
    /// and byoyomi are given, or the clock gives no time at all.</exception>
    public TimeControl(long mainMs, long incrementMs = 0, long byoyomiMs = 0)
    {
        Check(mainMs, nameof(mainMs));
        Check(incrementMs, nameof(incrementMs));
        Check(byoyomiMs, nameof(byoyomiMs));
        if (incrementMs > 0 && byoyomiMs > 0)
            throw new ArgumentOutOfRangeException(nameof(byoyomiMs), byoyomiMs, "A clock has an increment or a byoyomi, not both (USI's go carries one of them).");
        if (mainMs == 0 && incrementMs == 0 && byoyomiMs == 0)
            throw new ArgumentOutOfRangeException(nameof(mainMs), mainMs, "A clock of 0 ms main time without increment or byoyomi gives no time to move.");
        MainMs = mainMs;
        IncrementMs = incrementMs;
        ByoyomiMs = byoyomiMs;
    }

    private static void Check(long value, string name)
    {
        if (value is < 0 or > int.MaxValue) throw new ArgumentOutOfRangeException(name, value, $"must be between 0 and {int.MaxValue} ms");
    }

    /// <summary>Reads <c>MAIN</c>, <c>MAIN+INC</c> or <c>MAIN+byoBYOYOMI</c> (milliseconds, whole numbers).</summary>
    /// <exception cref="FormatException">The text is not one of these forms; the message quotes it and says what was expected.</exception>
    public static TimeControl Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        const string expected = "expected MAIN+INC or MAIN+byoBYOYOMI in milliseconds (e.g. 60000+1000, 0+byo1000, or 300000 for sudden death)";
        string trimmed = text.Trim();
        int plus = trimmed.IndexOf('+', StringComparison.Ordinal);
        string main = plus < 0 ? trimmed : trimmed[..plus], rest = plus < 0 ? "" : trimmed[(plus + 1)..];
        bool byoyomi = rest.StartsWith("byo", StringComparison.Ordinal);
        if (byoyomi) rest = rest[3..];
        if (!Number(main, out long mainMs) || (plus >= 0 && !Number(rest, out _)))
            throw new FormatException($"{expected}, found '{text}'");
        Number(rest, out long second);
        try
        {
            return byoyomi ? new TimeControl(mainMs, byoyomiMs: second) : new TimeControl(mainMs, incrementMs: second);
        }
        catch (ArgumentOutOfRangeException e)
        {
            throw new FormatException($"'{text}': {e.Message.Split(" (Parameter", 2)[0]}", e);
        }

        static bool Number(string s, out long value) =>
            long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out value) && value <= int.MaxValue;
    }

    /// <summary>The canonical text: <c>60000+1000</c>, <c>0+byo1000</c>, <c>300000+0</c>.</summary>
    public override string ToString() => ByoyomiMs > 0
        ? string.Create(CultureInfo.InvariantCulture, $"{MainMs}+byo{ByoyomiMs}")
        : string.Create(CultureInfo.InvariantCulture, $"{MainMs}+{IncrementMs}");
}

/// <summary>
/// The clock of one game: each side's remaining main time. A side may use up to its remaining main time plus the byoyomi
/// on a move, and loses on time when it uses more than that plus the arena's margin (<see cref="ArenaOptions.TimeMargin"/>,
/// for the pipe and process latency the arena measures but an engine cannot see). After a move in time the mover's main
/// time goes down by what it used (never below 0; a byoyomi move that stayed within the byoyomi leaves it at 0), then the
/// increment is added (as in chess GUIs: <c>btime</c>/<c>wtime</c> never include the increment of the move being thought on).
/// Times are charged in whole milliseconds, rounded up.
/// </summary>
public sealed class GameClock(TimeControl control, TimeSpan margin)
{
    private long _black = control.MainMs, _white = control.MainMs;

    public TimeControl Control { get; } = control;

    public TimeSpan Margin { get; } = margin;

    /// <summary>Remaining main time of <paramref name="side"/>, in milliseconds.</summary>
    public long RemainingMs(Color side) => side == Color.Black ? _black : _white;

    /// <summary>The most <paramref name="side"/> may use on its next move without losing on time: main time left plus byoyomi.</summary>
    public TimeSpan Allowed(Color side) => TimeSpan.FromMilliseconds(RemainingMs(side) + Control.ByoyomiMs);

    /// <summary>When the arena stops waiting: <see cref="Allowed"/> plus the margin.</summary>
    public TimeSpan Deadline(Color side) => Allowed(side) + Margin;

    /// <summary>The clock as USI's <c>go</c> carries it: <c>btime B wtime W</c> with <c>byoyomi</c> or <c>binc</c>/<c>winc</c>.</summary>
    public UsiGoLimits GoLimits() => new()
    {
        BlackTimeMs = (int)_black,
        WhiteTimeMs = (int)_white,
        ByoyomiMs = Control.ByoyomiMs > 0 ? (int)Control.ByoyomiMs : null,
        BlackIncrementMs = Control.IncrementMs > 0 ? (int)Control.IncrementMs : null,
        WhiteIncrementMs = Control.IncrementMs > 0 ? (int)Control.IncrementMs : null,
    };

    /// <summary>
    /// Charges <paramref name="used"/> to <paramref name="side"/>. Returns false, and leaves the clock as it was, when the side
    /// used more than <see cref="Deadline"/>: it lost on time.
    /// </summary>
    public bool Charge(Color side, TimeSpan used)
    {
        if (used > Deadline(side)) return false;
        ref long remaining = ref side == Color.Black ? ref _black : ref _white;
        remaining = Math.Min(Math.Max(0, remaining - ChargedMs(used)) + Control.IncrementMs, int.MaxValue);
        return true;
    }

    /// <summary>What a move that took <paramref name="used"/> is charged: whole milliseconds, rounded up.</summary>
    public static long ChargedMs(TimeSpan used) => (long)Math.Ceiling(used.TotalMilliseconds);

    /// <summary>Why <paramref name="side"/> lost on time after using <paramref name="used"/> (or, when null, not answering before the deadline).</summary>
    public string Overrun(Color side, TimeSpan? used)
    {
        string clock = string.Create(CultureInfo.InvariantCulture,
            $"{RemainingMs(side)} ms main time{(Control.ByoyomiMs > 0 ? $" + {Control.ByoyomiMs} ms byoyomi" : "")} + {Margin.TotalMilliseconds:0} ms margin, clock {Control}");
        return used is { } u
            ? string.Create(CultureInfo.InvariantCulture, $"{side} lost on time: used {u.TotalMilliseconds:0} ms with {clock}")
            : $"{side} lost on time: no move within {clock}";
    }
}

/// <summary>
/// How close one participant came to the clock over an evaluation: its games, its losses on time, the least time it had
/// left after a move in time (main time left plus byoyomi minus what the move used; the margin not counted, so a value
/// below 0 is a move that only the margin saved) and its longest move.
/// </summary>
public sealed record ClockSummary(TimeControl TimeControl, int Games, int TimeLosses, long? LeastLeftMs, long? LongestMoveMs)
{
    /// <summary>Replays the stored move times of <paramref name="playerId"/>'s games on the clock (games stored without times count only their result).</summary>
    public static ClockSummary Of(TimeControl control, TimeSpan margin, long playerId, IEnumerable<StoredGame> games)
    {
        int played = 0, losses = 0;
        long? least = null, longest = null;
        foreach (var g in games)
        {
            if (g.BlackPlayerId != playerId && g.WhitePlayerId != playerId) continue;
            played++;
            var color = g.BlackPlayerId == playerId ? Color.Black : Color.White;
            if (g.Termination == TerminationReason.TimeForfeit && g.ScoreOf(playerId) == 0) losses++;
            if (g.MoveTimes is not { } times) continue;
            var clock = new GameClock(control, margin);
            var side = Position.FromSfen(g.StartSfen).SideToMove;
            foreach (var used in times)
            {
                long allowedMs = (long)clock.Allowed(side).TotalMilliseconds, usedMs = GameClock.ChargedMs(used);
                if (side == color)
                {
                    least = Math.Min(least ?? long.MaxValue, allowedMs - usedMs);
                    longest = Math.Max(longest ?? 0, usedMs);
                }
                if (!clock.Charge(side, used)) break; // stored times are whole milliseconds: a move at the very edge may not replay
                side = side.Opponent();
            }
        }
        return new ClockSummary(control, played, losses, least, longest);
    }
}
