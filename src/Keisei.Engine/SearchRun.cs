using System.Diagnostics;
using System.Globalization;
using System.Text;
using Keisei.Neural.Encoding;
using Keisei.Search;
using Keisei.Shogi;
using Microsoft.Extensions.Logging;

namespace Keisei.Engine;

/// <summary>The options one search reads, taken when its <c>go</c> arrives.</summary>
internal sealed record RunSettings(SearchMode Mode, int ConstPlayout, double ResignWinRate, int MultiPV, int RandomPly, double Temperature,
    long NetworkDelay, long MinimumThinkingTime, int DrawPly, int BatchSize)
{
    public static RunSettings Of(EngineSettings s) =>
        new(s.Mode, s.ConstPlayout, s.ResignWinRate, s.MultiPV, s.RandomPly, s.Temperature, s.NetworkDelay, s.MinimumThinkingTime, s.DrawPly, s.BatchSize);
}

/// <summary>
/// The work of one <c>go</c>: think (PUCT search or the policy alone), report <c>info</c> lines (every
/// <see cref="InfoInterval"/> and once at the end), wait for <c>stop</c>/<c>ponderhit</c> in infinite and ponder mode,
/// and write the one <c>bestmove</c>. Info lines: <c>depth</c> is the mean depth of this search's playouts (rounded, at
/// least 1), <c>seldepth</c> the deepest, <c>nodes</c> this search's playouts, <c>nps</c> playouts per second since the
/// <c>go</c>, <c>hashfull</c> the tree's share of its node budget per mille, <c>score cp</c> the value on
/// <see cref="Scores"/>' scale or <c>score mate 1</c> when the move wins at once by the rules.
/// </summary>
internal sealed class SearchRun(SearchJob job, Game game, RunSettings settings, EngineNetwork network, PuctSearch? search, EngineDefaults defaults,
    ProtocolWriter output, ILogger logger)
{
    /// <summary>How often a running search reports.</summary>
    public static readonly TimeSpan InfoInterval = TimeSpan.FromSeconds(1);

    private long _lastInfo, _lastProgress;
    private double _batchMs;
    private SearchResult? _latest;
    private volatile bool _answered;
    private TimeBudget? _budget;
    private double _rootMs = double.NaN;
    private Task? _unfinished;

    public async Task RunAsync()
    {
        long started = Stopwatch.GetTimestamp();
        string answer;
        try
        {
            answer = await ThinkAsync().ConfigureAwait(false);
        }
        catch (Exception e)
        {
            logger.LogError(e, "The search failed.");
            output.Error($"the search failed ({e.GetType().Name}: {e.Message}); resigning");
            await job.WaitUntilReleasedAsync().ConfigureAwait(false);
            answer = "bestmove resign";
        }
        output.Line(answer);
        double total = Stopwatch.GetElapsedTime(job.ClockStart).TotalMilliseconds;
        if (_budget is { } b && !job.Infinite && !job.Pondering && total > b.HardMs + 20)
            logger.LogWarning(
                "Answered {Total:0} ms after the clock started, past the hard limit of {Hard} ms: the search task started {Start:0} ms after go, " +
                "the root was evaluated {Root:0} ms after go, {Playouts} playouts.", total, b.HardMs,
                Stopwatch.GetElapsedTime(job.Received, started).TotalMilliseconds, _rootMs, _latest?.Playouts ?? 0);
        if (_unfinished is null) return;
        // Answered at the deadline while the search finished its batch: the tree is free once it has.
        try
        {
            await _unfinished.ConfigureAwait(false);
        }
        catch (Exception e)
        {
            logger.LogError(e, "The search failed after its answer was sent.");
        }
    }

    private int Ply => game.Position.MoveNumber - 1;

    private async Task<string> ThinkAsync()
    {
        if (game.IsOver)
        {
            output.Say(game.Termination == TerminationReason.Checkmate
                ? "no legal move: resigning"
                : $"the game is already over ({game.Termination}); resigning");
            await job.WaitUntilReleasedAsync().ConfigureAwait(false);
            return "bestmove resign";
        }
        if (game.Rules.AllowEnteringKingDeclaration && game.Position.CanDeclareEnteringKingWin())
        {
            output.Line("info depth 1 seldepth 1 time 0 nodes 0 score mate 1");
            output.Say("the entering-king declaration holds: declaring the win");
            await job.WaitUntilReleasedAsync().ConfigureAwait(false);
            return "bestmove win";
        }
        if (await RootMateAsync().ConfigureAwait(false) is { } mate) return mate;
        return search is null ? await PolicyAsync().ConfigureAwait(false) : await SearchAsync(search).ConfigureAwait(false);
    }

    /// <summary>Longest mate looked for before each search, in plies.</summary>
    public const int RootMatePlies = 7;

    /// <summary>Most positions that look visits before each search (a few milliseconds to a few tens).</summary>
    public const int RootMateNodes = 1000;

    /// <summary>
    /// A short mate search over checks before the tree search (<see cref="RootMatePlies"/>, <see cref="RootMateNodes"/>):
    /// when it proves a mate the engine reports <c>score mate N</c> with the mating line and plays its first move (after
    /// <c>stop</c>/<c>ponderhit</c> in infinite or ponder mode). Null when it finds none.
    /// </summary>
    private async Task<string?> RootMateAsync()
    {
        var result = MateSearch.Find(game.Position.Clone(), new MateSearchOptions { MaxPlies = RootMatePlies, MaxNodes = RootMateNodes }, job.StopToken);
        if (result.Status != MateStatus.Mate) return null;
        double ms = Stopwatch.GetElapsedTime(job.Received).TotalMilliseconds;
        output.Line(string.Create(CultureInfo.InvariantCulture,
            $"info depth {result.Plies} seldepth {result.Plies} time {(long)ms} nodes {result.Nodes} score mate {result.Plies} pv {string.Join(' ', result.Moves.Select(m => m.ToUsi()))}"));
        if (job.Infinite || job.Pondering) output.Say("mate found; bestmove follows stop" + (job.Pondering ? " or ponderhit" : ""));
        await job.WaitUntilReleasedAsync().ConfigureAwait(false);
        return $"bestmove {result.Moves[0].ToUsi()}";
    }

    private async Task<string> PolicyAsync()
    {
        var context = new EncodingContext(defaults.Search.MaxMovesPerGame, game.RepetitionCount());
        var answer = await network.Batcher.EvaluateAsync(game.Position.Clone(), context, CancellationToken.None).ConfigureAwait(false);
        int best = 0;
        for (int i = 1; i < answer.Probabilities.Length; i++)
            if (answer.Probabilities[i] > answer.Probabilities[best]) best = i;
        if (Ply < settings.RandomPly) best = Sample(answer.Probabilities.Select(p => (double)p).ToArray(), best);
        var move = answer.Moves[best];
        double ms = Stopwatch.GetElapsedTime(job.Received).TotalMilliseconds;
        output.Line(string.Create(CultureInfo.InvariantCulture,
            $"info depth 1 seldepth 1 time {(long)ms} nodes 1 nps {(ms > 0 ? (long)(1000 / ms) : 0)} score cp {Scores.Centipawns(answer.Value)} pv {move.ToUsi()}"));
        if (job.Infinite || job.Pondering) output.Say("the policy has chosen; bestmove follows stop" + (job.Pondering ? " or ponderhit" : ""));
        await job.WaitUntilReleasedAsync().ConfigureAwait(false);
        return Resigns(answer.Value, proven: false) ? "bestmove resign" : $"bestmove {move.ToUsi()}";
    }

    private async Task<string> SearchAsync(PuctSearch tree)
    {
        var go = job.Go;
        var budget = job.Infinite ? null : TimeManager.For(go, game.SideToMove, settings.NetworkDelay, settings.MinimumThinkingTime);
        _budget = budget;
        long? limit = job.Infinite ? null
            : go.Nodes is { } nodes ? nodes
            : settings.ConstPlayout > 0 ? settings.ConstPlayout
            : budget is null ? defaults.Search.Playouts
            : null;
        int target = job.Infinite || job.Pondering || limit is null ? int.MaxValue : (int)Math.Min(limit.Value, int.MaxValue);
        _lastInfo = _lastProgress = Stopwatch.GetTimestamp();
        // On a thread of its own from the start, so the deadline below is watched even while the search runs without yielding.
        var searching = Task.Run(() => tree.SearchAsync(game, target, job.StopToken, CancellationToken.None, r => Progress(tree, r, budget, limit)));
        SearchResult result;
        if (await OverdueAsync(searching, budget).ConfigureAwait(false))
        {
            // The hard limit came while a batch was still out: answer now with the last result, never late.
            _unfinished = searching;
            _answered = true;
            if (Volatile.Read(ref _latest) is not { } latest)
            {
                var moves = new MoveList();
                game.Position.GenerateLegalMoves(ref moves);
                output.Say("the time ran out before the network answered; playing the first legal move");
                return $"bestmove {moves[0].ToUsi()}";
            }
            result = latest;
            output.Say("the time ran out during a batch; answering with the result before it");
            Report(tree, result, Stopwatch.GetTimestamp(), treeIsFree: false);
            return Resigns(result.Value, result.ProvenWin) ? "bestmove resign" : BestMove(tree, result, result.Move, treeIsFree: false);
        }
        result = await searching.ConfigureAwait(false);
        if (result.DeclareWin)
        {
            await job.WaitUntilReleasedAsync().ConfigureAwait(false);
            return "bestmove win";
        }
        Report(tree, result, Stopwatch.GetTimestamp(), treeIsFree: true);
        if (!job.StopRequested && (job.Infinite || job.Pondering))
        {
            string why = result.ProvenWin ? "a move wins at once"
                : tree.Nodes >= tree.Options.NodeBudget ? $"the tree is full ({tree.Nodes} nodes)"
                : "its limit is reached";
            output.Say($"the search has ended ({why}); bestmove follows stop{(job.Pondering ? " or ponderhit" : "")}");
        }
        await job.WaitUntilReleasedAsync().ConfigureAwait(false);
        if (Resigns(result.Value, result.ProvenWin)) return "bestmove resign";
        var move = result.Move;
        if (Ply < settings.RandomPly && !result.ProvenWin)
        {
            var visited = result.RootMoves.Where(m => m.Visits > 0).ToArray();
            if (visited.Length > 0)
            {
                int chosen = Sample(visited.Select(m => (double)m.Visits).ToArray(), Array.FindIndex(visited, m => m.Move == result.Move));
                move = visited[Math.Max(0, chosen)].Move;
            }
        }
        return BestMove(tree, result, move, treeIsFree: true);
    }

    /// <summary><c>bestmove</c> with the expected reply as <c>ponder</c> when the line has one (read from the tree only when no search uses it).</summary>
    private static string BestMove(PuctSearch tree, SearchResult result, Move move, bool treeIsFree)
    {
        var line = move == result.Move ? result.PrincipalVariation : treeIsFree ? tree.Line(move) : [move];
        return line.Count > 1 ? $"bestmove {move.ToUsi()} ponder {line[1].ToUsi()}" : $"bestmove {move.ToUsi()}";
    }

    /// <summary>
    /// Waits for the search; true when a clock-limited search is still running at its hard limit (counted from
    /// <c>go</c>, or from <c>ponderhit</c>): it is then told to stop and the caller answers at once.
    /// </summary>
    private async Task<bool> OverdueAsync(Task searching, TimeBudget? budget)
    {
        if (budget is not { } b || job.Infinite) return false;
        if (job.Pondering) await Task.WhenAny(searching, job.WaitUntilReleasedAsync()).ConfigureAwait(false);
        if (searching.IsCompleted || job.Pondering) return false; // done, or a stopped ponder search: its answer is not timed
        double left = b.HardMs - Stopwatch.GetElapsedTime(job.ClockStart).TotalMilliseconds;
        if (left > 0)
        {
            using var timer = new CancellationTokenSource();
            var deadline = Task.Delay(TimeSpan.FromMilliseconds(left), timer.Token);
            var first = await Task.WhenAny(searching, deadline).ConfigureAwait(false);
            await timer.CancelAsync().ConfigureAwait(false);
            if (first == searching) return false;
        }
        if (searching.IsCompleted) return false;
        job.StopSearch();
        return true;
    }

    private bool Resigns(float value, bool proven) => !proven && settings.ResignWinRate > 0 && Scores.WinRate(value) < settings.ResignWinRate;

    /// <summary>Called after each batch: reports every <see cref="InfoInterval"/> and says whether the search should end now.</summary>
    private bool Progress(PuctSearch tree, SearchResult result, TimeBudget? budget, long? limit)
    {
        long now = Stopwatch.GetTimestamp();
        Volatile.Write(ref _latest, result);
        if (double.IsNaN(_rootMs)) _rootMs = Stopwatch.GetElapsedTime(job.Received, now).TotalMilliseconds;
        if (result.Playouts > 0)
        {
            // The time of one batch, smoothed: the search ends early rather than let its next batch pass the hard limit.
            double ms = Stopwatch.GetElapsedTime(_lastProgress, now).TotalMilliseconds;
            _batchMs = _batchMs == 0 ? ms : 0.8 * _batchMs + 0.2 * ms;
        }
        _lastProgress = now;
        if (Stopwatch.GetElapsedTime(_lastInfo, now) >= InfoInterval && !_answered)
        {
            Report(tree, result, now, treeIsFree: true);
            _lastInfo = now;
        }
        if (job.Infinite || job.Pondering) return false;
        if (limit is { } n && result.Playouts >= n) return true;
        if (budget is not { } b) return false;
        double clock = Stopwatch.GetElapsedTime(job.ClockStart, now).TotalMilliseconds;
        if (clock + _batchMs >= b.HardMs) return true;
        if (limit is not null) return false;
        if (clock >= b.SoftMs) return true;
        if (!b.MayStopEarly) return false;
        if (result.RootMoves.Count == 1) return true;
        int best = 0, second = 0;
        foreach (var m in result.RootMoves)
        {
            if (m.Visits > best)
            {
                second = best;
                best = m.Visits;
            }
            else if (m.Visits > second) second = m.Visits;
        }
        double sinceGo = Stopwatch.GetElapsedTime(job.Received, now).TotalMilliseconds;
        return TimeManager.Decided(best, second, result.Playouts / Math.Max(sinceGo, 1e-3), b.SoftMs - clock);
    }

    /// <summary>
    /// Writes the info lines: the chosen move's, then (MultiPV) the next most visited root moves', one each — those only when
    /// <paramref name="treeIsFree"/> (on the search's thread or after it), since their lines are read from the tree.
    /// </summary>
    private void Report(PuctSearch tree, SearchResult result, long now, bool treeIsFree)
    {
        double ms = Stopwatch.GetElapsedTime(job.Received, now).TotalMilliseconds;
        long nps = ms > 0 ? (long)(result.Playouts * 1000 / ms) : 0;
        int depth = Math.Max(1, (int)Math.Round(result.MeanDepth)), seldepth = Math.Max(1, result.MaxDepth);
        long hashfull = Math.Min(1000, (long)tree.Nodes * 1000 / tree.Options.NodeBudget);
        string common = string.Create(CultureInfo.InvariantCulture,
            $"info depth {depth} seldepth {seldepth} time {(long)ms} nodes {result.Playouts} nps {nps} hashfull {hashfull}");
        bool multi = settings.MultiPV > 1;
        output.Line(Line(common, multi ? 1 : null, result.ProvenWin ? "mate 1" : Cp(result.Value), result.PrincipalVariation));
        if (!multi || !treeIsFree) return;
        var others = result.RootMoves.Where(m => m.Visits > 0 && m.Move != result.Move)
            .OrderByDescending(m => m.Visits).ThenByDescending(m => m.Prior).Take(settings.MultiPV - 1);
        int rank = 2;
        foreach (var m in others) output.Line(Line(common, rank++, Cp(m.Q), tree.Line(m.Move)));
    }

    private static string Cp(float value) => "cp " + Scores.Centipawns(value).ToString(CultureInfo.InvariantCulture);

    private static string Line(string common, int? rank, string score, IReadOnlyList<Move> pv)
    {
        var sb = new StringBuilder(common);
        if (rank is { } k) sb.Append(" multipv ").Append(k.ToString(CultureInfo.InvariantCulture));
        sb.Append(" score ").Append(score);
        if (pv.Count > 0)
        {
            sb.Append(" pv");
            foreach (var m in pv) sb.Append(' ').Append(m.ToUsi());
        }
        return sb.ToString();
    }

    /// <summary>An index drawn with probability weight^(1/Temperature); <paramref name="fallback"/> when the weights are all 0.</summary>
    private int Sample(double[] weights, int fallback)
    {
        double inverse = 1 / settings.Temperature, total = 0, max = weights.Length > 0 ? weights.Max() : 0;
        if (!(max > 0)) return fallback;
        var scaled = new double[weights.Length];
        for (int i = 0; i < weights.Length; i++) total += scaled[i] = weights[i] > 0 ? Math.Pow(weights[i] / max, inverse) : 0;
        if (!(total > 0) || double.IsInfinity(total)) return fallback;
        double r = Random.Shared.NextDouble() * total;
        for (int i = 0; i < scaled.Length; i++)
        {
            r -= scaled[i];
            if (r <= 0 && scaled[i] > 0) return i;
        }
        return fallback;
    }
}
