using System.Globalization;
using Keisei.Evaluation.Players;
using Keisei.Shogi;
using Microsoft.Data.Sqlite;

namespace Keisei.Evaluation.Storage;

/// <summary>A results database that cannot be used as asked; the message names the database and the problem.</summary>
public sealed class ResultsStoreException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>An evaluation as stored.</summary>
public sealed record StoredEvaluation(long Id, string Key, long AgentPlayerId, string Strategy, string ConfigJson, string Status,
    int PlannedGames, DateTimeOffset CreatedAt, DateTimeOffset? FinishedAt, string? SummaryJson);

/// <summary>A checkpoint of a training run as registered in its database.</summary>
public sealed record StoredCheckpoint(long Id, string Path, long Timesteps, string Sha256, string Status, DateTimeOffset CreatedAt);

/// <summary>A promotion of a checkpoint to champion, with the evidence that justified it.</summary>
public sealed record StoredChampion(long Id, string CheckpointPath, long Timesteps, string EvidenceJson, string Status, DateTimeOffset PromotedAt);

/// <summary>A participant as stored.</summary>
public sealed record StoredPlayer(long Id, string Name, string Kind, string? CheckpointPath, string? CheckpointSha256, string? EngineCommand,
    double IncrementalElo);

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
        if (playerId != BlackPlayerId && playerId != WhitePlayerId) return null;
        return Result switch
        {
            GameResult.Draw => 0.5,
            GameResult.BlackWin => playerId == BlackPlayerId ? 1 : 0,
            GameResult.WhiteWin => playerId == WhitePlayerId ? 1 : 0,
            _ => null,
        };
    }
}

