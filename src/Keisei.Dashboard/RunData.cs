using Keisei.Evaluation;
using Keisei.Evaluation.Storage;
using Keisei.Training;

namespace Keisei.Dashboard;

/// <summary>
/// A run's database as read at one data version: players, evaluations, games, checkpoints, champions, and (computed when
/// first asked) the ladder and each evaluation's report. Empty when the run has no database.
/// </summary>
public sealed class RunData
{
    private readonly Lazy<IReadOnlyList<PoolRating>> _ladder;
    private readonly Lazy<IReadOnlyList<StoredGame>> _games;
    private readonly Lazy<IReadOnlyDictionary<long, IReadOnlyList<StoredGame>>> _gamesByEvaluation;
    private readonly Dictionary<long, EvaluationReport> _reports = [];
    private readonly Lock _lock = new();

    internal RunData(RunState run, ResultsStore? store, long version)
    {
        Version = version;
        ReadAt = DateTimeOffset.UtcNow;
        if (store is null)
        {
            Names = new Dictionary<long, string>();
            Evaluations = [];
            _games = new Lazy<IReadOnlyList<StoredGame>>(() => []);
            _gamesByEvaluation = new Lazy<IReadOnlyDictionary<long, IReadOnlyList<StoredGame>>>(() => new Dictionary<long, IReadOnlyList<StoredGame>>());
            Checkpoints = [];
            Champions = [];
            Rollbacks = [];
            _ladder = new Lazy<IReadOnlyList<PoolRating>>(() => []);
            return;
        }
        var ledger = new RunLedger(store);
        Names = store.Players().ToDictionary(p => p.Id, p => p.Name);
        Evaluations = store.Evaluations();
        // The games (with their moves) are read when a page needs them; the runs list and a run's summary only count them.
        GameCount = store.GameCount();
        _games = new Lazy<IReadOnlyList<StoredGame>>(() => store.Games(), LazyThreadSafetyMode.ExecutionAndPublication);
        _gamesByEvaluation = new Lazy<IReadOnlyDictionary<long, IReadOnlyList<StoredGame>>>(
            () => Games.GroupBy(g => g.EvaluationId).ToDictionary(g => g.Key, g => (IReadOnlyList<StoredGame>)[.. g]), LazyThreadSafetyMode.ExecutionAndPublication);
        Checkpoints = ledger.Checkpoints();
        Champions = ledger.ChampionHistory();
        Rollbacks = ledger.Rollbacks();
        SchemaVersion = store.SchemaVersion;
        _ladder = new Lazy<IReadOnlyList<PoolRating>>(() => ledger.Ladder(run.Name), LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <summary>The data version this was read at (-1: no database).</summary>
    public long Version { get; }

    /// <summary>When it was read; a running evaluation's elapsed time runs to it.</summary>
    public DateTimeOffset ReadAt { get; }

    public IReadOnlyDictionary<long, string> Names { get; }
    public IReadOnlyList<StoredEvaluation> Evaluations { get; }
    /// <summary>Every stored game, read on first use.</summary>
    public IReadOnlyList<StoredGame> Games => _games.Value;

    /// <summary>How many games are stored (known without reading them).</summary>
    public int GameCount { get; }

    /// <summary>The stored games by evaluation, read on first use.</summary>
    public IReadOnlyDictionary<long, IReadOnlyList<StoredGame>> GamesByEvaluation => _gamesByEvaluation.Value;
    public IReadOnlyList<StoredCheckpoint> Checkpoints { get; }
    public IReadOnlyList<StoredChampion> Champions { get; }

    /// <summary>The rollbacks with their reasons (none in a database from before they were kept).</summary>
    public IReadOnlyList<StoredRollback> Rollbacks { get; }

    /// <summary>The database's schema version (older ones are read as they are; 0 without a database).</summary>
    public int SchemaVersion { get; }

    /// <summary>The run's ladder (<see cref="RunLedger.Ladder"/>).</summary>
    public IReadOnlyList<PoolRating> Ladder => _ladder.Value;

    /// <summary>The current champion, or null.</summary>
    public StoredChampion? Champion => Champions.LastOrDefault(c => c.Status == ChampionStatus.Active);

    /// <summary>The games of one evaluation (none when it has none).</summary>
    public IReadOnlyList<StoredGame> GamesOf(long evaluationId) => GamesByEvaluation.TryGetValue(evaluationId, out var list) ? list : [];

    /// <summary>An evaluation's report rebuilt from its stored games (<see cref="AgentResults.FromStore"/>).</summary>
    public EvaluationReport Report(StoredEvaluation evaluation)
    {
        lock (_lock)
        {
            if (!_reports.TryGetValue(evaluation.Id, out var report))
                _reports[evaluation.Id] = report = AgentResults.FromStore(evaluation, GamesOf(evaluation.Id), Names, ReadAt);
            return report;
        }
    }
}
