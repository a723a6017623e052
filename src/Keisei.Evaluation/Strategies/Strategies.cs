using Keisei.Evaluation.Arena;

namespace Keisei.Evaluation.Strategies;

/// <summary>One match of a plan: participant A (null: the agent) against B, a number of games from the given openings.</summary>
/// <param name="BothColors">Play each opening as a colour-swapped pair (A as Black, then A as White).</param>
/// <param name="CaseName">Benchmark case this match belongs to.</param>
/// <param name="PassScore">Benchmark: the lowest score of A that passes the case (null: more than half).</param>
public sealed record Matchup(OpponentSpec? A, OpponentSpec B, int Games, IReadOnlyList<Opening> Openings, bool BothColors = true,
    string? CaseName = null, double? PassScore = null);

/// <summary>What a strategy needs to plan: the agent's name, opponents given on the command line, defaults, ratings known so far.</summary>
public sealed record PlanContext(
    string AgentName,
    IReadOnlyList<OpponentSpec> Opponents,
    int NumGames,
    IReadOnlyList<Opening> Openings,
    Func<string, double?> FittedRating);

/// <summary>Turns an evaluation request into matches; configured with the Python Keisei's strategy names and parameters.</summary>
public abstract class EvaluationStrategy
{
    public static readonly string[] Names = ["single_opponent", "tournament", "ladder", "benchmark", "custom"];

    /// <summary>The strategy's name as in the config.</summary>
    public abstract string Name { get; }

    /// <summary>The matches to play.</summary>
    public abstract IReadOnlyList<Matchup> Plan(PlanContext context);

    /// <summary>Builds a strategy from its name and <c>strategy_params</c>; unknown names, keys or bad values are config errors.</summary>
    public static EvaluationStrategy Create(string name, ParamReader parameters) => name switch
    {
        "single_opponent" => new SingleOpponentStrategy(parameters),
        "tournament" => new TournamentStrategy(parameters),
        "ladder" => new LadderStrategy(parameters),
        "benchmark" => new BenchmarkStrategy(parameters),
        "custom" => new CustomStrategy(parameters),
        _ => throw new EvaluationConfigException(
            $"evaluation.strategy: unknown strategy '{name}'{Suggest(name)}; expected one of {string.Join(", ", Names)}"),
    };

    private static string Suggest(string name)
    {
        string best = Names.OrderBy(n => ParamReader.Distance(n, name)).First();
        return ParamReader.Distance(best, name) <= 4 ? $" (did you mean '{best}'?)" : "";
    }

    /// <summary>Games rounded up to an even number when they are played in colour-swapped pairs.</summary>
    protected static int Even(int games, bool pairs) => pairs && games % 2 == 1 ? games + 1 : games;

    /// <summary>Every pair of the agent and <paramref name="pool"/>: the agent against each, then each opponent against each later one.</summary>
    protected static List<Matchup> RoundRobin(IReadOnlyList<OpponentSpec> pool, int games, IReadOnlyList<Opening> openings)
    {
        var plan = pool.Select(o => new Matchup(null, o, games, openings)).ToList();
        for (int i = 0; i < pool.Count; i++)
            for (int j = i + 1; j < pool.Count; j++)
                plan.Add(new Matchup(pool[i], pool[j], games, openings));
        return plan;
    }

    /// <summary>The opponents of the command line, or the one named in the parameters.</summary>
    protected static IReadOnlyList<OpponentSpec> PoolOrDefault(ParamReader p, string key, PlanContext context)
    {
        var pool = p.List(key).Select(OpponentSpec.FromParams).ToList();
        if (pool.Count > 0) return pool;
        if (context.Opponents.Count > 0) return context.Opponents;
        throw new EvaluationConfigException($"{p.Path}.{key}: no opponents (give {key} or --opponent)");
    }
}

/// <summary><c>single_opponent</c>: the agent against one opponent, in colour-swapped pairs unless <c>play_as_both_colors</c> is false.</summary>
public sealed class SingleOpponentStrategy : EvaluationStrategy
{
    private readonly ParamReader _p;

    public SingleOpponentStrategy(ParamReader p)
    {
        p.RejectUnknown("opponent_name", "opponent_path", "opponent_params", "play_as_both_colors", "color_balance_tolerance");
        _ = p.Bool("play_as_both_colors", true);
        _ = p.Double("color_balance_tolerance", 0.1);
        _p = p;
    }

    public override string Name => "single_opponent";

