namespace Keisei.Dashboard.Tests;

/// <summary>The incremental metrics.jsonl index: partial lines, replaced files, unreadable lines, thinning.</summary>
public sealed class MetricsLogTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("keisei-metrics-").FullName;
    private string File => Path.Combine(_dir, "metrics.jsonl");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string Row(long step, double loss, int episodes = 2) =>
        $"{{\"timesteps\":{step},\"time\":\"2025-01-01T00:00:{step % 60:00}.0000000+00:00\",\"loss\":{loss},\"selfplay/episodes\":{episodes}}}\n";

    [Fact]
    public void ALineStillBeingWrittenWaitsForItsNewline()
    {
        System.IO.File.WriteAllText(File, Row(1, 0.5) + Row(2, 0.4)[..10]);
        var log = new MetricsLog(File);
        Assert.Equal(1, log.Update());
        System.IO.File.AppendAllText(File, Row(2, 0.4)[10..]);
        Assert.Equal(2, log.Update());
        var points = log.Since(0, 100)["loss"];
        Assert.Equal([1L, 2L], points.Select(p => p.Step));
        Assert.Equal([2L, 4L], points.Select(p => p.Games));
        Assert.Equal([0.0, 1.0], points.Select(p => p.Seconds));
        Assert.Empty(log.Problems);
    }

    [Fact]
    public void AReplacedShorterFileIsReadAgainFromTheStart()
    {
        System.IO.File.WriteAllText(File, Row(1, 0.5) + Row(2, 0.4) + Row(3, 0.3));
        var log = new MetricsLog(File);
        Assert.Equal(3, log.Update());
        System.IO.File.WriteAllText(File, Row(7, 0.9));
        Assert.Equal(1, log.Update());
        Assert.Equal(7, log.Last()!.Value.Step);
    }

    [Fact]
    public void UnreadableLinesAreSkippedAndNamedWithTheirLineNumber()
    {
        System.IO.File.WriteAllText(File, Row(1, 0.5) + "not json\n" + "{\"time\":\"2025-01-01T00:00:00Z\",\"loss\":1}\n" + "\n" + Row(2, 0.4));
        var log = new MetricsLog(File);
        Assert.Equal(2, log.Update());
        Assert.Equal(2, log.Problems.Count);
        Assert.StartsWith("metrics.jsonl line 2: ", log.Problems[0]);
        Assert.Equal("metrics.jsonl line 3: expected \"timesteps\" and \"time\", found no timesteps", log.Problems[1]);
    }

    [Fact]
    public void ThinningKeepsEachBucketsExtremesAndAtMostThePointsAsked()
    {
        var text = new System.Text.StringBuilder();
        for (int i = 0; i < 1000; i++) text.Append(Row(i, i == 537 ? 100 : i == 612 ? -100 : Math.Sin(i)));
        System.IO.File.WriteAllText(File, text.ToString());
        var log = new MetricsLog(File);
        log.Update();
        var thin = log.Downsampled(0, 50)["loss"];
        Assert.InRange(thin.Count, 2, 50);
        Assert.Contains(thin, p => p.Value == 100 && p.Step == 537);
        Assert.Contains(thin, p => p.Value == -100 && p.Step == 612);
        Assert.Equal(thin.Select(p => p.Row).Order(), thin.Select(p => p.Row));
        var recent = log.Downsampled(900, 500)["loss"];
        Assert.Equal(100, recent.Count);
        Assert.Equal(900, recent[0].Row);
    }

    [Fact]
    public void NullValuesAreNoPointsAndTagsWithoutPointsAreNotListed()
    {
        System.IO.File.WriteAllText(File, "{\"timesteps\":1,\"time\":\"2025-01-01T00:00:00Z\",\"a\":null,\"b\":1.5}\n");
        var log = new MetricsLog(File);
        log.Update();
        Assert.Equal(["b"], log.Tags());
        Assert.Null(log.LastOf("a"));
        Assert.Equal(1.5, log.LastOf("b")!.Value.Value);
    }

    /// <summary>
    /// The trainer's compact lines are read by a fast path and everything else by the JSON reader; each line here is read
    /// both ways (compact, and with spaces that send it to the reader) and must give the same rows, points and problems.
    /// </summary>
    [Theory]
    [InlineData("\"a\":1.5,\"b\":-2,\"c\":0")]
    [InlineData("\"a\":1e-5,\"b\":1.5E+10,\"c\":-0.0,\"d\":2e3")]
    [InlineData("\"a\":null,\"b\":7")]
    [InlineData("\"a\":true,\"b\":\"text, with a comma\",\"c\":3")]
    [InlineData("\"a\":{\"x\":1,\"y\":2},\"b\":[1,2],\"c\":4")]
    [InlineData("\"a\":1,\"a\":2")]
    [InlineData("\"a\\u002fb\":1,\"c\":2")]
    [InlineData("\"\u5c06\u68cb\":1")]
    [InlineData("\"a\":1e400")]
    [InlineData("\"a\":01")]
    [InlineData("\"a\":.5")]
    [InlineData("\"a\":1.")]
    [InlineData("\"a\":+1")]
    [InlineData("\"a\":NaN")]
    [InlineData("\"a\":1,")]
    [InlineData("\"time\":\"2025-01-01T00:00:09Z\",\"a\":1")]
    [InlineData("\"timesteps\":99,\"a\":1")]
    [InlineData("")]
    public void CompactLinesAndSpacedLinesReadTheSame(string tags)
    {
        string rest = tags.Length == 0 ? "" : "," + tags;
        string compact = "{\"timesteps\":5,\"time\":\"2025-01-01T00:00:05.0000000+00:00\"" + rest + "}\n";
        string spaced = "{ \"timesteps\": 5, \"time\": \"2025-01-01T00:00:05.0000000+00:00\"" + rest.Replace(",\"", ", \"", StringComparison.Ordinal) + " }\n";
        var fast = Read(Row(1, 0.5) + compact + compact);
        var reader = Read(Row(1, 0.5) + spaced + spaced);
        Assert.Equal(reader.Rows, fast.Rows);
        Assert.Equal(reader.Tags(), fast.Tags());
        foreach (string tag in reader.Tags()) Assert.Equal(reader.Since(0, 100)[tag], fast.Since(0, 100)[tag]);
        Assert.Equal(reader.Problems.Select(p => p[..p.IndexOf(':')]), fast.Problems.Select(p => p[..p.IndexOf(':')]));

        MetricsLog Read(string text)
        {
            System.IO.File.WriteAllText(File, text);
            var log = new MetricsLog(File);
            log.Update();
            return log;
        }
    }

    [Fact]
    public void TagsInAnotherOrderOnTheNextLineGoToTheirOwnSeries()
    {
        System.IO.File.WriteAllText(File,
            "{\"timesteps\":1,\"time\":\"2025-01-01T00:00:00Z\",\"a\":1,\"b\":2}\n" +
            "{\"timesteps\":2,\"time\":\"2025-01-01T00:00:01Z\",\"b\":20,\"a\":10,\"c\":30}\n" +
            "{\"timesteps\":3,\"time\":\"2025-01-01T00:00:02Z\",\"c\":300}\n");
        var log = new MetricsLog(File);
        Assert.Equal(3, log.Update());
        var points = log.Since(0, 10);
        Assert.Equal([1.0, 10.0], points["a"].Select(p => p.Value));
        Assert.Equal([2.0, 20.0], points["b"].Select(p => p.Value));
        Assert.Equal([30.0, 300.0], points["c"].Select(p => p.Value));
        Assert.Equal([1, 2], points["c"].Select(p => p.Row));
        Assert.Empty(log.Problems);
    }
}
