using Microsoft.Extensions.DependencyInjection;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Keisei.Evaluation.Statistics;
using Keisei.Shogi;
using Keisei.Shogi.Records;

namespace Keisei.Dashboard.Tests;

/// <summary>The JSON API over a seeded run (real results store, trainer-format metrics.jsonl), in-process.</summary>
public sealed class ApiTests : IAsyncLifetime
{
    private SeededRun _run = null!;
    private TestDashboard _dashboard = null!;

    public async Task InitializeAsync()
    {
        _run = SeededRun.Create(metricRows: 300, games: 24);
        _dashboard = await TestDashboard.StartAsync(_run.Root);
    }

    public async Task DisposeAsync()
    {
        await _dashboard.DisposeAsync();
        _run.Dispose();
    }

    [Fact]
    public async Task RunsListShowsStepsScoresAndChampion()
    {
        var runs = await _dashboard.Json("/api/runs");
        var run = Assert.Single(runs["runs"]!.AsArray())!;
        Assert.Equal(SeededRun.Name, (string)run["name"]!);
        Assert.Equal(SeededRun.StepOf(299), (long)run["steps"]!);
        Assert.Equal(300 * 4, (long)run["games"]!);
        Assert.Equal(0.8, (double)run["scores"]!["random"]!["score"]!);
        Assert.Equal(0.3, (double)run["scores"]!["heuristic"]!["score"]!);
        Assert.Equal(SeededRun.Checkpoint2, (string)run["champion"]!["name"]!);
        Assert.Equal(1, (int)run["running_evaluations"]!);
        Assert.Equal(_run.Games.Count, (int)run["stored_games"]!);
    }

    [Fact]
    public async Task RunNamesItsTagsAndCheckpoints()
    {
        var run = await _dashboard.Json($"/api/runs/{SeededRun.Name}");
        var tags = run["tags"]!.AsArray().Select(t => (string)t!).ToList();
        Assert.Contains("ppo/policy_loss", tags);
        Assert.Contains("evaluation/vs_random/score", tags);
        Assert.DoesNotContain("ppo/grad_norm", tags); // only ever null (non-finite): no points
        Assert.Equal([2048L, 4096L], run["checkpoints"]!.AsArray().Select(c => (long)c!["timesteps"]!));
        Assert.Empty(run["metric_problems"]!.AsArray());
    }

    [Fact]
    public async Task MetricsAreThinnedForTheWholeRunWithMinAndMaxKept()
    {
        var all = await _dashboard.Json($"/api/runs/{SeededRun.Name}/metrics?points=40");
        Assert.True((bool)all["downsampled"]!);
        Assert.Equal(_run.MetricRows, (int)all["rows"]!);
        var loss = all["series"]!["ppo/policy_loss"]!;
        var values = loss["value"]!.AsArray().Select(v => (double)v!).ToList();
        Assert.InRange(values.Count, 2, 40);
        var full = await _dashboard.Json($"/api/runs/{SeededRun.Name}/metrics?since=0");
        var fullValues = full["series"]!["ppo/policy_loss"]!["value"]!.AsArray().Select(v => (double)v!).ToList();
        Assert.Equal(300, fullValues.Count);
        Assert.Equal(fullValues.Max(), values.Max());
        Assert.Equal(fullValues.Min(), values.Min());
        // x values of each kind come along with every point.
        Assert.Equal(values.Count, loss["step"]!.AsArray().Count);
        Assert.Equal(values.Count, loss["games"]!.AsArray().Count);
        Assert.Equal(0.0, (double)full["series"]!["ppo/policy_loss"]!["time"]![0]!);
        Assert.Equal(2.0, (double)full["series"]!["ppo/policy_loss"]!["time"]![1]!);
    }

    [Fact]
    public async Task MetricsSinceReturnOnlyLaterRowsAndTheNextCursor()
    {
        var first = await _dashboard.Json($"/api/runs/{SeededRun.Name}/metrics?since=0");
        int cursor = (int)first["rows"]!;
        Assert.Equal(_run.MetricRows, cursor);
        var none = await _dashboard.Json($"/api/runs/{SeededRun.Name}/metrics?since={cursor}");
        Assert.Empty(none["series"]!.AsObject());
        Assert.Equal(cursor, (int)none["rows"]!);
        _run.AppendMetrics(3);
        var more = await _dashboard.Json($"/api/runs/{SeededRun.Name}/metrics?since={cursor}");
        Assert.Equal([SeededRun.StepOf(300), SeededRun.StepOf(301), SeededRun.StepOf(302)],
            more["series"]!["ppo/policy_loss"]!["step"]!.AsArray().Select(v => (long)v!));
        Assert.Equal(cursor + 3, (int)more["rows"]!);
    }