    public override IReadOnlyList<Matchup> Plan(PlanContext context)
    {
        bool both = _p.Bool("play_as_both_colors", true);
        OpponentSpec opponent;
        if (context.Opponents.Count > 1)
            throw new EvaluationConfigException($"single_opponent plays one opponent, {context.Opponents.Count} were given (use --strategy tournament)");
        if (context.Opponents.Count == 1)
        {
            opponent = context.Opponents[0];
        }
        else
        {
            string name = _p.String("opponent_name") ?? "random";
            string? path = _p.String("opponent_path");
            opponent = name switch
            {
                "random" or "heuristic" when path is null => OpponentSpec.Parse(name),
                _ when path is not null => new OpponentSpec(name, ParticipantKind.Checkpoint, path),
                _ => OpponentSpec.Parse(name, $"{_p.Path}.opponent_name"),
            };
        }
        return [new Matchup(null, opponent, Even(context.NumGames, both), context.Openings, both)];
    }
}

/// <summary>
/// <c>tournament</c>: <c>mode: gauntlet</c> (default) plays the agent against every opponent of <c>opponent_pool_config</c>
/// (or --opponent); <c>mode: round_robin</c> plays every pair of agent and opponents. Games per match:
/// <c>num_games_per_opponent</c>, or <c>num_games</c> split evenly.
/// </summary>
public sealed class TournamentStrategy : EvaluationStrategy
{
    private readonly ParamReader _p;

    public TournamentStrategy(ParamReader p)
    {
        p.RejectUnknown("opponent_pool_config", "num_games_per_opponent", "mode");
        _ = p.OptionalInt("num_games_per_opponent", 1);
        if (p.String("mode", "gauntlet") is not ("gauntlet" or "round_robin"))
            throw new EvaluationConfigException($"{p.Path}.mode: expected gauntlet or round_robin, found '{p.String("mode")}'");
        _p = p;
    }

    public override string Name => "tournament";

    public override IReadOnlyList<Matchup> Plan(PlanContext context)
    {
        var pool = PoolOrDefault(_p, "opponent_pool_config", context);
        bool roundRobin = _p.String("mode", "gauntlet") == "round_robin";
        int matches = roundRobin ? (pool.Count + 1) * pool.Count / 2 : pool.Count;
        int perMatch = Even(_p.OptionalInt("num_games_per_opponent", 1) ?? Math.Max(1, (context.NumGames + matches - 1) / matches), true);
        return roundRobin ? RoundRobin(pool, perMatch, context.Openings) : pool.Select(o => new Matchup(null, o, perMatch, context.Openings)).ToList();
    }
}

/// <summary>
/// <c>ladder</c>: picks <c>num_opponents_per_evaluation</c> opponents from the pool whose fitted rating is closest to the
/// agent's (within <c>rating_match_range</c> first, then the nearest others); unrated players count as their
/// <c>initial_rating</c> (default 1500). Plays <c>num_games_per_match</c> games against each.
/// </summary>
public sealed class LadderStrategy : EvaluationStrategy
{
    private readonly ParamReader _p;

    public LadderStrategy(ParamReader p)
    {
        p.RejectUnknown("opponent_pool_config", "elo_config", "num_games_per_match", "num_opponents_per_evaluation", "rating_match_range", "initial_rating");
        _ = p.Int("num_games_per_match", 2, 1);
        _ = p.Int("num_opponents_per_evaluation", 3, 1);
        _ = p.Double("rating_match_range", 200);
        _p = p;
    }

    public override string Name => "ladder";

    public override IReadOnlyList<Matchup> Plan(PlanContext context)
    {
        var pool = PoolOrDefault(_p, "opponent_pool_config", context);
        double initial = _p.Double("initial_rating", 1500);
        double range = _p.Double("rating_match_range", 200);
        double agent = context.FittedRating(context.AgentName) ?? initial;
        var chosen = pool
            .Select(o => (Spec: o, Gap: Math.Abs((context.FittedRating(o.Name) ?? o.InitialRating ?? initial) - agent)))
            .OrderBy(x => x.Gap > range).ThenBy(x => x.Gap).ThenBy(x => x.Spec.Name, StringComparer.Ordinal)
            .Take(_p.Int("num_opponents_per_evaluation", 3, 1));
        int games = Even(_p.Int("num_games_per_match", 2, 1), true);
        return chosen.Select(x => new Matchup(null, x.Spec, games, context.Openings)).ToList();
    }
}

/// <summary>
/// <c>benchmark</c>: a suite of cases (<c>suite_config</c>: {name, type, checkpoint_path | command, metadata.initial_sfen
/// or initial_fen, games, pass_score}); each case plays <c>num_games_per_benchmark_case</c> games (default 2: one pair)
/// from its position; a case passes when the agent's score reaches <c>pass_score</c> (default: more than half).
/// </summary>
public sealed class BenchmarkStrategy : EvaluationStrategy
{
    private readonly ParamReader _p;

