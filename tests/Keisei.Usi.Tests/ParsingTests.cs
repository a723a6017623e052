namespace Keisei.Usi.Tests;

public sealed class ParsingTests
{
    [Theory]
    [InlineData("engine", new[] { "engine" })]
    [InlineData("  /opt/yane/YaneuraOu   -t  4 ", new[] { "/opt/yane/YaneuraOu", "-t", "4" })]
    [InlineData("\"C:\\Program Files\\Engine\\engine.exe\" --eval \"eval dir\"", new[] { "C:\\Program Files\\Engine\\engine.exe", "--eval", "eval dir" })]
    [InlineData("run 'a \"b\" c' d", new[] { "run", "a \"b\" c", "d" })]
    [InlineData("run \"\" x", new[] { "run", "", "x" })]
    [InlineData("run say\\\"hi\\\" pre\"fix suf\"fix", new[] { "run", "say\"hi\"", "prefix suffix" })]
    public void Command_lines_split_like_a_shell(string line, string[] expected) =>
        Assert.Equal(expected, UsiEngineOptions.SplitCommandLine(line));

    [Theory]
    [InlineData("run \"open")]
    [InlineData("run 'open")]
    [InlineData("   ")]
    public void Bad_command_lines_are_rejected(string line) =>
        Assert.Throws<ArgumentException>(() => UsiEngineOptions.SplitCommandLine(line));

    [Fact]
    public void Command_and_arguments_resolve_together()
    {
        var options = new UsiEngineOptions { Command = "engine --threads 2", Arguments = ["--eval", "a b"] };
        var (program, args) = options.ResolveCommand();
        Assert.Equal("engine", program);
        Assert.Equal(["--threads", "2", "--eval", "a b"], args);
    }

    [Fact]
    public void An_existing_file_with_spaces_is_taken_as_the_program()
    {
        string dir = Path.Combine(Path.GetTempPath(), $"keisei usi {Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        try
        {
            string path = Path.Combine(dir, "my engine");
            File.WriteAllText(path, "");
            var (program, args) = new UsiEngineOptions { Command = path }.ResolveCommand();
            Assert.Equal(path, program);
            Assert.Empty(args);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Options_with_line_breaks_or_bad_timeouts_are_rejected()
    {
        var options = new UsiEngineOptions { Command = "engine", Options = new Dictionary<string, string> { ["Hash"] = "1\nquit" } };
        Assert.Throws<ArgumentException>(options.Validate);
        Assert.Throws<ArgumentException>((options with { Options = new Dictionary<string, string>(), ReadyTimeout = TimeSpan.Zero }).Validate);
    }

    [Fact]
    public void Go_commands_are_written_in_protocol_order()
    {
        Assert.Equal("go nodes 100", UsiGoLimits.FixedNodes(100).ToGoCommand());
        Assert.Equal("go depth 6", UsiGoLimits.FixedDepth(6).ToGoCommand());
        Assert.Equal("go movetime 250", UsiGoLimits.MoveTime(250).ToGoCommand());
        Assert.Equal("go btime 0 wtime 0 byoyomi 1000", UsiGoLimits.Byoyomi(1000).ToGoCommand());
        Assert.Equal("go btime 60000 wtime 50000 binc 1000 winc 0 nodes 5",
            new UsiGoLimits { BlackTimeMs = 60000, WhiteTimeMs = 50000, BlackIncrementMs = 1000, Nodes = 5 }.ToGoCommand());
        Assert.Equal("go infinite", new UsiGoLimits { Infinite = true, Nodes = 3 }.ToGoCommand());
        Assert.Throws<InvalidOperationException>(() => new UsiGoLimits { ByoyomiMs = 1, BlackIncrementMs = 1 }.ToGoCommand());
        Assert.Throws<InvalidOperationException>(() => new UsiGoLimits { Nodes = -1 }.ToGoCommand());
    }

    [Fact]
    public void Info_lines_parse_scores_bounds_and_free_text()
    {
        var info = UsiInfo.Parse("info depth 7 seldepth 9 score mate + nodes 12 pv 2b3c+ P*5e");
        Assert.Equal((7, 12L), (info.Depth!.Value, info.Nodes!.Value));
        Assert.Equal(new UsiScore(true, int.MaxValue), info.Score);
        Assert.Equal(["2b3c+", "P*5e"], info.Pv);

        Assert.Equal(new UsiScore(true, -int.MaxValue), UsiInfo.Parse("info score mate -").Score);
        Assert.Equal(new UsiScore(false, 40, UsiScoreBound.LowerBound), UsiInfo.Parse("info score cp 40 lowerbound depth 3").Score);
        Assert.Null(UsiInfo.Parse("info string score cp 300 pv 7g7f").Score);
        Assert.Null(UsiInfo.Parse("info depth x score cp y").Depth);
        Assert.Equal(2, UsiInfo.Parse("info multipv 2 score cp 1").MultiPv);
    }

    [Fact]
    public void Option_lines_parse_names_with_spaces_and_combo_vars()
    {
        var o = UsiOption.TryParse("option name Eval Dir type string default eval files")!;
        Assert.Equal(("Eval Dir", UsiOptionType.String, "eval files"), (o.Name, o.Type, o.Default));
        var combo = UsiOption.TryParse("option name Style type combo default Normal var Normal var Wild")!;
        Assert.Equal(["Normal", "Wild"], combo.Vars);
        Assert.Equal(UsiOptionType.Unknown, UsiOption.TryParse("option name X type weird")!.Type);
        Assert.Null(UsiOption.TryParse("option type spin"));
        Assert.Null(UsiOption.TryParse("option name NoType"));
    }

    [Fact]
    public void GoLimitsReadBackWhatTheClientWrites()
    {
        UsiGoLimits[] cases =
        [
            UsiGoLimits.Byoyomi(1000),
            UsiGoLimits.MoveTime(250),
            UsiGoLimits.FixedNodes(5_000_000_000),
            UsiGoLimits.FixedDepth(7),
            new() { BlackTimeMs = 60_000, WhiteTimeMs = 59_000, BlackIncrementMs = 1000, WhiteIncrementMs = 1000 },
            new() { Ponder = true, BlackTimeMs = 1, WhiteTimeMs = 2, ByoyomiMs = 3 },
            new() { Infinite = true },
            new() { Ponder = true, Infinite = true },
            new() { Mate = true },
            new() { Mate = true, MateTimeMs = 3000 },
        ];
        foreach (var limits in cases)
        {
            var warnings = new List<string>();
            string command = limits.ToGoCommand();
            var read = UsiGoLimits.Parse(command.Split(' ')[1..], warnings);
            Assert.Empty(warnings);
            // Byoyomi alone is written with zero main times.
            var expected = limits.ByoyomiMs is not null || limits.BlackIncrementMs is not null
                ? limits with { BlackTimeMs = limits.BlackTimeMs ?? 0, WhiteTimeMs = limits.WhiteTimeMs ?? 0 }
                : limits;
            Assert.True(expected == read, $"{command}: read back as {read}");
        }
        var tooLarge = new List<string>();
        Assert.Null(UsiGoLimits.Parse(["btime", "3000000000"], tooLarge).BlackTimeMs);
        Assert.Contains("'btime' expects a whole number of at least 0 and at most 2147483647, found '3000000000'", Assert.Single(tooLarge));
    }
}
