using System.CommandLine;
using System.Text;
using Keisei.Engine;
using Keisei.Search;
using Keisei.Shogi;
using Microsoft.Extensions.Logging;

namespace Keisei.Cli;

/// <summary>
/// <c>keisei usi</c>: Keisei as a USI engine on stdin/stdout for a shogi GUI or a match runner. Standard output carries
/// the protocol only; logging goes to stderr.
/// </summary>
internal static class UsiCommand
{
    public static Command Create(TextReader stdin, TextWriter stdout, ILoggerFactory logging)
    {
        var model = new Option<string?>("--model")
        {
            Description = "Checkpoint to play (the default of the DNN_Model option; a GUI may change it). Loaded and verified at isready.",
            HelpName = "file.ckpt",
        };
        var set = new Option<string[]>("--set")
        {
            Description = "Search setting as search.key=value (keys: " + string.Join(", ", SearchOptions.Keys.Keys) + "); search.playouts sets " +
                "Const_Playout (fixed playouts per move), search.batch DNN_Batch_Size and search.draw the default of Draw_Value_Black/White. Repeatable.",
            HelpName = "search.key=value",
            AllowMultipleArgumentsPerToken = false,
        };
        var command = new Command("usi", Describe()) { model, set };
        command.SetAction(async (result, cancellationToken) =>
        {
            var defaults = Defaults(result.GetValue(model), result.GetValue(set) ?? []);
            var server = new UsiServer(stdout, defaults, logging.CreateLogger("usi"));
            await server.RunAsync(stdin, cancellationToken);
            return cancellationToken.IsCancellationRequested ? ExitCodes.Interrupted : ExitCodes.Success;
        });
        return command;
    }

    /// <summary>The engine's defaults from <c>--model</c> and the <c>--set search.key=value</c> list.</summary>
    /// <exception cref="UserInputException">A setting is not <c>search.key=value</c>, unknown, repeated or out of range.</exception>
    internal static EngineDefaults Defaults(string? model, IReadOnlyList<string> sets)
    {
        var pairs = new List<string>();
        foreach (string text in sets)
        {
            if (KeyValues.Pair(text) is not { } pair)
                throw new UserInputException($"--set: expected search.key=value, found '{text}'");
            if (!pair.Key.StartsWith("search.", StringComparison.OrdinalIgnoreCase))
                throw new UserInputException($"--set: 'keisei usi' takes search settings (search.key=value), found '{pair.Key}'");
            pairs.Add($"{pair.Key["search.".Length..]}={pair.Value}");
        }
        SearchOptions search;
        try
        {
            search = pairs.Count == 0 ? new SearchOptions() : SearchOptions.Parse(string.Join(',', pairs));
        }
        catch (FormatException e)
        {
            throw new UserInputException($"--set: {e.Message}", e);
        }
        bool fixedPlayouts = pairs.Any(p => p.StartsWith("playouts=", StringComparison.OrdinalIgnoreCase));
        return new EngineDefaults
        {
            Model = string.IsNullOrWhiteSpace(model) ? "" : Path.GetFullPath(model),
            Search = search,
            ConstPlayout = fixedPlayouts ? search.Playouts : 0,
        };
    }

    private static string Describe()
    {
        var text = new StringBuilder(
            "Run as a USI engine on stdin/stdout, for a shogi GUI (ShogiHome, ShogiGUI, Shogidokoro) or a match runner: register the command " +
            "'keisei usi --model <file.ckpt>' as an engine. Nothing but the protocol is written to stdout. The model is loaded at isready. " +
            "Options (setoption name <id> value <x>):");
        foreach (var (name, type, value, meaning) in new EngineSettings(new EngineDefaults()).Describe())
            text.Append($" {name} ({type}, default {(value.Length == 0 ? "empty" : value)}): {meaning}.");
        return text.ToString();
    }
}
