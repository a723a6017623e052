using System.Text.Json;

namespace Keisei.Cli.Tests;

/// <summary><c>keisei bench search</c> with a tiny network and a fraction of a second per measurement: both figures and their ratio.</summary>
public sealed class BenchSearchCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("keisei-cli-bench-search-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Checkpoint()
    {
        string path = Path.Combine(_dir, "tiny.ckpt");
        if (!File.Exists(path))
            Assert.Equal(0, CliRunner.Run("model", "init", "--arch", "quick", "--set", "model.channels=8", "--out", path).ExitCode);
        return path;
    }

    [Fact]
    public void PrintsForwardAndSearchThroughputAndTheirRatio()
    {
        var output = CliRunner.Run("bench", "search", "--model", Checkpoint(), "--batch", "8", "--games", "2", "--search", "playouts=16",
            "--seconds", "0.5", "--json");
        Assert.True(output.ExitCode == 0, output.Stderr);
        using var json = JsonDocument.Parse(output.Stdout);
        var root = json.RootElement;
        double forward = root.GetProperty("forward_positions_per_second").GetDouble();
        double search = root.GetProperty("search_playouts_per_second").GetDouble();
        Assert.True(forward > 0 && search > 0, output.Stdout);
        Assert.Equal(search / forward, root.GetProperty("ratio").GetDouble(), 6);
        Assert.True(root.GetProperty("playouts").GetInt64() > 0);
        Assert.InRange(root.GetProperty("mean_batch").GetDouble(), 1, 8);

        var lines = CliRunner.Run("bench", "search", "--model", Checkpoint(), "--batch", "4", "--games", "1", "--seconds", "0.2");
        Assert.True(lines.ExitCode == 0, lines.Stderr);
        Assert.Matches(@"^forward +[0-9.]+ positions/s", lines.Stdout);
        Assert.Contains("playouts/s", lines.Stdout);
        Assert.Matches(@"ratio +[0-9.]+ +search / forward", lines.Stdout);
    }

    [Theory]
    [InlineData("--games", "9", "--games: expected at most --batch (8) searches, found 9")]
    [InlineData("--search", "playouts=x", "--search: key 'playouts' expects an integer of at least 1, found 'x'")]
    [InlineData("--device", "gpu", "--device:")]
    public void BadInputIsOneLineAndExitTwo(string option, string value, string expected)
    {
        var output = CliRunner.Run("bench", "search", "--model", Checkpoint(), "--batch", "8", option, value, "--seconds", "0.1");
        Assert.Equal(2, output.ExitCode);
        Assert.StartsWith("error: " + expected, output.Stderr);
        Assert.Single(output.Stderr.TrimEnd().Split('\n'), l => l.StartsWith("error:", StringComparison.Ordinal));
    }

    [Fact]
    public void AMissingModelIsNamed()
    {
        var output = CliRunner.Run("bench", "search", "--model", Path.Combine(_dir, "none.ckpt"));
        Assert.Equal(2, output.ExitCode);
        Assert.Contains("none.ckpt", output.Stderr);
    }
}
