using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Threading.Channels;
using Keisei.Shogi;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Keisei.Usi;

/// <summary>Where a <see cref="UsiEngine"/> is in its life.</summary>
public enum UsiEngineState
{
    /// <summary>Handshake in progress.</summary>
    Starting,

    /// <summary>Idle and able to take a command.</summary>
    Ready,

    /// <summary>A <c>go</c> is in progress.</summary>
    Searching,

    /// <summary>A fault occurred (see <see cref="UsiEngine.Fault"/>); only disposal is useful now.</summary>
    Dead,

    /// <summary>Disposed.</summary>
    Closed,
}

/// <summary>A client for an external USI engine: handshake, options, new games, searches, shutdown.</summary>
/// <remarks>
/// One operation at a time. Every fault is a <see cref="UsiEngineException"/> after which the engine is
/// <see cref="UsiEngineState.Dead"/> and should be disposed (a referee starts a fresh one for the next game).
/// Lines the engine sends are read by one background loop into a queue, so a timed-out or cancelled
/// wait never loses or corrupts a line. Unknown lines and tokens are ignored (logged at debug).
/// Cancelling <see cref="GoAsync"/> returns at once after sending <c>stop</c>; the engine stays
/// <see cref="UsiEngineState.Ready"/> and its late <c>bestmove</c> is discarded before the next command
/// (if it does not come within <see cref="UsiEngineOptions.StopGrace"/>, that command fails with
/// <see cref="UsiFault.Timeout"/>). The same holds for a cancelled <c>isready</c> and its <c>readyok</c>.
/// </remarks>
public sealed partial class UsiEngine : IAsyncDisposable
{
    private static readonly TimeSpan ExitCodeWait = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan PumpStopWait = TimeSpan.FromSeconds(2);

    private readonly IUsiTransport _transport;
    private readonly UsiEngineOptions _options;
    private readonly ILogger _logger;
    private readonly Channel<string> _lines = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
    private readonly CancellationTokenSource _lifetime = new();
    private readonly CancellationTokenSource _pumpStop = new();
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly List<UsiOption> _advertised = [];
    private Task _pump = Task.CompletedTask;
    private Exception? _pumpError;
    private int _busy;
    private int _disposeStarted;
    private Task? _disposeTask;
    private bool _pendingBestMove;
    private int _pendingReadyOk;

    private UsiEngine(IUsiTransport transport, UsiEngineOptions options, ILogger? logger)
    {
        _transport = transport;
        _options = options;
        _logger = logger ?? NullLogger.Instance;
        ProgramName = ProgramNameOf(options);
    }

    /// <summary>The name used in logs: <see cref="UsiEngineOptions.Name"/>, else the engine's <c>id name</c>, else the program's (or dll's) file name.</summary>
    public string Name => !string.IsNullOrEmpty(_options.Name) ? _options.Name : IdName ?? ProgramName;

    /// <summary>The program's file name without extension (for <c>dotnet x.dll</c>, the dll's).</summary>
    public string ProgramName { get; }

    /// <summary>The engine's <c>id name</c>, if it sent one.</summary>
    public string? IdName { get; private set; }

    /// <summary>The engine's <c>id author</c>, if it sent one.</summary>
    public string? Author { get; private set; }

    /// <summary>The options the engine advertised during the handshake, in its order.</summary>
    public IReadOnlyList<UsiOption> Options => _advertised;

    public UsiEngineState State { get; private set; } = UsiEngineState.Starting;

    /// <summary>The fault that made the engine <see cref="UsiEngineState.Dead"/>, if any.</summary>
    public UsiEngineException? Fault { get; private set; }

    /// <summary>The engine's process id when it runs as a <see cref="ProcessTransport"/>; otherwise null.</summary>
    public int? ProcessId => (_transport as ProcessTransport)?.ProcessId;

