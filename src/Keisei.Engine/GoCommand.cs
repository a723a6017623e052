using System.Globalization;

namespace Keisei.Engine;

/// <summary>The arguments of a USI <c>go</c> command; times in milliseconds.</summary>
public sealed record GoCommand
{
    /// <summary><c>go ponder</c>: think on the opponent's time until <c>ponderhit</c> or <c>stop</c>.</summary>
    public bool Ponder { get; init; }

    /// <summary><c>go infinite</c>: think until <c>stop</c>.</summary>
    public bool Infinite { get; init; }

    /// <summary><c>go mate</c> (a mate search, which this engine does not have).</summary>
    public bool Mate { get; init; }

    public long? BlackTime { get; init; }
    public long? WhiteTime { get; init; }
    public long? Byoyomi { get; init; }
    public long? BlackIncrement { get; init; }
    public long? WhiteIncrement { get; init; }
    public long? MoveTime { get; init; }
    public long? Nodes { get; init; }
    public long? Depth { get; init; }

    /// <summary>Whether the command gives a clock (remaining time, byoyomi or increments).</summary>
    public bool HasClock => BlackTime is not null || WhiteTime is not null || Byoyomi is not null || BlackIncrement is not null || WhiteIncrement is not null;

    /// <summary>
    /// Reads the tokens after <c>go</c>. What cannot be used (an unknown token, a number that is missing, negative or not a
    /// number, <c>searchmoves</c>) is skipped and described in <paramref name="warnings"/>, one message each, naming the token.
    /// </summary>
    public static GoCommand Parse(IReadOnlyList<string> tokens, List<string> warnings)
    {
        var go = new GoCommand();
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
                    if (i + 1 < tokens.Count && (tokens[i + 1] == "infinite" || long.TryParse(tokens[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out _))) i++;
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
                        warnings.Add($"go: '{token}' has no value (expected a number of {(token is "nodes" ? "playouts" : token is "depth" ? "plies" : "milliseconds")}); ignored");
                        break;
                    }
                    string text = tokens[++i];
                    if (!long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long n) || n < 0)
                    {
                        warnings.Add($"go: '{token}' expects a whole number of at least 0, found '{text}'; ignored");
                        break;
                    }
                    go = token switch
                    {
                        "btime" => go with { BlackTime = n },
                        "wtime" => go with { WhiteTime = n },
                        "byoyomi" => go with { Byoyomi = n },
                        "binc" => go with { BlackIncrement = n },
                        "winc" => go with { WhiteIncrement = n },
                        "movetime" => go with { MoveTime = n },
                        "nodes" => go with { Nodes = n },
                        _ => go with { Depth = n },
                    };
                    break;
                default:
                    warnings.Add($"go: unknown token '{token}' ignored");
                    break;
            }
        }
        if (go.Depth is not null) warnings.Add("go: 'depth' has no meaning for a tree search that grows by playouts; the other limits apply");
        return go;
    }

    private static bool IsKeyword(string token) => token is "ponder" or "infinite" or "mate" or "searchmoves" or "btime" or "wtime" or "byoyomi"
        or "binc" or "winc" or "movetime" or "nodes" or "depth";
}
