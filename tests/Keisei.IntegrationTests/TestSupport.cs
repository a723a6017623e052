using System.Diagnostics;
using Keisei.Evaluation;
using Keisei.Evaluation.Arena;
using Keisei.Evaluation.Players;
using Keisei.Evaluation.Service;
using Keisei.Evaluation.Storage;
using Keisei.Evaluation.Strategies;
using Keisei.Neural.Models;
using Keisei.Shogi;
using Keisei.Training;

namespace Keisei.IntegrationTests;

/// <summary>
/// Every integration test runs alone: they count threads and engine processes of this test process, and share torch's
/// global state (threads, generator) with training.
/// </summary>
[CollectionDefinition("integration", DisableParallelization = true)]
public sealed class IntegrationCollection;

/// <summary>A temporary folder per test class instance, deleted afterwards.</summary>
public abstract class TempDirectoryTest : IDisposable
{
    protected string Dir { get; } = Directory.CreateTempSubdirectory("keisei-integ-").FullName;

    public virtual void Dispose()
    {
        try
        {
            Directory.Delete(Dir, recursive: true);
        }
        catch (IOException)
        {
            // A file still held open by a failed test must not hide that test's own failure.
        }
        GC.SuppressFinalize(this);
    }
}

internal static class Support
{
    /// <summary>Training options that run an update (64 plies) in well under a second on one CPU thread.</summary>
    public static TrainingOptions Tiny(long total, long checkpointInterval = 1_000_000, int seed = 3) => new()
    {
        TotalTimesteps = total,
        StepsPerEpoch = 64,
        NumEnvs = 4,
        MaxMovesPerGame = 40,
        CheckpointIntervalTimesteps = checkpointInterval,
        Seed = seed,
        Threads = 1,
        Model = new ModelConfig { Architecture = ModelConfig.ResNet, TowerDepth = 1, TowerWidth = 8 },
        Ppo = new PpoOptions { PpoEpochs = 2, MinibatchSize = 32, LearningRate = 1e-3 },
    };

    /// <summary>Periodic evaluation against the random anchor, with short games.</summary>
    public static PeriodicEvaluationOptions Periodic(long interval, int gamesPerOpponent = 2, int maxPlies = 24, IReadOnlyList<OpponentSpec>? anchors = null,
        int previousPool = 5) => new()
    {
        IntervalTimesteps = interval,
        Anchors = anchors ?? [OpponentSpec.Parse("random")],
        GamesPerOpponent = gamesPerOpponent,
        PreviousPoolSize = previousPool,
        Arena = new ArenaOptions { Concurrency = 2, Rules = new GameRules { MaxPlies = maxPlies } },
        Neural = new NeuralPlayOptions { MaxMovesPerGame = 40 },
        Seed = 5,
    };

    /// <summary>Service options for tests: no adaptive throttling, generous queue unless told otherwise.</summary>
    public static EvaluationServiceOptions Service(int queue = 16, QueueFullPolicy whenFull = QueueFullPolicy.KeepNewest, int concurrent = 1,
        TimeSpan? timeout = null) => new()
    {
        QueueCapacity = queue,
        WhenFull = whenFull,
        MaxConcurrentEvaluations = concurrent,
        EvaluationTimeout = timeout,
        Adaptive = false,
    };

    public static float[] Weights(PolicyValueModel model) =>
        model.parameters().SelectMany(p => p.detach().cpu().data<float>().ToArray()).ToArray();

    /// <summary>Path of the fake engine next to the test assembly; its full path identifies the engines this test run started.</summary>
    public static string FakeEngineDll => Path.Combine(AppContext.BaseDirectory, "Keisei.FakeUsiEngine.dll");

    public static string FakeEngine(string mode, string args = "") => $"dotnet \"{FakeEngineDll}\" {mode} {args}".Trim();

