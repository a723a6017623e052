using Keisei.Shogi;
using Keisei.Usi;
using Microsoft.Extensions.Logging;

namespace Keisei.Evaluation.Players;

/// <summary>How USI engines are run in an evaluation.</summary>
public sealed record UsiPlayOptions
{
    /// <summary>What each <c>go</c> asks for (default: 1 s per move).</summary>
    public UsiGoLimits Limits { get; init; } = UsiGoLimits.MoveTime(1000);

    /// <summary><c>setoption</c> values sent after the handshake.</summary>
    public IReadOnlyDictionary<string, string> EngineOptions { get; init; } = new Dictionary<string, string>();

    public string? WorkingDirectory { get; init; }

    /// <summary>Folder for engine stderr logs (one file per participant); null discards stderr.</summary>
    public string? StderrLogDirectory { get; init; }

    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(10);
    public TimeSpan ReadyTimeout { get; init; } = TimeSpan.FromSeconds(10);
}

/// <summary>An external USI engine as a player: one engine process per game, always reaped. Faults become losses with their reason.</summary>
public sealed class UsiPlayer(string name, string commandLine, UsiPlayOptions options, ILogger? logger) : IPlayer
{
    private UsiEngine? _engine;

    public async ValueTask StartGameAsync(Game game, Color color, CancellationToken cancellationToken)
    {
        var engineOptions = new UsiEngineOptions
        {
            Command = commandLine,
            Name = name,
            WorkingDirectory = options.WorkingDirectory,
            Options = options.EngineOptions,
            HandshakeTimeout = options.HandshakeTimeout,
            ReadyTimeout = options.ReadyTimeout,
            StderrLogPath = options.StderrLogDirectory is null ? null : Path.Combine(options.StderrLogDirectory, $"{Sanitize(name)}.stderr.log"),
        };
        try
        {
            _engine = await UsiEngine.StartAsync(engineOptions, logger, cancellationToken).ConfigureAwait(false);
            await _engine.NewGameAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (UsiEngineException e)
        {
            throw Fault(e);
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or FileNotFoundException or ArgumentException or InvalidOperationException)
        {
            throw new PlayerFaultException(TerminationReason.Disconnect, $"engine '{name}' could not be started ({commandLine}): {e.Message}", e);
        }
    }

    public async ValueTask<PlayerAction> ChooseAsync(Game game, TimeSpan timeLimit, CancellationToken cancellationToken)
    {
        var engine = _engine ?? throw new InvalidOperationException("The engine was not started.");
        UsiSearchResult result;
        try
        {
            result = await engine.GoAsync(game.StartSfen, game.Moves, options.Limits, timeLimit, cancellationToken).ConfigureAwait(false);
        }
        catch (UsiEngineException e)
        {
            throw Fault(e);
        }
        float? value = result.Score is { } score ? (score.IsMate ? Math.Sign(score.Value) : MathF.Tanh(score.Value / 600f)) : null;
        return result.Kind switch
        {
            UsiBestMoveKind.Resign => PlayerAction.Resign(),
            UsiBestMoveKind.Win => PlayerAction.DeclareWin(),
            _ => UsiNotation.TryParseSyntax(result.BestMove) is { } move
                ? PlayerAction.Play(move, value)
                : throw new PlayerFaultException(TerminationReason.IllegalMove, $"engine '{name}' answered 'bestmove {result.BestMove}', not a USI move"),
        };
    }

    public async ValueTask EndGameAsync(Game game, Color color, CancellationToken cancellationToken)
    {
        if (_engine is null || _engine.State is UsiEngineState.Dead or UsiEngineState.Closed) return;
        var winner = game.Result switch { GameResult.BlackWin => Color.Black, GameResult.WhiteWin => Color.White, _ => (Color?)null };
        string outcome = winner is null ? "draw" : winner == color ? "win" : "lose";
        await _engine.GameOverAsync(outcome, cancellationToken).ConfigureAwait(false);
    }

    private static PlayerFaultException Fault(UsiEngineException e) => new(e.Kind switch
    {
        UsiFault.Disconnect => TerminationReason.Disconnect,
        UsiFault.Stall => TerminationReason.Stall,
        UsiFault.Timeout => TerminationReason.TimeForfeit,
        _ => TerminationReason.IllegalMove,
    }, e.Message, e);

    private static string Sanitize(string name) => string.Concat(name.Select(c => char.IsLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_'));

    public async ValueTask DisposeAsync()
    {
        if (_engine is not null) await _engine.DisposeAsync().ConfigureAwait(false);
        _engine = null;
    }
}

/// <summary>Makes <see cref="UsiPlayer"/>s for one engine command line.</summary>
public sealed class UsiPlayerFactory(string name, string commandLine, UsiPlayOptions options, ILogger? logger = null) : IPlayerFactory
{
    public PlayerDescriptor Descriptor { get; } = new(name, "usi", EngineCommand: commandLine);

    public ValueTask<IPlayer> CreateAsync(int gameSeed, CancellationToken cancellationToken) =>
        ValueTask.FromResult<IPlayer>(new UsiPlayer(name, commandLine, options, logger));

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
