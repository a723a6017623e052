namespace Keisei.Shogi;

/// <summary>USI move notation: <c>7g7f</c>, <c>8h2b+</c>, <c>P*5e</c>.</summary>
public static class UsiNotation
{
    /// <summary>Parses the syntax of a USI move without checking it against a position; null when malformed.</summary>
    public static Move? TryParseSyntax(ReadOnlySpan<char> text)
    {
        if (text.Length == 4 && text[1] == '*')
        {
            var kind = Pieces.FromLetter(text[0]);
            int to = Squares.Parse(text[2..]);
            if (!char.IsUpper(text[0]) || kind is PieceType.None or PieceType.King || to < 0) return null;
            return Move.Drop(kind, to);
        }
        if (text.Length is 4 or 5)
        {
            int from = Squares.Parse(text[..2]), to = Squares.Parse(text[2..4]);
            if (from < 0 || to < 0 || from == to) return null;
            if (text.Length == 5 && text[4] != '+') return null;
            return Move.Board(from, to, text.Length == 5);
        }
        return null;
    }

    /// <summary>Parses a USI move and checks that it is legal in <paramref name="position"/>.</summary>
    /// <exception cref="FormatException">The text is not USI move syntax, or the move is not legal here; the message says which.</exception>
    public static Move ParseMove(Position position, string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var move = TryParseSyntax(text) ?? throw new FormatException(
            $"'{text}' is not a USI move (expected e.g. 7g7f, 8h2b+ or P*5e)");
        if (!position.IsLegal(move))
            throw new FormatException($"'{text}' is not a legal move in position {position.ToSfen()}");
        return move;
    }
}
