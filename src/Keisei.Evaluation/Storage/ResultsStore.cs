using System.Globalization;
using Keisei.Evaluation.Strategies;
using Keisei.Evaluation.Players;
using Keisei.Shogi;
using Microsoft.Data.Sqlite;

namespace Keisei.Evaluation.Storage;

/// <summary>A results database that cannot be used as asked; the message names the database and the problem.</summary>
public sealed class ResultsStoreException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>An evaluation as stored.</summary>
public sealed record StoredEvaluation(long Id, string Key, long AgentPlayerId, string Strategy, string ConfigJson, EvaluationStatus Status,
    int PlannedGames, DateTimeOffset CreatedAt, DateTimeOffset? FinishedAt, string? SummaryJson);

/// <summary>A checkpoint of a training run as registered in its database.</summary>
public sealed record StoredCheckpoint(long Id, string Path, long Timesteps, string Sha256, CheckpointStatus Status, DateTimeOffset CreatedAt);

/// <summary>A promotion of a checkpoint to champion, with the evidence that justified it.</summary>
public sealed record StoredChampion(long Id, string CheckpointPath, long Timesteps, string EvidenceJson, ChampionStatus Status, DateTimeOffset PromotedAt);

/// <summary>
/// A rollback of a training run as stored: when, what was asked (<see cref="Target"/>), the champion and newest checkpoint
/// before it and the champion and checkpoint after it (training resumes from <see cref="ToCheckpoint"/>), how many later
/// checkpoint files were moved aside, and why.
/// </summary>
public sealed record StoredRollback(long Id, DateTimeOffset RolledBackAt, string Target, string? FromChampion, string? ToChampion,
    string? FromCheckpoint, string ToCheckpoint, long ToTimesteps, int Moved, string Reason);

/// <summary>A participant as stored.</summary>
public sealed record StoredPlayer(long Id, string Name, ParticipantKind Kind, string? CheckpointPath, string? CheckpointSha256, string? EngineCommand,
    double IncrementalElo, string? Details = null);

/// <summary>
/// A finished game as stored: moves in USI, result from Black's side, termination reason, players and pairing, and the
/// time each move took (null for games stored before move times were kept).
/// </summary>
public sealed record StoredGame(long Id, long EvaluationId, int GameIndex, int PairIndex, int OpeningId, long BlackPlayerId, long WhitePlayerId,
    string StartSfen, IReadOnlyList<string> Moves, GameResult Result, TerminationReason Termination, int Plies, double DurationMs, string? Detail,
    DateTimeOffset FinishedAt, IReadOnlyList<TimeSpan>? MoveTimes)
{
    /// <summary>Score of a player in this game (1, ½, 0), or null if the player did not take part.</summary>
    public double? ScoreOf(long playerId)
    {
        if (playerId != BlackPlayerId && playerId != WhitePlayerId || Result == GameResult.Ongoing) return null;
        return Result.ScoreFor(playerId == BlackPlayerId ? Color.Black : Color.White);
    }

    /// <summary>
    /// The game as a record for the KIF/CSA writers, the players named from <paramref name="names"/> (player id → name).
    /// </summary>
    /// <exception cref="ResultsStoreException">A stored move is not legal where it was played (the row was changed outside Keisei).</exception>
    public GameRecord ToRecord(IReadOnlyDictionary<long, string> names)
    {
        var position = Position.FromSfen(StartSfen);
        var moves = new List<Move>(Moves.Count);
        for (int i = 0; i < Moves.Count; i++)
        {
            Move move;
            try
            {
                move = UsiNotation.ParseMove(position, Moves[i]);
            }
            catch (FormatException e)
            {
                throw new ResultsStoreException($"Stored game {Id}, move {i + 1}: {e.Message}", e);
            }
            position.DoMove(move);
            moves.Add(move);
        }
        return new GameRecord(StartSfen, moves, Result, Termination, names[BlackPlayerId], names[WhitePlayerId],
            FinishedAt - TimeSpan.FromMilliseconds(DurationMs), MoveTimes, Detail);
    }
}

/// <summary>
/// The SQLite results store (WAL, foreign keys, versioned migrations): players, evaluations, pairs, games and rating
/// snapshots. Every game is committed the moment it is recorded; a game index is stored at most once per evaluation.
/// Several processes may use one database at once: every connection waits out another's lock (<see cref="BusyTimeout"/>),
/// and whatever reads then writes (schema, find-or-create) does so in one <c>BEGIN IMMEDIATE</c> transaction. Any SQLite
/// failure, and any stored value this code would not write, is a <see cref="ResultsStoreException"/> naming the file.
/// </summary>
public sealed class ResultsStore : IDisposable
{
    /// <summary>How long a statement waits for another connection's lock before the database counts as unusable.</summary>
    public static readonly TimeSpan BusyTimeout = TimeSpan.FromSeconds(60);


    /// <summary>The evaluation statuses a database holds: all but the background service's own outcomes.</summary>
    private static readonly IReadOnlySet<string> StoredEvaluationStatuses = SnakeCaseName.All<EvaluationStatus>()
        .Except([SnakeCaseName.Of(EvaluationStatus.TimedOut), SnakeCaseName.Of(EvaluationStatus.Cancelled)]).ToHashSet(StringComparer.Ordinal);

    private readonly SqliteConnection _connection;
    private readonly Lock _lock = new();
    private SqliteTransaction? _transaction;

