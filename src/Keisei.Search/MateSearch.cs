using Keisei.Shogi;

namespace Keisei.Search;

/// <summary>What a mate search found.</summary>
public enum MateStatus
{
    /// <summary>The side to move mates by continuous checks; <see cref="MateResult.Moves"/> holds the line.</summary>
    Mate,

    /// <summary>No mate by continuous checks within <see cref="MateSearchOptions.MaxPlies"/> plies (none at all when there is no check).</summary>
    NoMate,

    /// <summary>Stopped (by the stop token or the node limit) before either was shown.</summary>
    Timeout,
}

/// <summary>
/// The result of a <see cref="MateSearch"/>: for a mate, the shortest mating line with the defence that lasts longest
/// (<see cref="Plies"/> = its length, odd), as USI's <c>checkmate</c> and <c>score mate</c> give it.
/// </summary>
public sealed record MateResult(MateStatus Status, IReadOnlyList<Move> Moves, long Nodes)
{
    /// <summary>Plies to mate (the length of <see cref="Moves"/>); 0 unless <see cref="MateStatus.Mate"/>.</summary>
    public int Plies => Moves.Count;
}

/// <summary>Limits of one <see cref="MateSearch"/>.</summary>
public sealed record MateSearchOptions
{
    /// <summary>Longest mate looked for, in plies (odd; an even number means the odd number below it).</summary>
    public int MaxPlies { get; init; } = 31;

    /// <summary>Most positions visited before the search gives up with <see cref="MateStatus.Timeout"/>.</summary>
    public long MaxNodes { get; init; } = long.MaxValue;
}

/// <summary>
/// A mate search over checks (tsume): iterative deepening of a depth-limited AND/OR search, where the attacker (the side to
/// move) plays only checking moves and the defender every legal reply, so the first depth at which a mate is proven is the
/// shortest mate. Moves come from the rules' legal move generator, so a pawn drop that mates (uchifuzume) is never tried
/// and a mate that needs one is not found. Checks are tried in order of the defender's fewest replies; a table keyed by the
/// position's hash keeps, per attacker position, the depth at which a mate was proven and the depth to which none exists,
/// which is exact because a depth-limited search over the board alone does not depend on the path (repetitions are not
/// scored: a shortest mate never repeats a position of the attacker). The position is changed during the search and left
/// as found.
/// </summary>
public sealed class MateSearch
{
    private const int CheckEvery = 1024;

    private readonly Position _position;
    private readonly MateSearchOptions _options;
    private readonly CancellationToken _stop;
    private readonly Dictionary<ulong, int> _proven = [], _disproven = [];
    private long _nodes;
    private bool _proving; // writing out a line already proven: no limits apply

    private MateSearch(Position position, MateSearchOptions options, CancellationToken stop)
    {
        _position = position;
        _options = options;
        _stop = stop;
    }

    /// <summary>Looks for a mate of the side not to move by the side to move in <paramref name="position"/>.</summary>
    public static MateResult Find(Position position, MateSearchOptions? options = null, CancellationToken stop = default)
    {
        ArgumentNullException.ThrowIfNull(position);
        var search = new MateSearch(position, options ?? new MateSearchOptions(), stop);
        return search.Run();
    }

    private MateResult Run()
    {
        if (_position.InCheck) return new MateResult(MateStatus.NoMate, [], 0); // the side to move must answer a check first
        int states = _position.PliesPlayed;
        try
        {
            for (int depth = 1; depth <= _options.MaxPlies; depth += 2)
            {
                if (!Or(depth)) continue;
                var line = new List<Move>(depth);
                _proving = true;
                Line(depth, line);
                return new MateResult(MateStatus.Mate, line, _nodes);
            }
            return new MateResult(MateStatus.NoMate, [], _nodes);
        }
        catch (OperationCanceledException)
        {
            while (_position.PliesPlayed > states) _position.UndoMove();
            return new MateResult(MateStatus.Timeout, [], _nodes);
        }
    }