/// <summary>
/// The SQLite results store (WAL, foreign keys, versioned migrations): players, evaluations, pairs, games and rating
/// snapshots. Every game is committed the moment it is recorded; a game index is stored at most once per evaluation.
/// </summary>
public sealed class ResultsStore : IDisposable
{
    private readonly SqliteConnection _connection;
    private readonly Lock _lock = new();

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
    ];

    private ResultsStore(SqliteConnection connection, string path)
    {
        _connection = connection;
        Path = path;
    }

    public string Path { get; }

    /// <summary>The schema version this code writes.</summary>
    public static int CurrentSchemaVersion => Migrations.Length;

    /// <summary>Opens (creating if needed) a store and brings its schema up to date.</summary>
    /// <exception cref="ResultsStoreException">The file is not a database, or was written by a newer Keisei.</exception>
    public static ResultsStore Open(string path)
    {
        string full = System.IO.Path.GetFullPath(path);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = full, Pooling = false }.ToString());
        try
        {
            connection.Open();
            Execute(connection, "PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 10000;");
            int version = Convert.ToInt32(Scalar(connection, "PRAGMA user_version;"), CultureInfo.InvariantCulture);
            if (version > Migrations.Length)
                throw new ResultsStoreException($"Results database '{path}' has schema version {version}; this Keisei knows up to {Migrations.Length}.");
            for (int v = version; v < Migrations.Length; v++)
            {
                using var tx = connection.BeginTransaction();
                Execute(connection, Migrations[v], tx);
                Execute(connection, $"PRAGMA user_version = {v + 1};", tx);
                tx.Commit();
            }
        }
        catch (SqliteException e)
        {
            connection.Dispose();
            throw new ResultsStoreException($"Results database '{path}' cannot be used: {e.Message}", e);
        }
        catch
        {
            connection.Dispose();
            throw;
        }
        return new ResultsStore(connection, full);
    }

    public int SchemaVersion
    {
        get
        {
            lock (_lock) return Convert.ToInt32(Scalar(_connection, "PRAGMA user_version;"), CultureInfo.InvariantCulture);
        }
    }

    /// <summary>The id of a participant, adding it if new. A name already used for a different participant is an error.</summary>
    public long EnsurePlayer(PlayerDescriptor player)
    {
        lock (_lock)
        {
            var existing = FindPlayerLocked(player.Name);
            if (existing is not null)
            {
                // Everything that changes play is part of a participant: for an engine its command, id name, limits and options.
                string? details = PlayerDetailsLocked(existing.Id);
                if (existing.Kind != player.Kind || existing.CheckpointSha256 != player.CheckpointSha256 || existing.EngineCommand != player.EngineCommand
                    || details != player.Details)
                    throw new ResultsStoreException(
                        $"Results database '{Path}': the name '{player.Name}' already belongs to a different participant " +
                        $"({existing.Kind}{(existing.CheckpointSha256 is null ? "" : ", sha256 " + existing.CheckpointSha256[..12])}" +
                        $"{(existing.EngineCommand is null ? "" : ", command " + existing.EngineCommand)}{(details is null ? "" : ", " + details)}); " +
                        "give this one another name (--agent-name, --opponent-name, or name: in a pool entry).");
                return existing.Id;
            }
            using var cmd = Command("""
                INSERT INTO players (name, kind, checkpoint_path, checkpoint_sha256, engine_command, details, created_at)
                VALUES ($name, $kind, $path, $sha, $engine, $details, $now) RETURNING id;
                """);
            cmd.Parameters.AddWithValue("$name", player.Name);
            cmd.Parameters.AddWithValue("$kind", player.Kind);
            cmd.Parameters.AddWithValue("$path", (object?)player.CheckpointPath ?? DBNull.Value);
            cmd.Parameters.AddWithValue("$sha", (object?)player.CheckpointSha256 ?? DBNull.Value);
            cmd.Parameters.AddWithValue("$engine", (object?)player.EngineCommand ?? DBNull.Value);
            cmd.Parameters.AddWithValue("$details", (object?)player.Details ?? DBNull.Value);
            cmd.Parameters.AddWithValue("$now", Now());
            return Convert.ToInt64(cmd.ExecuteScalar(), CultureInfo.InvariantCulture);
        }
    }

    private string? PlayerDetailsLocked(long id)
    {
        using var cmd = Command("SELECT details FROM players WHERE id = $id;");
        cmd.Parameters.AddWithValue("$id", id);
        return cmd.ExecuteScalar() is string text ? text : null;
    }

    public StoredPlayer? FindPlayer(string name)
    {
        lock (_lock) return FindPlayerLocked(name);
    }

    private StoredPlayer? FindPlayerLocked(string name) => QueryPlayers("WHERE name = $name", ("$name", name)).FirstOrDefault();

    public IReadOnlyList<StoredPlayer> Players()
    {
        lock (_lock) return QueryPlayers("ORDER BY id").ToList();
    }

    private IEnumerable<StoredPlayer> QueryPlayers(string where, params (string, object)[] args)
    {
        using var cmd = Command($"SELECT id, name, kind, checkpoint_path, checkpoint_sha256, engine_command, incremental_elo FROM players {where};", args);
        using var r = cmd.ExecuteReader();
        var list = new List<StoredPlayer>();
        while (r.Read())
            list.Add(new StoredPlayer(r.GetInt64(0), r.GetString(1), r.GetString(2), NullableString(r, 3), NullableString(r, 4), NullableString(r, 5), r.GetDouble(6)));
        return list;
    }

    /// <summary>The evaluation started with this key (same command, same plan), if any.</summary>
    public StoredEvaluation? FindEvaluation(string key)
    {
        lock (_lock) return QueryEvaluations("WHERE key = $key", ("$key", key)).FirstOrDefault();
    }

    public StoredEvaluation? GetEvaluation(long id)
    {
        lock (_lock) return QueryEvaluations("WHERE id = $id", ("$id", id)).FirstOrDefault();
    }

    public IReadOnlyList<StoredEvaluation> Evaluations()
    {
        lock (_lock) return QueryEvaluations("ORDER BY id").ToList();
    }

    private List<StoredEvaluation> QueryEvaluations(string where, params (string, object)[] args)
    {
        using var cmd = Command($"""
            SELECT id, key, agent_player_id, strategy, config_json, status, planned_games, created_at, finished_at, summary_json
            FROM evaluations {where};
            """, args);
        using var r = cmd.ExecuteReader();
        var list = new List<StoredEvaluation>();
        while (r.Read())
            list.Add(new StoredEvaluation(r.GetInt64(0), r.GetString(1), r.GetInt64(2), r.GetString(3), r.GetString(4), r.GetString(5), r.GetInt32(6),
                DateTimeOffset.Parse(r.GetString(7), CultureInfo.InvariantCulture),
                r.IsDBNull(8) ? null : DateTimeOffset.Parse(r.GetString(8), CultureInfo.InvariantCulture), NullableString(r, 9)));
        return list;
    }

    public long CreateEvaluation(string key, long agentPlayerId, string strategy, string configJson, int plannedGames)
    {
        lock (_lock)
        {
            using var cmd = Command("""
                INSERT INTO evaluations (key, agent_player_id, strategy, config_json, status, planned_games, created_at)
                VALUES ($key, $agent, $strategy, $config, 'running', $planned, $now) RETURNING id;
                """, ("$key", key), ("$agent", agentPlayerId), ("$strategy", strategy), ("$config", configJson), ("$planned", plannedGames), ("$now", Now()));
            return Convert.ToInt64(cmd.ExecuteScalar(), CultureInfo.InvariantCulture);
        }
    }

    /// <summary>Sets an evaluation's status (running, completed, stopped, failed, ...) and optionally its summary.</summary>
    public void SetEvaluationStatus(long id, string status, string? summaryJson = null)
    {
        lock (_lock)
        {
            bool finished = status != "running";
            using var cmd = Command("""
                UPDATE evaluations SET status = $status, finished_at = $finished, summary_json = COALESCE($summary, summary_json) WHERE id = $id;
                """, ("$status", status), ("$finished", finished ? Now() : DBNull.Value), ("$summary", (object?)summaryJson ?? DBNull.Value), ("$id", id));
            cmd.ExecuteNonQuery();
        }
    }

    /// <summary>The id of a pair, adding it if new.</summary>
    public long EnsurePair(long evaluationId, int pairIndex, int openingId, string startSfen, long playerA, long playerB)
    {
        lock (_lock)
        {
            using var cmd = Command("""
                INSERT INTO pairs (evaluation_id, pair_index, opening_id, start_sfen, player_a_id, player_b_id)
                VALUES ($e, $i, $o, $s, $a, $b)
                ON CONFLICT (evaluation_id, pair_index) DO UPDATE SET pair_index = excluded.pair_index
                RETURNING id;
                """, ("$e", evaluationId), ("$i", pairIndex), ("$o", openingId), ("$s", startSfen), ("$a", playerA), ("$b", playerB));
            return Convert.ToInt64(cmd.ExecuteScalar(), CultureInfo.InvariantCulture);
        }
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
        lock (_lock)
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
        }
    }

    /// <summary>Game indices of an evaluation that are already stored (the ones a resumed run skips).</summary>
    public IReadOnlySet<int> StoredGameIndices(long evaluationId)
    {
        lock (_lock)
        {
            using var cmd = Command("SELECT game_index FROM games WHERE evaluation_id = $e;", ("$e", evaluationId));
            using var r = cmd.ExecuteReader();
            var set = new HashSet<int>();
            while (r.Read()) set.Add(r.GetInt32(0));
            return set;
        }
    }

    /// <summary>Stored games, of one evaluation or of all, in storing order.</summary>
    public IReadOnlyList<StoredGame> Games(long? evaluationId = null)
    {
        lock (_lock)
        {
            using var cmd = Command($"""
                SELECT g.id, g.evaluation_id, g.game_index, p.pair_index, p.opening_id, g.black_player_id, g.white_player_id, g.start_sfen, g.moves,
                       g.result, g.termination, g.plies, g.duration_ms, g.detail, g.finished_at, g.move_times_ms
                FROM games g JOIN pairs p ON p.id = g.pair_id
                {(evaluationId is null ? "" : "WHERE g.evaluation_id = $e")}
                ORDER BY g.id;
                """, evaluationId is null ? [] : [("$e", evaluationId.Value)]);
            using var r = cmd.ExecuteReader();
            var list = new List<StoredGame>();
            while (r.Read())
            {
                string moves = r.GetString(8);
                string[] moveList = moves.Length == 0 ? [] : moves.Split(' ');
                list.Add(new StoredGame(r.GetInt64(0), r.GetInt64(1), r.GetInt32(2), r.GetInt32(3), r.GetInt32(4), r.GetInt64(5), r.GetInt64(6),
                    r.GetString(7), moveList, Enum.Parse<GameResult>(r.GetString(9)),
                    Enum.Parse<TerminationReason>(r.GetString(10)), r.GetInt32(11), r.GetDouble(12), NullableString(r, 13),
                    DateTimeOffset.Parse(r.GetString(14), CultureInfo.InvariantCulture), MoveTimes(r.GetInt64(0), moveList.Length, NullableString(r, 15))));
            }
            return list;
        }
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

    public void SetIncrementalElo(long playerId, double rating)
    {
        lock (_lock)
        {
            using var cmd = Command("UPDATE players SET incremental_elo = $r WHERE id = $id;", ("$r", rating), ("$id", playerId));
            cmd.ExecuteNonQuery();
        }
    }

    /// <summary>Keeps a fitted rating table (JSON) as a snapshot, optionally tied to the evaluation that produced it.</summary>
    public void AddRatingSnapshot(long? evaluationId, string method, string? anchor, string ratingsJson)
    {
        lock (_lock)
        {
            using var cmd = Command("""
                INSERT INTO rating_snapshots (evaluation_id, method, anchor, ratings_json, created_at) VALUES ($e, $m, $a, $j, $now);
                """, ("$e", (object?)evaluationId ?? DBNull.Value), ("$m", method), ("$a", (object?)anchor ?? DBNull.Value), ("$j", ratingsJson), ("$now", Now()));
            cmd.ExecuteNonQuery();
        }
    }

    public int RatingSnapshotCount()
    {
        lock (_lock) return Convert.ToInt32(Scalar(_connection, "SELECT COUNT(*) FROM rating_snapshots;"), CultureInfo.InvariantCulture);
    }

    /// <summary>Registers a checkpoint of the run (path, timesteps, hash); registering it again updates nothing.</summary>
    public void RecordCheckpoint(string path, long timesteps, string sha256)
    {
        lock (_lock)
        {
            using var cmd = Command("""
                INSERT INTO checkpoints (path, timesteps, sha256, created_at) VALUES ($p, $t, $s, $now) ON CONFLICT (path) DO NOTHING;
                """, ("$p", path), ("$t", timesteps), ("$s", sha256), ("$now", Now()));
            cmd.ExecuteNonQuery();
        }
    }

    /// <summary>The run's checkpoints, oldest first (by timesteps, then registration).</summary>
    public IReadOnlyList<StoredCheckpoint> Checkpoints()
    {
        lock (_lock)
        {
            using var cmd = Command("SELECT id, path, timesteps, sha256, status, created_at FROM checkpoints ORDER BY timesteps, id;");
            using var r = cmd.ExecuteReader();
            var list = new List<StoredCheckpoint>();
            while (r.Read())
                list.Add(new StoredCheckpoint(r.GetInt64(0), r.GetString(1), r.GetInt64(2), r.GetString(3), r.GetString(4),
                    DateTimeOffset.Parse(r.GetString(5), CultureInfo.InvariantCulture)));
            return list;
        }
    }

    public void SetCheckpointStatus(string path, string status, string? newPath = null)
    {
        lock (_lock)
        {
            using var cmd = Command("UPDATE checkpoints SET status = $s, path = COALESCE($np, path) WHERE path = $p;",
                ("$s", status), ("$p", path), ("$np", (object?)newPath ?? DBNull.Value));
            cmd.ExecuteNonQuery();
        }
    }

    /// <summary>Makes a checkpoint the champion, keeping the evidence (JSON); the previous champion becomes 'replaced'.</summary>
    public void Promote(string checkpointPath, long timesteps, string evidenceJson)
    {
        lock (_lock)
        {
            using var tx = _connection.BeginTransaction();
            using (var demote = Command("UPDATE champions SET status = 'replaced' WHERE status = 'active';"))
            {
                demote.Transaction = tx;
                demote.ExecuteNonQuery();
            }
            using (var insert = Command("""
                INSERT INTO champions (checkpoint_path, timesteps, evidence_json, promoted_at) VALUES ($p, $t, $e, $now);
                """, ("$p", checkpointPath), ("$t", timesteps), ("$e", evidenceJson), ("$now", Now())))
            {
                insert.Transaction = tx;
                insert.ExecuteNonQuery();
            }
            tx.Commit();
        }
    }

    /// <summary>Every promotion, oldest first; the one with status 'active' is the current champion.</summary>
    public IReadOnlyList<StoredChampion> Champions()
    {
        lock (_lock)
        {
            using var cmd = Command("SELECT id, checkpoint_path, timesteps, evidence_json, status, promoted_at FROM champions ORDER BY id;");
            using var r = cmd.ExecuteReader();
            var list = new List<StoredChampion>();
            while (r.Read())
                list.Add(new StoredChampion(r.GetInt64(0), r.GetString(1), r.GetInt64(2), r.GetString(3), r.GetString(4),
                    DateTimeOffset.Parse(r.GetString(5), CultureInfo.InvariantCulture)));
            return list;
        }
    }

    /// <summary>Sets a champion entry's status (rolled_back, active, replaced).</summary>
    public void SetChampionStatus(long id, string status)
    {
        lock (_lock)
        {
            using var cmd = Command("UPDATE champions SET status = $s WHERE id = $id;", ("$s", status), ("$id", id));
            cmd.ExecuteNonQuery();
        }
    }

    private SqliteCommand Command(string sql, params (string Name, object Value)[] args)
    {
        var cmd = _connection.CreateCommand();
        cmd.CommandText = sql;
        foreach (var (name, value) in args) cmd.Parameters.AddWithValue(name, value);
        return cmd;
    }

    private static string Now() => DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture);

    private static string? NullableString(SqliteDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);

    private static void Execute(SqliteConnection connection, string sql, SqliteTransaction? tx = null)
    {
        using var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        cmd.Transaction = tx;
        cmd.ExecuteNonQuery();
    }

    private static object? Scalar(SqliteConnection connection, string sql)
    {
        using var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        return cmd.ExecuteScalar();
    }

    public void Dispose() => _connection.Dispose();
}
