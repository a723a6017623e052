namespace Keisei.Shogi;

/// <summary>Outcome of a game, from Black's and White's side.</summary>
public enum GameResult : byte
{
    Ongoing = 0,
    BlackWin = 1,
    WhiteWin = 2,
    Draw = 3,
}

/// <summary>What a result means for one side.</summary>
public static class GameResults
{
    /// <summary>The score of <paramref name="color"/>: 1 for a win, ½ for a draw, 0 for a loss.</summary>
    /// <exception cref="InvalidOperationException">The game has no result yet.</exception>
    public static double ScoreFor(this GameResult result, Color color) => result switch
    {
        GameResult.Draw => 0.5,
        GameResult.BlackWin => color == Color.Black ? 1 : 0,
        GameResult.WhiteWin => color == Color.White ? 1 : 0,
        _ => throw new InvalidOperationException("The game has no result."),
    };
}

/// <summary>Why a game ended.</summary>
public enum TerminationReason : byte
{
    None = 0,

    /// <summary>The side to move had no legal move (in check or not): it loses.</summary>
    Checkmate,
    Resignation,

    /// <summary>Fourth occurrence of the same position: a draw.</summary>
    Sennichite,

    /// <summary>Fourth occurrence where one side checked on every move of the cycle: that side loses.</summary>
    PerpetualCheck,

    /// <summary>A valid 27-point entering-king declaration: the declarer wins.</summary>
    EnteringKing,

    /// <summary>A declaration that did not meet the rule: the declarer loses.</summary>
    IllegalDeclaration,

    /// <summary>The match's ply limit was reached: a draw.</summary>
    MaxMoves,
    IllegalMove,
    TimeForfeit,

    /// <summary>A player's process died or its connection broke.</summary>
    Disconnect,

    /// <summary>A player stopped responding (for example no <c>readyok</c> in time).</summary>
    Stall,

    /// <summary>The game was stopped from outside before it ended; it has no result.</summary>
    Aborted,
}

/// <summary>Match rules that are not part of shogi itself.</summary>
public sealed record GameRules
{
    /// <summary>Plies after which the game is drawn (0: no limit).</summary>
    public int MaxPlies { get; init; }

    /// <summary>Whether players may declare a win under the 27-point entering-king rule.</summary>
    public bool AllowEnteringKingDeclaration { get; init; } = true;
}

/// <summary>A game in progress: position, moves, repetition tracking, and the result with its reason once over.</summary>
public sealed class Game
{
    private readonly List<Move> _moves = [];
    private readonly List<ulong> _hashes = [];
    private readonly List<bool> _checkAfter = [];

    public Game(GameRules? rules = null, string startSfen = Position.StartSfen)
    {
        Rules = rules ?? new GameRules();
        Position = Position.FromSfen(startSfen);
        StartSfen = Position.ToSfen();
        StartColor = Position.SideToMove;
        _hashes.Add(Position.Hash);
        _checkAfter.Add(Position.InCheck);
        if (!Position.HasLegalMove()) End(Winner(Position.SideToMove.Opponent()), TerminationReason.Checkmate);
    }

    public GameRules Rules { get; }

    /// <summary>The start position as SFEN.</summary>
    public string StartSfen { get; }

    public Color StartColor { get; }

    /// <summary>The current position. Change it only through this game's methods.</summary>
    public Position Position { get; }

    public IReadOnlyList<Move> Moves => _moves;

    public int Plies => _moves.Count;

    public GameResult Result { get; private set; }

    public TerminationReason Termination { get; private set; }

    public bool IsOver => Result != GameResult.Ongoing || Termination == TerminationReason.Aborted;

    public Color SideToMove => Position.SideToMove;

    private static GameResult Winner(Color c) => c == Color.Black ? GameResult.BlackWin : GameResult.WhiteWin;

    private void End(GameResult result, TerminationReason reason)
    {
        Result = result;
        Termination = reason;
    }

    private void EnsureOngoing()
    {
        if (IsOver) throw new InvalidOperationException($"The game is over ({Result}, {Termination}).");
    }

    /// <summary>
    /// Plays a move for the side to move. An illegal move ends the game as a loss for that side
    /// (<see cref="TerminationReason.IllegalMove"/>) and returns false.
    /// </summary>
    public bool Play(Move move)
    {
        EnsureOngoing();
        if (!Position.IsLegal(move))
        {
            End(Winner(SideToMove.Opponent()), TerminationReason.IllegalMove);
            return false;
        }
        Apply(move);
        return true;
    }

    /// <summary>Plays a move already known to be legal here (for example one taken from the generator).</summary>
    public void PlayLegal(Move move)
    {
        EnsureOngoing();
        Apply(move);
    }

    private void Apply(Move move)
    {
        var mover = SideToMove;
        Position.DoMove(move);
        _moves.Add(move);
        _hashes.Add(Position.Hash);
        _checkAfter.Add(Position.InCheck);

        if (!Position.HasLegalMove())
        {
            End(Winner(mover), TerminationReason.Checkmate);
            return;
        }
        if (CheckRepetition()) return;
        if (Rules.MaxPlies > 0 && _moves.Count >= Rules.MaxPlies) End(GameResult.Draw, TerminationReason.MaxMoves);
    }