    /// <summary>Schema migrations; entry i brings the database from version i to i + 1.</summary>
    private static readonly string[] Migrations =
    [
        """
        CREATE TABLE players (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            kind TEXT NOT NULL,
            checkpoint_path TEXT,
            checkpoint_sha256 TEXT,
            engine_command TEXT,
            details TEXT,
            incremental_elo REAL NOT NULL DEFAULT 1500,
            created_at TEXT NOT NULL
        );
        CREATE TABLE evaluations (
            id INTEGER PRIMARY KEY,
            key TEXT NOT NULL UNIQUE,
            agent_player_id INTEGER NOT NULL REFERENCES players(id),
            strategy TEXT NOT NULL,
            config_json TEXT NOT NULL,
            status TEXT NOT NULL,
            planned_games INTEGER NOT NULL,
            created_at TEXT NOT NULL,
            finished_at TEXT,
            summary_json TEXT
        );
        CREATE TABLE pairs (
            id INTEGER PRIMARY KEY,
            evaluation_id INTEGER NOT NULL REFERENCES evaluations(id) ON DELETE CASCADE,
            pair_index INTEGER NOT NULL,
            opening_id INTEGER NOT NULL,
            start_sfen TEXT NOT NULL,
            player_a_id INTEGER NOT NULL REFERENCES players(id),
            player_b_id INTEGER NOT NULL REFERENCES players(id),
            UNIQUE (evaluation_id, pair_index)
        );
        CREATE TABLE games (
            id INTEGER PRIMARY KEY,
            evaluation_id INTEGER NOT NULL REFERENCES evaluations(id) ON DELETE CASCADE,
            game_index INTEGER NOT NULL,
            pair_id INTEGER NOT NULL REFERENCES pairs(id),
            black_player_id INTEGER NOT NULL REFERENCES players(id),
            white_player_id INTEGER NOT NULL REFERENCES players(id),
            start_sfen TEXT NOT NULL,
            moves TEXT NOT NULL,
            result TEXT NOT NULL,
            termination TEXT NOT NULL,
            plies INTEGER NOT NULL,
            duration_ms REAL NOT NULL,
            detail TEXT,
            finished_at TEXT NOT NULL,
            UNIQUE (evaluation_id, game_index)
        );
        CREATE INDEX games_black ON games(black_player_id);
        CREATE INDEX games_white ON games(white_player_id);
        CREATE TABLE rating_snapshots (
            id INTEGER PRIMARY KEY,
            evaluation_id INTEGER REFERENCES evaluations(id) ON DELETE SET NULL,
            method TEXT NOT NULL,
            anchor TEXT,
            ratings_json TEXT NOT NULL,
            created_at TEXT NOT NULL
        );
        """,
        """
        CREATE TABLE checkpoints (
            id INTEGER PRIMARY KEY,
            path TEXT NOT NULL UNIQUE,
            timesteps INTEGER NOT NULL,
            sha256 TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'active',
            created_at TEXT NOT NULL
        );
        CREATE TABLE champions (
            id INTEGER PRIMARY KEY,
            checkpoint_path TEXT NOT NULL,
            timesteps INTEGER NOT NULL,
            evidence_json TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'active',
            promoted_at TEXT NOT NULL
        );
        """,
        // Milliseconds each move took, space-separated like the moves; NULL for games stored before.
        "ALTER TABLE games ADD COLUMN move_times_ms TEXT;",
        // Each rollback with its reason (the statuses it changed are in checkpoints and champions).
        """
        CREATE TABLE rollbacks (
            id INTEGER PRIMARY KEY,
            target TEXT NOT NULL,
            from_champion TEXT,
            to_champion TEXT,
            from_checkpoint TEXT,
            to_checkpoint TEXT NOT NULL,
            to_timesteps INTEGER NOT NULL,
            moved INTEGER NOT NULL,
            reason TEXT NOT NULL,
            rolled_back_at TEXT NOT NULL
        );
        """,
    ];

    /// <summary>The first schema version with the checkpoints and champions tables.</summary>
    private const int CheckpointsVersion = 2;

    /// <summary>The first schema version with games.move_times_ms.</summary>
    private const int MoveTimesVersion = 3;

    /// <summary>The first schema version with the rollbacks table.</summary>
    private const int RollbacksVersion = 4;

    /// <summary>The tables the migrations create; one that is missing makes the database damaged.</summary>
    private static readonly string[] Tables =
        [.. Migrations.SelectMany(m => System.Text.RegularExpressions.Regex.Matches(m, @"CREATE TABLE (\w+)")).Select(match => match.Groups[1].Value)];

    private ResultsStore(SqliteConnection connection, string path)
    {
        _connection = connection;
        Path = path;
    }

    /// <summary>Full path of the database file.</summary>
    public string Path { get; }

    /// <summary>The schema version this code writes.</summary>
    public static int CurrentSchemaVersion => Migrations.Length;

