using System.Globalization;
using System.Text;

namespace Keisei.Usi;

/// <summary>
/// The limits of one search: the arguments of a USI <c>go</c> command, written by the client (<see cref="ToGoCommand"/>) and
/// read by the engine (<see cref="Parse"/>). Times in milliseconds.
/// </summary>
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

    /// <summary><c>go ponder</c>: think on the opponent's time until <c>ponderhit</c> or <c>stop</c>.</summary>
    public bool Ponder { get; init; }

    /// <summary><c>go mate</c>: a mate search, answered with <c>checkmate</c>.</summary>
    public bool Mate { get; init; }

    /// <summary>The time of a <c>go mate</c> in milliseconds; null for <c>go mate infinite</c>.</summary>
    public int? MateTimeMs { get; init; }

    /// <summary>Whether a clock is given (remaining time, byoyomi or increments).</summary>
    public bool HasClock => BlackTimeMs is not null || WhiteTimeMs is not null || ByoyomiMs is not null || BlackIncrementMs is not null || WhiteIncrementMs is not null;

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
        if (Mate) return MateTimeMs is { } mateMs ? $"go mate {mateMs.ToString(CultureInfo.InvariantCulture)}" : "go mate infinite";
        if (Infinite) return Ponder ? "go ponder infinite" : "go infinite";
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

        var sb = new StringBuilder(Ponder ? "go ponder" : "go");
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

    /// <summary>
    /// Reads the tokens after <c>go</c>. What cannot be used (an unknown token, a number that is missing, negative, too large
    /// or not a number, <c>searchmoves</c>) is skipped and described in <paramref name="warnings"/>, one message each, naming
    /// the token.
    /// </summary>
    public static UsiGoLimits Parse(IReadOnlyList<string> tokens, List<string> warnings)
    {
        var go = new UsiGoLimits();
        for (int i = 0; i < tokens.Count; i++)
        {
            string token = tokens[i];
            switch (token)
            {
                case "ponder":
                    go = go with { Ponder = true };
                    break;
                case "infinite":
                    go = go with { Infinite = true };
                    break;
                case "mate":
                    go = go with { Mate = true };
                    if (i + 1 < tokens.Count && tokens[i + 1] == "infinite") i++;
                    else if (i + 1 < tokens.Count && long.TryParse(tokens[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out long mateMs))
                    {
                        i++;
                        if (mateMs <= int.MaxValue) go = go with { MateTimeMs = (int)mateMs };
                        else warnings.Add($"go: 'mate' expects milliseconds of at most {int.MaxValue} or 'infinite', found '{tokens[i]}'; searching without a limit");
                    }
                    break;
                case "searchmoves":
                    int skipped = 0;
                    while (i + 1 < tokens.Count && !IsKeyword(tokens[i + 1]))
                    {
                        i++;
                        skipped++;
                    }
                    warnings.Add($"go: 'searchmoves' is not supported; all moves are searched ({skipped} move(s) ignored)");
                    break;
                case "btime" or "wtime" or "byoyomi" or "binc" or "winc" or "movetime" or "nodes" or "depth":
                    if (i + 1 >= tokens.Count || IsKeyword(tokens[i + 1]))
                    {
                        warnings.Add($"go: '{token}' has no value (expected a number of {(token is "nodes" ? "nodes" : token is "depth" ? "plies" : "milliseconds")}); ignored");
                        break;
                    }
                    string text = tokens[++i];
                    long max = token is "nodes" ? long.MaxValue : int.MaxValue;
                    if (!long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long n) || n < 0 || n > max)
                    {
                        warnings.Add($"go: '{token}' expects a whole number of at least 0{(n > max ? $" and at most {max}" : "")}, found '{text}'; ignored");
                        break;
                    }
                    go = token switch
                    {
                        "btime" => go with { BlackTimeMs = (int)n },
                        "wtime" => go with { WhiteTimeMs = (int)n },
                        "byoyomi" => go with { ByoyomiMs = (int)n },
                        "binc" => go with { BlackIncrementMs = (int)n },
                        "winc" => go with { WhiteIncrementMs = (int)n },
                        "movetime" => go with { MoveTimeMs = (int)n },
                        "nodes" => go with { Nodes = n },
                        _ => go with { Depth = (int)n },
                    };
                    break;
                default:
                    warnings.Add($"go: unknown token '{token}' ignored");
                    break;
            }
        }
        return go;
    }

    private static bool IsKeyword(string token) => token is "ponder" or "infinite" or "mate" or "searchmoves" or "btime" or "wtime" or "byoyomi"
        or "binc" or "winc" or "movetime" or "nodes" or "depth";

    private static void Append(StringBuilder sb, string key, long value) =>
        sb.Append(' ').Append(key).Append(' ').Append(value.ToString(CultureInfo.InvariantCulture));

    private static void Check(long? value, string name)
    {
        if (value < 0) throw new InvalidOperationException($"Go limit {name} must not be negative, found {value}.");
    }
}
