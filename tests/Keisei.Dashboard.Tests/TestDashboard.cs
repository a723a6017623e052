using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;

namespace Keisei.Dashboard.Tests;

/// <summary>A dashboard served in-process by ASP.NET Core's test server, with a client for it.</summary>
public sealed class TestDashboard : IAsyncDisposable
{
    private TestDashboard(DashboardServer server)
    {
        Server = server;
        Client = server.App.GetTestClient();
    }

    public DashboardServer Server { get; }
    public HttpClient Client { get; }

    public static async Task<TestDashboard> StartAsync(string runsRoot, Func<DashboardOptions, DashboardOptions>? change = null)
    {
        var options = new DashboardOptions { RunsRoot = runsRoot, PollInterval = TimeSpan.FromMilliseconds(50) };
        var server = DashboardServer.Create(change?.Invoke(options) ?? options, builder => builder.WebHost.UseTestServer());
        await server.StartAsync();
        return new TestDashboard(server);
    }

    /// <summary>GETs a path and parses the JSON answer; fails the test with the body when the status is not 200.</summary>
    public async Task<JsonObject> Json(string path)
    {
        using var response = await Client.GetAsync(path);
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"GET {path}: {(int)response.StatusCode} {body}");
        return JsonNode.Parse(body)!.AsObject();
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await Server.DisposeAsync();
    }
}
