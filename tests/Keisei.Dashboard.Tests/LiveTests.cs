using System.Text.Json.Nodes;
using Keisei.Evaluation.Players;
using Keisei.Evaluation.Storage;
using Keisei.Evaluation.Strategies;
using Keisei.Shogi;

namespace Keisei.Dashboard.Tests;

/// <summary>Live updates: a writer appends metrics or stores a game, and the run's event stream says so.</summary>
public sealed class LiveTests : IAsyncLifetime
{
    /// <summary>Only protects against a hang; the event is expected within a poll interval (50 ms here).</summary>
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private SeededRun _run = null!;
    private TestDashboard _dashboard = null!;

    public async Task InitializeAsync()
    {
        _run = SeededRun.Create(metricRows: 120, games: 6);
        _dashboard = await TestDashboard.StartAsync(_run.Root);
    }

    public async Task DisposeAsync()
    {
        await _dashboard.DisposeAsync();
        _run.Dispose();
    }

    [Fact]
    public async Task StateComesFirstThenAppendedMetricRows()
    {
        using var cancel = new CancellationTokenSource(Patience);
        await using var events = await EventReader.OpenAsync(_dashboard.Client, $"/api/runs/{SeededRun.Name}/events", cancel.Token);
        var (type, data) = await events.NextAsync(cancel.Token);
        Assert.Equal("state", type);
        Assert.Equal(_run.MetricRows, (int)data["rows"]!);
        _run.AppendMetrics(2);
        // A poll may catch the append half written: the rows then come in two events.
        var steps = new List<long>();
        while (steps.Count < 2)
        {
            (type, data) = await events.NextAsync(cancel.Token, skip: "ping");
            Assert.Equal("metrics", type);
            steps.AddRange(data["series"]!["ppo/policy_loss"]!["step"]!.AsArray().Select(v => (long)v!));
        }
        Assert.Equal([SeededRun.StepOf(120), SeededRun.StepOf(121)], steps);
        Assert.Equal(_run.MetricRows, (int)data["rows"]!);
    }

    [Fact]
    public async Task AGameStoredByAnotherConnectionIsAnnounced()
    {
        using var cancel = new CancellationTokenSource(Patience);
        await using var events = await EventReader.OpenAsync(_dashboard.Client, $"/api/runs/{SeededRun.Name}/events", cancel.Token);
        var (type, state) = await events.NextAsync(cancel.Token);
        Assert.Equal("state", type);
        using (var writer = ResultsStore.Open(_run.Database))
        {
            long a = writer.EnsurePlayer(new PlayerDescriptor("random", ParticipantKind.Random));
            long pair = writer.EnsurePair(_run.RunningEvaluation, 99, 0, Position.StartSfen, a, a);
            writer.RecordGame(_run.RunningEvaluation, pair, 99, a, a, Position.StartSfen, [UsiNotation.ParseMove(Position.StartPosition(), "7g7f")],
                GameResult.BlackWin, TerminationReason.Resignation, TimeSpan.FromSeconds(1), null);
        }
        var (next, data) = await events.NextAsync(cancel.Token, skip: "ping");
        Assert.Equal("db", next);
        Assert.NotEqual((long)state["data_version"]!, (long)data["data_version"]!);
        var list = await _dashboard.Json($"/api/runs/{SeededRun.Name}/evaluations");
        var running = list["evaluations"]!.AsArray().Single(e => (long)e!["id"]! == _run.RunningEvaluation)!;
        Assert.Equal(_run.Games.Count(g => g.EvaluationId == _run.RunningEvaluation) + 1, (int)running["played_games"]!);
    }

    [Fact]
    public async Task AStreamAskedFromAnEarlierRowGetsTheRowsItMissed()
    {
        using var cancel = new CancellationTokenSource(Patience);
        await using var events = await EventReader.OpenAsync(_dashboard.Client, $"/api/runs/{SeededRun.Name}/events?since={_run.MetricRows - 1}", cancel.Token);
        Assert.Equal("state", (await events.NextAsync(cancel.Token)).Type);
        var (type, data) = await events.NextAsync(cancel.Token, skip: "ping");
        Assert.Equal("metrics", type);
        Assert.Equal(_run.MetricRows - 1, (int)data["since"]!);
    }
}

/// <summary>Reads a text/event-stream response event by event.</summary>
internal sealed class EventReader : IAsyncDisposable
{
    private readonly HttpResponseMessage _response;
    private readonly StreamReader _reader;

    private EventReader(HttpResponseMessage response, StreamReader reader)
    {
        _response = response;
        _reader = reader;
    }

    public static async Task<EventReader> OpenAsync(HttpClient client, string path, CancellationToken cancellationToken)
    {
        var response = await client.GetAsync(path, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType!.MediaType);
        return new EventReader(response, new StreamReader(await response.Content.ReadAsStreamAsync(cancellationToken)));
    }

    /// <summary>The next event (type, JSON data), passing over events of type <paramref name="skip"/>.</summary>
    public async Task<(string Type, JsonObject Data)> NextAsync(CancellationToken cancellationToken, string? skip = null)
    {
        while (true)
        {
            string type = "message";
            var data = new List<string>();
            while (true)
            {
                string? line = await _reader.ReadLineAsync(cancellationToken) ?? throw new EndOfStreamException("the event stream ended");
                if (line.Length == 0)
                {
                    if (data.Count > 0) break;
                    continue;
                }
                if (line.StartsWith("event:", StringComparison.Ordinal)) type = line[6..].Trim();
                else if (line.StartsWith("data:", StringComparison.Ordinal)) data.Add(line[5..].TrimStart());
            }
            if (type != skip) return (type, JsonNode.Parse(string.Join('\n', data))!.AsObject());
        }
    }

    public ValueTask DisposeAsync()
    {
        _reader.Dispose();
        _response.Dispose();
        return ValueTask.CompletedTask;
    }
}
