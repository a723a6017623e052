using System.Text.Json;
using Keisei.Evaluation.Storage;

namespace Keisei.Cli.Tests;

public sealed class EvaluateCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("keisei-cli-eval-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string PathOf(string name) => Path.Combine(_dir, name);

    private string QuickCheckpoint()
    {
        string path = PathOf("quick.ckpt");
        if (!File.Exists(path))
            Assert.Equal(0, CliRunner.Run("model", "init", "--arch", "quick", "--set", "model.channels=8", "--out", path).ExitCode);
        return path;
    }

    [Fact]
    public void EvaluatesACheckpointAndReportsJsonWithIntervals()
    {
        var result = CliRunner.Run("evaluate", "--agent", QuickCheckpoint(), "--opponent", "random", "--games", "4", "--max-plies", "60",
            "--db", PathOf("a.db"), "--json", "--report", PathOf("report.md"));
        Assert.True(result.ExitCode == 0, result.Stderr);
        using var doc = JsonDocument.Parse(result.Stdout);
        var root = doc.RootElement;
        Assert.Equal("completed", root.GetProperty("status").GetString());
        Assert.Equal(4, root.GetProperty("played_games").GetInt32());
        var total = root.GetProperty("total");
        Assert.Equal(4, total.GetProperty("games").GetInt32());
        Assert.True(total.TryGetProperty("score_ci95", out _));
        Assert.Equal("random", root.GetProperty("opponents")[0].GetProperty("opponent").GetString());
        Assert.Contains("| opponent |", File.ReadAllText(PathOf("report.md")));
    }

    [Fact]
    public void SearchSettingsArePartOfTheAgentsIdentity()
    {
        string ckpt = QuickCheckpoint();
        foreach (string settings in new[] { "playouts=4,batch=2", "playouts=8,batch=2" })
        {
            var result = CliRunner.Run("evaluate", "--agent", ckpt, "--agent-search", settings, "--opponent", $"ckpt:{ckpt}",
                "--opponent-search", "playouts=2", "--games", "2", "--max-plies", "16", "--db", PathOf("s.db"), "--json");
            Assert.True(result.ExitCode == 0, result.Stderr);
            using var doc = JsonDocument.Parse(result.Stdout);
            Assert.Equal(2, doc.RootElement.GetProperty("played_games").GetInt32());
        }
        var rate = CliRunner.Run("rate", "--db", PathOf("s.db"), "--json");
        Assert.Equal(0, rate.ExitCode);
        using var players = JsonDocument.Parse(rate.Stdout);
        var names = players.RootElement.GetProperty("players").EnumerateArray().Select(p => p.GetProperty("name").GetString()!).ToList();
        Assert.Equal(3, names.Count);
        Assert.Contains(names, n => n.EndsWith("@search(playouts=4,batch=2)", StringComparison.Ordinal));
        Assert.Contains(names, n => n.EndsWith("@search(playouts=8,batch=2)", StringComparison.Ordinal));
        Assert.Contains("quick@search(playouts=2)", names);
    }

    [Fact]
    public void RateAndExportWorkOnTheStoredGames()
    {
        Assert.Equal(0, CliRunner.Run("evaluate", "--agent", "heuristic", "--opponent", "random", "--games", "4", "--max-plies", "80", "--db", PathOf("b.db")).ExitCode);
        var rate = CliRunner.Run("rate", "--db", PathOf("b.db"), "--json");
        Assert.Equal(0, rate.ExitCode);
        using var doc = JsonDocument.Parse(rate.Stdout);
        Assert.Equal(2, doc.RootElement.GetProperty("players").GetArrayLength());

        foreach (string format in new[] { "kif", "kifu", "csa", "usi" })
        {
            var export = CliRunner.Run("games", "export", "--db", PathOf("b.db"), "--evaluation", "1", "--format", format, "--out", PathOf(format));
            Assert.Equal(0, export.ExitCode);
            Assert.Equal(4, Directory.GetFiles(PathOf(format), $"*.{format}").Length);
        }
        // .kif is Shift_JIS, .kifu the same text in UTF-8 without a byte order mark.
        byte[] kifBytes = File.ReadAllBytes(Directory.GetFiles(PathOf("kif")).Order().First());
        byte[] kifuBytes = File.ReadAllBytes(Directory.GetFiles(PathOf("kifu")).Order().First());
        string kif = Keisei.Shogi.Records.KifWriter.ShiftJis.GetString(kifBytes);
        Assert.Equal(kif, new System.Text.UTF8Encoding(false, true).GetString(kifuBytes));
        Assert.NotEqual(0xEF, kifuBytes[0]);
        Assert.Contains("手合割：平手", kif);
        Assert.Contains("先手：agent-heuristic", kif);
        Assert.Matches(@"まで\d+手", kif);
        string csa = File.ReadAllText(Directory.GetFiles(PathOf("csa")).Order().First());
        Assert.StartsWith("V2.2", csa);
        Assert.Contains("PI", csa);
        Assert.StartsWith("position startpos moves ", File.ReadAllText(Directory.GetFiles(PathOf("usi")).Order().First()));
    }

    [Theory]
    [InlineData("--strategy", "tournement", "did you mean 'tournament'")]
    [InlineData("--opponent", "stockfish", "expected random, heuristic, ckpt:<path> or usi:")]
    [InlineData("--sprt", "elo0=0,elo1=x", "elo1")]
    [InlineData("--agent-search", "depth=3", "--agent-search: unknown search setting 'depth'")]
    [InlineData("--opponent-search", "playouts=0", "--opponent-search: key 'playouts' expects an integer of at least 1, found '0'")]
    [InlineData("--agent-search", "playouts=5", "--agent-search: applies to a checkpoint agent, found --agent 'heuristic'")]
    public void BadOptionsExitWithTwoAndSayWhy(string option, string value, string expected)
    {
        var result = CliRunner.Run("evaluate", "--agent", "heuristic", "--opponent", "random", option, value, "--db", PathOf("c.db"));
        Assert.Equal(2, result.ExitCode);
        Assert.Contains(expected, result.Stderr);
    }

    [Fact]
    public void AnEngineProgramThatCannotStartIsAnErrorNamingTheCommandBeforeAnyGame()
    {
        string program = PathOf("no-such-engine");
        var result = CliRunner.Run("evaluate", "--agent", "heuristic", "--opponent", $"usi:\"{program}\"", "--games", "4", "--db", PathOf("m.db"));
        Assert.Equal(1, result.ExitCode);
        Assert.Contains(program, result.Stderr);
        Assert.DoesNotContain("   at ", result.Stderr);
        using var store = ResultsStore.Open(PathOf("m.db"));
        Assert.Empty(store.Evaluations());
    }

    [Fact]
    public void AnAgentEngineThatCannotStartIsAnErrorNamingTheAgentBeforeAnyGame()
    {
        string program = PathOf("no-such-agent-engine");
        var result = CliRunner.Run("evaluate", "--agent", $"usi:\"{program}\"", "--opponent", "random", "--games", "2", "--db", PathOf("n.db"));
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("error: --agent: ", result.Stderr);
        Assert.Contains(program, result.Stderr);
        Assert.Contains("No game was played.", result.Stderr);
        Assert.DoesNotContain("   at ", result.Stderr);
        if (File.Exists(PathOf("n.db")))
        {
            using var store = ResultsStore.Open(PathOf("n.db"));
            Assert.Empty(store.Evaluations());
        }
    }

    [Theory]
    [InlineData("usi:\"\"", "no command")]
    [InlineData("usi:", "no command")]
    public void AUsiOpponentWithoutACommandIsBadInput(string opponent, string expected)
    {
        var result = CliRunner.Run("evaluate", "--agent", "heuristic", "--opponent", opponent, "--db", PathOf("n.db"));
        Assert.Equal(2, result.ExitCode);
        Assert.Contains(expected, result.Stderr);
    }

    [Fact]
    public void OpponentNamesNameTheOpponentsInOrder()
    {
        var result = CliRunner.Run("evaluate", "--agent", "heuristic", "--strategy", "tournament", "--opponent", "random", "--opponent", "heuristic",
            "--opponent-name", "mover", "--opponent-name", "greedy", "--games", "2", "--max-plies", "40", "--db", PathOf("o.db"), "--json");
        Assert.True(result.ExitCode == 0, result.Stderr);
        using var doc = JsonDocument.Parse(result.Stdout);
        Assert.Equal(["greedy", "mover"], doc.RootElement.GetProperty("opponents").EnumerateArray().Select(o => o.GetProperty("opponent").GetString()).Order());

        var extra = CliRunner.Run("evaluate", "--agent", "heuristic", "--opponent", "random", "--opponent-name", "a", "--opponent-name", "b", "--db", PathOf("o.db"));
        Assert.Equal(2, extra.ExitCode);
        Assert.Contains("--opponent-name: 2 names given for 1 --opponent", extra.Stderr);
    }

    [Fact]
    public void AMissingCheckpointNamesTheFile()
    {
        var result = CliRunner.Run("evaluate", "--agent", PathOf("nope.ckpt"), "--opponent", "random", "--db", PathOf("d.db"));
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("nope.ckpt", result.Stderr);
        Assert.Contains("does not exist", result.Stderr);
    }

    [Fact]
    public void ConfigFileErrorsNameTheFileLineAndKey()
    {
        File.WriteAllText(PathOf("bad.yaml"), "evaluation:\n  num_games: 10\n  strategi: ladder\n");
        var result = CliRunner.Run("evaluate", "--agent", "heuristic", "--config", PathOf("bad.yaml"), "--db", PathOf("e.db"));
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("bad.yaml, line 3", result.Stderr);
        Assert.Contains("did you mean 'strategy'", result.Stderr);
    }

    /// <summary>A real <c>keisei evaluate</c> child process is killed (SIGKILL) mid-run; running the same command again finishes exactly the planned games.</summary>
    [Fact]
    public async Task AKilledEvaluationResumesWithNoGameLostOrDuplicated()
    {
        string db = PathOf("kill.db");
        string[] args = ["evaluate", "--agent", QuickCheckpoint(), "--opponent", "random", "--games", "200", "--concurrency", "2", "--max-plies", "120", "--db", db];
        using (var child = CliRunner.Start(args))
        {
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(120);
            while (DateTime.UtcNow < deadline && !child.HasExited)
            {
                await Task.Delay(100);
                if (CliRunner.CountGames(db) >= 4) break;
            }
            Assert.False(child.HasExited, "the evaluation finished before it could be killed; make it longer");
            child.Signal(9); // SIGKILL: nothing can be saved
            await child.WaitAsync(TimeSpan.FromSeconds(30));
            Assert.InRange(CliRunner.CountGames(db), 4, 199);
        }

        var again = CliRunner.RunProcess(args);
        Assert.True(again.ExitCode == 0, again.Stderr);
        using var store = ResultsStore.Open(db);
        var evaluation = Assert.Single(store.Evaluations());
        Assert.Equal(EvaluationStatus.Completed, evaluation.Status);
        var indices = store.Games(evaluation.Id).Select(g => g.GameIndex).ToList();
        Assert.Equal(Enumerable.Range(0, 200), indices.Order());
    }
}
