using Keisei.Evaluation.Strategies;
using Keisei.Shogi;
using Keisei.Usi;

namespace Keisei.Evaluation.Players;

/// <summary>What a player decided to do on its turn.</summary>
public enum PlayerActionKind : byte
{
    Move,
    Resign,

    /// <summary>Declare an entering-king win (the referee checks the rule).</summary>
    DeclareWin,
}

/// <summary>A player's decision, with its own estimate of the position's value for itself when it has one.</summary>
public readonly record struct PlayerAction(PlayerActionKind Kind, Move Move = default, float? Value = null)
{
    public static PlayerAction Play(Move move, float? value = null) => new(PlayerActionKind.Move, move, value);
    public static PlayerAction Resign() => new(PlayerActionKind.Resign);
    public static PlayerAction DeclareWin() => new(PlayerActionKind.DeclareWin);
}

/// <summary>
/// A player failed in a way that loses the game (engine died, stalled, ran out of time, spoke garbage). The arena turns it
/// into a loss with <see cref="Reason"/>, never a draw.
/// </summary>
public sealed class PlayerFaultException(TerminationReason reason, string message, Exception? inner = null) : Exception(message, inner)
{
    public TerminationReason Reason { get; } = reason;
}

/// <summary>
/// A player could not be started or made ready for a game (an engine program that will not run, a handshake or
/// <c>readyok</c> that never comes). No game was played, so it is never scored: the arena retries the start a few times
/// and then stops the evaluation with this exception.
/// </summary>
public sealed class PlayerStartException(string message, Exception? inner = null) : Exception(message, inner)
{
    /// <summary>True when it failed in the check before any game (so nothing of the evaluation was played).</summary>
    public bool BeforeAnyGame { get; init; }
}

/// <summary>The time a player has for one move, as the arena gives it.</summary>
/// <param name="Limit">The longest the player may think on this move: past it the arena stops waiting and the player loses on time.</param>
/// <param name="Clock">The match clock as USI's <c>go</c> carries it (both sides' main time left, with byoyomi or increments);
/// null when the match has no clock. A player that can budget its time (a search) takes its share from it.</param>
public readonly record struct MoveTime(TimeSpan Limit, UsiGoLimits? Clock = null)
{
    /// <summary>A fixed limit without a clock.</summary>
    public static implicit operator MoveTime(TimeSpan limit) => new(limit);
}

/// <summary>One side of one game: chooses moves for positions under a time limit. Created per game by an <see cref="IPlayerFactory"/>.</summary>
public interface IPlayer : IAsyncDisposable
{
    /// <summary>Called once before the first move of a game.</summary>
    ValueTask StartGameAsync(Game game, Color color, CancellationToken cancellationToken);

    /// <summary>Chooses an action for the side to move of <paramref name="game"/>. Must not change the game.</summary>
    /// <exception cref="PlayerFaultException">The player failed (the arena records a loss with the reason).</exception>
    ValueTask<PlayerAction> ChooseAsync(Game game, MoveTime time, CancellationToken cancellationToken);

    /// <summary>Told once after the game ended (for USI engines: <c>gameover</c>).</summary>
    ValueTask EndGameAsync(Game game, Color color, CancellationToken cancellationToken);
}

/// <summary>Makes the players of one participant, one per game; also says who the participant is for the results store.</summary>
public interface IPlayerFactory : IAsyncDisposable
{
    /// <summary>How the participant is described and identified in the store.</summary>
    PlayerDescriptor Descriptor { get; }

    /// <summary>A player for one game; <paramref name="gameSeed"/> seeds any randomness it has.</summary>
    ValueTask<IPlayer> CreateAsync(int gameSeed, CancellationToken cancellationToken);
}

/// <summary>Identity of a participant: unique name, kind, and what it is (checkpoint path and hash, or engine command).</summary>
public sealed record PlayerDescriptor(string Name, ParticipantKind Kind, string? CheckpointPath = null, string? CheckpointSha256 = null,
    string? EngineCommand = null, string? Details = null);

/// <summary>Base for players that decide synchronously and need no per-game setup.</summary>
public abstract class SimplePlayer : IPlayer
{
    public virtual ValueTask StartGameAsync(Game game, Color color, CancellationToken cancellationToken) => ValueTask.CompletedTask;

    public ValueTask<PlayerAction> ChooseAsync(Game game, MoveTime time, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(Choose(game.Position));
    }

    /// <summary>The decision for the side to move; the position may be used for make/unmake but must be left as found.</summary>
    protected abstract PlayerAction Choose(Position position);

    public virtual ValueTask EndGameAsync(Game game, Color color, CancellationToken cancellationToken) => ValueTask.CompletedTask;

    public virtual ValueTask DisposeAsync()
    {
        GC.SuppressFinalize(this);
        return ValueTask.CompletedTask;
    }
}
