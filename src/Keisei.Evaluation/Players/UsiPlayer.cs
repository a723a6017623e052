using Keisei.Evaluation.Arena;
using Keisei.Evaluation.Strategies;
using Keisei.Shogi;
using Keisei.Usi;
using Microsoft.Extensions.Logging;

namespace Keisei.Evaluation.Players;

/// <summary>How USI engines are run in an evaluation.</summary>
public sealed record UsiPlayOptions
{
    /// <summary>What each <c>go</c> asks for (default: 1 s per move). Under a match clock (<see cref="TimeControl"/>) only its
    /// node and depth limits are kept; the clock's fields come from the game.</summary>
    public UsiGoLimits Limits { get; init; } = UsiGoLimits.MoveTime(1000);

    /// <summary>The match clock the engines play under (null: none, each <c>go</c> is <see cref="Limits"/>); part of <see cref="Settings"/>.</summary>
    public TimeControl? TimeControl { get; init; }

    /// <summary><c>setoption</c> values sent after the handshake.</summary>
    public IReadOnlyDictionary<string, string> EngineOptions { get; init; } = new Dictionary<string, string>();

    public string? WorkingDirectory { get; init; }

    /// <summary>Folder for engine stderr logs (one file per participant); null discards stderr.</summary>
    public string? StderrLogDirectory { get; init; }

    /// <summary>Longest wait for <c>usiok</c> after <c>usi</c>.</summary>
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Longest wait for <c>readyok</c> after <c>isready</c>. Generous by default: an engine allocating a large hash table
    /// or starting many threads can take long, the more so on a busy machine.
    /// </summary>
    public TimeSpan ReadyTimeout { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>What changes how the engine plays besides the engine itself: the go limit and the options sent.</summary>
    public string Settings
    {
        get
        {
            // "movetime 1000"; under a clock "tc 60000+1000" and what the limits add to it ("tc 0+byo1000 nodes 500").
            string go = TimeControl is { } clock
                ? $"tc {clock}{ClockFree(Limits).ToGoCommand()["go".Length..]}"
                : Limits.ToGoCommand()["go ".Length..];
            return EngineOptions.Count == 0
                ? go
                : go + ", " + string.Join(", ", EngineOptions.OrderBy(o => o.Key, StringComparer.Ordinal).Select(o => $"{o.Key}={o.Value}"));
        }
    }

    /// <summary>The <c>go</c> of one move: the game's clock when there is one, with <see cref="Limits"/>' nodes and depth; else <see cref="Limits"/>.</summary>
    public UsiGoLimits GoFor(UsiGoLimits? clock) => clock is null ? Limits : ClockFree(Limits) with
    {
        BlackTimeMs = clock.BlackTimeMs,
        WhiteTimeMs = clock.WhiteTimeMs,
        ByoyomiMs = clock.ByoyomiMs,
        BlackIncrementMs = clock.BlackIncrementMs,
        WhiteIncrementMs = clock.WhiteIncrementMs,
    };

    /// <summary><paramref name="limits"/> without any time: what a clock leaves of them (nodes, depth).</summary>
    private static UsiGoLimits ClockFree(UsiGoLimits limits) => limits with
    {
        MoveTimeMs = null, ByoyomiMs = null, BlackTimeMs = null, WhiteTimeMs = null, BlackIncrementMs = null, WhiteIncrementMs = null,
    };
}

/// <summary>An external USI engine as a player: one engine process per game, always reaped. Faults become losses with their reason.</summary>
public sealed class UsiPlayer(string name, string commandLine, UsiPlayOptions options, ILogger? logger) : IPlayer
{
    private UsiEngine? _engine;