    /// <summary>Starts the engine process, performs the handshake, sends the options and waits for <c>readyok</c>.</summary>
    /// <exception cref="UsiEngineException">The engine could not be started (Disconnect), died (Disconnect), or did not answer in time (Stall).</exception>
    /// <exception cref="ArgumentException">The options are invalid.</exception>
    public static async Task<UsiEngine> StartAsync(UsiEngineOptions options, ILogger? logger = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        cancellationToken.ThrowIfCancellationRequested();
        var transport = ProcessTransport.Start(options, logger);
        return await StartAsync(transport, options, logger, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Performs the handshake over an already open <paramref name="transport"/>, which the engine then owns
    /// (it is disposed, and the engine killed, if the handshake fails).
    /// </summary>
    public static async Task<UsiEngine> StartAsync(IUsiTransport transport, UsiEngineOptions options, ILogger? logger = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(transport);
        ArgumentNullException.ThrowIfNull(options);
        var engine = new UsiEngine(transport, options, logger);
        try
        {
            options.Validate();
            engine._pump = Task.Run(engine.PumpAsync, CancellationToken.None);
            await engine.HandshakeAsync(cancellationToken).ConfigureAwait(false);
            return engine;
        }
        catch
        {
            await engine.AbortAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Sends <c>usinewgame</c> and waits for <c>readyok</c>.</summary>
    public async Task NewGameAsync(CancellationToken cancellationToken = default)
    {
        EnterOperation();
        try
        {
            await DrainPendingAsync(cancellationToken).ConfigureAwait(false);
            await SendAsync("usinewgame", cancellationToken).ConfigureAwait(false);
            await PingCoreAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            ExitOperation();
        }
    }

    /// <summary>Sends <c>isready</c> and waits for <c>readyok</c> within <see cref="UsiEngineOptions.ReadyTimeout"/>.</summary>
    public async Task PingAsync(CancellationToken cancellationToken = default)
    {
        EnterOperation();
        try
        {
            await DrainPendingAsync(cancellationToken).ConfigureAwait(false);
            await PingCoreAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            ExitOperation();
        }
    }

    /// <summary>
    /// Sends <c>position</c> and <c>go</c>, then collects <c>info</c> until <c>bestmove</c>. When
    /// <paramref name="moveTimeout"/> passes first, sends <c>stop</c>, waits up to
    /// <see cref="UsiEngineOptions.StopGrace"/> and fails with <see cref="UsiFault.Timeout"/> either way.
    /// The move is not checked against the position (see <see cref="UsiSearchResult.TryParseBestMove"/>).
    /// </summary>
    /// <param name="startSfenOrStartpos"><c>startpos</c>, or an SFEN (a leading <c>sfen</c> is accepted).</param>
    /// <param name="moves">The moves played from the start position.</param>
    /// <param name="limits">The search limits for <c>go</c>.</param>
    /// <param name="moveTimeout">How long to wait for <c>bestmove</c> (<see cref="Timeout.InfiniteTimeSpan"/>: forever).</param>
    /// <param name="cancellationToken">Stops waiting at once (after sending <c>stop</c>); the engine stays usable.</param>
    /// <exception cref="UsiEngineException">Disconnect, Timeout, or Protocol (a <c>bestmove</c> line without a USI move, resign or win).</exception>
    public async Task<UsiSearchResult> GoAsync(string startSfenOrStartpos, IReadOnlyList<Move> moves, UsiGoLimits limits,
        TimeSpan moveTimeout, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(startSfenOrStartpos);
        ArgumentNullException.ThrowIfNull(moves);
        ArgumentNullException.ThrowIfNull(limits);
        if (moveTimeout <= TimeSpan.Zero && moveTimeout != Timeout.InfiniteTimeSpan)
            throw new ArgumentOutOfRangeException(nameof(moveTimeout), moveTimeout, "The move timeout must be positive.");
        string positionCommand = BuildPositionCommand(startSfenOrStartpos, moves);
        string goCommand = limits.ToGoCommand();

        EnterOperation();
        try
        {
            await DrainPendingAsync(cancellationToken).ConfigureAwait(false);
            await SendAsync(positionCommand, cancellationToken).ConfigureAwait(false);
            await SendAsync(goCommand, cancellationToken).ConfigureAwait(false);
            long started = Stopwatch.GetTimestamp();
            _pendingBestMove = true;
            State = UsiEngineState.Searching;

            var search = new SearchInfo();
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            if (moveTimeout != Timeout.InfiniteTimeSpan) wait.CancelAfter(moveTimeout);
            while (true)
            {
                string? line;
                try
                {
                    line = await NextLineAsync(wait.Token, cancellationToken, "bestmove").ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested && State == UsiEngineState.Searching)
                {
                    // Stop waiting now; the late bestmove is discarded before the next command.
                    State = UsiEngineState.Ready;
                    await SendStopQuietlyAsync().ConfigureAwait(false);
                    throw;
                }
                if (line is null) throw await TimedOutAsync(moveTimeout, cancellationToken).ConfigureAwait(false);

                var tokens = UsiTokens.Split(line);
                if (tokens.Length == 0) continue;
                switch (tokens[0])
                {
                    case "info":
                        search.Add(UsiInfo.Parse(line));
                        break;
                    case "bestmove":
                        _pendingBestMove = false;
                        var result = ParseBestMove(tokens, line, search, Stopwatch.GetElapsedTime(started));
                        State = UsiEngineState.Ready;
                        return result;
                    default:
                        LogIgnored(_logger, Name, line);
                        break;
                }
            }
        }
        finally
        {
            ExitOperation();
        }
    }

    /// <summary>Tells the engine the game is over: <c>gameover win|lose|draw</c>, from the engine's side. Does nothing if the engine is dead.</summary>
    public async Task GameOverAsync(string winLoseDraw, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(winLoseDraw);
        if (winLoseDraw is not ("win" or "lose" or "draw"))
            throw new ArgumentException($"gameover takes win, lose or draw, not '{winLoseDraw}'.", nameof(winLoseDraw));
        if (State == UsiEngineState.Dead) return;
        EnterOperation();
        try
        {
            await SendAsync("gameover " + winLoseDraw, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            ExitOperation();
        }
    }

    /// <summary>
    /// Sends <c>quit</c>, waits up to <see cref="UsiEngineOptions.QuitTimeout"/> for the process to exit,
    /// then kills it and everything it started. Safe to call more than once.
    /// </summary>
    public ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposeStarted, 1) == 0) _disposeTask = CloseAsync(graceful: true);
        return new ValueTask(_disposeTask!);
    }

    private Task AbortAsync()
    {
        if (Interlocked.Exchange(ref _disposeStarted, 1) == 0) _disposeTask = CloseAsync(graceful: false);
        return _disposeTask!;
    }

    private async Task CloseAsync(bool graceful)
    {
        State = UsiEngineState.Closed;
        await _lifetime.CancelAsync().ConfigureAwait(false);
        if (graceful && !_transport.HasExited)
        {
            using var quitWait = new CancellationTokenSource(_options.QuitTimeout);
            try
            {
                await WriteAsync("quit", quitWait.Token).ConfigureAwait(false);
                await _transport.WaitForExitAsync(quitWait.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException or InvalidOperationException)
            {
                if (!_transport.HasExited) LogQuitIgnored(_logger, Name, _options.QuitTimeout.TotalSeconds);
            }
        }
        _transport.Kill();
        try
        {
            await _transport.WaitForExitAsync(CancellationToken.None).WaitAsync(PumpStopWait).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // The transport's own disposal reports a process that will not die.
        }
        // The pump normally ends at the end of output, which the process's exit brings; stop it regardless.
        await _pumpStop.CancelAsync().ConfigureAwait(false);
        try
        {
            await _pump.WaitAsync(PumpStopWait).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // The read is abandoned; disposing the transport closes the pipe under it.
        }
        await _transport.DisposeAsync().ConfigureAwait(false);
        LogClosed(_logger, Name, _transport.ExitCode);
    }

    private async Task PumpAsync()
    {
        try
        {
            while (true)
            {
                string? line = await _transport.ReadLineAsync(_pumpStop.Token).ConfigureAwait(false);
                if (line is null) break;
                LogReceived(_logger, Name, line);
                _lines.Writer.TryWrite(line);
            }
        }
        catch (OperationCanceledException) when (_pumpStop.IsCancellationRequested)
        {
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException)
        {
            _pumpError = e;
        }
        finally
        {
            _lines.Writer.TryComplete();
        }
    }

    private async Task HandshakeAsync(CancellationToken cancellationToken)
    {
        EnterOperation();
        try
        {
            await SendAsync("usi", cancellationToken).ConfigureAwait(false);
            using (var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                if (_options.HandshakeTimeout != Timeout.InfiniteTimeSpan) wait.CancelAfter(_options.HandshakeTimeout);
                while (true)
                {
                    string? line = await NextLineAsync(wait.Token, cancellationToken, "usiok").ConfigureAwait(false);
                    if (line is null)
                        throw Fail(UsiFault.Stall, $"Engine '{Name}' stalls: no usiok within {Seconds(_options.HandshakeTimeout)} after usi");
                    var tokens = UsiTokens.Split(line);
                    if (tokens.Length == 0) continue;
                    if (tokens[0] == "usiok") break;
                    if (tokens[0] == "id" && tokens.Length >= 2 && tokens[1] is "name" or "author")
                    {
                        string value = RestAfter(line, 2);
                        if (tokens[1] == "name") IdName = value;
                        else Author = value;
                    }
                    else if (tokens[0] == "option" && UsiOption.TryParse(line) is { } option)
                    {
                        _advertised.Add(option);
                    }
                    else
                    {
                        LogIgnored(_logger, Name, line);
                    }
                }
            }
            foreach (var (name, value) in _options.Options)
                await SendAsync(BuildSetOption(name, value), cancellationToken).ConfigureAwait(false);
            await PingCoreAsync(cancellationToken).ConfigureAwait(false);
            State = UsiEngineState.Ready;
            LogReady(_logger, Name, IdName ?? "?", Author ?? "?", _advertised.Count);
        }
        finally
        {
            ExitOperation();
        }
    }

    private string BuildSetOption(string name, string value)
    {
        var advertised = _advertised.FirstOrDefault(o => string.Equals(o.Name, name, StringComparison.OrdinalIgnoreCase));
        if (advertised is null && !name.StartsWith("USI_", StringComparison.Ordinal))
            LogUnadvertisedOption(_logger, Name, name);
        string sentName = advertised?.Name ?? name;
        if (advertised?.Type == UsiOptionType.Button) return $"setoption name {sentName}";
        return $"setoption name {sentName} value {(value.Length == 0 ? "<empty>" : value)}";
    }

    private async Task PingCoreAsync(CancellationToken cancellationToken)
    {
        await SendAsync("isready", cancellationToken).ConfigureAwait(false);
        _pendingReadyOk++;
        await WaitPendingAsync(_options.ReadyTimeout, cancellationToken, "readyok").ConfigureAwait(false);
    }

    /// <summary>Discards the answers owed to cancelled commands before a new command is sent.</summary>
    private async Task DrainPendingAsync(CancellationToken cancellationToken)
    {
        if (!_pendingBestMove && _pendingReadyOk == 0) return;
        var timeout = _pendingReadyOk > 0 ? Max(_options.ReadyTimeout, _options.StopGrace) : _options.StopGrace;
        await WaitPendingAsync(timeout, cancellationToken, "the answer to a cancelled command").ConfigureAwait(false);
    }

    private async Task WaitPendingAsync(TimeSpan timeout, CancellationToken cancellationToken, string waitingFor)
    {
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (timeout != Timeout.InfiniteTimeSpan) wait.CancelAfter(timeout);
        while (_pendingBestMove || _pendingReadyOk > 0)
        {
            string? line = await NextLineAsync(wait.Token, cancellationToken, waitingFor).ConfigureAwait(false);
            if (line is null)
            {
                bool bestMoveLate = _pendingBestMove;
                throw bestMoveLate
                    ? Fail(UsiFault.Timeout, $"Engine '{Name}' did not answer stop with bestmove within {Seconds(timeout)} after a cancelled search")
                    : Fail(UsiFault.Stall, $"Engine '{Name}' stalls: no readyok within {Seconds(timeout)} after isready");
            }
            var tokens = UsiTokens.Split(line);
            if (tokens.Length > 0 && tokens[0] == "readyok" && _pendingReadyOk > 0) _pendingReadyOk--;
            else if (tokens.Length > 0 && tokens[0] == "bestmove" && _pendingBestMove) _pendingBestMove = false;
            else if (tokens.Length == 0 || tokens[0] != "info") LogIgnored(_logger, Name, line);
        }
    }

    private async Task<UsiEngineException> TimedOutAsync(TimeSpan moveTimeout, CancellationToken cancellationToken)
    {
        await SendStopQuietlyAsync().ConfigureAwait(false);
        string answer;
        using (var grace = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            grace.CancelAfter(_options.StopGrace);
            answer = $"no bestmove within {Seconds(_options.StopGrace)} after stop either";
            try
            {
                while (true)
                {
                    string? line = await NextLineAsync(grace.Token, cancellationToken, "bestmove after stop").ConfigureAwait(false);
                    if (line is null) break;
                    var tokens = UsiTokens.Split(line);
                    if (tokens.Length > 0 && tokens[0] == "bestmove")
                    {
                        _pendingBestMove = false;
                        answer = $"it answered stop with '{line}'";
                        break;
                    }
                }
            }
            catch (UsiEngineException e) when (e.Kind == UsiFault.Disconnect)
            {
                answer = "it then disconnected" + (e.ExitCode is { } code ? $" (exit code {code})" : "");
            }
            catch (OperationCanceledException)
            {
                answer = "the wait for its answer was cancelled";
            }
        }
        return Fail(UsiFault.Timeout, $"Engine '{Name}' timed out: no bestmove within {Seconds(moveTimeout)}; stop sent, {answer}", _transport.ExitCode);
    }

    private UsiSearchResult ParseBestMove(string[] tokens, string line, SearchInfo search, TimeSpan elapsed)
    {
        if (tokens.Length < 2)
            throw Fail(UsiFault.Protocol, $"Engine '{Name}' sent a bestmove line without a move: '{line}'");
        string best = tokens[1];
        UsiBestMoveKind kind;
        if (best == "resign") kind = UsiBestMoveKind.Resign;
        else if (best == "win") kind = UsiBestMoveKind.Win;
        else if (UsiNotation.TryParseSyntax(best) is not null) kind = UsiBestMoveKind.Move;
        else throw Fail(UsiFault.Protocol, $"Engine '{Name}' sent a malformed bestmove: '{line}'");

        string? ponder = null;
        for (int i = 2; i < tokens.Length; i++)
        {
            if (tokens[i] == "ponder" && i + 1 < tokens.Length) ponder = tokens[++i];
            else LogIgnoredToken(_logger, Name, tokens[i], line);
        }
        return new UsiSearchResult
        {
            BestMove = best,
            Kind = kind,
            Ponder = ponder,
            Score = search.Score,
            Depth = search.Depth,
            Nodes = search.Nodes,
            Pv = search.Pv,
            Elapsed = elapsed,
        };
    }

    /// <summary>The next line; null when <paramref name="waitToken"/> fired but the caller's token did not (a timeout).</summary>
    private async ValueTask<string?> NextLineAsync(CancellationToken waitToken, CancellationToken callerToken, string waitingFor)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(waitToken, _lifetime.Token);
        try
        {
            return await _lines.Reader.ReadAsync(linked.Token).ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            throw await DisconnectedAsync($"while waiting for {waitingFor}").ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_lifetime.IsCancellationRequested)
        {
            throw new ObjectDisposedException(nameof(UsiEngine), $"Engine '{Name}' was closed while waiting for {waitingFor}.");
        }
        catch (OperationCanceledException) when (!callerToken.IsCancellationRequested)
        {
            return null;
        }
    }

    private async Task SendAsync(string line, CancellationToken cancellationToken)
    {
        try
        {
            await WriteAsync(line, cancellationToken).ConfigureAwait(false);
        }
        catch (IOException e)
        {
            throw await DisconnectedAsync($"when sending '{line}' ({e.Message})", e).ConfigureAwait(false);
        }
    }

    /// <summary>Writes one line; writes are serialized so that disposal's <c>quit</c> never interleaves with a command.</summary>
    private async Task WriteAsync(string line, CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            LogSent(_logger, Name, line);
            await _transport.WriteLineAsync(line, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private async Task SendStopQuietlyAsync()
    {
        using var cts = new CancellationTokenSource(_options.StopGrace);
        try
        {
            await WriteAsync("stop", cts.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException)
        {
            // A broken pipe surfaces on the next read as a disconnect.
        }
    }

    private async Task<UsiEngineException> DisconnectedAsync(string when, Exception? inner = null)
    {
        using (var cts = new CancellationTokenSource(ExitCodeWait))
        {
            try
            {
                await _transport.WaitForExitAsync(cts.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or InvalidOperationException)
            {
            }
        }
        int? code = _transport.ExitCode;
        string status = code is { } c ? $"exit code {c}" : _transport.HasExited ? "exited, code unknown" : "process still running";
        string pipe = _pumpError is { } pe ? $"; read failed: {pe.Message}" : "";
        return Fail(UsiFault.Disconnect, $"Engine '{Name}' disconnected {when} ({status}{pipe})", code, inner ?? _pumpError);
    }

    private UsiEngineException Fail(UsiFault kind, string message, int? exitCode = null, Exception? inner = null)
    {
        var fault = new UsiEngineException(kind, Name, message, exitCode, inner);
        if (State != UsiEngineState.Closed) State = UsiEngineState.Dead;
        Fault = fault;
        LogFault(_logger, Name, kind, message);
        return fault;
    }

    private void EnterOperation()
    {
        ObjectDisposedException.ThrowIf(State == UsiEngineState.Closed, this);
        if (State == UsiEngineState.Dead)
        {
            var earlier = Fault!;
            throw new UsiEngineException(earlier.Kind, Name, $"Engine '{Name}' is unusable after an earlier fault: {earlier.Message}", earlier.ExitCode, earlier);
        }
        if (Interlocked.CompareExchange(ref _busy, 1, 0) != 0)
            throw new InvalidOperationException($"Engine '{Name}' is already running an operation; a USI engine takes one command at a time.");
    }

    private void ExitOperation() => Volatile.Write(ref _busy, 0);

    /// <summary>The program's file name; for <c>dotnet Engine.dll</c>, the dll's name.</summary>
    private static string ProgramNameOf(UsiEngineOptions options)
    {
        try
        {
            var (program, arguments) = options.ResolveCommand();
            string name = Path.GetFileNameWithoutExtension(program);
            if (name == "dotnet" && arguments.FirstOrDefault(a => a.EndsWith(".dll", StringComparison.OrdinalIgnoreCase)) is { } dll)
                return Path.GetFileNameWithoutExtension(dll);
            return name;
        }
        catch (ArgumentException)
        {
            return "engine";
        }
    }

    private static string BuildPositionCommand(string start, IReadOnlyList<Move> moves)
    {
        string trimmed = start.Trim();
        if (trimmed.Contains('\n') || trimmed.Contains('\r'))
            throw new ArgumentException("The start position contains a line break.", nameof(start));
        var sb = new StringBuilder("position ");
        if (trimmed == "startpos") sb.Append("startpos");
        else if (trimmed.StartsWith("sfen ", StringComparison.Ordinal)) sb.Append(trimmed);
        else if (trimmed.Length == 0) throw new ArgumentException("The start position is empty.", nameof(start));
        else sb.Append("sfen ").Append(trimmed);
        if (moves.Count > 0)
        {
            sb.Append(" moves");
            foreach (var m in moves)
            {
                if (m.IsNone) throw new ArgumentException("The move list contains Move.None.", nameof(moves));
                sb.Append(' ').Append(m.ToUsi());
            }
        }
        return sb.ToString();
    }

    private static string RestAfter(string line, int tokenCount)
    {
        int i = 0;
        for (int t = 0; t < tokenCount; t++)
        {
            while (i < line.Length && char.IsWhiteSpace(line[i])) i++;
            while (i < line.Length && !char.IsWhiteSpace(line[i])) i++;
        }
        return line[i..].Trim();
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) =>
        a == Timeout.InfiniteTimeSpan || b == Timeout.InfiniteTimeSpan ? Timeout.InfiniteTimeSpan : a > b ? a : b;

    private static string Seconds(TimeSpan t) =>
        t == Timeout.InfiniteTimeSpan ? "ever" : t.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture) + " s";

    /// <summary>Keeps the last depth, nodes, score and pv of the main line.</summary>
    private sealed class SearchInfo
    {
        public int? Depth { get; private set; }
        public long? Nodes { get; private set; }
        public UsiScore? Score { get; private set; }
        public IReadOnlyList<string> Pv { get; private set; } = [];

        public void Add(UsiInfo info)
        {
            if (info.Nodes is { } nodes) Nodes = nodes;
            if (info.MultiPv is > 1) return;
            if (info.Depth is { } depth) Depth = depth;
            if (info.Score is { } score) Score = score;
            if (info.Pv is { } pv) Pv = pv;
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Name} > {Line}")]
    private static partial void LogSent(ILogger logger, string name, string line);

    [LoggerMessage(Level = LogLevel.Trace, Message = "{Name} < {Line}")]
    private static partial void LogReceived(ILogger logger, string name, string line);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Engine '{Name}': ignored line '{Line}'")]
    private static partial void LogIgnored(ILogger logger, string name, string line);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Engine '{Name}': ignored token '{Token}' in '{Line}'")]
    private static partial void LogIgnoredToken(ILogger logger, string name, string token, string line);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Engine '{Name}' does not advertise option '{Option}'; sending it anyway")]
    private static partial void LogUnadvertisedOption(ILogger logger, string name, string option);

    [LoggerMessage(Level = LogLevel.Information, Message = "Engine '{Name}' ready (id name {IdName}, author {Author}, {OptionCount} options)")]
    private static partial void LogReady(ILogger logger, string name, string idName, string author, int optionCount);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Engine '{Name}' fault {Kind}: {Message}")]
    private static partial void LogFault(ILogger logger, string name, UsiFault kind, string message);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Engine '{Name}' did not exit within {Seconds} s of quit; killing it")]
    private static partial void LogQuitIgnored(ILogger logger, string name, double seconds);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Engine '{Name}' closed (exit code {ExitCode})")]
    private static partial void LogClosed(ILogger logger, string name, int? exitCode);
}
