using Keisei.Search;
using Keisei.Shogi;

namespace Keisei.Evaluation.Players;

/// <summary>
/// Plays a network through PUCT search (<see cref="PuctSearch"/>); leaves go through the participant's shared batcher, so
/// the searches of concurrent games share forward passes. Keeps its tree between its own moves within a game; declares an
/// entering-king win when the rule holds. Stops a search early at 80 % of the move's time limit.
/// </summary>
public sealed class SearchPlayer(ILeafEvaluator evaluator, SearchOptions options, int seed) : IPlayer
{
    private readonly PuctSearch _search = new(evaluator, options, seed);

    public ValueTask StartGameAsync(Game game, Color color, CancellationToken cancellationToken)
    {
        _search.Clear();
        return ValueTask.CompletedTask;
    }

    public async ValueTask<PlayerAction> ChooseAsync(Game game, TimeSpan timeLimit, CancellationToken cancellationToken)
    {
        using var stop = new CancellationTokenSource();
        if (timeLimit > TimeSpan.Zero && timeLimit < TimeSpan.FromDays(1)) stop.CancelAfter(timeLimit * 0.8);
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
