using System.Diagnostics;
using System.Reflection;
using System.Text.RegularExpressions;
using Keisei.Neural.Checkpoints;
using Keisei.Search;
using Keisei.Shogi;
using Keisei.Usi;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using TorchSharp;

namespace Keisei.Engine;

/// <summary>
/// Keisei as a USI engine. One input loop reads the GUI's lines from a <see cref="TextReader"/> and handles them in order;
/// <c>go</c> starts a <see cref="SearchJob"/> on its own task, so <c>stop</c>, <c>isready</c>, <c>ponderhit</c> and
/// <c>quit</c> are answered while it thinks. Every line out goes through one locked writer. All loading happens in
/// <c>isready</c>; a command that cannot be used is answered with <c>info string error: ...</c> and the engine keeps
/// working. Each <c>go</c> ends with exactly one <c>bestmove</c> (<c>go mate</c> with one <c>checkmate</c> line).
/// </summary>
public sealed partial class UsiServer
{
    private readonly ProtocolWriter _out;
    private readonly EngineDefaults _defaults;
    private readonly ILogger _logger;
    private readonly Lock _commands = new();
    private GamePosition _position = GamePosition.Start;
    private EngineNetwork? _network;
    private PuctSearch? _search;
    private (SearchOptions Options, EngineNetwork Network)? _searchMadeFor;
    private SearchJob? _job;
    private bool _closed;

    public UsiServer(TextWriter output, EngineDefaults? defaults = null, ILogger? logger = null)
    {
        _out = new ProtocolWriter(output);
        _defaults = defaults ?? new EngineDefaults();
        var errors = _defaults.Search.Validate();
        if (errors.Count > 0) throw new ArgumentException($"search settings: {string.Join("; ", errors)}", nameof(defaults));
        _logger = logger ?? NullLogger.Instance;
        Settings = new EngineSettings(_defaults);
    }

    /// <summary>The options and their current values.</summary>
    public EngineSettings Settings { get; }

    /// <summary>Keisei's version as the engine names it (<c>id name Keisei &lt;version&gt; ...</c>).</summary>
    public static string Version { get; } = (typeof(UsiServer).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? typeof(UsiServer).Assembly.GetName().Version?.ToString() ?? "0").Split('+')[0];

