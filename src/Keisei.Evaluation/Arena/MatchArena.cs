using System.Diagnostics;
using Keisei.Evaluation.Players;
using Keisei.Evaluation.Throttling;
using Keisei.Neural.Models;
using Keisei.Shogi;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Keisei.Evaluation.Arena;

/// <summary>One game of a match plan: who plays which colour from which opening.</summary>
/// <param name="Index">Position in the plan (0-based); with the evaluation it identifies the game for resuming.</param>
/// <param name="PairIndex">Games of one pair share the opening with colours swapped.</param>
public sealed record ScheduledGame(int Index, int PairIndex, Opening Opening, IPlayerFactory Black, IPlayerFactory White, int Seed);

/// <summary>A finished game as the arena reports it.</summary>
/// <param name="MoveTimes">Time each move of <paramref name="Moves"/> took: from asking the player to its answer.</param>
public sealed record PlayedGame(
    ScheduledGame Scheduled,
    IReadOnlyList<Move> Moves,
    GameResult Result,
    TerminationReason Termination,
    TimeSpan Duration,
    string? Detail,
    IReadOnlyList<TimeSpan> MoveTimes)
{
    public int Plies => Moves.Count;

    /// <summary>The score of the given participant, one of the game's two players (1 win, ½ draw, 0 loss).</summary>
    public double ScoreOf(IPlayerFactory participant) =>
        Result.ScoreFor(ReferenceEquals(Scheduled.Black, participant) ? Color.Black
            : ReferenceEquals(Scheduled.White, participant) ? Color.White
            : throw new ArgumentException($"{participant.Descriptor.Name} did not play game {Scheduled.Index}.", nameof(participant)));
}

/// <summary>How the arena plays games.</summary>
public sealed record ArenaOptions
{
    /// <summary>Games played at the same time.</summary>
    public int Concurrency { get; init; } = 4;

    /// <summary>Match rules: ply limit (a draw), entering-king declarations.</summary>
    public GameRules Rules { get; init; } = new() { MaxPlies = 500 };

    /// <summary>Longest a player may think on one move when the match has no clock; past it the player loses on time.</summary>
    public TimeSpan MoveTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The match clock (null: none, each move has <see cref="MoveTimeout"/>). With a clock, a player that uses more
    /// than its main time left plus byoyomi plus <see cref="TimeMargin"/> on a move loses on time; <see cref="MoveTimeout"/> is not used.</summary>
    public TimeControl? TimeControl { get; init; }

    /// <summary>
    /// Time a move may run over the clock before it is a loss: the arena measures from sending the position to receiving the
    /// answer, which includes pipe and scheduling latency an engine cannot see (like fastchess's <c>timemargin</c>).
    /// </summary>
    public TimeSpan TimeMargin { get; init; } = TimeSpan.FromMilliseconds(DefaultTimeMarginMs);

    /// <summary>The default <see cref="TimeMargin"/> in milliseconds.</summary>
    public const int DefaultTimeMarginMs = 50;

    /// <summary>Longest a whole game may last; past it the side to move loses on time (null: no limit).</summary>
    public TimeSpan? GameTimeout { get; init; }

    /// <summary>A player whose own value estimate stays below this for <see cref="ResignMoves"/> moves resigns (null: never).</summary>
    public float? ResignValue { get; init; }

    public int ResignMoves { get; init; } = 3;

    /// <summary>Tries to start a player for one game before the evaluation stops with <see cref="PlayerStartException"/>.</summary>
    public int StartAttempts { get; init; } = 3;

    /// <summary>Wait after the first failed start; doubled after each further one.</summary>
    public TimeSpan StartRetryDelay { get; init; } = TimeSpan.FromSeconds(2);
}

/// <summary>
/// Plays scheduled games with bounded concurrency. Each game gets fresh players from the participants' factories; a player
/// fault is a loss for that side with its reason; every finished game is handed to the caller at once. Cancellation aborts
/// the games in progress (they are not reported, so a resumed run plays them again) and returns.
/// </summary>
public sealed partial class MatchArena(ArenaOptions options, ILogger? logger = null, EvaluationThrottle? throttle = null)
{
    private readonly ILogger _logger = logger ?? NullLogger.Instance;

    public ArenaOptions Options { get; } = options;

