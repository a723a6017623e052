using Keisei.Shogi;

namespace Keisei.Engine;

/// <summary>The position a USI <c>position</c> command sets: the start position (SFEN) and the moves played from it, all legal.</summary>
public sealed record GamePosition(string StartSfen, IReadOnlyList<Move> Moves)
{
    /// <summary>The standard start position with no moves.</summary>
    public static GamePosition Start { get; } = new(Position.StartSfen, []);

    /// <summary>
    /// Reads the tokens after <c>position</c>: <c>startpos</c> or <c>sfen &lt;board&gt; &lt;side&gt; &lt;hands&gt;
    /// [&lt;move number&gt;]</c>, then optionally <c>moves m1 m2 ...</c>. Every move is checked against the position it is
    /// played in, with the rules' repetition and mate (a move after the game has ended is an error).
    /// </summary>
    /// <exception cref="FormatException">The command is malformed or a move is illegal; the message names the token and the SFEN.</exception>
    public static GamePosition Parse(IReadOnlyList<string> tokens)
    {
        if (tokens.Count == 0) throw new FormatException("position: expected 'startpos' or 'sfen <board> <side> <hands> [<move number>]', found nothing");
        int i;
        string sfen;
        if (tokens[0] == "startpos")
        {
            sfen = Position.StartSfen;
            i = 1;
        }
        else if (tokens[0] == "sfen")
        {
            i = 1;
            while (i < tokens.Count && tokens[i] != "moves") i++;
            sfen = string.Join(' ', tokens.Skip(1).Take(i - 1));
            if (sfen.Length == 0) throw new FormatException("position: 'sfen' is not followed by an SFEN (board, side to move, hands, [move number])");
        }
        else
        {
            throw new FormatException($"position: expected 'startpos' or 'sfen <board> <side> <hands> [<move number>]', found '{tokens[0]}'");
        }

        Game game;
        try
        {
            game = new Game(new GameRules(), sfen);
        }
        catch (SfenException e)
        {
            throw new FormatException($"position: {e.Message}", e);
        }
        if (i < tokens.Count && tokens[i] != "moves")
            throw new FormatException($"position: expected 'moves' or the end of the line after '{tokens[0]}', found '{tokens[i]}'");
        var moves = new List<Move>();
        for (int k = i + 1; k < tokens.Count; k++)
        {
            string token = tokens[k];
            int number = k - i;
            if (game.IsOver)
                throw new FormatException($"position: move {number} '{token}' comes after the game ended ({game.Termination}) in position {game.Position.ToSfen()}");
            if (UsiNotation.TryParseSyntax(token) is not { } move)
                throw new FormatException($"position: move {number} '{token}' is not a USI move (expected e.g. 7g7f, 8h2b+ or P*5e) in position {game.Position.ToSfen()}");
            if (!game.Position.IsLegal(move))
                throw new FormatException($"position: move {number} '{token}' is not a legal move in position {game.Position.ToSfen()}");
            game.PlayLegal(move);
            moves.Add(move);
        }
        return new GamePosition(game.StartSfen, moves);
    }

    /// <summary>Replays the position as a game under <paramref name="rules"/> (whose ply limit must not end it before its last move).</summary>
    public Game ToGame(GameRules rules)
    {
        var game = new Game(rules, StartSfen);
        foreach (var move in Moves) game.PlayLegal(move);
        return game;
    }
}
