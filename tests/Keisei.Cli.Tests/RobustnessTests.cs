using System.Text.Json;
using Keisei.Evaluation.Storage;
using Keisei.Neural.Checkpoints;
using Keisei.Neural.Models;
using Keisei.TestSupport;

namespace Keisei.Cli.Tests;

/// <summary>
/// The command line as schedulers and users meet it: SIGTERM and SIGINT stop training and evaluation cleanly in a real
/// child process; non-finite training stops with exit code 1 naming the last good checkpoint; damaged checkpoints are
/// called damaged; the doctor's stress check runs.
/// </summary>
public sealed class RobustnessTests : IDisposable
{
    private const int SigInt = 2, SigTerm = 15;
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(3);
    private readonly string _dir = Directory.CreateTempSubdirectory("keisei-cli-robust-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string PathOf(string name) => Path.Combine(_dir, name);

    /// <summary>A small, long training run in plain mode (stdout is redirected anyway).</summary>
    private string[] TrainArgs(string run, params string[] extra) =>
    [
        "train", "--plain", "--run-name", run, "--set", $"logging.run_dir={PathOf("runs")}", "--set", "training.steps_per_epoch=128",
        "--set", "training.num_envs=8", "--set", "training.minibatch_size=64", "--set", "model.channels=8", "--set", "model.layers=0",
        "--set", "training.checkpoint_interval_timesteps=1000000", .. extra,
    ];

    private static async Task WaitFor(Func<bool> condition, CliRunner.Child child, string what)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!condition())
        {
            Assert.False(child.HasExited, $"keisei ended before {what}");
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for {what}");
            await Task.Delay(100);
        }
    }

    [Theory]
    [InlineData(SigTerm, "SIGTERM")]
    [InlineData(SigInt, "SIGINT")]
    public async Task ASignalStopsTrainingWithACheckpointAndExitCodeZero(int signal, string name)
    {
        string run = $"signal-{signal}";
        string metrics = Path.Combine(PathOf("runs"), run, "metrics.jsonl");
        using var child = CliRunner.Start(TrainArgs(run));
        await WaitFor(() => File.Exists(metrics) && File.ReadAllLines(metrics).Length >= 1, child, "the first update");
        child.Signal(signal);
        var output = await child.WaitAsync(Patience);

        Assert.True(output.ExitCode == 0, $"exit code {output.ExitCode}; stderr: {output.Stderr}");
        Assert.Contains($"{name} received; stopping cleanly", output.Stderr);
        string final = Path.Combine(PathOf("runs"), run, "checkpoints", "final.ckpt");
        Assert.Contains($"checkpoint {final}", output.Stdout);
        Assert.Contains($"keisei train --resume {run}", output.Stdout);
        var info = CheckpointFile.ReadInfo(final).Info;
        Assert.True(info.Counters["timesteps"] >= 128);
        Assert.Equal(File.ReadAllLines(metrics).Length, info.Counters["updates"]);
    }

    [Fact]
    public async Task SigtermStopsTrainingInTheDefaultDisplayMode()
    {
        // Without --plain: the display picks itself (plain lines here, as stdout is a pipe).
        string run = "signal-auto";
        string metrics = Path.Combine(PathOf("runs"), run, "metrics.jsonl");
        using var child = CliRunner.Start([.. TrainArgs(run).Where(a => a != "--plain")]);
        await WaitFor(() => File.Exists(metrics) && File.ReadAllLines(metrics).Length >= 1, child, "the first update");
        child.Signal(SigTerm);
        var output = await child.WaitAsync(Patience);
        Assert.True(output.ExitCode == 0, $"exit code {output.ExitCode}; stderr: {output.Stderr}");
        Assert.True(File.Exists(Path.Combine(PathOf("runs"), run, "checkpoints", "final.ckpt")));
    }

    /// <summary>The live display needs a terminal: <c>script</c> gives the process a pseudo-terminal.</summary>
    [Fact]
    public async Task SigtermStopsTrainingWithTheLiveDisplay()
    {
        string run = "signal-live";
        string metrics = Path.Combine(PathOf("runs"), run, "metrics.jsonl");
        string command = string.Join(' ', new[] { "dotnet", Path.Combine(AppContext.BaseDirectory, "keisei.dll") }
            .Concat(TrainArgs(run).Where(a => a != "--plain")).Select(a => $"'{a}'"));
        var psi = new System.Diagnostics.ProcessStartInfo("script") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in new[] { "--quiet", "--return", "--flush", "--command", command, "/dev/null" }) psi.ArgumentList.Add(a);
        using var script = System.Diagnostics.Process.Start(psi)!;
        var screen = script.StandardOutput.ReadToEndAsync();
        _ = script.StandardError.ReadToEndAsync();
        try
        {
            var deadline = DateTime.UtcNow + Patience;
            while (!(File.Exists(metrics) && File.ReadAllLines(metrics).Length >= 1))
            {
                Assert.False(script.HasExited, "keisei ended before its first update");
                Assert.True(DateTime.UtcNow < deadline, "timed out waiting for the first update");
                await Task.Delay(100);
            }
            int keisei = ProcessesWithArgument(run).Single();
            Assert.Equal(0, CliRunner.Child.Kill(keisei, SigTerm));
            await script.WaitForExitAsync().WaitAsync(Patience);
        }
        finally
        {
            if (!script.HasExited) script.Kill(entireProcessTree: true);
        }
        string text = await screen;
        Assert.True(script.ExitCode == 0, $"exit code {script.ExitCode}; screen: {text}");
        Assert.Contains($"keisei train · {run}", text); // the live panel's title
        Assert.Contains("SIGTERM received", text);
        Assert.Contains("Stopped at", text);
        Assert.True(File.Exists(Path.Combine(PathOf("runs"), run, "checkpoints", "final.ckpt")));
    }

    /// <summary>Processes whose command line has an argument equal to <paramref name="argument"/>.</summary>
    private static List<int> ProcessesWithArgument(string argument)
    {
        var found = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out int pid)) continue;
            try
            {
                if (File.ReadAllText(Path.Combine(dir, "cmdline")).Split('\0').Contains(argument)
                    && File.ReadAllText(Path.Combine(dir, "comm")).Trim() == "dotnet") found.Add(pid);
            }
            catch (IOException)
            {
            }
        }
        return found;
    }

    [Theory]
    [InlineData(SigTerm)]
    [InlineData(SigInt)] // as Ctrl-C sends it
    public async Task SigtermOrSigintStopsAnEvaluationWithExitCode130AndKeepsItsGames(int signal)
    {
        string agent = PathOf("agent.ckpt");
        Assert.Equal(0, CliRunner.Run("model", "init", "--arch", "quick", "--set", "model.channels=8", "--out", agent).ExitCode);
        string db = PathOf("eval.db");
        string[] args = ["evaluate", "--agent", agent, "--opponent", "random", "--games", "400", "--concurrency", "2", "--max-plies", "120", "--db", db];
        int stored;
        using (var child = CliRunner.Start(args))
        {
            await WaitFor(() => CliRunner.CountGames(db) >= 4, child, "four stored games");
            child.Signal(signal);
            var output = await child.WaitAsync(Patience);
            Assert.True(output.ExitCode == 130, $"exit code {output.ExitCode}; stderr: {output.Stderr}");
            stored = CliRunner.CountGames(db);
            Assert.InRange(stored, 4, 399);
            Assert.Contains($"Interrupted: {stored} of 400 games are stored", output.Stderr);
        }
        using var store = ResultsStore.Open(db);
        Assert.Equal(EvaluationStatus.Stopped, Assert.Single(store.Evaluations()).Status);
    }

    [Fact]
    public void TrainingWhoseNumbersGoNonFiniteStopsWithExitCodeOneAndNamesTheLastGoodCheckpoint()
    {
        // A learning rate of 1e30 throws the weights so far that the next forward pass overflows.
        var output = CliRunner.RunProcess(TrainArgs("diverging", "--set", "training.learning_rate=1e30", "--set", "training.checkpoint_interval_timesteps=128",
            "--set", "training.total_timesteps=4096"));
        Assert.Equal(1, output.ExitCode);
        Assert.Contains("error: Training stopped", output.Stderr);
        Assert.Contains("the last good checkpoint is ", output.Stderr);
        Assert.Contains("keisei train --resume diverging", output.Stderr);
        Assert.Contains("update SKIPPED", output.Stdout);
        string checkpoints = Path.Combine(PathOf("runs"), "diverging", "checkpoints");
        Assert.False(File.Exists(Path.Combine(checkpoints, "final.ckpt")));
        foreach (string file in Directory.GetFiles(checkpoints)) CheckpointFile.Load(file).Model.Dispose(); // all intact
        Assert.Contains("Training stopped", File.ReadAllText(Path.Combine(PathOf("runs"), "diverging", "train.log")));
    }

    [Fact]
    public void AnEvaluationOfANetworkThatAnswersNaNFailsInsteadOfScoringGarbage()
    {
        // Finite weights so large that the forward pass overflows: the checkpoint is intact, its answers are not.
        string path = PathOf("overflowing.ckpt");
        using (var model = PolicyValueModel.Create(new ModelConfig { Architecture = ModelConfig.Quick, Channels = 8, Layers = 0 }, 1))
        {
            using (TorchSharp.torch.no_grad())
                foreach (var p in model.parameters()) p.fill_(Keisei.Neural.Scalars.Of(1e30));
            CheckpointFile.Save(path, model, new CheckpointInfo { Model = model.Config });
        }
        string db = PathOf("nan.db");
        var result = CliRunner.Run("evaluate", "--agent", path, "--opponent", "random", "--games", "4", "--db", db);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("error: the evaluation stopped: The network's", result.Stderr);
        Assert.Contains("marked failed", result.Stderr);
        using var store = ResultsStore.Open(db);
        var evaluation = Assert.Single(store.Evaluations());
        Assert.Equal(EvaluationStatus.Failed, evaluation.Status);
        Assert.Empty(store.Games(evaluation.Id));
    }

    [Fact]
    public void ModelInfoCallsACheckpointWithNaNWeightsDamaged()
    {
        string path = PathOf("nan.ckpt");
        using (var model = PolicyValueModel.Create(new ModelConfig { Architecture = ModelConfig.Quick, Channels = 8, Layers = 0 }, 1))
            DamagedCheckpoints.WriteWithNaNWeights(path, model, "_body.conv0.weight");
        var result = CliRunner.Run("model", "info", path);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains($"Checkpoint '{path}' is damaged: its weights hold NaN or infinite values in _body.conv0.weight", result.Stderr);
        Assert.DoesNotContain("verified", result.Stdout);
    }

    [Fact]
    public void DoctorStressReportsEachCheck()
    {
        var result = CliRunner.Run("doctor", "--stress", "--iterations", "3", "--load", "1", "--json");
        Assert.True(result.ExitCode == 0, result.Stdout + result.Stderr);
        using var doc = JsonDocument.Parse(result.Stdout);
        var root = doc.RootElement;
        Assert.True(root.GetProperty("ok").GetBoolean());
        Assert.Equal(3, root.GetProperty("stress").GetProperty("iterations").GetInt32());
        Assert.Equal(0, root.GetProperty("stress").GetProperty("failures").GetInt32());
        var names = root.GetProperty("checks").EnumerateArray().Select(c => c.GetProperty("name").GetString()).ToList();
        Assert.Contains("stress: forward/backward", names);
        Assert.Contains("stress: save/load", names);
        Assert.Contains("stress: batcher", names);
        Assert.Contains("numerics", names);

        var bad = CliRunner.Run("doctor", "--stress", "--iterations", "0");
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("--iterations: expected an integer in 1..1000000, found 0", bad.Stderr);
    }
}
