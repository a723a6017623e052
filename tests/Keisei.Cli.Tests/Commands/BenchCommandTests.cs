using System.Globalization;
using System.Text.Json;

namespace Keisei.Cli.Tests;

/// <summary><c>keisei bench learning</c> end to end with a tiny network and short budgets: curve, files, JSON and input errors.</summary>
public sealed class BenchCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("keisei-cli-bench-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string[] Args(params string[] extra) =>
    [
        "bench", "learning", "--set", "training.steps_per_epoch=64", "--set", "training.num_envs=8", "--set", "training.minibatch_size=32",
        "--set", "model.channels=8", "--set", "model.layers=0", "--minutes", "0.04", "--seeds", "2", "--random-games", "4",
        "--heuristic-games", "2", "--max-plies", "40", "--out", Path.Combine(_dir, "bench"), .. extra,
    ];

    /// <summary>The arguments with <paramref name="option"/> set to <paramref name="value"/> (replaced, or added).</summary>
    private static string[] With(string[] args, string option, string value)
    {
        var list = args.ToList();
        int at = list.IndexOf(option);
        if (at >= 0) list[at + 1] = value;
        else list.AddRange([option, value]);
        return [.. list];
    }

    [Fact]
    public void LearningWritesTheCurvePerSeedAndTheMedians()
    {
        var output = CliRunner.Run(Args("--json"));
        Assert.True(output.ExitCode == 0, output.Stderr + output.Stdout);
        using var json = JsonDocument.Parse(output.Stdout.Split('\n')[0]);
        var root = json.RootElement;
        var points = root.GetProperty("points").EnumerateArray().ToList();
        // 2 seeds × 3 marks (a third, two thirds, the end) × 2 opponents.
        Assert.Equal(12, points.Count);
        Assert.All(points, p =>
        {
            int games = p.GetProperty("wins").GetInt32() + p.GetProperty("draws").GetInt32() + p.GetProperty("losses").GetInt32();
            Assert.Equal(p.GetProperty("opponent").GetString() == "random" ? 4 : 2, games);
            double score = p.GetProperty("score").GetDouble();
            Assert.InRange(score, p.GetProperty("lower95").GetDouble(), p.GetProperty("upper95").GetDouble());
            var endings = p.GetProperty("terminations").GetString()!.Split(", ").Sum(e => int.Parse(e[(e.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture));
            Assert.Equal(games, endings);
            Assert.True(p.GetProperty("timesteps").GetInt64() >= 64);
        });
        Assert.Equal([1, 2], points.Select(p => p.GetProperty("seed").GetInt32()).Distinct().Order());
        Assert.Equal(6, root.GetProperty("medians").GetArrayLength());
        var seeds = root.GetProperty("seeds").EnumerateArray().ToList();
        Assert.Equal(2, seeds.Count);
        Assert.All(seeds, s => Assert.True(s.GetProperty("ppo_sample_passes_per_second").GetDouble() > 0));

        string folder = Path.Combine(_dir, "bench");
        var csv = File.ReadAllLines(Path.Combine(folder, "curve.csv"));
        Assert.Equal("seed,mark_minutes,minutes,timesteps,opponent,wins,draws,losses,games,score,lower95,upper95,terminations", csv[0]);
        Assert.Equal(12, csv.Count(l => l.StartsWith("1,", StringComparison.Ordinal) || l.StartsWith("2,", StringComparison.Ordinal)));
        Assert.Equal(6, csv.Count(l => l.StartsWith("median,", StringComparison.Ordinal)));
        var svg = File.ReadAllText(Path.Combine(folder, "curve.svg"));
        Assert.StartsWith("<svg", svg);
        Assert.Contains("score against random", svg);
        Assert.Contains("score against heuristic", svg);
        Assert.True(File.Exists(Path.Combine(folder, "seed-1", "checkpoints", "mark-0.04min.ckpt")));
    }

    [Fact]
    public void ASecondRunIntoTheSameFolderIsRefused()
    {
        var args = With(With(With(Args(), "--seeds", "1"), "--random-games", "2"), "--heuristic-games", "0");
        Assert.Equal(0, CliRunner.Run(args).ExitCode);
        var again = CliRunner.Run(args);
        Assert.Equal(2, again.ExitCode);
        Assert.Contains("--out", again.Stderr);
        Assert.Contains("already holds checkpoints of seed 1", again.Stderr);
    }

    [Theory]
    [InlineData("--marks", "0.5", "--marks: expected minutes in (0, 0.04]")]
    [InlineData("--marks", "x", "found 'x'")]
    [InlineData("--minutes", "0", "--minutes: expected minutes > 0 and <= 525600, found 0")]
    [InlineData("--seeds", "0", "--seeds: expected an integer in 1..1000, found 0")]
    [InlineData("--concurrency", "0", "--concurrency: expected an integer in 1..1024, found 0")]
    [InlineData("--temperature", "NaN", "--temperature: expected a number in 0..100, found NaN")]
    public void BadOptionsAreNamed(string option, string value, string message)
    {
        var output = CliRunner.Run(With(Args(), option, value));
        Assert.Equal(2, output.ExitCode);
        Assert.Contains(message, output.Stderr);
    }
}