    public BenchmarkStrategy(ParamReader p)
    {
        p.RejectUnknown("suite_config", "num_games_per_benchmark_case");
        _ = p.Int("num_games_per_benchmark_case", 2, 1);
        if (p.List("suite_config").Count == 0) throw new EvaluationConfigException($"{p.Path}.suite_config: expected a list of cases, found none");
        foreach (var entry in p.List("suite_config")) _ = Case(entry, 2);
        _p = p;
    }

    public override string Name => "benchmark";

    private static Matchup Case(ParamReader entry, int defaultGames)
    {
        entry.RejectUnknown("name", "type", "opponent_name", "checkpoint_path", "command", "initial_rating", "metadata", "initial_sfen", "games", "pass_score");
        var metadata = entry.Map("metadata");
        string? sfen = metadata.String("initial_sfen") ?? metadata.String("initial_fen") ?? entry.String("initial_sfen");
        var opponentFields = new Dictionary<string, object?>();
        foreach (string key in new[] { "type", "checkpoint_path", "command", "initial_rating" })
            if (entry.Has(key)) opponentFields[key] = entry.String(key);
        opponentFields["name"] = entry.String("opponent_name") ?? entry.String("type");
        var opponent = OpponentSpec.FromParams(new ParamReader(opponentFields, entry.Path));
        string caseName = entry.String("name") ?? $"case{entry.Path}";
        Opening opening;
        try
        {
            opening = sfen is null ? Opening.StartPosition : new Opening(0, OpeningBook.Parse(sfen));
        }
        catch (FormatException e)
        {
            throw new EvaluationConfigException($"{entry.Path}.metadata.initial_sfen: {e.Message}");
        }
        int games = entry.Int("games", defaultGames, 1);
        double? pass = entry.Has("pass_score") ? entry.Double("pass_score", 0.5) : null;
        return new Matchup(null, opponent, games, [opening], BothColors: games % 2 == 0, CaseName: caseName, PassScore: pass);
    }

    public override IReadOnlyList<Matchup> Plan(PlanContext context)
    {
        int games = _p.Int("num_games_per_benchmark_case", 2, 1);
        return _p.List("suite_config").Select(e => Case(e, games)).ToList();
    }
}

/// <summary>
/// <c>custom</c>: <c>evaluation_mode: custom_sequence</c> plays <c>custom_sequence</c> [{opponent, games}] in order
/// (opponents named in <c>custom_opponents</c> or in command-line form); <c>round_robin</c> plays every pair of agent and
/// <c>custom_opponents</c> with <c>games_per_opponent</c> games each.
/// </summary>
public sealed class CustomStrategy : EvaluationStrategy
{
    private readonly ParamReader _p;

    public CustomStrategy(ParamReader p)
    {
        p.RejectUnknown("custom_opponents", "opponent_pool_size", "opponent_pool_type", "single_opponent", "evaluation_mode", "games_per_opponent", "custom_sequence");
        string mode = p.String("evaluation_mode", "custom_sequence")!;
        if (mode is not ("custom_sequence" or "round_robin"))
            throw new EvaluationConfigException(
                $"{p.Path}.evaluation_mode: expected custom_sequence or round_robin, found '{mode}'" +
                (mode == "single_elimination" ? " (single_elimination is not supported: its matches depend on earlier results)" : ""));
        _ = p.Int("games_per_opponent", 1, 1);
        _p = p;
    }

    public override string Name => "custom";

    public override IReadOnlyList<Matchup> Plan(PlanContext context)
    {
        var named = _p.List("custom_opponents").Select(OpponentSpec.FromParams).ToDictionary(o => o.Name);
        foreach (var o in context.Opponents) named.TryAdd(o.Name, o);
        OpponentSpec Resolve(string name, string where) => named.TryGetValue(name, out var spec) ? spec : OpponentSpec.Parse(name, where);

        if (_p.String("evaluation_mode", "custom_sequence") == "round_robin")
        {
            var pool = named.Values.ToList();
            if (pool.Count == 0) throw new EvaluationConfigException($"{_p.Path}.custom_opponents: round_robin needs opponents");
            int games = Even(_p.Int("games_per_opponent", 1, 1), true);
            return RoundRobin(pool, games, context.Openings);
        }

        var sequence = _p.List("custom_sequence");
        if (sequence.Count == 0) throw new EvaluationConfigException($"{_p.Path}.custom_sequence: expected a list of {{opponent, games}}, found none");
        return sequence.Select(step =>
        {
            step.RejectUnknown("opponent", "games");
            string name = step.String("opponent") ?? throw new EvaluationConfigException($"{step.Path}.opponent: required");
            return new Matchup(null, Resolve(name, $"{step.Path}.opponent"), Even(step.Int("games", 2, 1), true), context.Openings);
        }).ToList();
    }
}
