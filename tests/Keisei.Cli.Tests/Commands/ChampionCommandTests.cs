using System.Text.Json.Nodes;
using Keisei.Neural.Checkpoints;
using Keisei.Neural.Models;
using Microsoft.Data.Sqlite;

namespace Keisei.Cli.Tests;

/// <summary>
/// <c>keisei champion</c> and <c>keisei rollback</c> on a run whose database was written before statuses were enums: the
/// schema and the text values as earlier Keisei wrote them (schema version 3) are built here with SQL, and must read and
/// be written back unchanged.
/// </summary>
public sealed class ChampionCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("keisei-cli-champion-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string RunDir => Path.Combine(_dir, "old");

    private string Db => Path.Combine(RunDir, "keisei.db");

    private string Checkpoint(long timesteps) => Path.Combine(RunDir, "checkpoints", $"checkpoint_ts{timesteps}.ckpt");

    /// <summary>The schema of version 3, as its three migrations created it.</summary>
    private const string SchemaV3 = """
        CREATE TABLE players (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, kind TEXT NOT NULL, checkpoint_path TEXT, checkpoint_sha256 TEXT,
            engine_command TEXT, details TEXT, incremental_elo REAL NOT NULL DEFAULT 1500, created_at TEXT NOT NULL);
        CREATE TABLE evaluations (id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE, agent_player_id INTEGER NOT NULL REFERENCES players(id),
            strategy TEXT NOT NULL, config_json TEXT NOT NULL, status TEXT NOT NULL, planned_games INTEGER NOT NULL, created_at TEXT NOT NULL,
            finished_at TEXT, summary_json TEXT);
        CREATE TABLE pairs (id INTEGER PRIMARY KEY, evaluation_id INTEGER NOT NULL REFERENCES evaluations(id) ON DELETE CASCADE,
            pair_index INTEGER NOT NULL, opening_id INTEGER NOT NULL, start_sfen TEXT NOT NULL, player_a_id INTEGER NOT NULL REFERENCES players(id),
            player_b_id INTEGER NOT NULL REFERENCES players(id), UNIQUE (evaluation_id, pair_index));
        CREATE TABLE games (id INTEGER PRIMARY KEY, evaluation_id INTEGER NOT NULL REFERENCES evaluations(id) ON DELETE CASCADE,
            game_index INTEGER NOT NULL, pair_id INTEGER NOT NULL REFERENCES pairs(id), black_player_id INTEGER NOT NULL REFERENCES players(id),
            white_player_id INTEGER NOT NULL REFERENCES players(id), start_sfen TEXT NOT NULL, moves TEXT NOT NULL, result TEXT NOT NULL,
            termination TEXT NOT NULL, plies INTEGER NOT NULL, duration_ms REAL NOT NULL, detail TEXT, finished_at TEXT NOT NULL,
            UNIQUE (evaluation_id, game_index));
        CREATE INDEX games_black ON games(black_player_id);
        CREATE INDEX games_white ON games(white_player_id);
        CREATE TABLE rating_snapshots (id INTEGER PRIMARY KEY, evaluation_id INTEGER REFERENCES evaluations(id) ON DELETE SET NULL,
            method TEXT NOT NULL, anchor TEXT, ratings_json TEXT NOT NULL, created_at TEXT NOT NULL);
        CREATE TABLE checkpoints (id INTEGER PRIMARY KEY, path TEXT NOT NULL UNIQUE, timesteps INTEGER NOT NULL, sha256 TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'active', created_at TEXT NOT NULL);
        CREATE TABLE champions (id INTEGER PRIMARY KEY, checkpoint_path TEXT NOT NULL, timesteps INTEGER NOT NULL, evidence_json TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'active', promoted_at TEXT NOT NULL);
        ALTER TABLE games ADD COLUMN move_times_ms TEXT;
        PRAGMA user_version = 3;
        """;

    private static SqliteConnection Connect(string db)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = db, Pooling = false }.ToString());
        connection.Open();
        return connection;
    }

    private static void Sql(string db, string sql, params (string Name, object Value)[] args)
    {
        using var connection = Connect(db);
        using var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        foreach (var (name, value) in args) cmd.Parameters.AddWithValue(name, value);
        cmd.ExecuteNonQuery();
    }

    private static List<string> Column(string db, string sql)
    {
        using var connection = Connect(db);
        using var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        using var r = cmd.ExecuteReader();
        var values = new List<string>();
        while (r.Read()) values.Add(r.GetString(0));
        return values;
    }

    /// <summary>
    /// Run "old": checkpoints 64, 128, 192 (and 256, rolled back earlier); champions 64 (replaced), 256 (rolled back),
    /// 128 (replaced), 192 (active).
    /// </summary>
    private void OldRun()
    {
        Directory.CreateDirectory(Path.Combine(RunDir, "checkpoints", "rolled_back"));
        Sql(Db, SchemaV3);
        using var model = PolicyValueModel.Create(new ModelConfig { Architecture = ModelConfig.Quick, Channels = 8, Layers = 0 }, 1);
        foreach (var (ts, path, status) in new[] { (64L, Checkpoint(64), "active"), (128, Checkpoint(128), "active"), (192, Checkpoint(192), "active"),
                     (256, Path.Combine(RunDir, "checkpoints", "rolled_back", "checkpoint_ts256.ckpt"), "rolled_back") })
        {
            string sha = CheckpointFile.Save(path, model, new CheckpointInfo { Model = model.Config, Counters = { ["timesteps"] = ts } });
            Sql(Db, "INSERT INTO checkpoints (path, timesteps, sha256, status, created_at) VALUES ($p, $t, $s, $st, '2026-01-01T00:00:00.0000000+00:00');",
                ("$p", path), ("$t", ts), ("$s", sha), ("$st", status));
        }
        foreach (var (ts, status) in new[] { (64L, "replaced"), (256, "rolled_back"), (128, "replaced"), (192, "active") })
            Sql(Db, """
                INSERT INTO champions (checkpoint_path, timesteps, evidence_json, status, promoted_at)
                VALUES ($p, $t, '{"mode":"fixed","status":"gate_passed"}', $st, '2026-01-02T00:00:00.0000000+00:00');
                """, ("$p", Checkpoint(ts)), ("$t", ts), ("$st", status));
    }

    private CliRunner.Output Keisei(params string[] args) => CliRunner.Run([.. args, "--run", "old", "--runs-dir", _dir]);

    [Fact]
    public void ChampionReadsADatabaseWrittenBeforeStatusesWereEnums()
    {
        OldRun();
        var json = Keisei("champion", "--json");
        Assert.True(json.ExitCode == 0, json.Stderr);
        var root = JsonNode.Parse(json.Stdout)!;
        Assert.Equal(Checkpoint(192), root["champion"]!.GetValue<string>());
        var history = root["history"]!.AsArray();
        Assert.Equal(["replaced", "rolled_back", "replaced", "active"], history.Select(h => h!["status"]!.GetValue<string>()));
        Assert.Equal([64L, 256, 128, 192], history.Select(h => h!["timesteps"]!.GetValue<long>()));
        Assert.Equal("gate_passed", history[3]!["evidence"]!["status"]!.GetValue<string>());

        var text = Keisei("champion");
        Assert.Equal(0, text.ExitCode);
        Assert.StartsWith($"Champion of old: {Checkpoint(192)} (192 timesteps)", text.Stdout);
        Assert.Contains("rolled_back", text.Stdout);
    }

    [Fact]
    public void RollbackToThePreviousChampionWritesTheSameTextValues()
    {
        OldRun();
        var result = Keisei("rollback", "--to", "previous-champion");
        Assert.True(result.ExitCode == 0, result.Stderr);
        string aside = Path.Combine(RunDir, "checkpoints", "rolled_back");
        Assert.Equal(
            [$"Run old will resume from {Checkpoint(128)} (128 timesteps); 1 later checkpoint(s) kept in {aside}.",
                "Reason: rollback to the previous champion requested by the user", "Continue with: keisei train --resume old"],
            result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal(Path.GetFullPath(Checkpoint(128)), File.ReadAllText(Path.Combine(RunDir, "resume_from")));
        Assert.False(File.Exists(Checkpoint(192)));
        Assert.True(File.Exists(Path.Combine(aside, "checkpoint_ts192.ckpt")));
        Assert.Equal(["replaced", "rolled_back", "active", "rolled_back"], Column(Db, "SELECT status FROM champions ORDER BY id;"));
        Assert.Equal(["active|" + Checkpoint(64), "active|" + Checkpoint(128), "rolled_back|" + Path.Combine(aside, "checkpoint_ts192.ckpt"),
                "rolled_back|" + Path.Combine(aside, "checkpoint_ts256.ckpt")],
            Column(Db, "SELECT status || '|' || path FROM checkpoints ORDER BY timesteps;"));

        // Once more: 128 is restored, 64 before it; then 64 is the first champion, a one-line error.
        Assert.Equal(0, Keisei("rollback", "--to", "previous-champion").ExitCode);
        Assert.Equal(["active", "rolled_back", "rolled_back", "rolled_back"], Column(Db, "SELECT status FROM champions ORDER BY id;"));
        var first = Keisei("rollback", "--to", "previous-champion");
        Assert.Equal((2, "error: --to previous-champion: checkpoint_ts64.ckpt is the run's first champion\n"), (first.ExitCode, first.Stderr.ReplaceLineEndings("\n")));
    }

    [Fact]
    public void ARollbacksReasonIsKeptAndChampionShowsIt()
    {
        OldRun();
        var result = Keisei("rollback", "--to", "checkpoint_ts128.ckpt", "--reason", "192 blunders in every endgame");
        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Contains("Reason: 192 blunders in every endgame\n", result.Stdout.ReplaceLineEndings("\n"));

        var json = Keisei("champion", "--json");
        Assert.True(json.ExitCode == 0, json.Stderr);
        var rollback = Assert.Single(JsonNode.Parse(json.Stdout)!["rollbacks"]!.AsArray())!;
        Assert.Equal("checkpoint_ts128.ckpt", rollback["target"]!.GetValue<string>());
        Assert.Equal(Checkpoint(192), rollback["from_champion"]!.GetValue<string>());
        Assert.Equal(Checkpoint(128), rollback["to_champion"]!.GetValue<string>());
        Assert.Equal(Path.Combine(RunDir, "checkpoints", "rolled_back", "checkpoint_ts192.ckpt"), rollback["from_checkpoint"]!.GetValue<string>());
        Assert.Equal(Checkpoint(128), rollback["to_checkpoint"]!.GetValue<string>());
        Assert.Equal(1, rollback["moved"]!.GetValue<int>());
        Assert.Equal("192 blunders in every endgame", rollback["reason"]!.GetValue<string>());

        var text = Keisei("champion");
        Assert.Equal(0, text.ExitCode);
        Assert.Contains("Rollbacks:", text.Stdout);
        Assert.Contains("192 blunders in every endgame", text.Stdout);
    }

    [Fact]
    public void RollbackToAnUnknownCheckpointIsOneLineNamingTheRunsCheckpoints()
    {
        OldRun();
        var result = Keisei("rollback", "--to", "checkpoint_ts100.ckpt");
        Assert.Equal(2, result.ExitCode);
        Assert.Equal("error: --to: no checkpoint 'checkpoint_ts100.ckpt' in run old (checkpoints: checkpoint_ts64.ckpt, checkpoint_ts128.ckpt, " +
            "checkpoint_ts192.ckpt, checkpoint_ts256.ckpt)\n", result.Stderr.ReplaceLineEndings("\n"));
        Assert.Equal(["replaced", "rolled_back", "replaced", "active"], Column(Db, "SELECT status FROM champions ORDER BY id;"));
    }

    [Fact]
    public void AStatusNoKeiseiWritesIsReportedAsDamage()
    {
        OldRun();
        Sql(Db, "UPDATE champions SET status = 'retired' WHERE id = 2;");
        var result = Keisei("champion");
        Assert.Equal(2, result.ExitCode);
        Assert.Equal($"error: Results database '{Db}' is damaged: table champions, row id 2: status 'retired' is not one of active, replaced, rolled_back\n",
            result.Stderr.ReplaceLineEndings("\n"));
    }
}