    /// <summary>Opens (creating if needed) a store and brings its schema up to date.</summary>
    /// <exception cref="ResultsStoreException">The file is not a database, is damaged, or was written by a newer Keisei.</exception>
    public static ResultsStore Open(string path)
    {
        string full = System.IO.Path.GetFullPath(path);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = full,
            Pooling = false,
            DefaultTimeout = (int)BusyTimeout.TotalSeconds,
        }.ToString());
        var store = new ResultsStore(connection, full);
        try
        {
            store.Guarded(store.Initialize);
        }
        catch
        {
            store.Dispose();
            throw;
        }
        return store;
    }

    /// <summary>
    /// Opens an existing store for reading only (the dashboard): nothing is created or migrated, and every write fails.
    /// SQLite's WAL lets it read while a training or evaluation writes. A database of an older schema version (one this
    /// Keisei migrates from) is read as it is: what its version does not have reads as none (no checkpoints, champions or
    /// rollbacks, games without move times); <see cref="SchemaVersion"/> says which version it is.
    /// </summary>
    /// <exception cref="ResultsStoreException">The file is missing, not a database, has no schema, or a newer one.</exception>
    public static ResultsStore OpenReadOnly(string path)
    {
        string full = System.IO.Path.GetFullPath(path);
        if (!File.Exists(full)) throw new ResultsStoreException($"Results database '{full}' does not exist.");
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = full,
            Mode = SqliteOpenMode.ReadOnly,
            Pooling = false,
            DefaultTimeout = (int)BusyTimeout.TotalSeconds,
        }.ToString());
        var store = new ResultsStore(connection, full);
        try
        {
            store.Guarded(() =>
            {
                connection.Open();
                store.Execute($"PRAGMA busy_timeout = {(int)BusyTimeout.TotalMilliseconds};");
                int version = store.UserVersion();
                if (version < 1)
                    throw new ResultsStoreException($"Results database '{full}' has no Keisei schema yet (version 0); any command that writes to it, such as keisei rate --db, creates it.");
                if (version > Migrations.Length)
                    throw new ResultsStoreException($"Results database '{full}' has schema version {version}; this Keisei knows up to {Migrations.Length}.");
            });
        }
        catch
        {
            store.Dispose();
            throw;
        }
        return store;
    }

    /// <summary>
    /// SQLite's <c>PRAGMA data_version</c> of this connection: it changes whenever another connection (another process)
    /// commits to the database, so a reader can tell cheaply whether anything it showed may be out of date.
    /// </summary>
    public long DataVersion() => Guarded(() => Convert.ToInt64(Scalar("PRAGMA data_version;"), CultureInfo.InvariantCulture));

    private void Initialize()
    {
        _connection.Open();
        // The busy timeout first, so that switching to WAL and the migration's BEGIN IMMEDIATE wait out another process.
        Execute($"PRAGMA busy_timeout = {(int)BusyTimeout.TotalMilliseconds}; PRAGMA foreign_keys = ON;");
        Execute("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;");
        int version = UserVersion();
        if (version < Migrations.Length)
        {
            // The write lock is taken before the version is read again: of two processes creating or migrating the
            // schema at once, the second waits here and then finds the first's work done.
            InTransaction(() =>
            {
                version = UserVersion();
                for (int v = version; v < Migrations.Length; v++)
                {
                    Execute(Migrations[v]);
                    Execute($"PRAGMA user_version = {v + 1};");
                }
                return 0;
            });
        }
        if (version > Migrations.Length)
            throw new ResultsStoreException($"Results database '{Path}' has schema version {version}; this Keisei knows up to {Migrations.Length}.");
        var present = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        using (var cmd = Command("SELECT name FROM sqlite_master WHERE type = 'table';"))
        using (var r = cmd.ExecuteReader())
            while (r.Read()) present.Add(r.GetString(0));
        var missing = Tables.Where(t => !present.Contains(t)).ToList();
        if (missing.Count > 0)
            throw Damaged($"table {string.Join(", ", missing)} is missing (schema version {Math.Max(version, Migrations.Length)} has it)");
    }

    private int UserVersion() => Convert.ToInt32(Scalar("PRAGMA user_version;"), CultureInfo.InvariantCulture);

    /// <summary>The database's schema version now (a read-only store may be older than <see cref="CurrentSchemaVersion"/> until a writer migrates it).</summary>
    public int SchemaVersion => Guarded(UserVersion);

    /// <summary>The id of a participant, adding it if new. A name already used for a different participant is an error.</summary>
    public long EnsurePlayer(PlayerDescriptor player)
    {
        // Find and insert in one immediate transaction: two processes adding the same new player get one row.
        return Guarded(() => InTransaction(() =>
        {
            var existing = FindPlayerLocked(player.Name);
            if (existing is not null)
            {
                // Everything that changes play is part of a participant: for an engine its command, id name, limits and options.
                string? details = existing.Details;
                if (existing.Kind != player.Kind || existing.CheckpointSha256 != player.CheckpointSha256 || existing.EngineCommand != player.EngineCommand
                    || details != player.Details)
                    throw new ResultsStoreException(
                        $"Results database '{Path}': the name '{player.Name}' already belongs to a different participant " +
                        $"({SnakeCaseName.Of(existing.Kind)}{(existing.CheckpointSha256 is null ? "" : ", sha256 " + existing.CheckpointSha256[..12])}" +
                        $"{(existing.EngineCommand is null ? "" : ", command " + existing.EngineCommand)}{(details is null ? "" : ", " + details)}); " +
                        "give this one another name (--agent-name, --opponent-name, or name: in a pool entry).");
                return existing.Id;
            }
            using var cmd = Command("""
                INSERT INTO players (name, kind, checkpoint_path, checkpoint_sha256, engine_command, details, created_at)
                VALUES ($name, $kind, $path, $sha, $engine, $details, $now) RETURNING id;
                """);
            cmd.Parameters.AddWithValue("$name", player.Name);
            cmd.Parameters.AddWithValue("$kind", SnakeCaseName.Of(player.Kind));
            cmd.Parameters.AddWithValue("$path", (object?)player.CheckpointPath ?? DBNull.Value);
            cmd.Parameters.AddWithValue("$sha", (object?)player.CheckpointSha256 ?? DBNull.Value);
            cmd.Parameters.AddWithValue("$engine", (object?)player.EngineCommand ?? DBNull.Value);
            cmd.Parameters.AddWithValue("$details", (object?)player.Details ?? DBNull.Value);
            cmd.Parameters.AddWithValue("$now", Now());
            return Convert.ToInt64(cmd.ExecuteScalar(), CultureInfo.InvariantCulture);
        }));
    }

    public StoredPlayer? FindPlayer(string name) => Guarded(() => FindPlayerLocked(name));

    private StoredPlayer? FindPlayerLocked(string name) => QueryPlayers("WHERE name = $name", ("$name", name)).FirstOrDefault();

    /// <summary>Gives a participant a new name (its games and ratings stay with it) and, for a checkpoint that moved, its new path.</summary>
    public void RenamePlayer(long id, string name, string? checkpointPath)
    {
        Guarded(() =>
        {
            using var cmd = Command("UPDATE players SET name = $name, checkpoint_path = COALESCE($path, checkpoint_path) WHERE id = $id;",
                ("$name", name), ("$path", (object?)checkpointPath ?? DBNull.Value), ("$id", id));
            cmd.ExecuteNonQuery();
        });
    }

    public IReadOnlyList<StoredPlayer> Players() => Guarded(() => QueryPlayers("ORDER BY id").ToList());

    private IEnumerable<StoredPlayer> QueryPlayers(string where, params (string, object)[] args)
    {
        using var cmd = Command($"SELECT id, name, kind, checkpoint_path, checkpoint_sha256, engine_command, incremental_elo, details FROM players {where};", args);
        using var r = cmd.ExecuteReader();
        var list = new List<StoredPlayer>();
        while (r.Read())
            list.Add(Row("players", r, () =>
                new StoredPlayer(r.GetInt64(0), r.GetString(1), Status<ParticipantKind>(r, 2), NullableString(r, 3), NullableString(r, 4), NullableString(r, 5), r.GetDouble(6), NullableString(r, 7))));
        return list;
    }

    public StoredEvaluation? GetEvaluation(long id) => Guarded(() => QueryEvaluations("WHERE id = $id", ("$id", id)).FirstOrDefault());

    public IReadOnlyList<StoredEvaluation> Evaluations() => Guarded(() => QueryEvaluations("ORDER BY id").ToList());

    private List<StoredEvaluation> QueryEvaluations(string where, params (string, object)[] args)
    {
        using var cmd = Command($"""
            SELECT id, key, agent_player_id, strategy, config_json, status, planned_games, created_at, finished_at, summary_json
            FROM evaluations {where};
            """, args);
        using var r = cmd.ExecuteReader();
        var list = new List<StoredEvaluation>();
        while (r.Read())
            list.Add(Row("evaluations", r, () =>
                new StoredEvaluation(r.GetInt64(0), r.GetString(1), r.GetInt64(2), r.GetString(3), r.GetString(4), SnakeCaseName.Parse<EvaluationStatus>(Known(r, 5, StoredEvaluationStatuses)), r.GetInt32(6),
                    DateTimeOffset.Parse(r.GetString(7), CultureInfo.InvariantCulture),
                    r.IsDBNull(8) ? null : DateTimeOffset.Parse(r.GetString(8), CultureInfo.InvariantCulture), NullableString(r, 9))));
        return list;
    }

    /// <summary>
    /// The evaluation with this plan key (same command, same plan), created (status running) if there is none yet. Find and
    /// insert are one immediate transaction: two processes registering the same plan at once get the same row.
    /// </summary>
    public (StoredEvaluation Evaluation, bool Created) FindOrCreateEvaluation(string key, long agentPlayerId, string strategy, string configJson,
        int plannedGames)
    {
        return Guarded(() => InTransaction(() =>
        {
            if (QueryEvaluations("WHERE key = $key", ("$key", key)).FirstOrDefault() is { } existing) return (existing, false);
            using var cmd = Command("""
                INSERT INTO evaluations (key, agent_player_id, strategy, config_json, status, planned_games, created_at)
                VALUES ($key, $agent, $strategy, $config, 'running', $planned, $now) RETURNING id;
                """, ("$key", key), ("$agent", agentPlayerId), ("$strategy", strategy), ("$config", configJson), ("$planned", plannedGames), ("$now", Now()));
            long id = Convert.ToInt64(cmd.ExecuteScalar(), CultureInfo.InvariantCulture);
            return (QueryEvaluations("WHERE id = $id", ("$id", id)).Single(), true);
        }));
    }

    /// <summary>
    /// Claims an evaluation for this store's caller until disposed: one process (and one run in it) plays an evaluation at a
    /// time. The claim is a lock the operating system drops when its process ends, so a killed run never blocks a resume.
    /// </summary>
    /// <exception cref="ResultsStoreException">Another process, or another run in this one, is playing the evaluation now.</exception>
    public IDisposable ClaimEvaluation(long evaluationId)
    {
        string lockPath = Path + "-evaluations.lock";
        IDisposable? claim;
        try
        {
            claim = EvaluationClaims.TryClaim(lockPath, evaluationId);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ResultsStoreException($"Results database '{Path}': its claim file '{lockPath}' cannot be opened: {e.Message}", e);
        }
        return claim ?? throw new ResultsStoreException(
            $"Results database '{Path}': evaluation {evaluationId} is being played by another process right now; " +
            "wait for it to end (the same command then resumes or reports it), or change the options to start a separate evaluation.");
    }

    /// <summary>Sets an evaluation's status and optionally its summary.</summary>
    public void SetEvaluationStatus(long id, EvaluationStatus status, string? summaryJson = null)
    {
        if (status is EvaluationStatus.TimedOut or EvaluationStatus.Cancelled)
            throw new ArgumentException($"'{SnakeCaseName.Of(status)}' is a service outcome, not a stored evaluation status.", nameof(status));
        Guarded(() =>
        {
            bool finished = status != EvaluationStatus.Running;
            using var cmd = Command("""
                UPDATE evaluations SET status = $status, finished_at = $finished, summary_json = COALESCE($summary, summary_json) WHERE id = $id;
                """, ("$status", SnakeCaseName.Of(status)), ("$finished", finished ? Now() : DBNull.Value), ("$summary", (object?)summaryJson ?? DBNull.Value), ("$id", id));
            cmd.ExecuteNonQuery();
        });
    }

    /// <summary>The id of a pair, adding it if new.</summary>
    public long EnsurePair(long evaluationId, int pairIndex, int openingId, string startSfen, long playerA, long playerB)
    {
        return Guarded(() =>
        {
            using var cmd = Command("""
                INSERT INTO pairs (evaluation_id, pair_index, opening_id, start_sfen, player_a_id, player_b_id)
                VALUES ($e, $i, $o, $s, $a, $b)
                ON CONFLICT (evaluation_id, pair_index) DO UPDATE SET pair_index = excluded.pair_index
                RETURNING id;
                """, ("$e", evaluationId), ("$i", pairIndex), ("$o", openingId), ("$s", startSfen), ("$a", playerA), ("$b", playerB));
            return Convert.ToInt64(cmd.ExecuteScalar(), CultureInfo.InvariantCulture);
        });
    }

    /// <summary>
    /// Stores a finished game and commits at once; <paramref name="moveTimes"/>, when given, holds the time of each move
    /// (kept to the millisecond). Returns false (storing nothing) when the game index is already stored.
    /// </summary>
    public bool RecordGame(long evaluationId, long pairId, int gameIndex, long blackPlayerId, long whitePlayerId, string startSfen,
        IReadOnlyList<Move> moves, GameResult result, TerminationReason termination, TimeSpan duration, string? detail,
        IReadOnlyList<TimeSpan>? moveTimes = null)
    {
        if (result == GameResult.Ongoing) throw new ArgumentException("Only finished games are stored.", nameof(result));
        if (moveTimes is not null && moveTimes.Count != moves.Count)
            throw new ArgumentException($"{moves.Count} moves but {moveTimes.Count} move times.", nameof(moveTimes));
        if (moveTimes is not null && moveTimes.Any(t => t < TimeSpan.Zero))
            throw new ArgumentException("A move time is negative.", nameof(moveTimes));
        object times = moveTimes is null
            ? DBNull.Value
            : string.Join(' ', moveTimes.Select(t => ((long)t.TotalMilliseconds).ToString(CultureInfo.InvariantCulture)));
        return Guarded(() =>
        {
            using var cmd = Command("""
                INSERT INTO games (evaluation_id, game_index, pair_id, black_player_id, white_player_id, start_sfen, moves, result,
                                   termination, plies, duration_ms, detail, finished_at, move_times_ms)
                VALUES ($e, $i, $pair, $b, $w, $sfen, $moves, $result, $term, $plies, $ms, $detail, $now, $times)
                ON CONFLICT (evaluation_id, game_index) DO NOTHING;
                """, ("$e", evaluationId), ("$i", gameIndex), ("$pair", pairId), ("$b", blackPlayerId), ("$w", whitePlayerId), ("$sfen", startSfen),
                ("$moves", string.Join(' ', moves.Select(m => m.ToUsi()))), ("$result", result.ToString()), ("$term", termination.ToString()),
                ("$plies", moves.Count), ("$ms", duration.TotalMilliseconds), ("$detail", (object?)detail ?? DBNull.Value), ("$now", Now()), ("$times", times));
            return cmd.ExecuteNonQuery() == 1;
        });
    }

    /// <summary>Game indices of an evaluation that are already stored (the ones a resumed run skips).</summary>
    public IReadOnlySet<int> StoredGameIndices(long evaluationId)
    {
        return Guarded<IReadOnlySet<int>>(() =>
        {
            using var cmd = Command("SELECT game_index FROM games WHERE evaluation_id = $e;", ("$e", evaluationId));
            using var r = cmd.ExecuteReader();
            var set = new HashSet<int>();
            while (r.Read()) set.Add(r.GetInt32(0));
            return set;
        });
    }

    /// <summary>Stored games, of one evaluation or of all, in storing order.</summary>
    public IReadOnlyList<StoredGame> Games(long? evaluationId = null) =>
        evaluationId is null ? QueryGames("", []) : QueryGames("WHERE g.evaluation_id = $e", [("$e", evaluationId.Value)]);

    /// <summary>How many games are stored (what <see cref="Games"/> would list), counted without reading them.</summary>
    public int GameCount() => Guarded(() => Convert.ToInt32(Scalar("SELECT COUNT(*) FROM games g JOIN pairs p ON p.id = g.pair_id;"), CultureInfo.InvariantCulture));

    /// <summary>One stored game by its id, or null.</summary>
    public StoredGame? Game(long id) => QueryGames("WHERE g.id = $id", [("$id", id)]).FirstOrDefault();

    private IReadOnlyList<StoredGame> QueryGames(string where, (string Name, object Value)[] args)
    {
        return Guarded(() =>
        {
            // A read-only store of a database from before move times were kept reads its games without them.
            string moveTimes = UserVersion() >= MoveTimesVersion ? "g.move_times_ms" : "NULL";
            using var cmd = Command($"""
                SELECT g.id, g.evaluation_id, g.game_index, p.pair_index, p.opening_id, g.black_player_id, g.white_player_id, g.start_sfen, g.moves,
                       g.result, g.termination, g.plies, g.duration_ms, g.detail, g.finished_at, {moveTimes}
                FROM games g JOIN pairs p ON p.id = g.pair_id
                {where}
                ORDER BY g.id;
                """, args);
            using var r = cmd.ExecuteReader();
            var list = new List<StoredGame>();
            while (r.Read())
            {
                list.Add(Row("games", r, () =>
                {
                    string moves = r.GetString(8);
                    string[] moveList = moves.Length == 0 ? [] : moves.Split(' ');
                    return new StoredGame(r.GetInt64(0), r.GetInt64(1), r.GetInt32(2), r.GetInt32(3), r.GetInt32(4), r.GetInt64(5), r.GetInt64(6),
                        r.GetString(7), moveList, Named(r, 9, GameResult.Ongoing),
                        Named<TerminationReason>(r, 10), r.GetInt32(11), r.GetDouble(12), NullableString(r, 13),
                        DateTimeOffset.Parse(r.GetString(14), CultureInfo.InvariantCulture), MoveTimes(r.GetInt64(0), moveList.Length, NullableString(r, 15)));
                }));
            }
            return (IReadOnlyList<StoredGame>)list;
        });
    }

    /// <summary>The stored move times of a game (null when none were kept); they must be one whole number of milliseconds per move.</summary>
    private List<TimeSpan>? MoveTimes(long gameId, int moveCount, string? text)
    {
        if (text is null) return null;
        string[] parts = text.Length == 0 ? [] : text.Split(' ');
        var times = new List<TimeSpan>(parts.Length);
        foreach (string part in parts)
        {
            if (!long.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out long ms))
                throw new ResultsStoreException($"Results database '{Path}': game {gameId} has move time '{part}'; expected whole milliseconds.");
            times.Add(TimeSpan.FromMilliseconds(ms));
        }
        if (times.Count != moveCount)
            throw new ResultsStoreException($"Results database '{Path}': game {gameId} has {moveCount} moves but {times.Count} move times.");
        return times;
    }

    /// <summary>
    /// Replaces two players' incremental Elo by <paramref name="update"/> of their stored values, read and written in one
    /// immediate transaction, so that evaluations in other processes sharing a player lose none of each other's updates.
    /// </summary>
    public void UpdateIncrementalElo(long black, long white, Func<double, double, (double Black, double White)> update)
    {
        Guarded(() => InTransaction(() =>
        {
            double Rating(long id) => Convert.ToDouble(Scalar("SELECT incremental_elo FROM players WHERE id = $id;", ("$id", id)), CultureInfo.InvariantCulture);
            var (newBlack, newWhite) = update(Rating(black), Rating(white));
            foreach (var (id, rating) in new[] { (black, newBlack), (white, newWhite) })
            {
                using var cmd = Command("UPDATE players SET incremental_elo = $r WHERE id = $id;", ("$r", rating), ("$id", id));
                cmd.ExecuteNonQuery();
            }
            return 0;
        }));
    }

    /// <summary>Keeps a fitted rating table (JSON) as a snapshot, optionally tied to the evaluation that produced it.</summary>
    public void AddRatingSnapshot(long? evaluationId, string method, string? anchor, string ratingsJson)
    {
        Guarded(() =>
        {
            using var cmd = Command("""
                INSERT INTO rating_snapshots (evaluation_id, method, anchor, ratings_json, created_at) VALUES ($e, $m, $a, $j, $now);
                """, ("$e", (object?)evaluationId ?? DBNull.Value), ("$m", method), ("$a", (object?)anchor ?? DBNull.Value), ("$j", ratingsJson), ("$now", Now()));
            cmd.ExecuteNonQuery();
        });
    }

    public int RatingSnapshotCount() => Guarded(() => Convert.ToInt32(Scalar("SELECT COUNT(*) FROM rating_snapshots;"), CultureInfo.InvariantCulture));

    /// <summary>Registers a checkpoint of the run (path, timesteps, hash); registering it again updates nothing.</summary>
    public void RecordCheckpoint(string path, long timesteps, string sha256)
    {
        Guarded(() =>
        {
            using var cmd = Command("""
                INSERT INTO checkpoints (path, timesteps, sha256, created_at) VALUES ($p, $t, $s, $now) ON CONFLICT (path) DO NOTHING;
                """, ("$p", path), ("$t", timesteps), ("$s", sha256), ("$now", Now()));
            cmd.ExecuteNonQuery();
        });
    }

    /// <summary>The run's checkpoints, oldest first (by timesteps, then registration).</summary>
    public IReadOnlyList<StoredCheckpoint> Checkpoints()
    {
        return Guarded(() =>
        {
            if (UserVersion() < CheckpointsVersion) return (IReadOnlyList<StoredCheckpoint>)[];
            using var cmd = Command("SELECT id, path, timesteps, sha256, status, created_at FROM checkpoints ORDER BY timesteps, id;");
            using var r = cmd.ExecuteReader();
            var list = new List<StoredCheckpoint>();
            while (r.Read())
                list.Add(Row("checkpoints", r, () => new StoredCheckpoint(r.GetInt64(0), r.GetString(1), r.GetInt64(2), r.GetString(3),
                    Status<CheckpointStatus>(r, 4), DateTimeOffset.Parse(r.GetString(5), CultureInfo.InvariantCulture))));
            return (IReadOnlyList<StoredCheckpoint>)list;
        });
    }

    /// <summary>Sets a checkpoint's status and, when it was moved, its new path.</summary>
    public void SetCheckpointStatus(string path, CheckpointStatus status, string? newPath = null)
    {
        Guarded(() =>
        {
            using var cmd = Command("UPDATE checkpoints SET status = $s, path = COALESCE($np, path) WHERE path = $p;",
                ("$s", SnakeCaseName.Of(status)), ("$p", path), ("$np", (object?)newPath ?? DBNull.Value));
            cmd.ExecuteNonQuery();
        });
    }

    /// <summary>Makes a checkpoint the champion, keeping the evidence (JSON); the previous champion becomes <see cref="ChampionStatus.Replaced"/>.</summary>
    public void Promote(string checkpointPath, long timesteps, string evidenceJson)
    {
        Guarded(() => InTransaction(() =>
        {
            using (var demote = Command("UPDATE champions SET status = $replaced WHERE status = $active;",
                       ("$replaced", SnakeCaseName.Of(ChampionStatus.Replaced)), ("$active", SnakeCaseName.Of(ChampionStatus.Active))))
                demote.ExecuteNonQuery();
            using (var insert = Command("""
                INSERT INTO champions (checkpoint_path, timesteps, evidence_json, status, promoted_at) VALUES ($p, $t, $e, $s, $now);
                """, ("$p", checkpointPath), ("$t", timesteps), ("$e", evidenceJson), ("$s", SnakeCaseName.Of(ChampionStatus.Active)), ("$now", Now())))
                insert.ExecuteNonQuery();
            return 0;
        }));
    }

    /// <summary>Every promotion, oldest first; the one with status <see cref="ChampionStatus.Active"/> is the current champion.</summary>
    public IReadOnlyList<StoredChampion> Champions()
    {
        return Guarded(() =>
        {
            if (UserVersion() < CheckpointsVersion) return (IReadOnlyList<StoredChampion>)[];
            using var cmd = Command("SELECT id, checkpoint_path, timesteps, evidence_json, status, promoted_at FROM champions ORDER BY id;");
            using var r = cmd.ExecuteReader();
            var list = new List<StoredChampion>();
            while (r.Read())
                list.Add(Row("champions", r, () => new StoredChampion(r.GetInt64(0), r.GetString(1), r.GetInt64(2), r.GetString(3),
                    Status<ChampionStatus>(r, 4), DateTimeOffset.Parse(r.GetString(5), CultureInfo.InvariantCulture))));
            return (IReadOnlyList<StoredChampion>)list;
        });
    }

    /// <summary>Stores a rollback (see <see cref="StoredRollback"/>); returns its id.</summary>
    public long RecordRollback(string target, string? fromChampion, string? toChampion, string? fromCheckpoint, string toCheckpoint, long toTimesteps,
        int moved, string reason)
    {
        return Guarded(() =>
        {
            using var cmd = Command("""
                INSERT INTO rollbacks (target, from_champion, to_champion, from_checkpoint, to_checkpoint, to_timesteps, moved, reason, rolled_back_at)
                VALUES ($target, $fc, $tc, $fk, $tk, $ts, $moved, $reason, $now) RETURNING id;
                """, ("$target", target), ("$fc", (object?)fromChampion ?? DBNull.Value), ("$tc", (object?)toChampion ?? DBNull.Value),
                ("$fk", (object?)fromCheckpoint ?? DBNull.Value), ("$tk", toCheckpoint), ("$ts", toTimesteps), ("$moved", moved), ("$reason", reason), ("$now", Now()));
            return Convert.ToInt64(cmd.ExecuteScalar(), CultureInfo.InvariantCulture);
        });
    }

    /// <summary>Every stored rollback, oldest first (none in a database from before rollbacks were kept).</summary>
    public IReadOnlyList<StoredRollback> Rollbacks()
    {
        return Guarded(() =>
        {
            if (UserVersion() < RollbacksVersion) return (IReadOnlyList<StoredRollback>)[];
            using var cmd = Command("""
                SELECT id, rolled_back_at, target, from_champion, to_champion, from_checkpoint, to_checkpoint, to_timesteps, moved, reason
                FROM rollbacks ORDER BY id;
                """);
            using var r = cmd.ExecuteReader();
            var list = new List<StoredRollback>();
            while (r.Read())
                list.Add(Row("rollbacks", r, () => new StoredRollback(r.GetInt64(0), DateTimeOffset.Parse(r.GetString(1), CultureInfo.InvariantCulture), r.GetString(2),
                    NullableString(r, 3), NullableString(r, 4), NullableString(r, 5), r.GetString(6), r.GetInt64(7), r.GetInt32(8), r.GetString(9))));
            return (IReadOnlyList<StoredRollback>)list;
        });
    }

    /// <summary>Sets a champion entry's status.</summary>
    public void SetChampionStatus(long id, ChampionStatus status)
    {
        Guarded(() =>
        {
            using var cmd = Command("UPDATE champions SET status = $s WHERE id = $id;", ("$s", SnakeCaseName.Of(status)), ("$id", id));
            cmd.ExecuteNonQuery();
        });
    }

    private SqliteCommand Command(string sql, params (string Name, object Value)[] args)
    {
        var cmd = _connection.CreateCommand();
        cmd.CommandText = sql;
        cmd.Transaction = _transaction;
        foreach (var (name, value) in args) cmd.Parameters.AddWithValue(name, value);
        return cmd;
    }

    private void Execute(string sql)
    {
        using var cmd = Command(sql);
        cmd.ExecuteNonQuery();
    }

    private object? Scalar(string sql, params (string Name, object Value)[] args)
    {
        using var cmd = Command(sql, args);
        return cmd.ExecuteScalar();
    }

    /// <summary>Runs <paramref name="body"/> in a <c>BEGIN IMMEDIATE</c> transaction: the write lock is held from the first read.</summary>
    private T InTransaction<T>(Func<T> body)
    {
        using var tx = _connection.BeginTransaction(deferred: false);
        _transaction = tx;
        try
        {
            T result = body();
            tx.Commit();
            return result;
        }
        finally
        {
            _transaction = null;
        }
    }

    /// <summary>Runs a database action under the store's lock; a SQLite failure becomes one message naming the file.</summary>
    private T Guarded<T>(Func<T> action)
    {
        lock (_lock)
        {
            try
            {
                return action();
            }
            catch (SqliteException e)
            {
                throw Describe(e);
            }
        }
    }

    private void Guarded(Action action) => Guarded(() =>
    {
        action();
        return 0;
    });

    private ResultsStoreException Describe(SqliteException e)
    {
        string message = e.Message.ReplaceLineEndings(" ");
        return e.SqliteErrorCode switch
        {
            SQLitePCL.raw.SQLITE_CORRUPT or SQLitePCL.raw.SQLITE_NOTADB => Damaged($"{message} PRAGMA integrity_check: {IntegrityCheck()}", e),
            SQLitePCL.raw.SQLITE_BUSY or SQLitePCL.raw.SQLITE_LOCKED => new ResultsStoreException(
                $"Results database '{Path}' is locked by another connection (waited up to {BusyTimeout.TotalSeconds:0} s): {message}", e),
            SQLitePCL.raw.SQLITE_ERROR when message.Contains("no such ", StringComparison.Ordinal) => Damaged($"{message} (changed outside Keisei?)", e),
            _ => new ResultsStoreException($"Results database '{Path}' cannot be used: {message}", e),
        };
    }

    private ResultsStoreException Damaged(string what, Exception? inner = null) => new($"Results database '{Path}' is damaged: {what}", inner);

    /// <summary>The first lines of <c>PRAGMA integrity_check</c> on one line, or why it could not run.</summary>
    private string IntegrityCheck()
    {
        try
        {
            using var cmd = Command("PRAGMA integrity_check(4);");
            using var r = cmd.ExecuteReader();
            var lines = new List<string>();
            while (r.Read()) lines.Add(r.GetString(0).ReplaceLineEndings(" "));
            return string.Join(" | ", lines);
        }
        catch (SqliteException e)
        {
            return $"cannot run either ({e.Message.ReplaceLineEndings(" ")})";
        }
    }

    /// <summary>Reads one row; a value this code would never have written makes the database damaged, naming table and row.</summary>
    private T Row<T>(string table, SqliteDataReader r, Func<T> read)
    {
        try
        {
            return read();
        }
        catch (Exception e) when (e is FormatException or InvalidCastException or InvalidOperationException or OverflowException)
        {
            throw Damaged($"table {table}, row id {r.GetValue(0)}: {e.Message}", e);
        }
    }

    /// <summary>A text column holding an enum member's name (exactly; no numbers, no combinations), other than <paramref name="excluded"/>.</summary>
    private static TEnum Named<TEnum>(SqliteDataReader r, int column, params TEnum[] excluded) where TEnum : struct, Enum
    {
        var allowed = Enum.GetValues<TEnum>().Except(excluded).Select(v => v.ToString()).ToHashSet(StringComparer.Ordinal);
        return Enum.Parse<TEnum>(Known(r, column, allowed));
    }

    /// <summary>A text column holding an enum member's snake_case name (<see cref="SnakeCaseName"/>).</summary>
    private static TEnum Status<TEnum>(SqliteDataReader r, int column) where TEnum : struct, Enum =>
        SnakeCaseName.Parse<TEnum>(Known(r, column, SnakeCaseName.All<TEnum>().ToHashSet(StringComparer.Ordinal)));

    private static string Known(SqliteDataReader r, int column, IReadOnlySet<string> allowed)
    {
        object value = r.GetValue(column);
        if (value is string text && allowed.Contains(text)) return text;
        throw new FormatException($"{r.GetName(column)} {(value is DBNull ? "NULL" : $"'{value}'")} is not one of {string.Join(", ", allowed.Order(StringComparer.Ordinal))}");
    }

    private static string Now() => DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture);

    private static string? NullableString(SqliteDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);

    public void Dispose() => _connection.Dispose();
}
