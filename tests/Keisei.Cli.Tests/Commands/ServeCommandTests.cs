using System.Net;
using System.Net.Sockets;

namespace Keisei.Cli.Tests;

/// <summary><c>keisei serve</c> on the command line: its options' errors, and a real process that needs its token and stops on Ctrl-C.</summary>
public sealed class ServeCommandTests : IDisposable
{
    private readonly string _runs = Directory.CreateTempSubdirectory("keisei-serve-").FullName;

    public void Dispose() => Directory.Delete(_runs, recursive: true);

    [Theory]
    [InlineData("--host", "example.com", "--host: expected an IP address, localhost or * (every address), found 'example.com'")]
    [InlineData("--token", "short", "--token: expected at least 16 printable ASCII characters without spaces, found 5 characters")]
    [InlineData("--port", "70000", "--port: expected")]
    public void BadOptionsAreNamedWithExitCode2(string option, string value, string message)
    {
        var result = CliRunner.Run("serve", "--runs", _runs, option, value);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains(message, result.Stderr);
    }

    [Fact]
    public void AMissingRunsFolderIsNamed()
    {
        var result = CliRunner.Run("serve", "--runs", Path.Combine(_runs, "nope"));
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--runs: expected a folder holding runs, found no folder", result.Stderr);
    }

    [Fact]
    public async Task OffLoopbackEveryRequestNeedsTheTokenAndCtrlCStopsIt()
    {
        int port = FreePort();
        using var child = CliRunner.Start("serve", "--runs", _runs, "--host", "0.0.0.0", "--port", port.ToString());
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        HttpResponseMessage? response = null;
        // Generous: only protects against a hang while the process starts on a busy machine.
        for (var waited = System.Diagnostics.Stopwatch.StartNew(); response is null && waited.Elapsed < TimeSpan.FromSeconds(120) && !child.HasExited;)
        {
            try
            {
                response = await client.GetAsync("/api/runs");
            }
            catch (HttpRequestException)
            {
                await Task.Delay(100);
            }
        }
        Assert.NotNull(response);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        response.Dispose();
        child.Signal(2);
        var output = await child.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(0, output.ExitCode);
        Assert.Matches(@"Dashboard of .* at http://\S+:" + port + @"/\?token=[A-Za-z0-9_-]{32}", output.Stdout);
        Assert.Contains("Dashboard stopped.", output.Stdout);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
