using System.Text.Json;

namespace Keisei.Cli.Tests;

/// <summary><c>keisei bench dashboard</c> end to end with a tiny network: every measured update is watched or not in turn, the client really follows the run.</summary>
public sealed class BenchDashboardCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("keisei-cli-bench-dashboard-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    // Updates of 1,024 steps (a few hundred ms for this tiny network): a visit loads the run page's summary and curves
    // before it connects to the event stream, which can take longer than an update; the turn then waits for it.
    private string[] Args(params string[] extra) =>
    [
        "bench", "dashboard", "--set", "training.steps_per_epoch=1024", "--set", "training.num_envs=8", "--set", "training.minibatch_size=32",
        "--set", "model.channels=8", "--set", "model.layers=0", "--out", Path.Combine(_dir, "runs"), .. extra,
    ];

    [Fact]
    public void AlternatesAWatchingClientOverTheMeasuredUpdatesAndReportsTheirImpact()
    {
        var output = CliRunner.Run(Args("--updates", "9", "--json"));
        Assert.True(output.ExitCode == 0, output.Stderr + output.Stdout);
        using var json = JsonDocument.Parse(output.Stdout.Trim());
        var root = json.RootElement;
        // 9 updates, the first 3 not measured: 6 measured, watched and unwatched in turn.
        Assert.Equal(3, root.GetProperty("watched_updates").GetInt32());
        Assert.Equal(3, root.GetProperty("unwatched_updates").GetInt32());
        // Each watched update gives a sample against its unwatched neighbours.
        Assert.Equal(3, root.GetProperty("samples").GetInt32());
        Assert.Equal(0, root.GetProperty("failed_visits").GetInt32());
        // The client followed the run's event stream in each of the three visits (each starts with a 'state' event): a visit
        // is not ended before it gets there, however short the update.
        Assert.True(root.GetProperty("events").GetInt32() >= 3, output.Stdout);
        double median = root.GetProperty("impact_median").GetDouble();
        Assert.InRange(median, root.GetProperty("impact_q25").GetDouble(), root.GetProperty("impact_q75").GetDouble());
        Assert.True(root.GetProperty("watched_timesteps_per_second").GetDouble() > 0);
        Assert.True(root.GetProperty("unwatched_timesteps_per_second").GetDouble() > 0);
        string metrics = Path.Combine(_dir, "runs", "watched", "metrics.jsonl");
        Assert.Equal(9, File.ReadLines(metrics).Count(l => l.Contains("\"perf/update_ms\"", StringComparison.Ordinal)));
    }

    [Fact]
    public void TheLinesNameTheImpactAndTheClient()
    {
        var output = CliRunner.Run(Args("--updates", "6"));
        Assert.True(output.ExitCode == 0, output.Stderr + output.Stdout);
        Assert.Contains("keisei bench dashboard: quick", output.Stdout);
        Assert.Matches(@"training impact +median -?[0-9.]+ %", output.Stdout);
        Assert.Matches(@"client +[0-9]+ events received, 0 failed visits", output.Stdout);
    }

    [Fact]
    public void TooFewUpdatesIsOneClearError()
    {
        var output = CliRunner.Run(Args("--updates", "3"));
        Assert.Equal(2, output.ExitCode);
        Assert.Contains("--updates", output.Stderr);
        Assert.False(Directory.Exists(Path.Combine(_dir, "runs")));
    }
}