    /// <summary>
    /// Running fake engines started from this test output folder (by command line under /proc, so engines orphaned by a
    /// leak are found too; engines of other checkouts or test runs do not count).
    /// </summary>
    public static List<int> FakeEngineProcesses()
    {
        var found = new List<int>();
        if (!OperatingSystem.IsLinux())
        {
            // Without /proc: any process that looks like the fake engine.
            foreach (var p in Process.GetProcessesByName("Keisei.FakeUsiEngine"))
            {
                found.Add(p.Id);
                p.Dispose();
            }
            return found;
        }
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out int pid)) continue;
            string cmdline;
            try
            {
                cmdline = File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' ');
                // A zombie has an empty command line; a reaped process has no folder.
                if (File.ReadAllText(Path.Combine(dir, "stat")).Split(' ') is { Length: > 2 } stat && stat[2] == "Z") continue;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                continue;
            }
            if (cmdline.Contains(FakeEngineDll, StringComparison.Ordinal)) found.Add(pid);
        }
        return found;
    }

    public static int ThreadCount()
    {
        using var self = Process.GetCurrentProcess();
        return self.Threads.Count;
    }

    /// <summary>Polls until the condition holds; false if it still does not after <paramref name="limit"/>.</summary>
    public static async Task<bool> WaitUntil(Func<bool> condition, TimeSpan limit, int pollMs = 20)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > limit) return false;
            await Task.Delay(pollMs);
        }
        return true;
    }

    /// <summary>A tournament request of <paramref name="agent"/> against the given opponents.</summary>
    public static EvaluationRequest Tournament(IPlayerFactory agent, IReadOnlyList<OpponentSpec> opponents, int gamesPerOpponent, ArenaOptions? arena = null,
        int seed = 1) => new()
    {
        Agent = agent,
        Strategy = EvaluationStrategy.Create("tournament", new ParamReader(new Dictionary<string, object?> { ["num_games_per_opponent"] = (long)gamesPerOpponent },
            "evaluation.strategy_params")),
        StrategyConfigJson = $$"""{"num_games_per_opponent":{{gamesPerOpponent}}}""",
        Opponents = opponents,
        NumGames = gamesPerOpponent * opponents.Count,
        Seed = seed,
        Arena = arena ?? new ArenaOptions { Concurrency = 2, Rules = new GameRules { MaxPlies = 20 } },
    };

    /// <summary>A job that plays random against the given opponents; its agent is a random player named after the job.</summary>
    public static EvaluationJob RandomJob(string name, IReadOnlyList<OpponentSpec> opponents, int gamesPerOpponent = 2, ArenaOptions? arena = null,
        Action<string>? onStart = null, Func<CancellationToken, Task>? beforeStart = null, Action<string>? onDiscard = null) =>
        new(name, 0,
            async ct =>
            {
                onStart?.Invoke(name);
                if (beforeStart is not null) await beforeStart(ct);
                return new RandomPlayerFactory(name);
            },
            agent => Tournament(agent, opponents, gamesPerOpponent, arena),
            onDiscard is null ? null : () => onDiscard(name));

    /// <summary>Collects outcomes as the service reports them.</summary>
    public sealed class OutcomeLog
    {
        private readonly List<EvaluationOutcome> _outcomes = [];

        public void Add(EvaluationOutcome outcome)
        {
            lock (_outcomes) _outcomes.Add(outcome);
        }

        public IReadOnlyList<EvaluationOutcome> Snapshot()
        {
            lock (_outcomes) return [.. _outcomes];
        }

        public int Count
        {
            get
            {
                lock (_outcomes) return _outcomes.Count;
            }
        }
    }

    /// <summary>Cancels a token source once training passed a number of timesteps (as Ctrl-C would).</summary>
    public sealed class StopAfter(long timesteps, CancellationTokenSource stop) : IProgress<TrainingStatus>
    {
        public void Report(TrainingStatus value)
        {
            if (value.Timesteps >= timesteps) stop.Cancel();
        }
    }

    /// <summary>A standalone service over a store, with its participants; disposes all three.</summary>
    public sealed class Harness : IAsyncDisposable
    {
        public Harness(string dir, EvaluationServiceOptions options, UsiPlayOptions? usi = null)
        {
            Store = ResultsStore.Open(Path.Combine(dir, $"keisei-{Guid.NewGuid():N}.db"));
            Participants = new ParticipantResolver(new NeuralPlayOptions(), usi ?? new UsiPlayOptions());
            Service = new EvaluationService(options, Store, Participants, Outcomes.Add);
            // No training beside it: nothing to wait for when measuring the training impact.
            Service.Throughput.Finish();
        }

        public ResultsStore Store { get; }
        public ParticipantResolver Participants { get; }
        public EvaluationService Service { get; }
        public OutcomeLog Outcomes { get; } = new();

        public async ValueTask DisposeAsync()
        {
            await Service.DisposeAsync();
            await Participants.DisposeAsync();
            Store.Dispose();
        }
    }
}
