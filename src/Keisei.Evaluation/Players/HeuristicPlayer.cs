using Keisei.Evaluation.Strategies;
using Keisei.Shogi;

namespace Keisei.Evaluation.Players;

/// <summary>
/// A one-ply material player, useful as a fixed anchor stronger than random:
/// <list type="number">
/// <item>if a move mates (the opponent has no legal reply), play it;</item>
/// <item>otherwise score every legal move as material gained (value of the captured piece, plus the promotion gain)
/// minus a safety penalty: the moved piece's value when, after the move, the opponent attacks its square with a cheaper
/// piece, or attacks it while we do not defend it;</item>
/// <item>play a best-scoring move, breaking ties uniformly at random (seeded).</item>
/// </list>
/// Values: <see cref="Material.Value"/> (P 1, L 3, N 4, S 5, G 6, B 8, R 10, +P +L +N +S 6, Horse 10, Dragon 12, King 100).
/// Promotion therefore happens whenever it gains material value and is not less safe.
/// </summary>
public sealed class HeuristicPlayer(int seed) : SimplePlayer
{
    private readonly Random _random = new(seed);

    protected override PlayerAction Choose(Position position)
    {
        var list = new MoveList();
        position.GenerateLegalMoves(ref list);
        var us = position.SideToMove;
        Span<Move> best = stackalloc Move[MoveList.Capacity];
        int bestCount = 0, bestScore = int.MinValue;
        for (int i = 0; i < list.Count; i++)
        {
            var move = list[i];
            int gain = 0;
            PieceType moved;
            if (move.IsDrop)
            {
                moved = move.DropKind;
            }
            else
            {
                moved = Pieces.TypeOf(position.PieceOn(move.From));
                int captured = position.PieceOn(move.To);
                if (captured != 0) gain += Material.Value(Pieces.TypeOf(captured));
                if (move.IsPromotion)
                {
                    gain += Material.Value(Pieces.Promote(moved)) - Material.Value(moved);
                    moved = Pieces.Promote(moved);
                }
            }

            position.DoMove(move);
            bool mates = !position.HasLegalMove();
            int penalty = mates ? 0 : SafetyPenalty(position, move.To, moved, us);
            position.UndoMove();
            if (mates) return PlayerAction.Play(move);

            int score = gain - penalty;
            if (score > bestScore)
            {
                bestScore = score;
                bestCount = 0;
            }
            if (score == bestScore) best[bestCount++] = move;
        }
        return PlayerAction.Play(best[_random.Next(bestCount)]);
    }

    /// <summary>Value of the moved piece if the opponent (now to move) can win it on <paramref name="square"/>, else 0.</summary>
    private static int SafetyPenalty(Position position, int square, PieceType moved, Color us)
    {
        var them = us.Opponent();
        var attackers = position.AttackersTo(square, them, position.Occupied);
        if (attackers.IsEmpty) return 0;
        int value = Material.Value(moved);
        while (attackers.Any)
        {
            if (Material.Value(Pieces.TypeOf(position.PieceOn(attackers.Pop()))) < value) return value;
        }
        bool defended = position.AttackersTo(square, us, position.Occupied).Any;
        return defended ? 0 : value;
    }
}

/// <summary>Makes <see cref="HeuristicPlayer"/>s.</summary>
public sealed class HeuristicPlayerFactory(string name = "heuristic") : IPlayerFactory
{
    public PlayerDescriptor Descriptor { get; } = new(name, ParticipantKind.Heuristic);

    public ValueTask<IPlayer> CreateAsync(int gameSeed, CancellationToken cancellationToken) => ValueTask.FromResult<IPlayer>(new HeuristicPlayer(gameSeed));

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
