using System.Net;

namespace Keisei.Dashboard.Tests;

/// <summary>Who may use the dashboard: the token off loopback, and the Host allow-list against DNS rebinding.</summary>
public sealed class AuthTests : IDisposable
{
    private const string Token = "0123456789abcdef-token";
    private readonly SeededRun _run = SeededRun.Create(metricRows: 10, games: 2);

    public void Dispose() => _run.Dispose();

    [Fact]
    public void ANonLoopbackAddressWithoutATokenGetsAGeneratedOne()
    {
        var resolved = new DashboardOptions { RunsRoot = _run.Root, Host = "0.0.0.0" }.Resolve();
        Assert.True(resolved.TokenGenerated);
        Assert.True(resolved.Token!.Length >= 32);
        var loopback = new DashboardOptions { RunsRoot = _run.Root, Host = "127.0.0.1" }.Resolve();
        Assert.Null(loopback.Token);
    }

    [Theory]
    [InlineData("example.com", "--host: expected an IP address, localhost or * (every address), found 'example.com'")]
    [InlineData("::1", null)]
    public void TheListenAddressMustBeAnAddress(string host, string? error)
    {
        var options = new DashboardOptions { RunsRoot = _run.Root, Host = host };
        if (error is null) options.Resolve();
        else Assert.Equal(error, Assert.Throws<DashboardOptionsException>(() => options.Resolve()).Message);
    }

    [Fact]
    public void AShortTokenAndAMissingFolderAreRefusedNamingTheOption()
    {
        Assert.StartsWith("--token: expected at least 16", Assert.Throws<DashboardOptionsException>(
            () => new DashboardOptions { RunsRoot = _run.Root, Token = "short" }.Resolve()).Message);
        Assert.StartsWith("--runs: expected a folder holding runs, found no folder", Assert.Throws<DashboardOptionsException>(
            () => new DashboardOptions { RunsRoot = Path.Combine(_run.Root, "missing") }.Resolve()).Message);
    }

    [Fact]
    public async Task WithATokenRequestsWithoutItAreRefused()
    {
        await using var dashboard = await TestDashboard.StartAsync(_run.Root, o => o with { Host = "0.0.0.0", Token = Token });
        using var bare = await dashboard.Client.GetAsync("/api/runs");
        Assert.Equal(HttpStatusCode.Unauthorized, bare.StatusCode);
        Assert.Contains("needs its token", await bare.Content.ReadAsStringAsync());
        using var page = await dashboard.Client.GetAsync("/");
        Assert.Equal(HttpStatusCode.Unauthorized, page.StatusCode);
        var wrong = new HttpRequestMessage(HttpMethod.Get, "/api/runs");
        wrong.Headers.Authorization = new("Bearer", Token + "x");
        using var wrongResponse = await dashboard.Client.SendAsync(wrong);
        Assert.Equal(HttpStatusCode.Unauthorized, wrongResponse.StatusCode);
        Assert.Contains("does not match", await wrongResponse.Content.ReadAsStringAsync());
        using var events = await dashboard.Client.GetAsync($"/api/runs/{SeededRun.Name}/events", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.Unauthorized, events.StatusCode);
    }

    [Fact]
    public async Task TheTokenIsAcceptedAsBearerOrOnceInTheAddressThenAsACookie()
    {
        await using var dashboard = await TestDashboard.StartAsync(_run.Root, o => o with { Host = "0.0.0.0", Token = Token });
        var bearer = new HttpRequestMessage(HttpMethod.Get, "/api/runs");
        bearer.Headers.Authorization = new("Bearer", Token);
        using var ok = await dashboard.Client.SendAsync(bearer);
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);

        using var opened = await dashboard.Client.GetAsync($"/?token={Token}");
        Assert.Equal(HttpStatusCode.Redirect, opened.StatusCode);
        Assert.Equal("/", opened.Headers.Location!.OriginalString);
        string cookie = opened.Headers.GetValues("Set-Cookie").Single();
        Assert.StartsWith($"{DashboardServer.TokenCookie}={Token}", cookie);
        Assert.Contains("httponly", cookie);
        Assert.Contains("samesite=strict", cookie);
        var withCookie = new HttpRequestMessage(HttpMethod.Get, "/api/runs");
        withCookie.Headers.Add("Cookie", $"{DashboardServer.TokenCookie}={Token}");
        using var cookieResponse = await dashboard.Client.SendAsync(withCookie);
        Assert.Equal(HttpStatusCode.OK, cookieResponse.StatusCode);
    }

    [Fact]
    public async Task OnLoopbackNoTokenIsNeeded()
    {
        await using var dashboard = await TestDashboard.StartAsync(_run.Root);
        using var response = await dashboard.Client.GetAsync("/api/runs");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [InlineData("attacker.example")]
    [InlineData("attacker.example:8765")]
    [InlineData("127.0.0.1.nip.io")]
    public async Task AForeignHostHeaderIsRefused(string host)
    {
        await using var dashboard = await TestDashboard.StartAsync(_run.Root);
        var request = new HttpRequestMessage(HttpMethod.Get, "/api/runs");
        request.Headers.Host = host;
        using var response = await dashboard.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Theory]
    [InlineData("localhost:8765")]
    [InlineData("127.0.0.1")]
    [InlineData("[::1]:8765")]
    [InlineData("dashboard.lan")]
    public async Task LoopbackNamesAndAllowedHostsAreAccepted(string host)
    {
        await using var dashboard = await TestDashboard.StartAsync(_run.Root, o => o with { AllowedHosts = ["dashboard.lan"] });
        var request = new HttpRequestMessage(HttpMethod.Get, "/api/runs");
        request.Headers.Host = host;
        using var response = await dashboard.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