    /// <summary>
    /// Takes back the last move (searches walk a tree through one game); the game is ongoing again, since a move was
    /// played from the position it returns to. Not for games ended by resignation, declaration, forfeit or abort.
    /// </summary>
    public void Undo()
    {
        if (_moves.Count == 0) throw new InvalidOperationException("No move to take back.");
        if (Termination is not (TerminationReason.None or TerminationReason.Checkmate or TerminationReason.Sennichite
            or TerminationReason.PerpetualCheck or TerminationReason.MaxMoves))
            throw new InvalidOperationException($"A game ended by {Termination} cannot be taken back.");
        Position.UndoMove();
        _moves.RemoveAt(_moves.Count - 1);
        _hashes.RemoveAt(_hashes.Count - 1);
        _checkAfter.RemoveAt(_checkAfter.Count - 1);
        End(GameResult.Ongoing, TerminationReason.None);
    }

    /// <summary>How many times the current position (board, hands, side) has occurred in this game, this one included.</summary>
    public int RepetitionCount()
    {
        int last = _hashes.Count - 1, count = 1;
        for (int i = last - 2; i >= 0; i -= 2)
            if (_hashes[i] == _hashes[last]) count++;
        return count;
    }

    private bool CheckRepetition()
    {
        int last = _hashes.Count - 1;
        int first = -1, count = 1;
        for (int i = last - 2; i >= 0; i -= 2)
        {
            if (_hashes[i] != _hashes[last]) continue;
            count++;
            first = i;
        }
        if (count < 4) return false;

        // Positions first+1..last were reached by the moves of the cycle; position k is "in check" iff move k gave check.
        bool blackAlwaysChecked = true, whiteAlwaysChecked = true;
        for (int k = first + 1; k <= last; k++)
        {
            var moverOfK = (k - 1) % 2 == 0 ? StartColor : StartColor.Opponent();
            if (_checkAfter[k]) continue;
            if (moverOfK == Color.Black) blackAlwaysChecked = false;
            else whiteAlwaysChecked = false;
        }
        if (blackAlwaysChecked != whiteAlwaysChecked)
            End(Winner(blackAlwaysChecked ? Color.White : Color.Black), TerminationReason.PerpetualCheck);
        else
            End(GameResult.Draw, TerminationReason.Sennichite);
        return true;
    }

    public void Resign(Color loser)
    {
        EnsureOngoing();
        End(Winner(loser.Opponent()), TerminationReason.Resignation);
    }

    /// <summary>
    /// The side to move declares an entering-king win: it wins if <see cref="Position.CanDeclareEnteringKingWin"/> holds
    /// (and the rule is enabled), otherwise it loses. Returns whether the declaration was valid.
    /// </summary>
    public bool DeclareWin()
    {
        EnsureOngoing();
        var declarer = SideToMove;
        bool valid = Rules.AllowEnteringKingDeclaration && Position.CanDeclareEnteringKingWin();
        End(valid ? Winner(declarer) : Winner(declarer.Opponent()),
            valid ? TerminationReason.EnteringKing : TerminationReason.IllegalDeclaration);
        return valid;
    }

    /// <summary>Ends the game as a loss for <paramref name="loser"/> for a fault such as time, disconnect, stall or an illegal move.</summary>
    public void Forfeit(Color loser, TerminationReason reason)
    {
        EnsureOngoing();
        if (reason is not (TerminationReason.TimeForfeit or TerminationReason.Disconnect or TerminationReason.Stall
            or TerminationReason.IllegalMove or TerminationReason.Resignation or TerminationReason.IllegalDeclaration))
            throw new ArgumentOutOfRangeException(nameof(reason), reason, "not a reason for forfeiting a game");
        End(Winner(loser.Opponent()), reason);
    }

    /// <summary>Stops the game from outside; it has no result.</summary>
    public void Abort()
    {
        EnsureOngoing();
        End(GameResult.Ongoing, TerminationReason.Aborted);
    }

    /// <summary>A record of this game for writing as KIF or CSA.</summary>
    public GameRecord ToRecord(string blackName = "Black", string whiteName = "White", DateTimeOffset? startTime = null,
        IReadOnlyList<TimeSpan>? moveTimes = null, string? detail = null) =>
        new(StartSfen, [.. _moves], Result, Termination, blackName, whiteName, startTime, moveTimes, detail);
}

/// <summary>Everything needed to write a finished (or aborted) game down.</summary>
/// <param name="MoveTimes">Time each move took, one per move, or null when not measured.</param>
/// <param name="Detail">Why the game ended, in words (for example which engine stopped answering), or null.</param>
public sealed record GameRecord(
    string StartSfen,
    IReadOnlyList<Move> Moves,
    GameResult Result,
    TerminationReason Termination,
    string BlackName,
    string WhiteName,
    DateTimeOffset? StartTime = null,
    IReadOnlyList<TimeSpan>? MoveTimes = null,
    string? Detail = null);
