using Keisei.Evaluation.Strategies;
using Keisei.Evaluation.Players;
using Keisei.Evaluation.Storage;
using Keisei.Shogi;
using Microsoft.Data.Sqlite;

namespace Keisei.Evaluation.Tests.Evaluation;

public sealed class StoreTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("keisei-store-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void NewDatabaseHasTheCurrentSchemaInWalMode()
    {
        string path = Path.Combine(_dir, "a.db");
        using (var store = ResultsStore.Open(path)) Assert.Equal(ResultsStore.CurrentSchemaVersion, store.SchemaVersion);
        using var connection = new SqliteConnection($"Data Source={path}");
        connection.Open();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "PRAGMA journal_mode;";
        Assert.Equal("wal", cmd.ExecuteScalar());
    }

    [Fact]
    public void AGameIndexIsStoredOnce()
    {
        using var store = ResultsStore.Open(Path.Combine(_dir, "b.db"));
        long a = store.EnsurePlayer(new PlayerDescriptor("a", ParticipantKind.Random));
        long b = store.EnsurePlayer(new PlayerDescriptor("b", ParticipantKind.Random));
        long e = store.FindOrCreateEvaluation("key", a, "single_opponent", "{}", 2).Evaluation.Id;
        long pair = store.EnsurePair(e, 0, 0, Position.StartSfen, a, b);
        Move[] moves = [UsiNotation.ParseMove(Position.StartPosition(), "7g7f")];
        Assert.True(store.RecordGame(e, pair, 0, a, b, Position.StartSfen, moves, GameResult.BlackWin, TerminationReason.Resignation, TimeSpan.FromSeconds(1), null));
        Assert.False(store.RecordGame(e, pair, 0, a, b, Position.StartSfen, moves, GameResult.WhiteWin, TerminationReason.Resignation, TimeSpan.FromSeconds(1), null));
        var game = Assert.Single(store.Games(e));
        Assert.Equal(GameResult.BlackWin, game.Result);
        Assert.Equal(["7g7f"], game.Moves);
        Assert.Equal(1, game.ScoreOf(a));
        Assert.Equal(0, game.ScoreOf(b));
    }

    [Fact]
    public void MoveTimesAreKeptToTheMillisecondAndOldGamesHaveNone()
    {
        string path = Path.Combine(_dir, "times.db");
        // A database of schema version 2, from before move times were kept, with one game in it.
        using (var store = ResultsStore.Open(path)) { }
        using (var connection = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            connection.Open();
            using var cmd = connection.CreateCommand();
            cmd.CommandText = """
                DROP TABLE rollbacks;
                DROP TABLE games;
                CREATE TABLE games (id INTEGER PRIMARY KEY, evaluation_id INTEGER NOT NULL REFERENCES evaluations(id) ON DELETE CASCADE,
                    game_index INTEGER NOT NULL, pair_id INTEGER NOT NULL REFERENCES pairs(id), black_player_id INTEGER NOT NULL REFERENCES players(id),
                    white_player_id INTEGER NOT NULL REFERENCES players(id), start_sfen TEXT NOT NULL, moves TEXT NOT NULL, result TEXT NOT NULL,
                    termination TEXT NOT NULL, plies INTEGER NOT NULL, duration_ms REAL NOT NULL, detail TEXT, finished_at TEXT NOT NULL,
                    UNIQUE (evaluation_id, game_index));
                INSERT INTO players (id, name, kind, created_at) VALUES (1, 'a', 'random', '2024-01-01T00:00:00Z'), (2, 'b', 'random', '2024-01-01T00:00:00Z');
                INSERT INTO evaluations (id, key, agent_player_id, strategy, config_json, status, planned_games, created_at)
                    VALUES (1, 'k', 1, 'single_opponent', '{}', 'running', 2, '2024-01-01T00:00:00Z');
                INSERT INTO pairs (id, evaluation_id, pair_index, opening_id, start_sfen, player_a_id, player_b_id)
                    VALUES (1, 1, 0, 0, 'lnsgkgsnl/1r5b1/ppppppppp/9/9/9/PPPPPPPPP/1B5R1/LNSGKGSNL b - 1', 1, 2);
                INSERT INTO games (evaluation_id, game_index, pair_id, black_player_id, white_player_id, start_sfen, moves, result, termination,
                    plies, duration_ms, finished_at)
                    VALUES (1, 0, 1, 1, 2, 'lnsgkgsnl/1r5b1/ppppppppp/9/9/9/PPPPPPPPP/1B5R1/LNSGKGSNL b - 1', '7g7f', 'BlackWin', 'Resignation',
                    1, 5, '2024-01-01T00:00:00Z');
                PRAGMA user_version = 2;
                """;
            cmd.ExecuteNonQuery();
        }

        using (var store = ResultsStore.Open(path))
        {
            Assert.Equal(ResultsStore.CurrentSchemaVersion, store.SchemaVersion);
            var old = Assert.Single(store.Games(1));
            Assert.Null(old.MoveTimes);
            var position = Position.StartPosition();
            var first = UsiNotation.ParseMove(position, "7g7f");
            position.DoMove(first);
            Move[] moves = [first, UsiNotation.ParseMove(position, "3c3d")];
            TimeSpan[] times = [TimeSpan.FromMilliseconds(1234.9), TimeSpan.Zero];
            Assert.True(store.RecordGame(1, 1, 1, 2, 1, Position.StartSfen, moves, GameResult.WhiteWin, TerminationReason.Resignation, TimeSpan.FromSeconds(2), null, times));
            Assert.Throws<ArgumentException>(() =>
                store.RecordGame(1, 1, 2, 1, 2, Position.StartSfen, moves, GameResult.Draw, TerminationReason.MaxMoves, TimeSpan.FromSeconds(2), null, [TimeSpan.Zero]));
        }
        using (var store = ResultsStore.Open(path))
            Assert.Equal([TimeSpan.FromMilliseconds(1234), TimeSpan.Zero], store.Games(1).Single(g => g.GameIndex == 1).MoveTimes);
    }

    /// <summary>
    /// A database of each older schema version (built by taking back what the later migrations add) is read by a read-only
    /// store as it is — what its version lacks reads as none — and is then migrated by a writing one, which stores rollbacks.
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void OlderSchemasAreReadAsTheyAreAndMigrateToKeepRollbacks(int version)
    {
        string path = Path.Combine(_dir, $"v{version}.db");
        using (var store = ResultsStore.Open(path))
        {
            long a = store.EnsurePlayer(new PlayerDescriptor("a", ParticipantKind.Random));
            long b = store.EnsurePlayer(new PlayerDescriptor("b", ParticipantKind.Random));
            long e = store.FindOrCreateEvaluation("key", a, "single_opponent", "{}", 2).Evaluation.Id;
            long pair = store.EnsurePair(e, 0, 0, Position.StartSfen, a, b);
            Move[] moves = [UsiNotation.ParseMove(Position.StartPosition(), "7g7f")];
            store.RecordGame(e, pair, 0, a, b, Position.StartSfen, moves, GameResult.BlackWin, TerminationReason.Resignation, TimeSpan.FromSeconds(1), null,
                [TimeSpan.FromMilliseconds(700)]);
            store.RecordCheckpoint("/run/checkpoints/checkpoint_ts64.ckpt", 64, "aaaaaaaaaaaaaaaa");
            store.Promote("/run/checkpoints/checkpoint_ts64.ckpt", 64, "{}");
        }
        using (var connection = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            connection.Open();
            using var cmd = connection.CreateCommand();
            cmd.CommandText = "DROP TABLE rollbacks;"
                + (version < 3 ? " ALTER TABLE games DROP COLUMN move_times_ms;" : "")
                + (version < 2 ? " DROP TABLE checkpoints; DROP TABLE champions;" : "")
                + $" PRAGMA user_version = {version};";
            cmd.ExecuteNonQuery();
        }

        using (var old = ResultsStore.OpenReadOnly(path))
        {
            Assert.Equal(version, old.SchemaVersion);
            var game = Assert.Single(old.Games());
            Assert.Equal(["7g7f"], game.Moves);
            Assert.Equal(version >= 3 ? [TimeSpan.FromMilliseconds(700)] : null, game.MoveTimes);
            Assert.Equal(version >= 2 ? 1 : 0, old.Checkpoints().Count);
            Assert.Equal(version >= 2 ? 1 : 0, old.Champions().Count);
            Assert.Empty(old.Rollbacks());
            Assert.Equal(1, old.GameCount());
        }

        using (var store = ResultsStore.Open(path))
        {
            Assert.Equal(ResultsStore.CurrentSchemaVersion, store.SchemaVersion);
            Assert.Empty(store.Rollbacks());
            store.RecordRollback("previous-champion", "/run/checkpoints/checkpoint_ts128.ckpt", null, "/run/checkpoints/rolled_back/checkpoint_ts128.ckpt",
                "/run/checkpoints/checkpoint_ts64.ckpt", 64, 1, "lost to heuristic");
        }
        using (var reader = ResultsStore.OpenReadOnly(path))
        {
            var rollback = Assert.Single(reader.Rollbacks());
            Assert.Equal(("previous-champion", "/run/checkpoints/checkpoint_ts128.ckpt", (string?)null, "/run/checkpoints/rolled_back/checkpoint_ts128.ckpt",
                    "/run/checkpoints/checkpoint_ts64.ckpt", 64L, 1, "lost to heuristic"),
                (rollback.Target, rollback.FromChampion, rollback.ToChampion, rollback.FromCheckpoint, rollback.ToCheckpoint, rollback.ToTimesteps, rollback.Moved, rollback.Reason));
            Assert.InRange(rollback.RolledBackAt, DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddHours(1));
        }
    }

    [Fact]
    public void AReadOnlyStoreRefusesADatabaseWithoutSchemaOrWithANewerOne()
    {
        string empty = Path.Combine(_dir, "empty.db");
        using (var connection = new SqliteConnection($"Data Source={empty};Pooling=False"))
        {
            connection.Open();
            using var cmd = connection.CreateCommand();
            cmd.CommandText = "CREATE TABLE other (x INTEGER);";
            cmd.ExecuteNonQuery();
        }
        Assert.Equal($"Results database '{empty}' has no Keisei schema yet (version 0); any command that writes to it, such as keisei rate --db, creates it.",
            Assert.Throws<ResultsStoreException>(() => ResultsStore.OpenReadOnly(empty)).Message);
        string newer = Path.Combine(_dir, "newer.db");
        using (ResultsStore.Open(newer)) { }
        using (var connection = new SqliteConnection($"Data Source={newer};Pooling=False"))
        {
            connection.Open();
            using var cmd = connection.CreateCommand();
            cmd.CommandText = $"PRAGMA user_version = {ResultsStore.CurrentSchemaVersion + 1};";
            cmd.ExecuteNonQuery();
        }
        Assert.Equal($"Results database '{newer}' has schema version {ResultsStore.CurrentSchemaVersion + 1}; this Keisei knows up to {ResultsStore.CurrentSchemaVersion}.",
            Assert.Throws<ResultsStoreException>(() => ResultsStore.OpenReadOnly(newer)).Message);
    }

    [Fact]
    public void ANameCannotBeReusedForAnotherParticipant()
    {
        using var store = ResultsStore.Open(Path.Combine(_dir, "c.db"));
        store.EnsurePlayer(new PlayerDescriptor("x", ParticipantKind.Checkpoint, "/a", "aaaaaaaaaaaaaaaa"));
        Assert.Equal(store.EnsurePlayer(new PlayerDescriptor("x", ParticipantKind.Checkpoint, "/a", "aaaaaaaaaaaaaaaa")), store.FindPlayer("x")!.Id);
        var e = Assert.Throws<ResultsStoreException>(() => store.EnsurePlayer(new PlayerDescriptor("x", ParticipantKind.Checkpoint, "/b", "bbbbbbbbbbbbbbbb")));
        Assert.Contains("'x' already belongs to a different participant", e.Message);
    }

    [Fact]
    public void ANotADatabaseFileGivesAClearError()
    {
        string path = Path.Combine(_dir, "junk.db");
        File.WriteAllText(path, new string('x', 4096));
        var e = Assert.Throws<ResultsStoreException>(() => ResultsStore.Open(path));
        Assert.Contains(path, e.Message);
    }

    /// <summary>
    /// Eight threads, each with its own connection, open one new database at once and register the same players and the
    /// same evaluation: the schema is created once, and each thing has one row that every thread gets.
    /// </summary>
    [Fact]
    public void ConnectionsOpeningAndRegisteringAtOnceGetOneRowEach()
    {
        for (int round = 0; round < 5; round++)
        {
            string path = Path.Combine(_dir, $"race{round}.db");
            const int threads = 8;
            using var start = new Barrier(threads);
            var results = new (long Agent, long Opponent, long Evaluation, bool Created)[threads];
            var errors = new System.Collections.Concurrent.ConcurrentQueue<Exception>();
            var workers = Enumerable.Range(0, threads).Select(t => new Thread(() => Capture(errors, () =>
            {
                start.SignalAndWait();
                using var store = ResultsStore.Open(path);
                long agent = store.EnsurePlayer(new PlayerDescriptor("agent", ParticipantKind.Random));
                long opponent = store.EnsurePlayer(new PlayerDescriptor("opponent", ParticipantKind.Heuristic));
                var (evaluation, created) = store.FindOrCreateEvaluation("same-plan", agent, "single_opponent", "{}", 4);
                results[t] = (agent, opponent, evaluation.Id, created);
            }))).ToList();
            workers.ForEach(w => w.Start());
            foreach (var w in workers) Assert.True(w.Join(TimeSpan.FromMinutes(2)), "a thread hung");
            Assert.Empty(errors);
            Assert.Single(results.Select(r => r.Agent).Distinct());
            Assert.Single(results.Select(r => r.Opponent).Distinct());
            Assert.Single(results.Select(r => r.Evaluation).Distinct());
            Assert.Equal(1, results.Count(r => r.Created));
            using var check = ResultsStore.Open(path);
            Assert.Equal(ResultsStore.CurrentSchemaVersion, check.SchemaVersion);
            Assert.Equal(2, check.Players().Count);
            Assert.Single(check.Evaluations());
        }
    }

    /// <summary>Four threads with their own connections update one player's incremental Elo 50 times each: no update is lost.</summary>
    [Fact]
    public void IncrementalEloUpdatesFromSeveralConnectionsAreNotLost()
    {
        string path = Path.Combine(_dir, "elo.db");
        long a, b;
        using (var store = ResultsStore.Open(path))
        {
            a = store.EnsurePlayer(new PlayerDescriptor("a", ParticipantKind.Random));
            b = store.EnsurePlayer(new PlayerDescriptor("b", ParticipantKind.Random));
        }
        var errors = new System.Collections.Concurrent.ConcurrentQueue<Exception>();
        var workers = Enumerable.Range(0, 4).Select(_ => new Thread(() => Capture(errors, () =>
        {
            using var store = ResultsStore.Open(path);
            for (int i = 0; i < 50; i++) store.UpdateIncrementalElo(a, b, (ra, rb) => (ra + 1, rb - 1));
        }))).ToList();
        workers.ForEach(w => w.Start());
        foreach (var w in workers) Assert.True(w.Join(TimeSpan.FromMinutes(2)), "a thread hung");
        Assert.Empty(errors);
        using var check = ResultsStore.Open(path);
        Assert.Equal(1700, check.FindPlayer("a")!.IncrementalElo);
        Assert.Equal(1300, check.FindPlayer("b")!.IncrementalElo);
    }

    [Fact]
    public void AnEvaluationIsClaimedByOneRunAtATime()
    {
        string path = Path.Combine(_dir, "claim.db");
        using var first = ResultsStore.Open(path);
        using var second = ResultsStore.Open(path);
        long a = first.EnsurePlayer(new PlayerDescriptor("a", ParticipantKind.Random));
        long id = first.FindOrCreateEvaluation("k", a, "single_opponent", "{}", 2).Evaluation.Id;
        long other = first.FindOrCreateEvaluation("k2", a, "single_opponent", "{}", 2).Evaluation.Id;
        using (first.ClaimEvaluation(id))
        {
            var e = Assert.Throws<ResultsStoreException>(() => second.ClaimEvaluation(id));
            Assert.Contains($"'{path}': evaluation {id} is being played by another process", e.Message);
            using (second.ClaimEvaluation(other)) { } // another evaluation of the same database is free
        }
        using (second.ClaimEvaluation(id)) { } // released
    }

    [Fact]
    public void AServiceOutcomeIsNotAStoredStatus()
    {
        using var store = ResultsStore.Open(Path.Combine(_dir, "status.db"));
        long a = store.EnsurePlayer(new PlayerDescriptor("a", ParticipantKind.Random));
        long id = store.FindOrCreateEvaluation("k", a, "single_opponent", "{}", 2).Evaluation.Id;
        Assert.Throws<ArgumentException>(() => store.SetEvaluationStatus(id, EvaluationStatus.TimedOut));
        Assert.Equal(EvaluationStatus.Running, store.GetEvaluation(id)!.Status);
    }

    /// <summary>Runs a thread's work, keeping its exception for the test (an exception escaping a thread ends the test process).</summary>
    private static void Capture(System.Collections.Concurrent.ConcurrentQueue<Exception> errors, Action work)
    {
        try
        {
            work();
        }
        catch (Exception e)
        {
            errors.Enqueue(e);
        }
    }
}

public sealed class EvaluationStatusTests
{
    /// <summary>The enum's members keep the text the database and the JSON have always held.</summary>
    [Fact]
    public void StatusesAreStoredUnderTheirSnakeCaseNames() => Assert.Equal(
        ["running", "completed", "stopped", "failed", "gate_passed", "gate_failed", "sprt_accepted_h1", "sprt_accepted_h0", "timed_out", "cancelled"],
        SnakeCaseName.All<EvaluationStatus>());

    /// <summary>Participant kinds keep the text players rows and plan keys have always held.</summary>
    [Fact]
    public void ParticipantKindsAreStoredUnderTheirOldNames() => Assert.Equal(
        ["random", "heuristic", "checkpoint", "usi", "snapshot"], SnakeCaseName.All<ParticipantKind>());
}
