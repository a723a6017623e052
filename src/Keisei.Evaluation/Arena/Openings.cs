using Keisei.Shogi;

namespace Keisei.Evaluation.Arena;

/// <summary>A start position for a pair of games: the position after the opening line's moves.</summary>
/// <param name="Id">Line number in the openings file (1-based), or 0 for the standard start position.</param>
/// <param name="StartSfen">SFEN of the position the game starts from.</param>
public sealed record Opening(int Id, string StartSfen)
{
    public static Opening StartPosition { get; } = new(0, Position.StartSfen);
}

/// <summary>An openings file line that cannot be used; the message names file, line and problem.</summary>
public sealed class OpeningsFormatException(string message) : FormatException(message);

/// <summary>Reads opening files: one opening per line as <c>startpos [moves ...]</c>, <c>sfen &lt;sfen&gt; [moves ...]</c> or a bare SFEN.</summary>
public static class OpeningBook
{
    /// <summary>Loads every opening of a file (blank lines and lines starting with <c>#</c> are skipped).</summary>
    /// <exception cref="OpeningsFormatException">A line is malformed or has an illegal move.</exception>
    public static IReadOnlyList<Opening> Load(string path)
    {
        if (!File.Exists(path)) throw new OpeningsFormatException($"Openings file '{path}' does not exist.");
        var result = new List<Opening>();
        int lineNumber = 0;
        foreach (string raw in File.ReadLines(path))
        {
            lineNumber++;
            string line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            try
            {
                result.Add(new Opening(lineNumber, Parse(line)));
            }
            catch (FormatException e)
            {
                throw new OpeningsFormatException($"Openings file '{path}', line {lineNumber}: {e.Message}");
            }
        }
        if (result.Count == 0) throw new OpeningsFormatException($"Openings file '{path}' has no openings.");
        return result;
    }

    /// <summary>The SFEN of the position an opening line leads to.</summary>
    /// <exception cref="FormatException">The line is malformed or a move is illegal.</exception>
    public static string Parse(string line)
    {
        var tokens = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).ToList();
        if (tokens.Count > 0 && tokens[0] == "position") tokens.RemoveAt(0);
        int movesAt = tokens.IndexOf("moves");
        var head = movesAt < 0 ? tokens : tokens[..movesAt];
        var moves = movesAt < 0 ? [] : tokens[(movesAt + 1)..];
        if (head.Count == 0) throw new FormatException("expected 'startpos', 'sfen <sfen>' or a bare SFEN, found nothing before 'moves'");
        Position position = head[0] switch
        {
            "startpos" when head.Count == 1 => Position.StartPosition(),
            "startpos" => throw new FormatException($"unexpected '{head[1]}' after 'startpos' (expected 'moves')"),
            "sfen" => Position.FromSfen(string.Join(' ', head.Skip(1))),
            _ => Position.FromSfen(string.Join(' ', head)),
        };
        foreach (string token in moves) position.DoMove(UsiNotation.ParseMove(position, token));
        if (!position.HasLegalMove()) throw new FormatException("the opening ends in a position with no legal move");
        return position.ToSfen();
    }

    /// <summary>The openings in file order, or shuffled with a seed.</summary>
    public static IReadOnlyList<Opening> Order(IReadOnlyList<Opening> openings, bool shuffle, int seed)
    {
        if (!shuffle) return openings;
        var copy = openings.ToArray();
        new Random(seed).Shuffle(copy);
        return copy;
    }
}