    /// <summary>
    /// Plays every game; <paramref name="onFinished"/> runs once per finished game (serialised, in finishing order). A
    /// network that answers NaN is not a player at fault but a broken one: its <see cref="NonFiniteOutputException"/>
    /// stops every game and ends the run; so does a <see cref="PlayerStartException"/> (a player that could not be started
    /// for a game in <see cref="ArenaOptions.StartAttempts"/> tries), since a game that never started has no result.
    /// </summary>
    public async Task RunAsync(IReadOnlyList<ScheduledGame> games, Func<PlayedGame, CancellationToken, ValueTask> onFinished,
        CancellationToken cancellationToken)
    {
        int next = -1;
        using var allTaken = new CancellationTokenSource(); // cancelled once the last game is taken: idle slots stop waiting
        using var gate = new SemaphoreSlim(1, 1);
        using var broken = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        async Task Guarded(int slot)
        {
            try
            {
                await Worker(slot, broken.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is NonFiniteOutputException or PlayerStartException)
            {
                await broken.CancelAsync().ConfigureAwait(false);
                throw;
            }
        }
        async Task Worker(int slot, CancellationToken cancellationToken)
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                // An adaptive throttle may idle this slot (until it allows more games at once, or every game is taken), or have it
                // rest after each game in proportion to the game's length.
                if (throttle is not null && slot >= throttle.Concurrency)
                {
                    using var wake = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, allTaken.Token);
                    try
                    {
                        await throttle.WaitForSlotAsync(slot, wake.Token).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException)
                    {
                        if (cancellationToken.IsCancellationRequested) return;
                    }
                }
                int i = Interlocked.Increment(ref next);
                if (i >= games.Count - 1) await allTaken.CancelAsync().ConfigureAwait(false);
                if (i >= games.Count) return;
                var played = await PlayAsync(games[i], cancellationToken).ConfigureAwait(false);
                if (played is null) return;
                await gate.WaitAsync(CancellationToken.None).ConfigureAwait(false);
                try
                {
                    await onFinished(played, cancellationToken).ConfigureAwait(false);
                }
                finally
                {
                    gate.Release();
                }
                if (throttle?.PauseAfter(played.Duration) is { } pause && pause > TimeSpan.Zero)
                {
                    try
                    {
                        await Task.Delay(pause, cancellationToken).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException)
                    {
                        return;
                    }
                }
            }
        }
        var workers = Enumerable.Range(0, Math.Max(1, Math.Min(Options.Concurrency, games.Count))).Select(slot => Task.Run(() => Guarded(slot), CancellationToken.None));
        await Task.WhenAll(workers).ConfigureAwait(false);
    }

    /// <summary>Plays one game; null when it was aborted by cancellation.</summary>
    public async Task<PlayedGame?> PlayAsync(ScheduledGame scheduled, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var game = new Game(Options.Rules, scheduled.Opening.StartSfen);
        string? detail = null;
        IPlayer? black = null, white = null;
        // Time spent held by the throttle between moves is not the players' time: the game time limit counts the rest.
        var held = TimeSpan.Zero;
        var moveTimes = new List<TimeSpan>();
        var gameClock = Options.TimeControl is { } control ? new GameClock(control, Options.TimeMargin) : null;
        try
        {
            if (game.IsOver) return Finish(); // an opening that is already decided
            black = await CreatePlayerAsync(scheduled, game, Color.Black, scheduled.Black, scheduled.Seed * 2 + 0, cancellationToken).ConfigureAwait(false);
            white = await CreatePlayerAsync(scheduled, game, Color.White, scheduled.White, scheduled.Seed * 2 + 1, cancellationToken).ConfigureAwait(false);
            int lowValueBlack = 0, lowValueWhite = 0;
            while (!game.IsOver)
            {
                var side = game.SideToMove;
                var player = side == Color.Black ? black : white;
                if (throttle is not null && !throttle.MayPlay)
                {
                    long waitStart = Stopwatch.GetTimestamp();
                    await throttle.WaitTurnAsync(cancellationToken).ConfigureAwait(false);
                    held += Stopwatch.GetElapsedTime(waitStart);
                }
                var gameLeft = Options.GameTimeout - (clock.Elapsed - held);
                var moveLimit = gameClock?.Deadline(side) ?? Options.MoveTimeout;
                bool gameLimited = gameLeft < moveLimit;
                var moveTime = gameLimited ? gameLeft!.Value : moveLimit;
                if (moveTime <= TimeSpan.Zero)
                {
                    detail = $"{side} was to move when the game time limit ({Options.GameTimeout}) ran out";
                    game.Forfeit(side, TerminationReason.TimeForfeit);
                    break;
                }
                PlayerAction action;
                long askedAt = Stopwatch.GetTimestamp();
                using (var moveCancel = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
                {
                    moveCancel.CancelAfter(moveTime);
                    try
                    {
                        action = await player!.ChooseAsync(game, new MoveTime(moveTime, gameClock?.GoLimits()), moveCancel.Token).AsTask()
                            .WaitAsync(moveTime + TimeSpan.FromSeconds(1), cancellationToken).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                    {
                        game.Abort();
                        return null;
                    }
                    catch (Exception e) when (e is OperationCanceledException or TimeoutException)
                    {
                        detail = gameLimited
                            ? $"{side} was to move when the game time limit ({Options.GameTimeout}) ran out"
                            : gameClock?.Overrun(side, used: null) ?? $"{side} did not move within {Options.MoveTimeout.TotalSeconds:0.###} s";
                        game.Forfeit(side, TerminationReason.TimeForfeit);
                        break;
                    }
                    catch (PlayerFaultException e)
                    {
                        // A USI engine's own wait for bestmove ends at the same deadline as the arena's: the clock says why.
                        detail = e.Reason == TerminationReason.TimeForfeit && gameClock is not null
                            ? $"{gameClock.Overrun(side, used: null)} ({e.Message})"
                            : $"{side}: {e.Message}";
                        game.Forfeit(side, e.Reason);
                        break;
                    }
                    catch (Exception e) when (e is not NonFiniteOutputException)
                    {
                        _logger.LogWarning(e, "Player for {Side} in game {Index} failed", side, scheduled.Index);
                        detail = $"{side} failed: {e.GetType().Name}: {e.Message}";
                        game.Forfeit(side, TerminationReason.Disconnect);
                        break;
                    }
                }

                // The arena's clock decides: an answer that came after the deadline is a loss on time, whatever it was.
                var used = Stopwatch.GetElapsedTime(askedAt);
                if (gameClock is not null && !gameClock.Charge(side, used))
                {
                    detail = gameClock.Overrun(side, used);
                    game.Forfeit(side, TerminationReason.TimeForfeit);
                    break;
                }
                switch (action.Kind)
                {
                    case PlayerActionKind.Resign:
                        game.Resign(side);
                        break;
                    case PlayerActionKind.DeclareWin:
                        if (!game.DeclareWin()) detail = $"{side} declared an entering-king win that the rule does not allow";
                        break;
                    default:
                        if (Options.ResignValue is { } threshold && action.Value is { } value)
                        {
                            ref int low = ref side == Color.Black ? ref lowValueBlack : ref lowValueWhite;
                            low = value < threshold ? low + 1 : 0;
                            if (low >= Options.ResignMoves)
                            {
                                detail = $"{side} resigned: its value stayed below {threshold} for {Options.ResignMoves} moves";
                                game.Resign(side);
                                break;
                            }
                        }
                        if (game.Play(action.Move)) moveTimes.Add(used);
                        else detail = $"{side} played the illegal move {action.Move.ToUsi()}";
                        break;
                }
            }
            return Finish();
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return null;
        }
        finally
        {
            await EndAsync(black, game, Color.Black).ConfigureAwait(false);
            await EndAsync(white, game, Color.White).ConfigureAwait(false);
        }

        // The game's time is the players' time, without the time the throttle held it.
        PlayedGame Finish() => new(scheduled, game.Moves.ToArray(), game.Result, game.Termination, clock.Elapsed - held, detail, moveTimes.ToArray());
    }

    /// <summary>
    /// Creates and starts one side's player. Starting is not playing: a player that fails to start is retried (up to
    /// <see cref="ArenaOptions.StartAttempts"/> tries, each failure logged with its message) and never scored; after the
    /// last try <see cref="PlayerStartException"/> stops the run. A player that was created but failed to start (or was
    /// cancelled while starting) is disposed here, since nobody else holds it: an engine whose handshake succeeded and whose
    /// <c>readyok</c> never came would otherwise run on unreaped.
    /// </summary>
    private async Task<IPlayer> CreatePlayerAsync(ScheduledGame scheduled, Game game, Color color, IPlayerFactory factory, int seed,
        CancellationToken cancellationToken)
    {
        var delay = Options.StartRetryDelay;
        for (int attempt = 1; ; attempt++)
        {
            IPlayer? player = null;
            try
            {
                player = await factory.CreateAsync(seed, cancellationToken).ConfigureAwait(false);
                await player.StartGameAsync(game, color, cancellationToken).ConfigureAwait(false);
                return player;
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                if (player is not null) await DisposeQuietlyAsync(player, color).ConfigureAwait(false);
                string message = e is PlayerStartException ? e.Message : $"{e.GetType().Name}: {e.Message}";
                LogStartFailed(_logger, factory.Descriptor.Name, color, scheduled.Index, attempt, Options.StartAttempts, message);
                if (attempt >= Options.StartAttempts)
                    throw new PlayerStartException(
                        $"{factory.Descriptor.Name} could not be started for game {scheduled.Index + 1} in {attempt} tries: {message}", e);
            }
            catch
            {
                if (player is not null) await DisposeQuietlyAsync(player, color).ConfigureAwait(false);
                throw;
            }
            await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
            delay *= 2;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not start {Player} as {Color} for game {Index} (try {Attempt} of {Attempts}): {Reason}")]
    private static partial void LogStartFailed(ILogger logger, string player, Color color, int index, int attempt, int attempts, string reason);

    private async Task DisposeQuietlyAsync(IPlayer player, Color color)
    {
        try
        {
            await player.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception e)
        {
            _logger.LogDebug(e, "Disposing the player for {Color} that did not start failed", color);
        }
    }

    private async Task EndAsync(IPlayer? player, Game game, Color color)
    {
        if (player is null) return;
        try
        {
            if (!game.IsOver || game.Termination != TerminationReason.Aborted)
            {
                using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await player.EndGameAsync(game, color, limit.Token).ConfigureAwait(false);
            }
        }
        catch (Exception e)
        {
            _logger.LogDebug(e, "Ending the game for {Color} failed", color);
        }
        finally
        {
            await player.DisposeAsync().ConfigureAwait(false);
        }
    }
}
