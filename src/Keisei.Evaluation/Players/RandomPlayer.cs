using Keisei.Evaluation.Strategies;
using Keisei.Shogi;

namespace Keisei.Evaluation.Players;

/// <summary>Plays a uniformly random legal move (seeded).</summary>
public sealed class RandomPlayer(int seed) : SimplePlayer
{
    private readonly Random _random = new(seed);

    protected override PlayerAction Choose(Position position)
    {
        var list = new MoveList();
        position.GenerateLegalMoves(ref list);
        return PlayerAction.Play(list[_random.Next(list.Count)]);
    }
}

/// <summary>Makes <see cref="RandomPlayer"/>s.</summary>
public sealed class RandomPlayerFactory(string name = "random") : IPlayerFactory
{
    public PlayerDescriptor Descriptor { get; } = new(name, ParticipantKind.Random);

    public ValueTask<IPlayer> CreateAsync(int gameSeed, CancellationToken cancellationToken) => ValueTask.FromResult<IPlayer>(new RandomPlayer(gameSeed));

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
