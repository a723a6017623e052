using System.Text.Json;
using Keisei.Shogi;
using Keisei.Usi;

namespace Keisei.Cli.Tests;

public sealed class UsiCommandTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(2);
    private static readonly string[] Faults = ["TimeForfeit", "Disconnect", "Stall", "IllegalMove", "IllegalDeclaration", "Aborted"];
    private readonly string _dir = Directory.CreateTempSubdirectory("keisei-cli-usi-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string PathOf(string name) => Path.Combine(_dir, name);

    private string Checkpoint(string name = "quick.ckpt", int channels = 8)
    {
        string path = PathOf(name);
        if (!File.Exists(path))
            Assert.Equal(0, CliRunner.Run("model", "init", "--arch", "quick", "--set", $"model.channels={channels}", "--out", path).ExitCode);
        return path;
    }

    private static string Keisei => Path.Combine(AppContext.BaseDirectory, "keisei.dll");

    [Theory]
    [InlineData("playouts5", "expected search.key=value, found 'playouts5'")]
    [InlineData("playouts=5", "takes search settings (search.key=value), found 'playouts'")]
    [InlineData("search.depth=3", "unknown search setting 'depth'")]
    [InlineData("search.playouts=0", "'playouts' expects an integer of at least 1, found '0'")]
    [InlineData("training.seed=3", "takes search settings (search.key=value), found 'training.seed'")]
    public void BadSearchSettingsAreBadInputNamingTheSetting(string set, string expected)
    {
        var result = CliRunner.Run("usi", "--model", "any.ckpt", "--set", set);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains(expected, result.Stderr);
        Assert.Equal("", result.Stdout);
    }

    [Fact]
    public void SearchSettingsBecomeTheEnginesDefaults()
    {
        var defaults = UsiCommand.Defaults("m.ckpt", ["search.playouts=64", "search.batch=4", "search.cpuct=2"]);
        Assert.Equal(Path.GetFullPath("m.ckpt"), defaults.Model);
        Assert.Equal(64, defaults.ConstPlayout);
        Assert.Equal(4, defaults.Search.Batch);
        Assert.Equal(2, defaults.Search.CpuctInit);
        Assert.Equal(0, UsiCommand.Defaults(null, ["search.nodes=5000"]).ConstPlayout);
        Assert.Equal("", UsiCommand.Defaults(null, []).Model);
    }

    [Fact]
    public void StdoutCarriesTheProtocolOnly()
    {
        string ckpt = Checkpoint();
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var stdin = new StringReader("usi\nisready\nposition startpos\ngo nodes 16\nfoo\nquit\n");
        Assert.Equal(0, KeiseiApp.Run(["usi", "--model", ckpt, "--set", "search.batch=4"], stdin, stdout, stderr));
        var lines = stdout.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.All(lines, l => Assert.Matches("^(id (name|author) |option name |usiok$|readyok$|info |bestmove )", l));
        Assert.Contains("readyok", lines);
        Assert.Single(lines, l => l.StartsWith("bestmove ", StringComparison.Ordinal));
        Assert.Contains("option name DNN_Batch_Size type spin default 4 min 1 max 4096", lines);
    }

    [Fact]
    public async Task PlaysThroughKeiseisOwnUsiClientAsAChildProcess()
    {
        string ckpt = Checkpoint();
        var options = new UsiEngineOptions
        {
            Command = "dotnet",
            Arguments = [Keisei, "usi", "--model", ckpt],
            Options = new Dictionary<string, string> { ["MultiPV"] = "2", ["USI_Hash"] = "64" },
            HandshakeTimeout = Patience,
            ReadyTimeout = Patience,
            QuitTimeout = TimeSpan.FromSeconds(30),
        };
        await using var engine = await UsiEngine.StartAsync(options);
        Assert.StartsWith("Keisei ", engine.IdName);
        Assert.Contains(engine.Options, o => o.Name == "DNN_Model");
        await engine.NewGameAsync();
        var game = new Game();
        foreach (var limits in new[] { UsiGoLimits.FixedNodes(24), UsiGoLimits.Byoyomi(500), UsiGoLimits.MoveTime(300), new UsiGoLimits { BlackTimeMs = 3000, WhiteTimeMs = 3000, BlackIncrementMs = 100, WhiteIncrementMs = 100 } })
        {
            var result = await engine.GoAsync(game.StartSfen, game.Moves, limits, Patience);
            Assert.True(result.TryParseBestMove(game.Position, out var move), $"{limits.ToGoCommand()}: bestmove {result.BestMove}");
            Assert.NotNull(result.Score);
            Assert.NotEmpty(result.Pv);
            game.PlayLegal(move);
        }
        await engine.PingAsync();
        await engine.GameOverAsync("draw");
    }

    [Fact]
    public void EvaluatePlaysKeiseiUsiAgainstTheHeuristicPlayer()
    {
        string ckpt = Checkpoint();
        var result = CliRunner.Run("evaluate", "--agent", $"usi:\"dotnet {Keisei} usi --model {ckpt} --set search.batch=4\"", "--opponent", "heuristic",
            "--usi-limit", "nodes=8", "--games", "2", "--max-plies", "40", "--db", PathOf("u.db"), "--json");
        Assert.True(result.ExitCode == 0, result.Stderr);
        using var doc = JsonDocument.Parse(result.Stdout);
        Assert.Equal(2, doc.RootElement.GetProperty("played_games").GetInt32());
        Assert.StartsWith("Keisei ", doc.RootElement.GetProperty("agent").GetString());
        var terminations = doc.RootElement.GetProperty("opponents")[0].GetProperty("terminations").EnumerateObject().Select(t => t.Name).ToList();
        Assert.DoesNotContain(terminations, Faults.Contains);
    }

    [Fact]
    public void EvaluatePlaysKeiseiUsiUnderAClock()
    {
        // The clock travels in every go (btime/wtime/binc/winc); nodes=8 keeps the games short, so no move comes near the clock.
        string ckpt = Checkpoint();
        var result = CliRunner.Run("evaluate", "--agent", $"usi:\"dotnet {Keisei} usi --model {ckpt} --set search.batch=4\"", "--opponent", "heuristic",
            "--time-control", "60000+1000", "--usi-limit", "nodes=8", "--games", "2", "--max-plies", "30", "--db", PathOf("c.db"), "--json");
        Assert.True(result.ExitCode == 0, result.Stderr);
        using var doc = JsonDocument.Parse(result.Stdout);
        Assert.Equal(2, doc.RootElement.GetProperty("played_games").GetInt32());
        Assert.EndsWith("(tc 60000+1000 nodes 8)", doc.RootElement.GetProperty("agent").GetString());
        var clock = doc.RootElement.GetProperty("clock");
        Assert.Equal("60000+1000", clock.GetProperty("time_control").GetString());
        Assert.Equal(0, clock.GetProperty("time_losses").GetInt32());
        Assert.True(clock.GetProperty("least_time_left_ms").GetInt64() > 0, clock.ToString());
        var terminations = doc.RootElement.GetProperty("opponents")[0].GetProperty("terminations").EnumerateObject().Select(t => t.Name).ToList();
        Assert.DoesNotContain(terminations, Faults.Contains);
    }

    [Fact]
    public void TwoKeiseiUsiEnginesPlayAMatch()
    {
        string a = Checkpoint("a.ckpt", 8), b = Checkpoint("b.ckpt", 16);
        var result = CliRunner.Run("evaluate", "--agent", $"usi:\"dotnet {Keisei} usi --model {a}\"", "--opponent", $"usi:\"dotnet {Keisei} usi --model {b}\"",
            "--usi-limit", "byoyomi=200", "--move-timeout", "5", "--games", "2", "--max-plies", "30", "--db", PathOf("m.db"), "--json");
        Assert.True(result.ExitCode == 0, result.Stderr);
        using var doc = JsonDocument.Parse(result.Stdout);
        Assert.Equal(2, doc.RootElement.GetProperty("played_games").GetInt32());
        var terminations = doc.RootElement.GetProperty("opponents")[0].GetProperty("terminations").EnumerateObject().Select(t => t.Name).ToList();
        Assert.DoesNotContain(terminations, Faults.Contains);
    }
}
