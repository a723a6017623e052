using System.CommandLine;
using Keisei.Cli.Config;
using Keisei.Dashboard;

namespace Keisei.Cli;

/// <summary><c>keisei serve</c>: the read-only web dashboard over a runs folder, live while runs write (see README, "Dashboard").</summary>
internal static class ServeCommand
{
    /// <summary>The dashboard's options shared by <c>serve</c> and <c>train --serve</c>.</summary>
    internal sealed record Options(Option<int> Port, Option<string> Host, Option<string?> Token, Option<string[]> AllowHost)
    {
        public IEnumerable<Option> All => [Port, Host, Token, AllowHost];

        public static Options Create(string prefix = "") => new(
            new Option<int>($"--{prefix}port") { Description = $"Port to listen on (default {DashboardOptions.DefaultPort}; 0: any free port).", DefaultValueFactory = _ => DashboardOptions.DefaultPort }.InRange(0, 65535),
            new Option<string>($"--{prefix}host")
            {
                Description = "Address to listen on: an IP address, localhost or * (every address). Anything but loopback needs a token (--token, or one is made and printed).",
                DefaultValueFactory = _ => "127.0.0.1",
            },
            new Option<string?>($"--{prefix}token") { Description = "Access token (16+ printable characters); every request must carry it. Default: none on loopback, a random one otherwise." },
            new Option<string[]>($"--{prefix}allow-host") { Description = "Another name the Host header may carry (this machine's DNS name, a proxy's); repeatable.", AllowMultipleArgumentsPerToken = false });

        public DashboardOptions Read(ParseResult result, string runsRoot) => new()
        {
            RunsRoot = runsRoot,
            Port = result.GetValue(Port),
            Host = result.GetValue(Host)!,
            Token = result.GetValue(Token),
            AllowedHosts = result.GetValue(AllowHost) ?? [],
        };
    }

    public static Command Create(TextWriter stdout)
    {
        var runs = new Option<string>("--runs") { Description = "Folder holding the runs (default: logging.run_dir's default, runs).", DefaultValueFactory = _ => KeiseiConfig.Defaults.Logging.RunDir };
        var options = Options.Create();
        var command = new Command("serve",
            "Serve a read-only web dashboard over a runs folder: runs, training curves, ratings, champion history, evaluations and games, " +
            "live while training or evaluation writes. Ctrl-C stops it.")
        {
            runs,
        };
        foreach (var option in options.All) command.Options.Add(option);
        command.SetAction(async (result, cancellationToken) =>
        {
            await using var server = await StartAsync(options.Read(result, result.GetValue(runs)!), stdout, cancellationToken);
            try
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                // Ctrl-C or SIGTERM: stop cleanly below.
            }
            await server.StopAsync(CancellationToken.None);
            stdout.WriteLine("Dashboard stopped.");
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>Builds and starts the dashboard and says where it is (with the token when one is needed).</summary>
    /// <exception cref="UserInputException">An option cannot be used, or the address cannot be listened on.</exception>
    internal static async Task<DashboardServer> StartAsync(DashboardOptions options, TextWriter stdout, CancellationToken cancellationToken)
    {
        DashboardServer server;
        try
        {
            server = DashboardServer.Create(options);
        }
        catch (DashboardOptionsException e)
        {
            throw new UserInputException(e.Message, e);
        }
        try
        {
            await server.StartAsync(cancellationToken);
        }
        catch (IOException e)
        {
            await server.DisposeAsync();
            throw new UserInputException($"--host/--port: cannot listen on {options.Host} port {options.Port}: {e.Message}", e);
        }
        stdout.WriteLine($"Dashboard of {server.Options.RunsRoot} at {server.BrowserUrl}");
        if (server.Options.TokenGenerated)
            stdout.WriteLine($"Listening on {server.Options.Host}, so every request needs the token (made for this start; choose one with --token).");
        return server;
    }
}
