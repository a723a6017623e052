using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Keisei.Evaluation.Arena;
using Keisei.Evaluation.Players;
using Keisei.Evaluation.Statistics;
using Keisei.Evaluation.Storage;
using Keisei.Evaluation.Strategies;
using Keisei.Evaluation.Throttling;
using Keisei.Neural.Models;
using Keisei.Shogi;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Keisei.Evaluation;

/// <summary>
/// Runs an evaluation end to end: plans it with the strategy, stores the plan, plays the games not yet stored (so a killed
/// run started again finishes exactly the planned games), stores each game as it ends, stops early on an SPRT decision,
/// and summarises: per-opponent Elo with intervals, per-colour results, game lengths, terminations, pool ratings.
/// </summary>
public sealed class EvaluationRunner(ResultsStore store, ParticipantResolver participants, ILogger? logger = null, EvaluationThrottle? throttle = null)
{
    private readonly ILogger _logger = logger ?? NullLogger.Instance;

    public async Task<EvaluationReport> RunAsync(EvaluationRequest request, IProgress<EvaluationProgress>? progress, CancellationToken cancellationToken)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var pool = PoolRatings.Fit(store, anchor: null);
        var context = new PlanContext(request.Agent.Descriptor.Name, request.Opponents, request.NumGames, request.Openings,
            name => pool.FirstOrDefault(r => r.Name == name && r.Rated)?.Rating);
        var matchups = request.Strategy.Plan(context);
        // Engines are started once before any game: one that cannot start is an error here, not a string of lost games.
        await participants.PrepareAsync(matchups.SelectMany(m => m.A is null ? [m.B] : new[] { m.A, m.B }), cancellationToken).ConfigureAwait(false);
        var schedule = Schedule(request, matchups);
        if (schedule.Count == 0) throw new EvaluationConfigException("the evaluation plans no games");

        string key = PlanKey(request, schedule);
        var evaluation = request.ResumeId is { } id
            ? store.GetEvaluation(id) ?? throw new EvaluationConfigException($"--resume: no evaluation {id} in '{store.Path}'")
            : null;
        if (evaluation is not null && evaluation.Key != key)
            throw new EvaluationConfigException($"--resume: evaluation {evaluation.Id} was started with a different plan; start it with the same command and options");

        var ids = new Dictionary<IPlayerFactory, long>(ReferenceEqualityComparer.Instance);
        foreach (var factory in schedule.SelectMany(g => new[] { g.Black, g.White }).Distinct(ReferenceEqualityComparer.Instance).Cast<IPlayerFactory>())
            ids[factory] = store.EnsurePlayer(factory.Descriptor);
        bool created = false;
        if (evaluation is null)
            (evaluation, created) = store.FindOrCreateEvaluation(key, ids[request.Agent], request.Strategy.Name, PlanJson(request, matchups), schedule.Count);
        long evaluationId = evaluation.Id;
        // One run plays an evaluation at a time (a second process with the same plan is refused, see README); held to the end.
        using var claim = store.ClaimEvaluation(evaluationId);
        if (!created)
        {
            _logger.LogInformation("Resuming evaluation {Id} ({Status})", evaluationId, evaluation.Status);
            store.SetEvaluationStatus(evaluationId, EvaluationStatus.Running);
        }

        var pairIds = new Dictionary<int, long>();
        foreach (var pair in schedule.GroupBy(g => g.PairIndex))
        {
            var first = pair.First();
            pairIds[pair.Key] = store.EnsurePair(evaluationId, pair.Key, first.Opening.Id, first.Opening.StartSfen, ids[first.Black], ids[first.White]);
        }

        var tally = new Tally(request.Agent, schedule);
        foreach (var stored in store.Games(evaluationId)) tally.Add(stored.GameIndex, stored.Result, stored.Plies, stored.Termination);
        var done = store.StoredGameIndices(evaluationId);
        var remaining = schedule.Where(g => !done.Contains(g.Index)).ToList();

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        SprtResult? sprt = Check(request, tally);
        int agentGames = schedule.Count(g => ReferenceEquals(g.Black, request.Agent) || ReferenceEquals(g.White, request.Agent));
        bool? gate = GateDecision(request, tally, agentGames);
        if (sprt is { Decision: not SprtDecision.Continue } || gate is not null) remaining.Clear();
        progress?.Report(tally.Progress(schedule.Count, sprt));
        var arena = new MatchArena(request.Arena, _logger, throttle);
        try
        {
            await PlayAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is NonFiniteOutputException or PlayerStartException)
        {
            // A network that answers NaN, or a player that could not be started for a game even after retries: the evaluation
            // fails (its finished games stay stored; run it again to finish) rather than score garbage or unplayed games.
            store.SetEvaluationStatus(evaluationId, EvaluationStatus.Failed, new System.Text.Json.Nodes.JsonObject { ["error"] = e.Message }.ToJsonString());
            throw;
        }

