using System.Globalization;
using System.Text;

namespace Keisei.Usi;

/// <summary>The limits of one search, written as the arguments of a USI <c>go</c> command.</summary>
public sealed record UsiGoLimits
{
    /// <summary>Stop after this many nodes (<c>go nodes</c>).</summary>
    public long? Nodes { get; init; }

    /// <summary>Stop at this depth in plies (<c>go depth</c>).</summary>
    public int? Depth { get; init; }

    /// <summary>Think exactly this long, in milliseconds (<c>go movetime</c>).</summary>
    public int? MoveTimeMs { get; init; }

    /// <summary>Time per move once the main time is spent, in milliseconds (<c>byoyomi</c>).</summary>
    public int? ByoyomiMs { get; init; }

    /// <summary>Black's remaining main time in milliseconds (<c>btime</c>).</summary>
    public int? BlackTimeMs { get; init; }

    /// <summary>White's remaining main time in milliseconds (<c>wtime</c>).</summary>
    public int? WhiteTimeMs { get; init; }

    /// <summary>Black's Fischer increment in milliseconds (<c>binc</c>).</summary>
    public int? BlackIncrementMs { get; init; }

    /// <summary>White's Fischer increment in milliseconds (<c>winc</c>).</summary>
    public int? WhiteIncrementMs { get; init; }

    /// <summary>Search until <c>stop</c> (<c>go infinite</c>); other limits are ignored.</summary>
    public bool Infinite { get; init; }

    /// <summary>A search of at most <paramref name="nodes"/> nodes.</summary>
    public static UsiGoLimits FixedNodes(long nodes) => new() { Nodes = nodes };

    /// <summary>A search to <paramref name="depth"/> plies.</summary>
    public static UsiGoLimits FixedDepth(int depth) => new() { Depth = depth };

    /// <summary>A search of exactly <paramref name="milliseconds"/> (<c>go movetime</c>).</summary>
    public static UsiGoLimits MoveTime(int milliseconds) => new() { MoveTimeMs = milliseconds };

    /// <summary>Byoyomi only: <c>go btime 0 wtime 0 byoyomi ms</c>.</summary>
    public static UsiGoLimits Byoyomi(int milliseconds) => new() { ByoyomiMs = milliseconds };

    /// <summary>
    /// The <c>go</c> command: clock fields first (btime and wtime are written, as 0 if unset, whenever
    /// byoyomi or an increment is given), then depth, nodes and movetime.
    /// </summary>
    /// <exception cref="InvalidOperationException">A value is negative, or byoyomi is combined with increments.</exception>
    public string ToGoCommand()
    {
        if (Infinite) return "go infinite";
        Check(Nodes, nameof(Nodes));
        Check(Depth, nameof(Depth));
        Check(MoveTimeMs, nameof(MoveTimeMs));
        Check(ByoyomiMs, nameof(ByoyomiMs));
        Check(BlackTimeMs, nameof(BlackTimeMs));
        Check(WhiteTimeMs, nameof(WhiteTimeMs));
        Check(BlackIncrementMs, nameof(BlackIncrementMs));
        Check(WhiteIncrementMs, nameof(WhiteIncrementMs));
        bool increments = BlackIncrementMs is not null || WhiteIncrementMs is not null;
        if (ByoyomiMs is not null && increments)
            throw new InvalidOperationException("USI allows byoyomi or increments (binc/winc), not both.");

        var sb = new StringBuilder("go");
        if (BlackTimeMs is not null || WhiteTimeMs is not null || ByoyomiMs is not null || increments)
        {
            Append(sb, "btime", BlackTimeMs ?? 0);
            Append(sb, "wtime", WhiteTimeMs ?? 0);
            if (ByoyomiMs is { } byoyomi) Append(sb, "byoyomi", byoyomi);
            if (increments)
            {
                Append(sb, "binc", BlackIncrementMs ?? 0);
                Append(sb, "winc", WhiteIncrementMs ?? 0);
            }
        }
        if (Depth is { } depth) Append(sb, "depth", depth);
        if (Nodes is { } nodes) Append(sb, "nodes", nodes);
        if (MoveTimeMs is { } moveTime) Append(sb, "movetime", moveTime);
        return sb.ToString();
    }

    private static void Append(StringBuilder sb, string key, long value) =>
        sb.Append(' ').Append(key).Append(' ').Append(value.ToString(CultureInfo.InvariantCulture));

    private static void Check(long? value, string name)
    {
        if (value < 0) throw new InvalidOperationException($"Go limit {name} must not be negative, found {value}.");
    }
}
