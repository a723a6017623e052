using System.Text.Json;

namespace Keisei.Cli.Tests;

public class PerftCommandTests
{
    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    [Fact]
    public void TextOutputEndsWithNodesAndNps()
    {
        var result = CliRunner.Run("perft", "--startpos", "--depth", "3");
        Assert.Equal(0, result.ExitCode);
        var lines = Lines(result.Stdout);
        Assert.Equal("Nodes searched: 25470", lines[^2]);
        Assert.Matches(@"^NPS: \d+$", lines[^1]);
        Assert.Empty(result.Stderr);
    }

    [Fact]
    public void StartPositionIsTheDefault()
    {
        var result = CliRunner.Run("perft", "--depth", "2");
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("Nodes searched: 900", result.Stdout);
    }

    [Fact]
    public void DivideListsEveryRootMoveSortedThenTheTotal()
    {
        var result = CliRunner.Run("perft", "--sfen", "4k4/9/9/9/9/9/9/9/9 b 16P 1", "--depth", "2", "--divide");
        Assert.Equal(0, result.ExitCode);
        var moveLines = Lines(result.Stdout).Where(l => l.Contains('*')).ToList();
        Assert.Equal(72, moveLines.Count);
        var moves = moveLines.Select(l => l.Split(':')[0]).ToList();
        Assert.Equal(moves.Order(StringComparer.Ordinal), moves);
        Assert.Equal(355, moveLines.Sum(l => long.Parse(l.Split(": ")[1])));
        Assert.Contains("Nodes searched: 355", result.Stdout);
    }

    [Fact]
    public void JsonIsOneObjectWithNodesTimeNpsAndDivide()
    {
        var result = CliRunner.Run("perft", "--startpos", "--depth", "2", "--divide", "--json");
        Assert.Equal(0, result.ExitCode);
        using var doc = JsonDocument.Parse(result.Stdout);
        var root = doc.RootElement;
        Assert.Equal(900, root.GetProperty("nodes").GetInt64());
        Assert.True(root.GetProperty("elapsed_ms").GetDouble() >= 0);
        Assert.True(root.GetProperty("nps").GetInt64() >= 0);
        var divide = root.GetProperty("divide");
        Assert.Equal(30, divide.EnumerateObject().Count());
        Assert.Equal(30, divide.GetProperty("7g7f").GetInt64());
    }

    [Fact]
    public void JsonWithoutDivideHasNoDivideKey()
    {
        var result = CliRunner.Run("perft", "--depth", "1", "--json");
        using var doc = JsonDocument.Parse(result.Stdout);
        Assert.Equal(30, doc.RootElement.GetProperty("nodes").GetInt64());
        Assert.False(doc.RootElement.TryGetProperty("divide", out _));
    }

    [Fact]
    public void PositionWithNoLegalMoveCountsZero()
    {
        var result = CliRunner.Run("perft", "--sfen", "+R+N+SGKG+S+N+R/+B+N+SG+LG+S+N+B/P+LPP+LPP+LP/1P2P2P1/9/9/9/9/4k4 b 9P 200", "--depth", "3");
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("Nodes searched: 0", result.Stdout);
    }

    [Theory]
    [InlineData("lnsgkgsnl/1r5b1/ppppppppp/9/9/9/PPPPPPPPP/1B5R1/LNSGKGSNL x - 1", "side to move must be 'b' or 'w', found 'x'")]
    [InlineData("lnsgkgsnl/1r5b1/ppppppppp/9/9/9/PPPPPPPPP/1B5R1/LNSGKGSN b - 1", "rank i ('LNSGKGSN') has 8 squares, expected 9")]
    [InlineData("lnsgkgsnl/1r5b1/ppppppppp/9/9/9/PPPPPPPPP/1B5R1/LNSGKGSNX b - 1", "unknown piece letter 'X'")]
    [InlineData("4k4/9/9/9/9/9/9/9/4K4P b - 1", "rank i ('4K4P') has more than 9 squares")]
    public void BadSfenExitsWithTwoAndThePreciseError(string sfen, string expected)
    {
        var result = CliRunner.Run("perft", "--sfen", sfen, "--depth", "1");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains(expected, result.Stderr);
        Assert.Contains(sfen, result.Stderr);
        Assert.Empty(result.Stdout);
    }

    [Theory]
    [InlineData("perft")]
    [InlineData("perft", "--depth", "0")]
    [InlineData("perft", "--depth", "two")]
    [InlineData("perft", "--depth", "1", "--startpos", "--sfen", "4k4/9/9/9/9/9/9/9/4K4 b - 1")]
    [InlineData("no-such-command")]
    public void UsageErrorsExitWithTwo(params string[] args)
    {
        var result = CliRunner.Run(args);
        Assert.Equal(2, result.ExitCode);
        Assert.NotEmpty(result.Stderr);
    }

    [Fact]
    public void TheRealExecutableReportsBadSfenWithExitCodeTwo()
    {
        var result = CliRunner.RunProcess("perft", "--sfen", "9/9/9 b - 1", "--depth", "1");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("board must have 9 ranks separated by '/', found 3", result.Stderr);
        Assert.DoesNotContain("   at ", result.Stderr);
    }

    [Fact]
    public void TheRealExecutablePrintsPerft()
    {
        var result = CliRunner.RunProcess("perft", "--depth", "3");
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("Nodes searched: 25470", result.Stdout);
    }

    [Fact]
    public void HelpDescribesPerft()
    {
        var result = CliRunner.Run("perft", "--help");
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("--divide", result.Stdout);
        Assert.Contains("--sfen", result.Stdout);
    }
}