        Task PlayAsync() => arena.RunAsync(remaining, (game, _) =>
            {
                store.RecordGame(evaluationId, pairIds[game.Scheduled.PairIndex], game.Scheduled.Index, ids[game.Scheduled.Black],
                    ids[game.Scheduled.White], game.Scheduled.Opening.StartSfen, game.Moves, game.Result, game.Termination, game.Duration, game.Detail, game.MoveTimes);
                tally.Add(game.Scheduled.Index, game.Result, game.Plies, game.Termination);
                UpdateIncrementalElo(ids[game.Scheduled.Black], ids[game.Scheduled.White], game.Result);
                sprt = Check(request, tally);
                gate = GateDecision(request, tally, agentGames);
                progress?.Report(tally.Progress(schedule.Count, sprt));
                if (sprt is { Decision: not SprtDecision.Continue } || gate is not null) stop.Cancel();
                return ValueTask.CompletedTask;
            }, stop.Token);

        var status = (sprt, gate) switch
        {
            (_, true) => EvaluationStatus.GatePassed,
            (_, false) => EvaluationStatus.GateFailed,
            ({ Decision: SprtDecision.AcceptH1 }, _) => EvaluationStatus.SprtAcceptedH1,
            ({ Decision: SprtDecision.AcceptH0 }, _) => EvaluationStatus.SprtAcceptedH0,
            _ when tally.Played == schedule.Count => EvaluationStatus.Completed,
            _ => EvaluationStatus.Stopped,
        };
        pool = PoolRatings.Fit(store, anchor: null);
        var report = tally.Report(evaluationId, status, request, schedule.Count, matchups, sprt, pool, clock.Elapsed) with
        {
            Clock = request.Arena.TimeControl is { } control
                ? ClockSummary.Of(control, request.Arena.TimeMargin, ids[request.Agent], store.Games(evaluationId))
                : null,
        };
        store.SetEvaluationStatus(evaluationId, status, ReportJson.Summary(report).ToJsonString());
        if (pool.Count > 0) store.AddRatingSnapshot(evaluationId, "bradley-terry", pool[0].Anchor, ReportJson.Pool(pool).ToJsonString());
        return report;
    }

    private void UpdateIncrementalElo(long black, long white, GameResult result)
    {
        double scoreBlack = result switch { GameResult.BlackWin => 1, GameResult.WhiteWin => 0, _ => 0.5 };
        store.UpdateIncrementalElo(black, white, (ratingBlack, ratingWhite) => IncrementalElo.Updated(ratingBlack, ratingWhite, scoreBlack));
    }

    private static bool? GateDecision(EvaluationRequest request, Tally tally, int agentGames) =>
        request.Gate?.Decide(tally.AgentCounts.Points, tally.AgentCounts.Games, agentGames);

    private static SprtResult? Check(EvaluationRequest request, Tally tally) => AgentResults.Sprt(request.Sprt, tally.AgentGames);

    /// <summary>Expands matches into games: each opening played as a colour-swapped pair, pairs numbered across the plan.</summary>
    private List<ScheduledGame> Schedule(EvaluationRequest request, IReadOnlyList<Matchup> matchups)
    {
        var games = new List<ScheduledGame>();
        int pairIndex = 0;
        foreach (var m in matchups)
        {
            var a = m.A is null ? request.Agent : participants.Get(m.A);
            var b = participants.Get(m.B);
            var openings = m.Openings.Count > 0 ? m.Openings : [Opening.StartPosition];
            int units = m.BothColors ? m.Games / 2 : m.Games;
            for (int k = 0; k < units; k++, pairIndex++)
            {
                var opening = openings[k % openings.Count];
                if (m.BothColors)
                {
                    games.Add(new ScheduledGame(games.Count, pairIndex, opening, a, b, GameSeed(request.Seed, games.Count)));
                    games.Add(new ScheduledGame(games.Count, pairIndex, opening, b, a, GameSeed(request.Seed, games.Count)));
                }
                else
                {
                    bool aBlack = k % 2 == 0;
                    games.Add(new ScheduledGame(games.Count, pairIndex, opening, aBlack ? a : b, aBlack ? b : a, GameSeed(request.Seed, games.Count)));
                }
            }
        }
        return games;
    }

    /// <summary>A per-game seed that is the same in every process (unlike <see cref="HashCode"/>, which is randomised per process).</summary>
    internal static int GameSeed(int seed, int index)
    {
        ulong z = SplitMix64.Mix((ulong)(uint)seed * SplitMix64.Gamma + (ulong)(uint)index * 0xBF58476D1CE4E5B9UL + 0x94D049BB133111EBUL);
        return (int)(z & int.MaxValue);
    }

    /// <summary>Identifies a plan: the same command and options give the same key, so a restarted evaluation resumes.</summary>
    private static string PlanKey(EvaluationRequest request, IReadOnlyList<ScheduledGame> schedule)
    {
        var sb = new StringBuilder();
        sb.Append(request.Strategy.Name).Append('|').Append(request.StrategyConfigJson).Append('|').Append(request.Seed).Append('|')
            .Append(request.Arena.Rules.MaxPlies).Append('|').Append(request.Sprt?.ToString());
        // Only a clock adds to the key, so that evaluations stored before clocks existed keep theirs and resume.
        if (request.Arena.TimeControl is { } clock) sb.Append("|tc ").Append(clock).Append(" margin ").Append((long)request.Arena.TimeMargin.TotalMilliseconds);
        sb.Append('\n');
        foreach (var g in schedule)
            sb.Append(g.Index).Append(' ').Append(g.PairIndex).Append(' ').Append(g.Opening.StartSfen).Append(' ')
                .Append(Identity(g.Black.Descriptor)).Append(' ').Append(Identity(g.White.Descriptor)).Append(' ').Append(g.Seed).Append('\n');
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(sb.ToString())));
    }

    private static string Identity(PlayerDescriptor d) => $"{d.Name}/{SnakeCaseName.Of(d.Kind)}/{d.CheckpointSha256}/{d.EngineCommand}/{d.Details}";

    private string PlanJson(EvaluationRequest request, IReadOnlyList<Matchup> matchups) => JsonSerializer.Serialize(new
    {
        strategy = request.Strategy.Name,
        strategy_params = JsonDocument.Parse(request.StrategyConfigJson).RootElement,
        num_games = request.NumGames,
        seed = request.Seed,
        max_plies = request.Arena.Rules.MaxPlies,
        concurrency = request.Arena.Concurrency,
        time_control = request.Arena.TimeControl?.ToString(),
        time_margin_ms = request.Arena.TimeControl is null ? (double?)null : request.Arena.TimeMargin.TotalMilliseconds,
        sprt = request.Sprt?.ToString(),
        matches = matchups.Select(m => new
        {
            a = (m.A is null ? request.Agent : participants.Get(m.A)).Descriptor.Name,
            b = participants.Get(m.B).Descriptor.Name,
            games = m.Games,
            m.CaseName,
        }),
    });

    /// <summary>Results gathered so far, from the agent's side.</summary>
    private sealed class Tally(IPlayerFactory agent, IReadOnlyList<ScheduledGame> schedule)
    {
        private readonly Dictionary<int, (double? AgentScore, Color AgentColor, int Plies, TerminationReason Reason, string Opponent, int Pair)> _games = [];

        public int Played => _games.Count;

        public void Add(int index, GameResult result, int plies, TerminationReason reason)
        {
            var g = schedule[index];
            bool agentBlack = ReferenceEquals(g.Black, agent), agentWhite = ReferenceEquals(g.White, agent);
            double? score = null;
            if (agentBlack || agentWhite) score = result.ScoreFor(agentBlack ? Color.Black : Color.White);
            string opponent = agentBlack ? g.White.Descriptor.Name : agentWhite ? g.Black.Descriptor.Name : "";
            _games[index] = (score, agentBlack ? Color.Black : Color.White, plies, reason, opponent, g.PairIndex);
        }

        public IReadOnlyList<AgentGame> AgentGames =>
            [.. _games.Where(kv => kv.Value.AgentScore is not null)
                .Select(kv => new AgentGame(kv.Value.AgentScore!.Value, kv.Value.AgentColor, kv.Value.Plies, kv.Value.Reason, kv.Value.Opponent, kv.Value.Pair, kv.Key))];

        public WdlCounts AgentCounts => WdlCounts.FromScores(AgentGames.Select(g => g.Score));

        public PairCounts AgentPairs => AgentResults.Pairs(AgentGames);

        public EvaluationProgress Progress(int planned, SprtResult? sprt)
        {
            var counts = AgentCounts;
            return new EvaluationProgress(Played, planned, counts, counts.Games > 0 ? EloEstimate.FromCounts(counts) : null, sprt);
        }

        public EvaluationReport Report(long id, EvaluationStatus status, EvaluationRequest request, int planned, IReadOnlyList<Matchup> matchups,
            SprtResult? sprt, IReadOnlyList<PoolRating> pool, TimeSpan elapsed)
        {
            var agentGames = AgentGames;
            var opponents = AgentResults.Opponents(agentGames);

            var benchmark = new List<BenchmarkCaseResult>();
            int firstPair = 0;
            foreach (var m in matchups)
            {
                int units = m.BothColors ? m.Games / 2 : m.Games;
                var range = Enumerable.Range(firstPair, units).ToHashSet();
                firstPair += units;
                if (m.CaseName is null) continue;
                var caseGames = agentGames.Where(g => range.Contains(g.Pair)).ToList();
                var counts = WdlCounts.FromScores(caseGames.Select(g => g.Score));
                bool passed = counts.Games > 0 && (m.PassScore is { } min ? counts.Score >= min : counts.Score > 0.5);
                benchmark.Add(new BenchmarkCaseResult(m.CaseName, m.B.Name, counts, m.PassScore ?? 0.5, passed));
            }

            var total = AgentCounts;
            var totalPairs = AgentPairs;
            return new EvaluationReport(id, status, request.Strategy.Name, agent.Descriptor.Name, planned, Played, total,
                EloEstimate.FromCounts(total), totalPairs.Pairs > 0 ? EloEstimate.FromPairs(totalPairs) : null, opponents, sprt, benchmark,
                benchmark.Count > 0 ? benchmark.Count(b => b.Passed) / (double)benchmark.Count : null, pool, elapsed);
        }
    }
}
