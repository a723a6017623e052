using System.Globalization;
using System.Text;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Keisei.Cli.Config;

namespace Keisei.Cli.Tests;

/// <summary>One fuzz case: the seed from which its input is derived (so a failure names a case that can be replayed).</summary>
public sealed record FuzzCase(int Seed);

public static class FuzzCaseArbitrary
{
    public static Arbitrary<FuzzCase> Cases() => Arb.From(Gen.Choose(0, int.MaxValue).Select(s => new FuzzCase(s)));
}

/// <summary>
/// Fuzzing the command line in-process: mutated config files (binary bytes, NUL, deep nesting, anchors and aliases,
/// several documents), <c>--set</c> values, numeric option values and SFENs. Every case must end with exit code 0 or 2,
/// without a stack trace or an unhandled exception, within a generous hang guard (not a timing assertion). Replay seeds
/// are fixed, so the same cases run every time; change them to explore.
/// </summary>
public sealed class CliFuzzTests : IDisposable
{
    private static readonly TimeSpan HangGuard = TimeSpan.FromMinutes(2);
    private readonly string _dir = Directory.CreateTempSubdirectory("keisei-cli-fuzz-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static readonly string[] Seeds =
    [
        File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "configs", "quickstart.yaml")),
        KeiseiConfig.Defaults.ToYaml(comments: false),
        "training:\n  num_envs: 8\n  steps_per_epoch: 256\nevaluation:\n  strategy: tournament\n  strategy_params:\n    opponent_pool_config:\n      - {name: a, type: random}\n",
        "base: &b {num_envs: 4}\ntraining: *b\n",
        "",
    ];

    private static readonly string[] Tokens =
    [
        "\0", "\u0001", "\t", "\r\n", "\n", " ", "  ", "- ", ": ", ":", "[", "]", "{", "}", ",", "'", "\"", "&a ", "*a", "&b [*b]", "? ", "!!str ",
        "!!binary ", "---\n", "...\n", "%YAML 1.2\n", "#", "|\n", ">-\n", "~", "null", "NaN", ".nan", ".inf", "-.inf", "1e400", "-1", "0",
        "9223372036854775808", "2147483648", "160000", "usi:\"\"", "ckpt:", "checkpoints", "num_envs", "training:", "evaluation:\n  strategy_params:\n    ",
        "\uFEFF", "\u00e9", "\U0001F600", "\\", "@", "`",
    ];

    private static string Mutate(Random random, string text)
    {
        var sb = new StringBuilder(text);
        int count = random.Next(1, 6);
        for (int i = 0; i < count; i++)
        {
            int at = random.Next(sb.Length + 1);
            switch (random.Next(7))
            {
                case 0:
                    sb.Insert(at, Tokens[random.Next(Tokens.Length)]);
                    break;
                case 1 when sb.Length > 0:
                    int from = random.Next(sb.Length);
                    sb.Remove(from, Math.Min(random.Next(1, 40), sb.Length - from));
                    break;
                case 2 when sb.Length > 0:
                    int start = random.Next(sb.Length);
                    sb.Insert(at, sb.ToString(start, Math.Min(random.Next(1, 80), sb.Length - start)));
                    break;
                case 3:
                    int depth = random.Next(1, 200);
                    sb.Insert(at, random.Next(2) == 0 ? new string('[', depth) + new string(']', random.Next(depth + 1)) : string.Concat(Enumerable.Range(0, depth).Select(d => $"\n{new string(' ', d)}k{d}:")));
                    break;
                case 4:
                    sb.Insert(at, (char)random.Next(0, 0x100));
                    break;
                case 5:
                    sb.Insert(at, $"x{at}: &x{at} [*x{at}, 1]\n");
                    break;
                default:
                    sb.Insert(at, random.Next(3) switch { 0 => random.NextDouble().ToString("R", CultureInfo.InvariantCulture), 1 => random.Next(int.MinValue, int.MaxValue).ToString(CultureInfo.InvariantCulture), _ => "\n---\n" });
                    break;
            }
        }
        return sb.ToString();
    }

    /// <summary>Runs keisei in-process and checks the outcome: exit code 0 or 2, one "error:" line first on failure, no stack trace, no hang.</summary>
    private static CliRunner.Output Run(string described, params string[] args)
    {
        var task = Task.Run(() => CliRunner.Run(args));
        Assert.True(task.Wait(HangGuard), $"keisei did not end within the hang guard for {described}");
        var output = task.Result;
        Assert.True(output.ExitCode is 0 or 2, $"exit code {output.ExitCode} for {described}; stderr: {output.Stderr}");
        Assert.False(output.Stderr.Contains("   at ", StringComparison.Ordinal) || output.Stderr.Contains("Unhandled", StringComparison.Ordinal),
            $"stack trace for {described}: {output.Stderr}");
        if (output.ExitCode == 2) Assert.StartsWith("error: ", output.Stderr);
        return output;
    }

    private static string Show(string text) => JsonEscape(text.Length > 300 ? text[..300] + "..." : text);

    private static string JsonEscape(string text) => System.Text.Json.JsonSerializer.Serialize(text);

    [Property(Arbitrary = [typeof(FuzzCaseArbitrary)], Replay = "(20240611,97531)", MaxTest = 300)]
    public void MutatedConfigFilesAreValidOrOneClearError(FuzzCase fuzz)
    {
        var random = new Random(fuzz.Seed);
        string text = Mutate(random, Seeds[random.Next(Seeds.Length)]);
        string path = Path.Combine(_dir, $"case-{fuzz.Seed}.yaml");
        byte[] bytes = Encoding.UTF8.GetBytes(text);
        if (random.Next(8) == 0 && bytes.Length > 0) bytes[random.Next(bytes.Length)] = (byte)random.Next(0x80, 0x100); // invalid UTF-8
        File.WriteAllBytes(path, bytes);
        var output = Run($"config {Show(text)}", "config", "validate", path);
        if (output.ExitCode == 0)
        {
            // What validate accepts, training accepts: the trainer's own limits hold.
            Assert.Empty(KeiseiConfig.Load(path).ToTrainingOptions().Validate());
        }
    }

    private static readonly string[] Values =
    [
        "", "0", "-1", "1", "2", "7", "64", "NaN", ".nan", ".inf", "-.inf", "1e300", "-1e300", "1e-300", "2147483647", "2147483648", "-2147483649",
        "9223372036854775807", "9223372036854775808", "160000", "600000", "2000000000", "null", "~", "true", "[1", "[1, 2]", "{a: 1}", "*x", "&a b",
        "'usi:\"\"'", "usi:", "ckpt:", "random", "heuristic", "checkpoints", "config.yaml", "..", ".", "/", "a/b", "\"\"", "'", "x: y", "- 1",
        "cuda:-1", "cuda:99999999999", "auto", "\u00e9\u00e9", "elo0=0,elo1=10", "elo0=x", "---", "\t", "#",
    ];

    [Property(Arbitrary = [typeof(FuzzCaseArbitrary)], Replay = "(13579,24681)", MaxTest = 300)]
    public void SetValuesAreValidOrOneClearError(FuzzCase fuzz)
    {
        var random = new Random(fuzz.Seed);
        var leaves = ConfigSchema.Leaves;
        var args = new List<string> { "config", "validate", Path.Combine(AppContext.BaseDirectory, "configs", "quickstart.yaml") };
        for (int i = random.Next(1, 4); i > 0; i--)
        {
            string key = random.Next(10) == 0 ? "training.nope.deeper" : leaves[random.Next(leaves.Count)].Path;
            string value = random.Next(4) == 0 ? Mutate(random, Values[random.Next(Values.Length)]) : Values[random.Next(Values.Length)];
            args.AddRange(["--set", $"{key}={value}"]);
        }
        var output = Run(string.Join(' ', args.Skip(3).Select(JsonEscape)), [.. args]);
        if (output.ExitCode == 0) Assert.Empty(KeiseiConfig.Load(args[2], args.Where((_, i) => i > 3 && args[i - 1] == "--set")).ToTrainingOptions().Validate());
    }

    private static readonly string[] Numbers =
    [
        "0", "-0", "1", "-1", "2", "10", "11", "100", "20000", "NaN", "-NaN", "Infinity", "-Infinity", "∞", "1e20", "1e300", "-1e300", "1e-320",
        "2147483647", "2147483648", "-2147483648", "9223372036854775807", "9223372036854775808", "0.5", "-0.5", "0x10", "1_000", "", " ", "abc",
        "1,5", "+3", "３",
    ];

    [Property(Arbitrary = [typeof(FuzzCaseArbitrary)], Replay = "(86420,11111)", MaxTest = 200)]
    public void NumericOptionValuesAreValidOrOneClearError(FuzzCase fuzz)
    {
        var random = new Random(fuzz.Seed);
        // Each command is completed so that it stops with a bad-input error right after its options are read (a
        // missing config, a database under a file), so valid values do not start real work.
        string file = Path.Combine(_dir, "afile");
        File.WriteAllText(file, "x");
        string missing = Path.Combine(_dir, "missing.yaml");
        (string[] Command, string[] Options)[] commands =
        [
            (["train", "--config", missing], ["--time-limit", "--run-name"]),
            (["evaluate", "--agent", "random", "--db", Path.Combine(file, "e.db")],
                ["--games", "--concurrency", "--seed", "--max-plies", "--move-timeout", "--game-timeout", "--temperature", "--resign-value", "--resume"]),
            (["bench", "learning", "--config", missing], ["--minutes", "--seeds", "--first-seed", "--random-games", "--heuristic-games", "--max-plies", "--concurrency", "--temperature"]),
            (["bench", "dashboard", "--config", missing], ["--updates"]),
            (["games", "export", "--db", Path.Combine(_dir, "missing.db"), "--out", _dir], ["--evaluation"]),
            (["model", "init", "--arch", "quick", "--out", Path.Combine(file, "m.ckpt")], ["--seed"]),
            (["doctor", "--iterations", "0"], ["--load"]),
            (["perft", "--sfen", "not a position"], ["--depth"]),
        ];
        var (command, options) = commands[random.Next(commands.Length)];
        var args = new List<string>(command);
        for (int i = random.Next(1, 4); i > 0; i--) args.AddRange([options[random.Next(options.Length)], Numbers[random.Next(Numbers.Length)]]);
        var output = Run(string.Join(' ', args.Select(JsonEscape)), [.. args]);
        Assert.Equal(2, output.ExitCode);
    }

    private static readonly string[] Sfens =
    [
        "lnsgkgsnl/1r5b1/ppppppppp/9/9/9/PPPPPPPPP/1B5R1/LNSGKGSNL b - 1",
        "8l/1l+R2P3/p2pBG1pp/kps1p4/Nn1P2G2/P1P1P2PP/1PS6/1KSG3+r1/LN2+p3L w Sbgn3p 124",
        "4k4/9/9/9/9/9/9/9/4K4 b 2R2B4G4S4N4L18P 1",
        "k8/9/9/9/9/9/9/9/8K w - 1",
    ];

    [Property(Arbitrary = [typeof(FuzzCaseArbitrary)], Replay = "(31415,27183)", MaxTest = 300)]
    public void SfensAreSearchedOrOneClearError(FuzzCase fuzz)
    {
        var random = new Random(fuzz.Seed);
        string sfen = Sfens[random.Next(Sfens.Length)];
        var sb = new StringBuilder(sfen);
        for (int i = random.Next(0, 4); i > 0; i--)
        {
            int at = random.Next(sb.Length + 1);
            switch (random.Next(4))
            {
                case 0:
                    sb.Insert(at, "plnsgbrkPLNSGBRK+/123456789 -bw0"[random.Next(32)]);
                    break;
                case 1 when sb.Length > 0:
                    sb.Remove(Math.Min(at, sb.Length - 1), 1);
                    break;
                case 2:
                    sb.Insert(at, random.Next(3) switch { 0 => "99999999999999999999", 1 => "/9", _ => "\0" });
                    break;
                default:
                    if (sb.Length > 0) sb[Math.Min(at, sb.Length - 1)] = (char)random.Next(0x20, 0x7F);
                    break;
            }
        }
        string depth = random.Next(5) == 0 ? Numbers[random.Next(Numbers.Length)] : random.Next(1, 3).ToString(CultureInfo.InvariantCulture);
        Run($"perft --sfen {JsonEscape(sb.ToString())} --depth {JsonEscape(depth)}", "perft", "--sfen", sb.ToString(), "--depth", depth, random.Next(2) == 0 ? "--divide" : "--json");
    }
}
