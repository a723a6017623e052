using System.Diagnostics;
using Keisei.Shogi;
using Microsoft.Playwright;
using Position = Keisei.Shogi.Position;
using Xunit.Abstractions;

namespace Keisei.Dashboard.Tests;

/// <summary>
/// The pages in real headless Chromium against a dashboard listening on a real port: curves, ladder, champion,
/// evaluations, live updates, and stepping through a game with the keyboard. Screenshots go to screenshots/ in the
/// test output folder.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class BrowserTests(BrowserFixture fixture, ITestOutputHelper output) : IAsyncLifetime
{
    /// <summary>Only protects against a hang; everything here is expected within a second or two.</summary>
    private const float Patience = 30_000;

    private static readonly string Screenshots = Path.Combine(AppContext.BaseDirectory, "screenshots");
    private SeededRun _run = null!;
    private DashboardServer _server = null!;
    private IPage _page = null!;
    private string _url = "";

    public async Task InitializeAsync()
    {
        _run = SeededRun.Create(metricRows: 400, games: 24, maxPlies: 60);
        if (!Chromium.Installed) return;
        _server = DashboardServer.Create(new DashboardOptions { RunsRoot = _run.Root, Port = 0 });
        await _server.StartAsync();
        _url = _server.Addresses.Single().TrimEnd('/');
        _page = await fixture.Browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 900 } });
        _page.SetDefaultTimeout(Patience);
        Directory.CreateDirectory(Screenshots);
    }

    public async Task DisposeAsync()
    {
        if (_page is not null) await _page.CloseAsync();
        if (_server is not null) await _server.DisposeAsync();
        _run.Dispose();
    }

    private async Task OpenAsync(string hash)
    {
        // A fresh load each time: a change of the hash alone would leave the previous page's ready mark in place.
        await _page.GotoAsync("about:blank");
        await _page.GotoAsync($"{_url}/#{hash}");
        await _page.WaitForSelectorAsync("body[data-page-ready], .error");
        var error = await _page.QuerySelectorAsync(".error");
        Assert.True(error is null, "the page shows an error: " + (error is null ? "" : await error.TextContentAsync()));
    }

    private Task ShotAsync(string name) => _page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Screenshots, name + ".png"), FullPage = true });

    [BrowserFact]
    public async Task RunsListAndRunCurvesRender()
    {
        var clock = Stopwatch.StartNew();
        await OpenAsync("/");
        Assert.Equal(1, await _page.Locator("#runs tr[data-run]").CountAsync());
        await ShotAsync("runs");
        await OpenAsync($"/run/{SeededRun.Name}");
        output.WriteLine($"run page ready after {clock.ElapsedMilliseconds} ms (including the runs list)");
        var losses = _page.Locator(".chart[data-title='Losses']");
        Assert.Equal("2", await losses.GetAttributeAsync("data-series"));
        Assert.Equal("800", await losses.GetAttributeAsync("data-points")); // two tags, 400 rows each: under the thinning limit
        Assert.True(await _page.Locator(".chart").CountAsync() >= 8);
        Assert.Equal("1", await _page.Locator(".chart[data-title='Evaluation Elo ± 95 %']").GetAttributeAsync("data-series"));
        await _page.SelectOptionAsync("#axis", "time");
        Assert.Equal("800", await losses.GetAttributeAsync("data-points"));
        await _page.SelectOptionAsync("#zoom", "200");
        // The last 200 rows (a few of them evaluation rows) at full resolution.
        await _page.WaitForFunctionAsync("() => Number(document.querySelector(\".chart[data-title='Losses']\").getAttribute('data-points')) < 800");
        Assert.InRange(int.Parse((await losses.GetAttributeAsync("data-points"))!), 2 * 190, 2 * 200);
        await ShotAsync("run-curves");
    }

    [BrowserFact]
    public async Task RunPageFollowsAppendedMetricsLive()
    {
        await OpenAsync($"/run/{SeededRun.Name}");
        await _page.WaitForSelectorAsync("#live.on");
        int before = _run.MetricRows;
        Assert.Equal(before.ToString(), await _page.Locator("#rows").TextContentAsync());
        var clock = Stopwatch.StartNew();
        _run.AppendMetrics(5);
        await _page.WaitForFunctionAsync($"() => document.getElementById('rows').textContent === '{_run.MetricRows}'");
        output.WriteLine($"live update visible {clock.ElapsedMilliseconds} ms after the write (server polls every 250 ms)");
        Assert.Equal("810", await _page.Locator(".chart[data-title='Losses']").GetAttributeAsync("data-points"));
        Assert.Equal(SeededRun.StepOf(404).ToString(), await _page.Locator("#steps").TextContentAsync());
    }

    [BrowserFact]
    public async Task LadderMatrixChampionAndEvaluationsRender()
    {
        await OpenAsync($"/run/{SeededRun.Name}/ratings");
        Assert.Equal(5, await _page.Locator("#ladder tr[data-player]").CountAsync());
        Assert.True(await _page.Locator("#matrix td").CountAsync() >= 25);
        await ShotAsync("ratings");
        await OpenAsync($"/run/{SeededRun.Name}/champion");
        Assert.Contains(SeededRun.Checkpoint2, await _page.Locator("#current-champion").TextContentAsync());
        Assert.Contains("first checkpoint of the run", await _page.Locator("#history").TextContentAsync());
        Assert.Contains(SeededRun.RollbackReason, await _page.Locator("#rollbacks").TextContentAsync());
        await ShotAsync("champion");
        await OpenAsync($"/run/{SeededRun.Name}/evaluations");
        Assert.Equal(3, await _page.Locator("#evaluations tr[data-evaluation]").CountAsync());
        await OpenAsync($"/run/{SeededRun.Name}/evaluations/{_run.GateEvaluation}");
        Assert.Contains("LLR", await _page.Locator("#sprt").TextContentAsync());
        await ShotAsync("evaluation");
    }

    [BrowserFact]
    public async Task GameViewerStepsThroughTheGameWithTheKeyboard()
    {
        var game = _run.Games.First(g => g.Moves.Count >= 12);
        await OpenAsync($"/run/{SeededRun.Name}/games/{game.Id}");
        var board = _page.Locator("#board");
        Assert.Equal(Position.StartSfen, await board.GetAttributeAsync("data-sfen"));
        Assert.Equal(40, await _page.Locator("#board g.piece").CountAsync());
        Assert.Contains("歩", await board.TextContentAsync());
        var position = Position.StartPosition();
        for (int ply = 1; ply <= 3; ply++)
        {
            await _page.Keyboard.PressAsync("ArrowRight");
            position.DoMove(UsiNotation.ParseMove(position, game.Moves[ply - 1]));
            Assert.Equal(position.ToSfen(), await board.GetAttributeAsync("data-sfen"));
        }
        await _page.Keyboard.PressAsync("ArrowLeft");
        Assert.Equal("2", await board.GetAttributeAsync("data-ply"));
        await _page.Keyboard.PressAsync("End");
        var end = Position.StartPosition();
        foreach (string move in game.Moves) end.DoMove(UsiNotation.ParseMove(end, move));
        Assert.Equal(end.ToSfen(), await board.GetAttributeAsync("data-sfen"));
        Assert.Equal(game.Moves.Count.ToString(), await board.GetAttributeAsync("data-ply"));
        await ShotAsync("game-end");
        await _page.Keyboard.PressAsync("Home");
        Assert.Equal(Position.StartSfen, await board.GetAttributeAsync("data-sfen"));
        await _page.Locator($"#moves tr[data-ply='5']").ClickAsync();
        Assert.Equal("5", await board.GetAttributeAsync("data-ply"));
        Assert.Contains("KIF", await _page.Locator("a[href$='.kif']").TextContentAsync());
        await ShotAsync("game");
    }
}