    [Fact]
    public async Task BadMetricQueriesAreRefusedNamingTheParameter()
    {
        using var response = await _dashboard.Client.GetAsync($"/api/runs/{SeededRun.Name}/metrics?points=1");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("points: expected 2 to 100000, found 1", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task RatingsHaveTheLadderAndHeadToHeadCounts()
    {
        var ratings = await _dashboard.Json($"/api/runs/{SeededRun.Name}/ratings");
        var players = ratings["players"]!.AsArray().Select(p => (string)p!["name"]!).ToList();
        Assert.Contains("random", players);
        Assert.Contains(SeededRun.Checkpoint2, players);
        var matrix = ratings["head_to_head"]!;
        var order = matrix["players"]!.AsArray().Select(p => (string)p!).ToList();
        int c2 = order.IndexOf(SeededRun.Checkpoint2), c1 = order.IndexOf(SeededRun.Checkpoint1);
        var cell = matrix["results"]![c2]![c1]!;
        var gate = _run.Games.Where(g => g.EvaluationId == _run.GateEvaluation).ToList();
        int wins = gate.Count(g => g.Result == (g.Black == SeededRun.Checkpoint2 ? GameResult.BlackWin : GameResult.WhiteWin));
        int draws = gate.Count(g => g.Result == GameResult.Draw);
        Assert.Equal(wins, (int)cell["wins"]!);
        Assert.Equal(draws, (int)cell["draws"]!);
        Assert.Equal(gate.Count - wins - draws, (int)cell["losses"]!);
        Assert.Equal((int)cell["losses"]!, (int)matrix["results"]![c1]![c2]!["wins"]!);
        Assert.Equal([2048L, 4096L], ratings["checkpoints"]!.AsArray().Select(c => (long)c!["timesteps"]!));
    }

    [Fact]
    public async Task ChampionHistoryHasReasonsAndTheGateMatch()
    {
        var champion = await _dashboard.Json($"/api/runs/{SeededRun.Name}/champion");
        Assert.Equal(SeededRun.Checkpoint2, (string)champion["champion"]!["name"]!);
        var history = champion["history"]!.AsArray();
        Assert.Equal(2, history.Count);
        Assert.Equal("first checkpoint of the run (no champion yet)", (string)history[0]!["evidence"]!["reason"]!);
        Assert.Equal("replaced", (string)history[0]!["status"]!);
        Assert.Equal("sprt", (string)history[1]!["evidence"]!["mode"]!);
        var gate = Assert.Single(champion["gates"]!.AsArray())!;
        Assert.Equal(_run.GateEvaluation, (long)gate["id"]!);
        Assert.NotNull(gate["sprt"]);
        var rollback = Assert.Single(champion["rollbacks"]!.AsArray())!;
        Assert.Equal(SeededRun.RollbackReason, (string)rollback["reason"]!);
        Assert.Equal(SeededRun.Name + "/checkpoint_ts3072", (string)rollback["from_champion"]!);
        Assert.Equal(SeededRun.Checkpoint1, (string)rollback["to_champion"]!);
        Assert.Equal(2048, (long)rollback["to_timesteps"]!);
        Assert.Equal(1, (int)rollback["moved"]!);
    }

    [Fact]
    public async Task ADatabaseOfAnOlderSchemaIsShownAsItIs()
    {
        using var old = SeededRun.Create(metricRows: 20, games: 6);
        old.DowngradeDatabase(2);
        await using var dashboard = await TestDashboard.StartAsync(old.Root);
        var run = await dashboard.Json($"/api/runs/{SeededRun.Name}");
        Assert.Equal(2, (int)run["schema_version"]!);
        Assert.StartsWith("keisei.db has schema version 2 (this Keisei writes ", (string)run["schema_note"]!);
        Assert.Equal(SeededRun.Checkpoint2, (string)run["champion"]!["name"]!);
        var champion = await dashboard.Json($"/api/runs/{SeededRun.Name}/champion");
        Assert.Empty(champion["rollbacks"]!.AsArray());
        Assert.Equal(2, champion["history"]!.AsArray().Count);
        var game = await dashboard.Json($"/api/runs/{SeededRun.Name}/games/{old.Games[0].Id}");
        Assert.All(game["moves"]!.AsArray(), m => Assert.Null(m!["time_ms"]));
        Assert.Equal(old.Games.Count, (int)(await dashboard.Json($"/api/runs/{SeededRun.Name}/ratings"))["games"]!);
        Assert.Equal(old.Games.Count(g => g.EvaluationId == old.GateEvaluation),
            (await dashboard.Json($"/api/runs/{SeededRun.Name}/evaluations/{old.GateEvaluation}"))["games"]!.AsArray().Count);

        // The current schema has no note.
        Assert.Null((await _dashboard.Json($"/api/runs/{SeededRun.Name}"))["schema_note"]);
    }

    [Fact]
    public async Task EvaluationShowsWdlPentanomialEloAndLlrFromItsGames()
    {
        var e = await _dashboard.Json($"/api/runs/{SeededRun.Name}/evaluations/{_run.GateEvaluation}");
        var games = _run.Games.Where(g => g.EvaluationId == _run.GateEvaluation).OrderBy(g => g.GameIndex).ToList();
        double Score(SeededGame g) => g.Result.ScoreFor(g.Black == SeededRun.Checkpoint2 ? Color.Black : Color.White);
        var counts = WdlCounts.FromScores(games.Select(Score));
        var pairs = PairCounts.FromPairs(games.GroupBy(g => g.PairIndex).Select(p => (Score(p.First()), Score(p.Last()))));
        var total = e["total"]!;
        Assert.Equal(counts.Wins, (int)total["wins"]!);
        Assert.Equal(counts.Draws, (int)total["draws"]!);
        Assert.Equal(counts.Losses, (int)total["losses"]!);
        Assert.Equal(Math.Round(EloEstimate.FromCounts(counts).Elo, 4), (double)total["elo"]!);
        Assert.Equal(Math.Round(EloEstimate.FromPairs(pairs).Elo, 4), (double)total["pentanomial_elo"]!);
        var opponentPairs = e["opponents"]![0]!["pairs"]!;
        Assert.Equal(pairs.WW, (int)opponentPairs["WW"]!);
        Assert.Equal(pairs.LL, (int)opponentPairs["LL"]!);
        var sprt = new SprtParameters(0, 10);
        Assert.Equal(Math.Round(Sprt.Llr(sprt, pairs), 4), (double)e["sprt"]!["llr"]!);
        Assert.Equal(Math.Round(sprt.UpperBound, 4), (double)e["sprt"]!["upper"]!);
        Assert.Equal("sprt_accepted_h1", (string)e["status"]!);
        Assert.Equal(games.Select(g => g.Id), e["games"]!.AsArray().Select(g => (long)g!["id"]!));
    }

    [Fact]
    public async Task RunningEvaluationIsListedWithItsGamesSoFar()
    {
        var list = await _dashboard.Json($"/api/runs/{SeededRun.Name}/evaluations");
        var running = list["evaluations"]!.AsArray().Single(e => (long)e!["id"]! == _run.RunningEvaluation)!;
        Assert.Equal("running", (string)running["status"]!);
        int played = _run.Games.Count(g => g.EvaluationId == _run.RunningEvaluation);
        Assert.Equal(played, (int)running["played_games"]!);
        Assert.Equal(played, (int)running["wins"]! + (int)running["draws"]! + (int)running["losses"]!);
        Assert.True((int)running["planned_games"]! > played);
    }

    [Fact]
    public async Task GameHasEveryMoveWithTheSfenAfterIt()
    {
        var seeded = _run.Games.First(g => g.Moves.Count > 5);
        var game = await _dashboard.Json($"/api/runs/{SeededRun.Name}/games/{seeded.Id}");
        Assert.Equal(seeded.Black, (string)game["black"]!);
        Assert.Equal(seeded.White, (string)game["white"]!);
        var moves = game["moves"]!.AsArray();
        Assert.Equal(seeded.Moves, moves.Select(m => (string)m!["usi"]!));
        var position = Position.StartPosition();
        foreach (var (move, i) in moves.Select((m, i) => (m!, i)))
        {
            position.DoMove(UsiNotation.ParseMove(position, seeded.Moves[i]));
            Assert.Equal(position.ToSfen(), (string)move["sfen"]!);
            Assert.StartsWith(i % 2 == 0 ? "▲" : "△", (string)move["ja"]!);
            Assert.Equal(100 + i, (long)move["time_ms"]!);
        }
        Assert.Equal(Position.StartSfen, (string)game["start_sfen"]!);
    }

    [Fact]
    public async Task KifAndCsaDownloadsAreWhatGamesExportWrites()
    {
        var seeded = _run.Games[0];
        using var kif = await _dashboard.Client.GetAsync($"/api/runs/{SeededRun.Name}/games/{seeded.Id}.kif");
        Assert.Equal(HttpStatusCode.OK, kif.StatusCode);
        Assert.Equal($"evaluation{seeded.EvaluationId}-game0000.kif", kif.Content.Headers.ContentDisposition!.FileName);
        string kifText = KifWriter.ShiftJis.GetString(await kif.Content.ReadAsByteArrayAsync());
        Assert.Contains("先手：" + seeded.Black, kifText);
        using var csa = await _dashboard.Client.GetAsync($"/api/runs/{SeededRun.Name}/games/{seeded.Id}.csa");
        string csaText = Encoding.UTF8.GetString(await csa.Content.ReadAsByteArrayAsync());
        Assert.StartsWith("V2.2", csaText);
        Assert.Contains("N+" + seeded.Black, csaText);
    }

    [Theory]
    [InlineData("/api/runs/nosuchrun", "no run 'nosuchrun'")]
    [InlineData("/api/runs/..%2F..%2Fetc/ratings", "no run")]
    [InlineData("/api/runs/seeded/games/999999", "has no game 999999")]
    [InlineData("/api/runs/seeded/evaluations/999", "has no evaluation 999")]
    public async Task UnknownThingsAre404NamingWhatWasAsked(string path, string message)
    {
        using var response = await _dashboard.Client.GetAsync(path);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains(message, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task PagesAreServedFromTheAssembly()
    {
        using var index = await _dashboard.Client.GetAsync("/");
        Assert.Equal("text/html", index.Content.Headers.ContentType!.MediaType);
        Assert.Contains("/assets/app.js", await index.Content.ReadAsStringAsync());
        using var script = await _dashboard.Client.GetAsync("/assets/app.js");
        Assert.Equal(HttpStatusCode.OK, script.StatusCode);
        var request = new HttpRequestMessage(HttpMethod.Get, "/assets/app.js");
        request.Headers.IfNoneMatch.Add(script.Headers.ETag!);
        using var again = await _dashboard.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.NotModified, again.StatusCode);
    }

    [Fact]
    public async Task OpenApiDocumentsEveryApiRouteWithItsAnswersSchema()
    {
        var document = await _dashboard.Json("/openapi/v1.json");
        var paths = document["paths"]!.AsObject();
        var routes = _dashboard.Server.App.Services.GetRequiredService<Microsoft.AspNetCore.Routing.EndpointDataSource>().Endpoints
            .OfType<Microsoft.AspNetCore.Routing.RouteEndpoint>()
            .Select(e => "/" + e.RoutePattern.RawText!.TrimStart('/'))
            .Where(r => r.StartsWith("/api/", StringComparison.Ordinal))
            .Select(r => System.Text.RegularExpressions.Regex.Replace(r, @"\{(\w+)(:\w+)?\}", "{$1}"))
            .ToList();
        Assert.Equal(11, routes.Count);
        Assert.Equal(routes.Order(), paths.Select(p => p.Key).Where(p => p.StartsWith("/api/", StringComparison.Ordinal)).Order());
        foreach (string route in routes)
        {
            var content = paths[route]!["get"]!["responses"]!["200"]?["content"]?.AsObject();
            Assert.True(content is { Count: > 0 }, $"{route}: no 200 answer with content");
            Assert.All(content, c => Assert.True(c.Value!["schema"] is JsonObject { Count: > 0 }, $"{route} ({c.Key}): no schema"));
        }
    }

    /// <summary>Each JSON route's answer has exactly the keys its OpenAPI schema lists (optional ones may be missing), all the way down.</summary>
    [Fact]
    public async Task EveryJsonAnswerMatchesItsOpenApiSchema()
    {
        var document = await _dashboard.Json("/openapi/v1.json");
        var schemas = document["components"]!["schemas"]!.AsObject();
        var cases = new (string Route, string Path)[]
        {
            ("/api/runs", "/api/runs"),
            ("/api/runs/{run}", $"/api/runs/{SeededRun.Name}"),
            ("/api/runs/{run}/metrics", $"/api/runs/{SeededRun.Name}/metrics"),
            ("/api/runs/{run}/ratings", $"/api/runs/{SeededRun.Name}/ratings"),
            ("/api/runs/{run}/champion", $"/api/runs/{SeededRun.Name}/champion"),
            ("/api/runs/{run}/evaluations", $"/api/runs/{SeededRun.Name}/evaluations"),
            ("/api/runs/{run}/evaluations/{id}", $"/api/runs/{SeededRun.Name}/evaluations/{_run.GateEvaluation}"),
            ("/api/runs/{run}/evaluations/{id}", $"/api/runs/{SeededRun.Name}/evaluations/{_run.CompletedEvaluation}"),
            ("/api/runs/{run}/games/{id}", $"/api/runs/{SeededRun.Name}/games/{_run.Games[0].Id}"),
        };
        foreach (var (route, path) in cases)
        {
            var schema = document["paths"]![route]!["get"]!["responses"]!["200"]!["content"]!["application/json"]!["schema"]!.AsObject();
            Conforms(await _dashboard.Json(path), schema, path);
        }
        using var missing = await _dashboard.Client.GetAsync("/api/runs/nosuchrun");
        Conforms(JsonNode.Parse(await missing.Content.ReadAsStringAsync()),
            document["paths"]!["/api/runs/{run}"]!["get"]!["responses"]!["404"]!["content"]!["application/json"]!["schema"]!.AsObject(), "404");

        void Conforms(JsonNode? value, JsonObject schema, string where)
        {
            while (schema["$ref"] is { } reference) schema = schemas[((string)reference!).Split('/')[^1]]!.AsObject();
            var types = schema["type"] switch
            {
                null => [],
                JsonArray a => a.Select(t => (string)t!).ToList(),
                var t => [(string)t!],
            };
            if (value is null)
            {
                Assert.True(types.Count == 0 || types.Contains("null") || schema["oneOf"] is not null || schema["anyOf"] is not null, $"{where}: null where the schema says {string.Join("|", types)}");
                return;
            }
            if ((schema["oneOf"] ?? schema["anyOf"]) is JsonArray options)
            {
                // A nullable reference: null, or the one schema that is not null.
                var other = options.Select(o => o!.AsObject()).FirstOrDefault(o => (string?)o["type"] != "null");
                if (other is not null) Conforms(value, other, where);
                return;
            }
            if (schema["properties"] is JsonObject properties)
            {
                var obj = Assert.IsType<JsonObject>(value, exactMatch: false);
                var required = schema["required"]?.AsArray().Select(r => (string)r!).ToHashSet() ?? [];
                foreach (var (key, child) in obj)
                {
                    Assert.True(properties.ContainsKey(key), $"{where}: key '{key}' is not in the schema (which has {string.Join(", ", properties.Select(p => p.Key))})");
                    Conforms(child, properties[key]!.AsObject(), $"{where}.{key}");
                }
                foreach (var (key, child) in properties)
                {
                    bool nullable = child!["type"] is JsonArray t && t.Any(x => (string?)x == "null") || child["oneOf"] is not null || child["anyOf"] is not null;
                    Assert.True(obj.ContainsKey(key) || nullable || !required.Contains(key), $"{where}: the schema's '{key}' is missing");
                }
                return;
            }
            if (schema["additionalProperties"] is JsonObject values)
            {
                foreach (var (key, child) in Assert.IsType<JsonObject>(value, exactMatch: false)) Conforms(child, values, $"{where}.{key}");
                return;
            }
            if (schema["items"] is JsonObject items)
            {
                var array = Assert.IsType<JsonArray>(value, exactMatch: false);
                for (int i = 0; i < array.Count; i++) Conforms(array[i], items, $"{where}[{i}]");
                return;
            }
            string kind = value.GetValueKind() switch
            {
                System.Text.Json.JsonValueKind.String => "string",
                System.Text.Json.JsonValueKind.Number => "number",
                System.Text.Json.JsonValueKind.True or System.Text.Json.JsonValueKind.False => "boolean",
                System.Text.Json.JsonValueKind.Object => "object",
                System.Text.Json.JsonValueKind.Array => "array",
                _ => "other",
            };
            Assert.True(types.Count == 0 || types.Contains(kind) || (kind == "number" && types.Contains("integer")),
                $"{where}: a {kind} where the schema says {string.Join("|", types)}");
        }
    }
}