    public async ValueTask StartGameAsync(Game game, Color color, CancellationToken cancellationToken)
    {
        string? stderrLog = options.StderrLogDirectory is null ? null : Path.Combine(options.StderrLogDirectory, $"{Sanitize(name)}.stderr.log");
        var engineOptions = UsiPlayerFactory.EngineOptions(name, commandLine, options, stderrLog);
        _engine = await UsiPlayerFactory.StartEngineAsync(engineOptions, commandLine, options, logger, cancellationToken).ConfigureAwait(false);
        try
        {
            await _engine.NewGameAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (UsiEngineException e)
        {
            throw UsiPlayerFactory.StartFailure(e, commandLine, options);
        }
    }

    public async ValueTask<PlayerAction> ChooseAsync(Game game, MoveTime time, CancellationToken cancellationToken)
    {
        var engine = _engine ?? throw new InvalidOperationException("The engine was not started.");
        UsiSearchResult result;
        try
        {
            result = await engine.GoAsync(game.StartSfen, game.Moves, options.GoFor(time.Clock), time.Limit, cancellationToken).ConfigureAwait(false);
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

/// <summary>
/// Makes <see cref="UsiPlayer"/>s for one engine command line. Made by <see cref="StartAsync"/>, which starts the engine
/// once before any game: a program that cannot be started is an error up front, and the engine's <c>id name</c> becomes
/// part of the participant's identity.
/// </summary>
public sealed class UsiPlayerFactory : IPlayerFactory
{
    private readonly string _name, _commandLine;
    private readonly UsiPlayOptions _options;
    private readonly ILogger? _logger;

    private UsiPlayerFactory(PlayerDescriptor descriptor, string commandLine, UsiPlayOptions options, ILogger? logger)
    {
        Descriptor = descriptor;
        _name = descriptor.Name;
        _commandLine = commandLine;
        _options = options;
        _logger = logger;
    }

    public PlayerDescriptor Descriptor { get; }

    /// <summary>
    /// Starts the engine once (handshake, options, <c>readyok</c>) to learn its <c>id name</c>, then stops it. The
    /// participant is named <paramref name="name"/> when given, else after the engine's <c>id name</c> (or the program's
    /// file name) and <see cref="UsiPlayOptions.Settings"/>, so other limits or options make another participant.
    /// </summary>
    /// <exception cref="PlayerStartException">The engine cannot be started or made ready; the message names the command.</exception>
    public static async Task<UsiPlayerFactory> StartAsync(string? name, string commandLine, UsiPlayOptions options, ILogger? logger,
        CancellationToken cancellationToken)
    {
        // Unnamed, the engine calls itself by its id name or else its program's name, in messages too.
        var engineOptions = EngineOptions(name, commandLine, options, stderrLog: null);
        string? idName, author;
        string engineName;
        try
        {
            await using var engine = await StartEngineAsync(engineOptions, commandLine, options, logger, cancellationToken).ConfigureAwait(false);
            idName = engine.IdName;
            author = engine.Author;
            engineName = string.IsNullOrWhiteSpace(idName) ? engine.ProgramName : idName.Trim();
        }
        catch (PlayerStartException e)
        {
            throw new PlayerStartException(e.Message, e.InnerException) { BeforeAnyGame = true };
        }
        string details = $"id name: {idName ?? "(none)"}; author: {author ?? "(none)"}; {options.Settings}";
        var descriptor = new PlayerDescriptor(name ?? $"{engineName} ({options.Settings})", ParticipantKind.Usi, EngineCommand: commandLine, Details: details);
        return new UsiPlayerFactory(descriptor, commandLine, options, logger);
    }

    public ValueTask<IPlayer> CreateAsync(int gameSeed, CancellationToken cancellationToken) =>
        ValueTask.FromResult<IPlayer>(new UsiPlayer(_name, _commandLine, _options, _logger));

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    internal static UsiEngineOptions EngineOptions(string? name, string commandLine, UsiPlayOptions options, string? stderrLog) => new()
    {
        Command = commandLine,
        Name = name,
        WorkingDirectory = options.WorkingDirectory,
        Options = options.EngineOptions,
        HandshakeTimeout = options.HandshakeTimeout,
        ReadyTimeout = options.ReadyTimeout,
        StderrLogPath = stderrLog,
    };

    /// <summary>Starts an engine process and makes it ready; every failure is a <see cref="PlayerStartException"/> naming the command.</summary>
    internal static async Task<UsiEngine> StartEngineAsync(UsiEngineOptions engineOptions, string commandLine, UsiPlayOptions options, ILogger? logger,
        CancellationToken cancellationToken)
    {
        try
        {
            return await UsiEngine.StartAsync(engineOptions, logger, cancellationToken).ConfigureAwait(false);
        }
        catch (UsiEngineException e)
        {
            throw StartFailure(e, commandLine, options);
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or FileNotFoundException or ArgumentException or InvalidOperationException)
        {
            throw new PlayerStartException($"engine '{engineOptions.Name ?? commandLine}' could not be started: {e.Message}.", e);
        }
    }

    /// <summary>A start-up failure; a stall (no <c>usiok</c>/<c>readyok</c> in time) gets a hint about the usual cause.</summary>
    internal static PlayerStartException StartFailure(UsiEngineException e, string commandLine, UsiPlayOptions? options = null)
    {
        string hint = e.Kind == UsiFault.Stall
            ? " Engines with a large USI_Hash or many Threads can take long to get ready, the more so several at once on a busy " +
              $"machine: allow more time (--usi-ready-timeout, now {(options?.ReadyTimeout ?? default).TotalSeconds:0.#} s) or set smaller " +
              "values (--usi-option USI_Hash=256 --usi-option Threads=1)."
            : "";
        string command = e.Message.Contains(commandLine, StringComparison.Ordinal) ? "" : $" (command: {commandLine})";
        return new PlayerStartException($"{e.Message.TrimEnd('.')}{command}.{hint}", e);
    }
}
