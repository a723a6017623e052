using System.Runtime.InteropServices;
using Keisei.Cli.Config;
using Keisei.Training;

namespace Keisei.Cli.Tests;

/// <summary>
/// Bad input met at the edge: malformed YAML, configs that pass validation but break training, out-of-range numeric options,
/// paths that cannot be used, unreadable files. Each is one line on stderr naming the input, exit code 2, no stack trace.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class InputValidationTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("keisei-cli-input-").FullName;

    public void Dispose()
    {
        foreach (var d in Directory.EnumerateDirectories(_dir, "*", SearchOption.AllDirectories)) File.SetUnixFileMode(d, (UnixFileMode)0b111_111_111);
        Directory.Delete(_dir, recursive: true);
    }

    private string Write(string name, string text)
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    private static void BadInput(CliRunner.Output output, params string[] expected)
    {
        Assert.True(output.ExitCode == 2, $"exit code {output.ExitCode}; stderr: {output.Stderr}");
        Assert.DoesNotContain("   at ", output.Stderr);
        Assert.DoesNotContain("Unhandled exception", output.Stderr);
        string first = output.Stderr.Split('\n')[0];
        Assert.StartsWith("error: ", first);
        foreach (string e in expected) Assert.Contains(e, first);
        // One mistake, one line: the error lines are all there is (no usage text, no trace).
        Assert.All(output.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries), line => Assert.StartsWith("error: ", line));
    }

    [Theory]
    [InlineData("a: [1\nb: 2\n", "line 1: invalid YAML")]
    [InlineData("[num_envs]: 4\n", "line 1: expected a plain key, found a list used as a key")]
    [InlineData("{a: 1}: 4\n", "line 1: expected a plain key, found a mapping used as a key")]
    [InlineData("x: &x\n  - *x\n", "line 2: the alias *x refers to a value that contains it (a cycle)")]
    [InlineData("evaluation:\n  opponent_type: 'usi:\"\"'\n", "line 2: evaluation.opponent_type: expected usi:\"<command line>\", found 'usi:\"\"' (no command)")]
    [InlineData("env:\n  seed: 1\n---\nenv:\n  seed: 2\n", "line 3: expected one YAML document, found a second one")]
    [InlineData("\0\0\0\0", "line 1: expected YAML text, found a NUL byte")]
    [InlineData("env:\n  seed: 1\n  \u0007: 2\n", "line 3: expected YAML text, found control character U+0007")]
    [InlineData("a: 1\na: 2\n", "line 2: invalid YAML: Duplicate key")]
    [InlineData("- 1\n- 2\n", "line 1: expected a mapping of sections at the top level, found a list")]
    public void MalformedYamlIsOneLineNamingTheFileAndLine(string text, string expected)
    {
        string path = Write("bad.yaml", text);
        BadInput(CliRunner.Run("config", "validate", path), $"{path}, {expected}");
    }

    [Fact]
    public void DeepNestingAliasBombsBinaryAndHugeFilesAreRefused()
    {
        string deep = Write("deep.yaml", "a: " + new string('[', 20_000) + new string(']', 20_000) + "\n");
        BadInput(CliRunner.Run("config", "validate", deep), $"{deep}, line 1: expected mappings and lists nested at most {YamlTree.MaxDepth} deep");

        var bomb = new System.Text.StringBuilder("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for (int i = 1; i < 10; i++) bomb.Append($"a{i}: &a{i} [{string.Join(", ", Enumerable.Repeat($"*a{i - 1}", 10))}]\n");
        string aliases = Write("bomb.yaml", bomb.ToString());
        BadInput(CliRunner.Run("config", "validate", aliases), $"{aliases}, line", $"expected at most {YamlTree.MaxNodes:N0} values");

        string binary = Path.Combine(_dir, "binary.yaml");
        File.WriteAllBytes(binary, [0x61, 0x3A, 0x20, 0xFF, 0xFE, 0x0A]);
        BadInput(CliRunner.Run("config", "validate", binary), $"{binary}, line 1: expected UTF-8 text");

        string huge = Write("huge.yaml", "# " + new string('x', YamlTree.MaxFileBytes) + "\n");
        BadInput(CliRunner.Run("config", "validate", huge), $"expected at most {YamlTree.MaxFileBytes:N0} bytes");

        BadInput(CliRunner.Run("config", "validate", _dir), $"config file '{_dir}' is a folder, not a file");

        // A file of comments only, or empty, is the defaults.
        Assert.Equal(0, CliRunner.Run("config", "validate", Write("empty.yaml", "# nothing\n")).ExitCode);
    }

    [Theory]
    [InlineData("training.steps_per_epoch=600000", "training.steps_per_epoch: expected an integer in 1..262144, found 600000")]
    [InlineData("training.num_envs=160000", "training.num_envs: expected an integer in 1..65536, found 160000")]
    [InlineData("training.num_envs=2000000000", "training.num_envs: expected an integer in 1..65536, found 2000000000")]
    [InlineData("training.total_timesteps=9223372036854775807", "training.total_timesteps: expected an integer in 1..1000000000000000")]
    [InlineData("logging.log_file=checkpoints", "logging.log_file: expected a file path other than the run's own")]
    [InlineData("logging.log_file=../train.log", "logging.log_file: expected a file path inside the run's folder (no leading '/'")]
    [InlineData("logging.log_file=/tmp/train.log", "logging.log_file: expected a file path inside the run's folder (no leading '/'")]
    [InlineData("logging.run_name=\"\"", "logging.run_name: expected a non-empty string or null, found ''")]
    [InlineData("logging.run_name=..", "logging.run_name: expected a folder name (no '/'")]
    [InlineData("evaluation.evaluation_interval_timesteps=3000000000", "evaluation.evaluation_interval_timesteps: expected an integer >= 1")]
    [InlineData("evaluation.timeout_per_game=1e300", "evaluation.timeout_per_game: expected a number in 0..604800 or null, found 1E+300")]
    [InlineData("evaluation.gating_sprt=elo0=x", "evaluation.gating_sprt:")]
    public void ValidateRefusesWhatTrainingCannotRun(string assignment, string expected)
    {
        BadInput(CliRunner.Run("config", "validate", Write("ok.yaml", "training:\n  minibatch_size: 64\n"), "--set", assignment), $"--set {assignment}: {expected}");
        // train meets the same check before it creates anything.
        BadInput(CliRunner.Run("train", "--set", $"logging.run_dir={Path.Combine(_dir, "runs")}", "--set", assignment), $"--set {assignment}: {expected}");
        Assert.False(Directory.Exists(Path.Combine(_dir, "runs")));
    }

    [Fact]
    public void TheTrainerChecksTheSameLimitsAsTheConfig()
    {
        Assert.Empty(new TrainingOptions().Validate());
        Assert.Empty(KeiseiConfig.Defaults.ToTrainingOptions().Validate());
        Assert.Equal(["num_envs: expected an integer in 1..65536, found 160000"], new TrainingOptions { NumEnvs = 160_000 }.Validate());
        Assert.Equal(["minibatch_size: expected at most training.steps_per_epoch (32), found 64"], new TrainingOptions { StepsPerEpoch = 32 }.Validate());
        var run = RunDirectory.Create(Path.Combine(_dir, "runs"), "limits");
        var error = Assert.Throws<ArgumentException>(() => Trainer.Create(new TrainingOptions { StepsPerEpoch = 600_000 }, run));
        Assert.Contains("training.steps_per_epoch: expected an integer in 1..262144, found 600000", error.Message);
    }

    [Fact]
    public void SetMistakesNameTheSetAndNotTheFile()
    {
        string path = Write("fine.yaml", "training:\n  num_envs: 8\n");
        var output = CliRunner.Run("config", "validate", path, "--set", "training.num_envs=x", "--set", "training.gamma=2");
        Assert.Equal(2, output.ExitCode);
        Assert.StartsWith("error: 2 errors in the configuration:", output.Stderr);
        Assert.DoesNotContain(path, output.Stderr);
        Assert.Contains("--set training.num_envs=x: training.num_envs: expected an integer in 1..65536, found 'x'", output.Stderr);
        Assert.Contains("--set training.gamma=2: training.gamma: expected a number in 0..1, found 2", output.Stderr);
        BadInput(CliRunner.Run("config", "validate", path, "--set", "training.gamma=[1"), "--set training.gamma=[1: training.gamma: '[1', line", "invalid YAML");
        BadInput(CliRunner.Run("config", "validate", path, "--set", "training.gamma=*x"), "--set training.gamma=*x: training.gamma:");
    }

    [Theory]
    [InlineData("train", "--time-limit", "-1", "--time-limit: expected minutes > 0 and <= 525600, found -1")]
    [InlineData("train", "--time-limit", "NaN", "--time-limit: expected minutes > 0 and <= 525600, found NaN")]
    [InlineData("train", "--time-limit", "1e20", "--time-limit: expected minutes > 0 and <= 525600, found 1E+20")]
    [InlineData("evaluate", "--move-timeout", "NaN", "--move-timeout: expected seconds > 0 and <= 86400, found NaN")]
    [InlineData("evaluate", "--move-timeout", "1e300", "--move-timeout: expected seconds > 0 and <= 86400, found 1E+300")]
    [InlineData("evaluate", "--move-timeout", "0", "--move-timeout: expected seconds > 0 and <= 86400, found 0")]
    [InlineData("evaluate", "--game-timeout", "-Infinity", "--game-timeout: expected seconds > 0 and <= 604800, found -Infinity")]
    [InlineData("evaluate", "--max-plies", "0", "--max-plies: expected an integer in 1..100000, found 0")]
    [InlineData("evaluate", "--max-plies", "-5", "--max-plies: expected an integer in 1..100000, found -5")]
    [InlineData("evaluate", "--games", "0", "--games: expected an integer in 1..1000000, found 0")]
    [InlineData("evaluate", "--concurrency", "100000", "--concurrency: expected an integer in 1..1024, found 100000")]
    [InlineData("evaluate", "--temperature", "NaN", "--temperature: expected a number in 0..100, found NaN")]
    [InlineData("evaluate", "--resign-value", "NaN", "--resign-value: expected a number in -1..1, found NaN")]
    [InlineData("evaluate", "--resume", "0", "--resume: expected an integer in 1..")]
    [InlineData("perft", "--depth", "20000", "--depth: expected an integer in 1..10, found 20000")]
    [InlineData("perft", "--depth", "100", "--depth: expected an integer in 1..10, found 100")]
    [InlineData("perft", "--depth", "0", "--depth: expected an integer in 1..10, found 0")]
    [InlineData("doctor", "--iterations", "0", "--iterations: expected an integer in 1..1000000, found 0")]
    [InlineData("doctor", "--load", "-1", "--load: expected an integer in 0..256, found -1")]
    [InlineData("bench learning", "--minutes", "NaN", "--minutes: expected minutes > 0 and <= 525600, found NaN")]
    [InlineData("bench learning", "--seeds", "0", "--seeds: expected an integer in 1..1000, found 0")]
    [InlineData("bench learning", "--temperature", "Infinity", "--temperature: expected a number in 0..100, found Infinity")]
    [InlineData("games export", "--evaluation", "-1", "--evaluation: expected an integer in 1..")]
    public void NumericOptionsOutOfRangeAreRefusedWhileParsing(string command, string option, string value, string expected)
    {
        string[] required = command switch
        {
            "evaluate" => ["--agent", "random", "--db", Path.Combine(_dir, "never.db")],
            "games export" => ["--db", Path.Combine(_dir, "never.db"), "--out", _dir],
            "perft" when option != "--depth" => ["--depth", "1"],
            _ => [],
        };
        BadInput(CliRunner.Run([.. command.Split(' '), .. required, option, value]), expected);
        Assert.False(File.Exists(Path.Combine(_dir, "never.db")));
    }

    [Fact]
    public void ATimeControlThatCannotBeUsedIsRefusedNamingIt()
    {
        string db = Path.Combine(_dir, "never.db");
        BadInput(CliRunner.Run("evaluate", "--agent", "random", "--db", db, "--time-control", "60+1s"),
            "--time-control: expected MAIN+INC or MAIN+byoBYOYOMI in milliseconds", "found '60+1s'");
        BadInput(CliRunner.Run("evaluate", "--agent", "random", "--db", db, "--time-control", "1000+byo100", "--usi-limit", "movetime=100"),
            "--usi-limit 'movetime=100': under --time-control 1000+byo100 the clock limits each move; only nodes=N or depth=N can be added");
        BadInput(CliRunner.Run("evaluate", "--agent", "random", "--db", db, "--time-margin", "-1"), "--time-margin: expected", "found -1");
        Assert.False(File.Exists(db));
    }

    [Fact]
    public void OptionHelpStatesTheRanges()
    {
        Assert.Contains("an integer in 1..10", CliRunner.Run("perft", "--help").Stdout);
        Assert.Contains("cannot be given", CliRunner.Run("train", "--help").Stdout);
    }

    [Fact]
    public void PathsAreCheckedBeforeAnyWork()
    {
        string file = Write("afile", "x");
        string db = Path.Combine(_dir, "e.db");
        BadInput(CliRunner.Run("evaluate", "--agent", "random", "--games", "2", "--db", db, "--report", Path.Combine(_dir, "nodir", "r.md")),
            "--report", "nodir", "does not exist");
        Assert.False(File.Exists(db)); // nothing was played or stored
        BadInput(CliRunner.Run("evaluate", "--agent", "random", "--db", Path.Combine(file, "e.db")), $"'{file}' is a file, not a folder");
        BadInput(CliRunner.Run("evaluate", "--agent", "random", "--db", _dir), $"--db: expected a file, found the folder '{_dir}'");
        BadInput(CliRunner.Run("evaluate", "--agent", Path.Combine(_dir, "missing.ckpt"), "--db", db), "--agent:", "does not exist");
        BadInput(CliRunner.Run("evaluate", "--agent", "random", "--db", db, "--openings", _dir), "--openings: expected a file, found the folder");
        BadInput(CliRunner.Run("games", "export", "--db", file, "--evaluation", "1", "--out", file), $"--out: expected a folder, found the file '{file}'");
        BadInput(CliRunner.Run("games", "export", "--db", _dir, "--evaluation", "1", "--out", _dir), "--db: expected a file, found the folder");
        BadInput(CliRunner.Run("rate", "--db", Path.Combine(_dir, "none.db")), "--db:", "does not exist");
        BadInput(CliRunner.Run("model", "init", "--arch", "quick", "--out", Path.Combine(file, "m.ckpt")), "--out", "is a file, not a folder");
        BadInput(CliRunner.Run("model", "info", _dir), "FILE: expected a file, found the folder");
        BadInput(CliRunner.Run("config", "migrate", Write("old.yaml", "env:\n  seed: 1\n"), "-o", Path.Combine(_dir, "nodir", "new.yaml")), "--output", "does not exist");
        BadInput(CliRunner.Run("bench", "learning", "--out", file), $"--out: expected a folder, found the file '{file}'");
    }

    [Fact]
    public void RunNamesThatAreNotFolderNamesAndResumeWithAnotherConfigAreRefused()
    {
        string runs = Path.Combine(_dir, "runs");
        BadInput(CliRunner.Run("train", "--run-name", "", "--set", $"logging.run_dir={runs}"), "--run-name: expected a folder name, found an empty name");
        BadInput(CliRunner.Run("train", "--run-name", "..", "--set", $"logging.run_dir={runs}"), "--run-name: expected a folder name");
        BadInput(CliRunner.Run("train", "--run-name", "a/b", "--set", $"logging.run_dir={runs}"), "--run-name: expected a folder name");
        Assert.False(Directory.Exists(runs));
        string config = Write("c.yaml", "training:\n  num_envs: 4\n");
        BadInput(CliRunner.Run("train", "--resume", "r", "--config", config), $"--config '{config}' cannot be combined with --resume");
        BadInput(CliRunner.Run("train", "--resume", "r", "--run-name", "other"), "--run-name 'other' cannot be combined with --resume");
    }

    [DllImport("libc", EntryPoint = "geteuid")]
    private static extern uint GetEffectiveUserId();

    /// <summary>Runs keisei as a user without special rights: as root (who may read anything) through setpriv as nobody.</summary>
    private static CliRunner.Output RunUnprivileged(params string[] args)
    {
        if (GetEffectiveUserId() != 0) return CliRunner.RunProcess(args);
        var psi = new System.Diagnostics.ProcessStartInfo("setpriv") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in new[] { "--reuid=65534", "--regid=65534", "--clear-groups", "env", "HOME=/tmp", "DOTNET_CLI_HOME=/tmp", "dotnet", Path.Combine(AppContext.BaseDirectory, "keisei.dll") })
            psi.ArgumentList.Add(a);
        foreach (string a in args) psi.ArgumentList.Add(a);
        using var child = new CliRunner.Child(System.Diagnostics.Process.Start(psi)!);
        return child.WaitAsync(TimeSpan.FromMinutes(5)).GetAwaiter().GetResult();
    }

    [Fact]
    public void UnreadableAndUnwritablePathsArePermissionDenied()
    {
        File.SetUnixFileMode(_dir, (UnixFileMode)0b111_101_101);
        string secret = Write("secret.yaml", "env:\n  seed: 1\n");
        File.SetUnixFileMode(secret, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        string checkpoint = Write("secret.ckpt", "not read");
        File.SetUnixFileMode(checkpoint, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        string locked = Path.Combine(_dir, "locked");
        Directory.CreateDirectory(locked);
        File.SetUnixFileMode(locked, (UnixFileMode)0b111_101_101);

        BadInput(RunUnprivileged("config", "validate", secret), $"config file '{secret}': cannot read it: permission denied");
        BadInput(RunUnprivileged("model", "info", checkpoint), $"FILE: cannot read '{checkpoint}': permission denied");
        string open = Path.Combine(_dir, "open");
        Directory.CreateDirectory(open);
        File.SetUnixFileMode(open, (UnixFileMode)0b111_111_111);
        BadInput(RunUnprivileged("evaluate", "--agent", checkpoint, "--db", Path.Combine(open, "x.db")), $"--agent: cannot read '{checkpoint}': permission denied");
        BadInput(RunUnprivileged("evaluate", "--agent", "random", "--db", Path.Combine(locked, "e.db")), $"--db: cannot write in the folder '{locked}'", "permission denied");
    }
}
