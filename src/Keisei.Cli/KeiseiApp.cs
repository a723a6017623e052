using System.CommandLine;
using Keisei.Evaluation.Storage;
using Microsoft.Extensions.Logging;

namespace Keisei.Cli;

/// <summary>The <c>keisei</c> command line: builds the command tree and runs it against the given writers.</summary>
public static class KeiseiApp
{
    /// <summary>Runs the command line; <c>keisei usi</c> reads the console's standard input.</summary>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr) => Run(args, Console.In, stdout, stderr, []);

    /// <summary>Runs the command line; <c>keisei usi</c> reads <paramref name="stdin"/>.</summary>
    public static int Run(string[] args, TextReader stdin, TextWriter stdout, TextWriter stderr) => Run(args, stdin, stdout, stderr, []);

    /// <summary>Runs the command line with <paramref name="extraCommands"/> added to the tree (tests add commands that fail on purpose).</summary>
    internal static int Run(string[] args, TextWriter stdout, TextWriter stderr, IEnumerable<Command> extraCommands) =>
        Run(args, Console.In, stdout, stderr, extraCommands);

    private static int Run(string[] args, TextReader stdin, TextWriter stdout, TextWriter stderr, IEnumerable<Command> extraCommands)
    {
        using var logging = LoggerFactory.Create(builder => builder
            .AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace)
            .AddSimpleConsole(o => o.SingleLine = true)
            .AddFilter(level => level >= (Environment.GetEnvironmentVariable("KEISEI_LOG_LEVEL") is { } l && Enum.TryParse<LogLevel>(l, true, out var min) ? min : LogLevel.Warning)));
        var root = new RootCommand("Keisei: train Shogi agents by self-play and evaluate them rigorously.");
        root.Subcommands.Add(TrainCommand.Create(stdout, stderr, logging));
        root.Subcommands.Add(PerftCommand.Create(stdout));
        root.Subcommands.Add(ModelCommand.Create(stdout));
        root.Subcommands.Add(DoctorCommand.Create(stdout, stderr));
        root.Subcommands.Add(EvaluateCommand.Create(stdout, stderr, logging));
        root.Subcommands.Add(RateCommand.Create(stdout));
        root.Subcommands.Add(GamesCommand.Create(stdout));
        root.Subcommands.Add(ConfigCommand.Create(stdout));
        root.Subcommands.Add(ChampionCommand.CreateChampion(stdout));
        root.Subcommands.Add(ChampionCommand.CreateRollback(stdout));
        root.Subcommands.Add(BenchCommand.Create(stdout, stderr, logging));
        root.Subcommands.Add(ServeCommand.Create(stdout));
        root.Subcommands.Add(UsiCommand.Create(stdin, stdout, logging));
        foreach (var extra in extraCommands) root.Subcommands.Add(extra);

        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            // One line per mistake, each ending with where the usage is.
            var path = new List<string>();
            for (var node = parse.CommandResult; node is not null; node = node.Parent as System.CommandLine.Parsing.CommandResult)
                path.Insert(0, node.Command.Name);
            string help = string.Join(' ', path) + " --help";
            foreach (var error in parse.Errors) stderr.WriteLine($"error: {error.Message.TrimEnd()} (see '{help}')");
            return ExitCodes.BadInput;
        }
        try
        {
            // SIGINT/SIGTERM cancel the command's token (see TerminationSignals); long commands (train, evaluate) then
            // finish their step and save, however long that takes. System.CommandLine's own signal handling is off.
            using var signals = new TerminationSignals(stderr);
            return parse.InvokeAsync(new InvocationConfiguration
            {
                Output = stdout,
                Error = stderr,
                EnableDefaultExceptionHandler = false,
                ProcessTerminationTimeout = null,
            }, signals.Token).GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is UserInputException or ResultsStoreException)
        {
            // A results database that cannot be used (damaged, locked, in use for this evaluation) is an unusable input file.
            stderr.WriteLine($"error: {e.Message}");
            return ExitCodes.BadInput;
        }
        catch (UnauthorizedAccessException e)
        {
            // A file or folder the commands did not check first (their own checks name the option): the message names the path.
            stderr.WriteLine($"error: permission denied: {e.Message}");
            return ExitCodes.BadInput;
        }
        catch (OperationCanceledException)
        {
            stderr.WriteLine("keisei: stopped.");
            return ExitCodes.Interrupted;
        }
        catch (Exception e)
        {
            // A bug or a broken environment: the stack trace goes to the log, the user gets one line and exit code 1.
            string where = CrashLog.Write(args, e, out string? logError);
            stderr.WriteLine(logError is null
                ? $"error: unexpected failure ({e.GetType().Name}: {e.Message}); the details are in {where}"
                : $"error: unexpected failure ({e.GetType().Name}: {e.Message}); writing the details to {where} failed too: {logError}");
            return ExitCodes.Failure;
        }
    }
}

/// <summary>A mistake in what the user gave us; reported as one line on stderr with exit code 2, never as a stack trace.</summary>
public sealed class UserInputException(string message, Exception? inner = null) : Exception(message, inner);
