using Keisei.Evaluation.Strategies;
using Keisei.Evaluation.Players;
using Keisei.Shogi;

namespace Keisei.Evaluation.Tests.Evaluation;

/// <summary>A participant whose players misbehave in a chosen way after a number of moves.</summary>
internal sealed class FaultyPlayerFactory(string name, Func<int, Game, CancellationToken, ValueTask<PlayerAction>> behaviour) : IPlayerFactory
{
    public PlayerDescriptor Descriptor { get; } = new(name, ParticipantKind.Random);

    public ValueTask<IPlayer> CreateAsync(int gameSeed, CancellationToken cancellationToken) => ValueTask.FromResult<IPlayer>(new Player(behaviour, gameSeed));

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private sealed class Player(Func<int, Game, CancellationToken, ValueTask<PlayerAction>> behaviour, int seed) : IPlayer
    {
        private int _moves;
        private readonly RandomPlayer _fallback = new(seed);

        public ValueTask StartGameAsync(Game game, Color color, CancellationToken cancellationToken) => ValueTask.CompletedTask;

        public ValueTask<PlayerAction> ChooseAsync(Game game, MoveTime time, CancellationToken cancellationToken)
        {
            _moves++;
            return _moves <= 2 ? _fallback.ChooseAsync(game, time, cancellationToken) : behaviour(_moves, game, cancellationToken);
        }

        public ValueTask EndGameAsync(Game game, Color color, CancellationToken cancellationToken) => ValueTask.CompletedTask;

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
