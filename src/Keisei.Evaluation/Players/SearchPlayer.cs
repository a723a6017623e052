using Keisei.Search;
using Keisei.Shogi;

namespace Keisei.Evaluation.Players;

/// <summary>
/// Plays a network through PUCT search (<see cref="PuctSearch"/>); leaves go through the participant's shared batcher, so
/// the searches of concurrent games share forward passes. Keeps its tree between its own moves within a game; declares an
/// entering-king win when the rule holds. Under a match clock it thinks for the share <see cref="TimeManager"/> gives it
/// (with <see cref="ClockSafetyMs"/> as its delay: the batch in flight when it is told to stop still has to end); in any case
/// it stops at 80 % of the move's time limit.
/// </summary>
public sealed class SearchPlayer(ILeafEvaluator evaluator, SearchOptions options, int seed) : IPlayer
{
    private readonly PuctSearch _search = new(evaluator, options, seed);

    public ValueTask StartGameAsync(Game game, Color color, CancellationToken cancellationToken)
    {
        _search.Clear();
        return ValueTask.CompletedTask;
    }

    /// <summary>Milliseconds kept back from the clock's share for the batch that is in flight when the search is told to stop.</summary>
    public const int ClockSafetyMs = 100;

    public async ValueTask<PlayerAction> ChooseAsync(Game game, MoveTime time, CancellationToken cancellationToken)
    {
        using var stop = new CancellationTokenSource();
        var limit = time.Limit > TimeSpan.Zero && time.Limit < TimeSpan.FromDays(1) ? time.Limit * 0.8 : (TimeSpan?)null;
        if (time.Clock is { } clock && TimeManager.For(clock, game.SideToMove, ClockSafetyMs, minimumThinkingTime: 0) is { } budget)
        {
            var share = TimeSpan.FromMilliseconds(budget.SoftMs);
            limit = limit is { } l && l < share ? l : share;
        }
        if (limit is { } stopAfter) stop.CancelAfter(stopAfter);
        var result = await _search.SearchAsync(game, stop: stop.Token, cancellationToken: cancellationToken).ConfigureAwait(false);
        return result.DeclareWin ? PlayerAction.DeclareWin() : PlayerAction.Play(result.Move, result.Value);
    }

    public ValueTask EndGameAsync(Game game, Color color, CancellationToken cancellationToken)
    {
        _search.Clear();
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