    private void Visit()
    {
        if (++_nodes % CheckEvery == 1 && _stop.IsCancellationRequested && !_proving) throw new OperationCanceledException(_stop);
        if (_nodes > _options.MaxNodes && !_proving) throw new OperationCanceledException();
    }

    /// <summary>Whether the side to move mates within <paramref name="depth"/> plies (odd, at least 1) by checks.</summary>
    private bool Or(int depth)
    {
        ulong key = _position.Hash;
        if (_proven.TryGetValue(key, out int proven) && proven <= depth) return true;
        if (_disproven.TryGetValue(key, out int disproven) && disproven >= depth) return false;
        Visit();
        Span<(Move Move, int Replies)> checks = stackalloc (Move, int)[MoveList.Capacity];
        int count = Checks(checks);
        bool mate = false;
        for (int i = 0; i < count && !mate; i++)
        {
            _position.DoMove(checks[i].Move);
            mate = checks[i].Replies == 0 || And(depth - 1);
            _position.UndoMove();
        }
        if (mate) _proven[key] = Math.Min(depth, _proven.GetValueOrDefault(key, int.MaxValue));
        else _disproven[key] = Math.Max(depth, _disproven.GetValueOrDefault(key, -1));
        return mate;
    }

    /// <summary>Whether every reply of the side to move (in check) loses to a mate within <paramref name="depth"/> plies.</summary>
    private bool And(int depth)
    {
        Visit();
        var replies = new MoveList();
        _position.GenerateLegalMoves(ref replies);
        if (replies.Count == 0) return true;
        if (depth == 0) return false;
        for (int i = 0; i < replies.Count; i++)
        {
            _position.DoMove(replies[i]);
            bool mated = Or(depth - 1);
            _position.UndoMove();
            if (!mated) return false;
        }
        return true;
    }

    /// <summary>The checking moves of the side to move, fewest replies first; returns how many.</summary>
    private int Checks(Span<(Move Move, int Replies)> checks)
    {
        var moves = new MoveList();
        _position.GenerateLegalMoves(ref moves);
        int count = 0;
        var replies = new MoveList();
        for (int i = 0; i < moves.Count; i++)
        {
            _position.DoMove(moves[i]);
            if (_position.InCheck)
            {
                _position.GenerateLegalMoves(ref replies);
                checks[count++] = (moves[i], replies.Count);
            }
            _position.UndoMove();
        }
        checks[..count].Sort((a, b) => a.Replies.CompareTo(b.Replies));
        return count;
    }

    /// <summary>
    /// The mating line from an attacker position with a mate in <paramref name="depth"/>: a check after which every reply is
    /// mated in time, then the reply that holds out longest, and so on.
    /// </summary>
    private void Line(int depth, List<Move> line)
    {
        Span<(Move Move, int Replies)> checks = stackalloc (Move, int)[MoveList.Capacity];
        int count = Checks(checks);
        for (int i = 0; i < count; i++)
        {
            _position.DoMove(checks[i].Move);
            if (checks[i].Replies == 0 || And(depth - 1))
            {
                line.Add(checks[i].Move);
                var replies = new MoveList();
                _position.GenerateLegalMoves(ref replies);
                if (replies.Count > 0)
                {
                    // The defender's best reply: the one whose mate is longest (each is mated within depth - 2).
                    Move best = replies[0];
                    int longest = -1;
                    for (int r = 0; r < replies.Count; r++)
                    {
                        _position.DoMove(replies[r]);
                        int plies = 1;
                        while (plies < depth - 2 && !Or(plies)) plies += 2;
                        _position.UndoMove();
                        if (plies > longest) (best, longest) = (replies[r], plies);
                    }
                    line.Add(best);
                    _position.DoMove(best);
                    Line(longest, line);
                    _position.UndoMove();
                }
                _position.UndoMove();
                return;
            }
            _position.UndoMove();
        }
        throw new InvalidOperationException($"No mating move found again at depth {depth} in {_position.ToSfen()}.");
    }
}