    /// <summary>
    /// Reads and handles lines until <c>quit</c>, the end of the input, or <paramref name="cancellationToken"/>; then stops
    /// any search (its <c>bestmove</c> is still written) and releases the network. The lines are read on a thread of
    /// their own, so a reader that blocks (a console) never holds up the end.
    /// </summary>
    public async Task RunAsync(TextReader input, CancellationToken cancellationToken = default)
    {
        var loop = Task.Factory.StartNew(() => ReadLoop(input), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        try
        {
            await loop.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        finally
        {
            await ShutdownAsync().ConfigureAwait(false);
        }
    }

    private void ReadLoop(TextReader input)
    {
        while (input.ReadLine() is { } line)
            if (!Handle(line, Stopwatch.GetTimestamp())) return;
    }

    /// <summary>Handles one line read at <paramref name="received"/> (a <see cref="Stopwatch"/> timestamp); false once the engine has quit.</summary>
    internal bool Handle(string line, long received)
    {
        lock (_commands)
        {
            if (_closed) return false;
            var tokens = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (tokens.Length == 0) return true;
            try
            {
                switch (tokens[0])
                {
                    case "usi":
                        Identify();
                        break;
                    case "isready":
                        GetReady();
                        break;
                    case "setoption":
                        SetOption(line);
                        break;
                    case "usinewgame":
                        FinishJob();
                        _search?.Clear();
                        break;
                    case "position":
                        SetPosition(tokens);
                        break;
                    case "go":
                        Go(tokens, received);
                        break;
                    case "stop":
                        _job?.RequestStop();
                        break;
                    case "ponderhit":
                        _job?.PonderHit(received);
                        break;
                    case "gameover":
                        _job?.RequestStop();
                        break;
                    case "debug":
                        break;
                    case "quit":
                        Close();
                        return false;
                    default:
                        _out.Error($"unknown command '{Shorten(tokens[0])}' (expected usi, isready, setoption, usinewgame, position, go, stop, ponderhit, gameover or quit)");
                        break;
                }
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                _logger.LogError(e, "Handling '{Line}' failed.", line);
                _out.Error($"'{Shorten(line)}' failed: {e.GetType().Name}: {e.Message}");
            }
            return true;
        }
    }

    private static string Shorten(string text) => text.Length <= 80 ? text : text[..80] + "...";

    private void Identify()
    {
        string model = Settings.Model;
        string? sha = _network is { } loaded && loaded.Path == model ? loaded.Sha256 : model.Length > 0 ? CheckpointFile.AnnouncedSha256(model) : null;
        _out.Line($"id name Keisei {Version}{(sha is null ? "" : " " + sha[..8])}");
        _out.Line("id author the Keisei developers");
        foreach (string option in Settings.OptionLines()) _out.Line(option);
        _out.Line("usiok");
    }

    private void GetReady()
    {
        if (_job is { IsDone: false })
        {
            _out.Line("readyok");
            return;
        }
        if (Settings.Threads > 0 && torch.get_num_threads() != Settings.Threads) torch.set_num_threads(Settings.Threads);
        if (_network is null || !_network.Matches(Settings))
        {
            DropNetwork();
            try
            {
                _network = EngineNetwork.LoadAsync(Settings, _defaults.Search, _logger, CancellationToken.None).GetAwaiter().GetResult();
            }
            catch (EngineSetupException e)
            {
                _out.Error(e.Message);
                return;
            }
            _out.Say($"loaded {_network.Path} ({_network.Description}, sha256 {_network.Sha256[..8]}) on {_network.Device}");
        }
        _out.Line("readyok");
    }

    private void DropNetwork()
    {
        _search = null;
        _searchMadeFor = null;
        if (_network is null) return;
        _network.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _network = null;
    }

    [GeneratedRegex(@"^\s*setoption\s+name\s+(?<name>.+?)(?<given>\s+value(?:\s+(?<value>.*?))?)?\s*$")]
    private static partial Regex SetOptionPattern();

    private void SetOption(string line)
    {
        var match = SetOptionPattern().Match(line);
        if (!match.Success)
        {
            _out.Error($"setoption: expected 'setoption name <id> [value <x>]', found '{Shorten(line.Trim())}'");
            return;
        }
        if (_job is { IsDone: false })
        {
            _out.Error($"setoption: options cannot change while the engine thinks (send stop first); '{match.Groups["name"].Value}' is unchanged");
            return;
        }
        var value = match.Groups["value"];
        string? error = Settings.Set(match.Groups["name"].Value, value.Success ? value.Value : match.Groups["given"].Success ? "" : null);
        if (error is not null) _out.Error(error);
    }

    private void SetPosition(string[] tokens)
    {
        try
        {
            _position = GamePosition.Parse(tokens[1..]);
        }
        catch (FormatException e)
        {
            _out.Error($"{e.Message}; the previous position is kept");
        }
    }

    private void Go(string[] tokens, long received)
    {
        FinishJob();
        var warnings = new List<string>();
        var go = ParseGo(tokens[1..], warnings);
        foreach (string warning in warnings) _out.Say(warning);
        var job = new SearchJob(go, received);
        _job = job;
        if (go.Mate)
        {
            var position = _position.ToGame(new GameRules()).Position.Clone();
            job.Start(() => MateAsync(job, position));
            return;
        }
        if (_network is null || !_network.Matches(Settings))
        {
            _out.Error(_network is null
                ? "go: no network is loaded (send isready and wait for readyok first); resigning"
                : "go: the options changed since the last isready (send isready first); resigning");
            job.Start(() => AnswerWithoutSearchAsync(job, "bestmove resign"));
            return;
        }
        var network = _network;
        var settings = RunSettings.Of(Settings);
        var game = _position.ToGame(RulesFor(_position, settings.DrawPly));
        PuctSearch? search = null;
        if (settings.Mode == SearchMode.Mcts)
        {
            var options = _defaults.Search with
            {
                Batch = settings.BatchSize, Temperature = 0, DirichletFraction = 0, DrawValue = Settings.DrawValue(game.SideToMove),
            };
            if (_search is null || _searchMadeFor != (options, network))
            {
                _search = new PuctSearch(new BatcherLeafEvaluator(network.Batcher), options, seed: Random.Shared.Next());
                _searchMadeFor = (options, network);
            }
            search = _search;
        }
        job.Start(() => new SearchRun(job, game, settings, network, search, _defaults, _out, _logger).RunAsync());
    }

    /// <summary>The <c>go</c> arguments, and a warning when they ask for a depth (a tree search that grows by playouts has none).</summary>
    internal static UsiGoLimits ParseGo(IReadOnlyList<string> tokens, List<string> warnings)
    {
        var go = UsiGoLimits.Parse(tokens, warnings);
        if (go.Depth is not null) warnings.Add("go: 'depth' has no meaning for a tree search that grows by playouts; the other limits apply");
        return go;
    }

    /// <summary>The rules of the search's game: entering-king declarations allowed, and <c>Draw_Ply</c> as a ply limit counted from move 1.</summary>
    private static GameRules RulesFor(GamePosition position, int drawPly)
    {
        if (drawPly <= 0) return new GameRules();
        int startMove = Position.FromSfen(position.StartSfen).MoveNumber;
        int limit = drawPly - (startMove - 1);
        // Already at or past the draw ply (a GUI that plays on): every move from here draws.
        return new GameRules { MaxPlies = Math.Max(limit, position.Moves.Count + 1) };
    }

    /// <summary>Longest mate <c>go mate</c> looks for, in plies.</summary>
    public const int MateMaxPlies = 31;

    /// <summary>
    /// <c>go mate</c>: a mate search over checks (<see cref="MateSearch"/>) until it is decided, its time is up or <c>stop</c>
    /// comes; answers <c>checkmate &lt;moves&gt;</c>, <c>checkmate nomate</c> (none within <see cref="MateMaxPlies"/> plies)
    /// or <c>checkmate timeout</c>.
    /// </summary>
    private Task MateAsync(SearchJob job, Position position)
    {
        string answer;
        try
        {
            using var limit = CancellationTokenSource.CreateLinkedTokenSource(job.StopToken);
            if (job.Go.MateTimeMs is { } ms) limit.CancelAfter(ms);
            long start = Stopwatch.GetTimestamp();
            var result = MateSearch.Find(position, new MateSearchOptions { MaxPlies = MateMaxPlies }, limit.Token);
            double elapsed = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            if (result.Status == MateStatus.Mate)
                _out.Line(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                    $"info depth {result.Plies} time {(long)elapsed} nodes {result.Nodes} score mate {result.Plies} pv {string.Join(' ', result.Moves.Select(m => m.ToUsi()))}"));
            answer = result.Status switch
            {
                MateStatus.Mate => "checkmate " + string.Join(' ', result.Moves.Select(m => m.ToUsi())),
                MateStatus.NoMate => "checkmate nomate",
                _ => "checkmate timeout",
            };
        }
        catch (Exception e)
        {
            _logger.LogError(e, "The mate search failed.");
            _out.Error($"the mate search failed ({e.GetType().Name}: {e.Message})");
            answer = "checkmate timeout";
        }
        _out.Line(answer);
        return Task.CompletedTask;
    }

    private async Task AnswerWithoutSearchAsync(SearchJob job, string answer)
    {
        await job.WaitUntilReleasedAsync().ConfigureAwait(false);
        _out.Line(answer);
    }

    /// <summary>Stops a running search and waits until its <c>bestmove</c> is written.</summary>
    private void FinishJob()
    {
        if (_job is null) return;
        _job.RequestStop();
        _job.Completion.GetAwaiter().GetResult();
        _job = null;
    }

    private void Close()
    {
        if (_closed) return;
        _closed = true;
        long start = Stopwatch.GetTimestamp();
        FinishJob();
        var stopped = Stopwatch.GetElapsedTime(start);
        DropNetwork();
        var total = Stopwatch.GetElapsedTime(start);
        _logger.LogInformation("Closed in {Total:0} ms.", total.TotalMilliseconds);
        if (total > TimeSpan.FromSeconds(1))
            _logger.LogWarning("Closing took {Total:0} ms: {Stop:0} ms to end the search, {Release:0} ms to release the network.",
                total.TotalMilliseconds, stopped.TotalMilliseconds, (total - stopped).TotalMilliseconds);
    }

    private Task ShutdownAsync()
    {
        lock (_commands) Close();
        return Task.CompletedTask;
    }
}
