using Keisei.Evaluation.Storage;
using Microsoft.Data.Sqlite;

namespace Keisei.Cli.Tests;

/// <summary>
/// One results database used by several <c>keisei</c> processes at once, and damaged databases: every process ends with
/// exit 0 or one clear line (never a stack trace), and what is stored stays consistent.
/// </summary>
public sealed class SharedDatabaseTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("keisei-cli-shared-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string PathOf(string name) => Path.Combine(_dir, name);

    private static string[] Evaluate(string db, int seed, int games = 4) =>
        ["evaluate", "--agent", "random", "--opponent", "heuristic", "--games", games.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--max-plies", "30", "--concurrency", "2", "--seed", seed.ToString(System.Globalization.CultureInfo.InvariantCulture), "--db", db];

    private static void AssertNoStackTrace(CliRunner.Output output)
    {
        Assert.DoesNotContain("Unhandled exception", output.Stderr);
        Assert.DoesNotContain("   at ", output.Stderr);
    }

    private static List<CliRunner.Output> RunAtOnce(IEnumerable<string[]> commands)
    {
        var children = commands.Select(CliRunner.Start).ToList();
        try
        {
            return children.Select(c => c.WaitAsync(TimeSpan.FromMinutes(5)).GetAwaiter().GetResult()).ToList();
        }
        finally
        {
            children.ForEach(c => c.Dispose());
        }
    }

    /// <summary>
    /// Three processes evaluate at once (different seeds, so three evaluations sharing both players) into a database that
    /// none of them finds: the schema, the players and the evaluations are created once each, and every game is stored once.
    /// </summary>
    [Fact]
    public void SeveralEvaluateProcessesShareOneNewDatabase()
    {
        for (int round = 0; round < 3; round++)
        {
            string db = PathOf($"shared{round}.db");
            var outputs = RunAtOnce(Enumerable.Range(1, 3).Select(seed => Evaluate(db, seed)));
            foreach (var output in outputs)
            {
                AssertNoStackTrace(output);
                Assert.True(output.ExitCode == 0, output.Stderr);
            }
            using var store = ResultsStore.Open(db);
            Assert.Equal(["agent-random", "heuristic"], store.Players().Select(p => p.Name).Order());
            var evaluations = store.Evaluations();
            Assert.Equal(3, evaluations.Count);
            Assert.Equal(3, evaluations.Select(e => e.Key).Distinct().Count());
            foreach (var evaluation in evaluations)
            {
                Assert.Equal(EvaluationStatus.Completed, evaluation.Status);
                Assert.Equal([0, 1, 2, 3], store.Games(evaluation.Id).Select(g => g.GameIndex).Order());
            }
            Assert.Equal(12, store.Games().Count);
        }
    }

    /// <summary>
    /// The same command in three processes at once: one evaluation row; each process either plays it (exit 0) or is
    /// refused with the rule's message (exit 2) while another plays it; every planned game is stored exactly once.
    /// </summary>
    [Fact]
    public void TheSameEvaluationInSeveralProcessesIsPlayedOnce()
    {
        for (int round = 0; round < 2; round++)
        {
            string db = PathOf($"same{round}.db");
            var outputs = RunAtOnce(Enumerable.Repeat(Evaluate(db, 7, games: 20), 3));
            foreach (var output in outputs)
            {
                AssertNoStackTrace(output);
                Assert.True(output.ExitCode == 0 || (output.ExitCode == 2 && output.Stderr.Contains("is being played by another process", StringComparison.Ordinal)),
                    $"exit {output.ExitCode}: {output.Stderr}");
            }
            Assert.Contains(outputs, o => o.ExitCode == 0);
            using var store = ResultsStore.Open(db);
            var evaluation = Assert.Single(store.Evaluations());
            Assert.Equal(EvaluationStatus.Completed, evaluation.Status);
            Assert.Equal(Enumerable.Range(0, 20), store.Games(evaluation.Id).Select(g => g.GameIndex).Order());
        }
    }

    /// <summary>While this test process holds an evaluation's claim, a keisei process given the same command is refused; afterwards it finishes.</summary>
    [Fact]
    public void AnEvaluationBeingPlayedElsewhereIsRefusedWithOneLine()
    {
        string db = PathOf("claimed.db");
        Assert.Equal(0, CliRunner.Run(Evaluate(db, 3)).ExitCode);
        using (var store = ResultsStore.Open(db))
        using (store.ClaimEvaluation(1))
        {
            var refused = CliRunner.RunProcess(Evaluate(db, 3));
            AssertNoStackTrace(refused);
            Assert.Equal(2, refused.ExitCode);
            Assert.Equal($"error: Results database '{db}': evaluation 1 is being played by another process right now; " +
                "wait for it to end (the same command then resumes or reports it), or change the options to start a separate evaluation.",
                refused.Stderr.Trim());
        }
        var again = CliRunner.RunProcess(Evaluate(db, 3));
        Assert.True(again.ExitCode == 0, again.Stderr);
    }

    public static TheoryData<string, string, string> Damage => new()
    {
        { "page2", "rate", "is damaged: SQLite Error 11: 'database disk image is malformed'. PRAGMA integrity_check: " },
        { "page2", "evaluate", "is damaged: SQLite Error 11: 'database disk image is malformed'. PRAGMA integrity_check: " },
        { "banana", "rate", "is damaged: table games, row id 1: result 'Banana' is not one of BlackWin, Draw, WhiteWin" },
        { "banana", "evaluate", "is damaged: table games, row id 1: result 'Banana' is not one of BlackWin, Draw, WhiteWin" },
        { "termination", "rate", "is damaged: table games, row id 2: termination 'Teleport' is not one of " },
        { "status", "export", "is damaged: table evaluations, row id 1: status 'paused' is not one of completed, failed, gate_failed, " },
        { "dropped", "rate", $"is damaged: table games is missing (schema version {ResultsStore.CurrentSchemaVersion} has it)" },
        { "dropped", "evaluate", $"is damaged: table games is missing (schema version {ResultsStore.CurrentSchemaVersion} has it)" },
        { "notadb", "rate", "is damaged: SQLite Error 26: 'file is not a database'. PRAGMA integrity_check: cannot run either" },
        { "notadb", "evaluate", "is damaged: SQLite Error 26: 'file is not a database'. PRAGMA integrity_check: cannot run either" },
    };

    /// <summary>Each kind of damage makes rate, evaluate and export exit 2 with one line naming the file and what is wrong.</summary>
    [Theory]
    [MemberData(nameof(Damage))]
    public void ADamagedDatabaseIsReportedOnOneLine(string damage, string command, string expected)
    {
        string db = PathOf($"{damage}-{command}.db");
        Assert.Equal(0, CliRunner.Run(Evaluate(db, 5)).ExitCode);
        Assert.False(File.Exists(db + "-wal"), "the evaluation left its write-ahead log; the damage below would miss it");
        switch (damage)
        {
            case "page2":
                using (var file = new FileStream(db, FileMode.Open, FileAccess.Write))
                {
                    file.Position = 4096; // page 2 (the players table) of a database with 4 KiB pages
                    file.Write(Enumerable.Range(0, 4096).Select(i => (byte)(i * 37 + 11)).ToArray());
                }
                break;
            case "banana":
                Sql(db, "UPDATE games SET result = 'Banana' WHERE id = 1;");
                break;
            case "termination":
                Sql(db, "UPDATE games SET termination = 'Teleport' WHERE id = 2;");
                break;
            case "status":
                Sql(db, "UPDATE evaluations SET status = 'paused' WHERE id = 1;");
                break;
            case "dropped":
                Sql(db, "DROP TABLE games;");
                break;
            case "notadb":
                File.WriteAllText(db, "this is a results database, honestly\n" + new string('x', 5000));
                break;
        }
        string[] args = command switch
        {
            "rate" => ["rate", "--db", db],
            "export" => ["games", "export", "--db", db, "--evaluation", "1", "--out", PathOf("export")],
            _ => Evaluate(db, 5),
        };
        var output = CliRunner.Run(args);
        AssertNoStackTrace(output);
        Assert.Equal(2, output.ExitCode);
        string line = Assert.Single(output.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith($"error: Results database '{db}' ", line);
        Assert.Contains(expected, line);
    }

    private static void Sql(string db, string sql)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = db, Pooling = false }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
