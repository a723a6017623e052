using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Keisei.Cli.Config;
using Keisei.Evaluation;
using Keisei.Evaluation.Arena;
using Keisei.Evaluation.Players;
using Keisei.Evaluation.Statistics;
using Keisei.Evaluation.Storage;
using Keisei.Evaluation.Strategies;
using Keisei.Neural.Models;
using Keisei.Neural.Native;
using Keisei.Search;
using Keisei.Shogi;
using Keisei.Usi;
using Microsoft.Extensions.Logging;

namespace Keisei.Cli;

/// <summary><c>keisei evaluate</c>: measure a checkpoint against opponents, store every game, report Elo with intervals.</summary>
internal static class EvaluateCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr, ILoggerFactory logging)
    {
        var o = new Options();
        var command = new Command("evaluate",
            "Play a checkpoint against opponents (colour-swapped pairs), store each game as it ends, and report Elo with 95% intervals. " +
            "Running the same command again resumes an interrupted evaluation.");
        foreach (var option in o.All) command.Options.Add(option);
        command.SetAction(async (result, cancellationToken) =>
        {
            var logger = logging.CreateLogger("evaluate");
            var settings = o.Bind(result, logger);
            var line = new ProgressLine(stderr);
            var progress = new SynchronousProgress<EvaluationProgress>(p => line.Update(Describe(p)));
            EvaluationReport evaluation;
            try
            {
                evaluation = await EvaluationSession.RunAsync(settings, progress, logger, cancellationToken);
            }
            catch (Exception e) when (e is EvaluationConfigException or ResultsStoreException)
            {
                line.Finish();
                throw new UserInputException(e.Message, e);
            }
            catch (NonFiniteOutputException e)
            {
                line.Finish();
                stderr.WriteLine($"error: the evaluation stopped: {e.Message} Its finished games are stored; the evaluation is marked failed.");
                return ExitCodes.Failure;
            }
            catch (PlayerStartException e)
            {
                // Before any game (an engine that will not start) or during the evaluation after retries; unplayed games are
                // not scored, and running the same command again plays them.
                line.Finish();
                stderr.WriteLine(e.BeforeAnyGame
                    ? $"error: {e.Message} No game was played."
                    : $"error: {e.Message} Finished games are stored and no game was scored for it; run the same command again to play the rest.");
                return ExitCodes.Failure;
            }
            line.Finish();

            if (result.GetValue(o.Json)) stdout.WriteLine(ReportJson.Summary(evaluation).ToJsonString());
            else ReportWriter.Console(stdout, evaluation);
            if (result.GetValue(o.Report) is { } markdown) File.WriteAllText(markdown, ReportWriter.Markdown(evaluation));
            if (cancellationToken.IsCancellationRequested && evaluation.PlayedGames < evaluation.PlannedGames)
            {
                stderr.WriteLine($"Interrupted: {evaluation.PlayedGames} of {evaluation.PlannedGames} games are stored; run the same command again to finish.");
                return ExitCodes.Interrupted;
            }
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>The command's options, and their binding to <see cref="EvaluationSessionSettings"/> (config file, then options).</summary>
    private sealed class Options
    {
        public readonly Option<string> Agent = new Option<string>("--agent")
        {
            Description = "What to evaluate: a checkpoint file (or ckpt:<path>); also random, heuristic or usi:\"<command>\" for reference runs.",
            Required = true,
        };
        public readonly Option<string?> AgentName = new Option<string?>("--agent-name") { Description = "Name of the agent in the results database (default: file name and hash)." };
        public readonly Option<string?> Strategy = new Option<string?>("--strategy") { Description = "single_opponent (default), tournament, ladder, benchmark or custom." };
        public readonly Option<string[]> Opponents = new Option<string[]>("--opponent")
        {
            Description = "Opponent: random, heuristic, ckpt:<path> or usi:\"<command line>\". Repeat for several.",
        };
        public readonly Option<string[]> OpponentNames = new Option<string[]>("--opponent-name")
        {
            Description = "Name of the opponent given by the --opponent at the same place (repeat in the same order). A USI engine's " +
                "name defaults to its 'id name' and its --usi-limit and --usi-option settings, so other settings make another participant.",
        };
        public readonly Option<int?> Games = new Option<int?>("--games", "-n") { Description = $"Games to play (default {ConfigSchema.DefaultText("evaluation.num_games")}, or evaluation.num_games); rounded up to whole colour-swapped pairs." }
            .InRange(1, ConfigSchema.MaxGames);
        public readonly Option<int?> Concurrency = new Option<int?>("--concurrency", "-j") { Description = $"Games played at once (default {ConfigSchema.DefaultText("evaluation.max_concurrent_games")}, or evaluation.max_concurrent_games)." }
            .InRange(1, ConfigSchema.MaxConcurrentGames);
        public readonly Option<string?> Openings = new Option<string?>("--openings") { Description = "Openings file: one 'startpos moves ...', 'sfen ... [moves ...]' or bare SFEN per line." };
        public readonly Option<bool> Shuffle = new Option<bool>("--random-openings") { Description = "Use the openings in a seeded random order instead of file order." };
        public readonly Option<string?> Sprt = new Option<string?>("--sprt") { Description = "Stop early by SPRT, e.g. elo0=0,elo1=10,alpha=0.05,beta=0.05,model=normalized." };
        public readonly Option<string> Db = new Option<string>("--db") { Description = $"Results database (SQLite; default {ResultsDefaults.Database}).", DefaultValueFactory = _ => ResultsDefaults.Database };
        public readonly Option<string?> Config = new Option<string?>("--config") { Description = "YAML config; its 'evaluation' section gives defaults (Keisei's key names)." };
        public readonly Option<string[]> Set = ConfigCommand.SetOption();
        public readonly Option<int?> Seed = new Option<int?>("--seed") { Description = "Seed of the plan and of every player's randomness (default 1, or evaluation.random_seed)." };
        public readonly Option<int?> MaxPlies = new Option<int?>("--max-plies") { Description = $"Plies after which a game is drawn (default {ConfigSchema.DefaultText("evaluation.max_moves_per_game")}, or evaluation.max_moves_per_game)." }
            .InRange(1, ConfigSchema.MaxPlies);
        public readonly Option<double> MoveTimeout = new Option<double>("--move-timeout")
        {
            Description = "Seconds a player may think on one move before losing on time (without --time-control).", DefaultValueFactory = _ => 30,
        }.InRange(0, OptionRules.DaySeconds, minExclusive: true, unit: "seconds");
        public readonly Option<string?> TimeControl = new Option<string?>("--time-control", "--tc")
        {
            Description = "A game clock for both sides, in milliseconds: MAIN+INC (Fischer, e.g. 60000+1000), MAIN+byoBYOYOMI (e.g. 0+byo1000) " +
                "or MAIN (sudden death). USI engines get it as go btime/wtime with byoyomi or binc/winc; a move over the clock (plus " +
                "--time-margin) loses on time. Part of the evaluation's and of engine and search players' identity.",
        };
        public readonly Option<int> TimeMargin = new Option<int>("--time-margin")
        {
            Description = $"Milliseconds a move may run over the clock before it is a loss on time (pipe and process latency; default {ArenaOptions.DefaultTimeMarginMs}).",
            DefaultValueFactory = _ => ArenaOptions.DefaultTimeMarginMs,
        }.InRange(0, 60_000, unit: "milliseconds");
        public readonly Option<double?> GameTimeout = new Option<double?>("--game-timeout") { Description = "Seconds a whole game may last (default none, or evaluation.timeout_per_game)." }
            .InRange(0, ConfigSchema.WeekSeconds, minExclusive: true, unit: "seconds");
        public readonly Option<double> Temperature = new Option<double>("--temperature") { Description = "Network players: 0 plays the most probable move, above 0 samples.", DefaultValueFactory = _ => 0 }
            .InRange(0, 100);
        public readonly Option<float?> ResignValue = new Option<float?>("--resign-value") { Description = "A player whose value stays below this for 3 moves resigns (e.g. -0.95)." }
            .InRange(-1f, 1f);
        public readonly Option<string?> UsiLimit = new Option<string?>("--usi-limit")
        {
            Description = "USI engines' go limit: movetime=MS, byoyomi=MS, nodes=N or depth=N (default movetime=1000; with --time-control only nodes or depth, added to the clock).",
        };
        public readonly Option<string[]> UsiOption = new Option<string[]>("--usi-option") { Description = "setoption for USI engines, name=value (repeatable)." };
        public readonly Option<double> UsiReadyTimeout = new Option<double>("--usi-ready-timeout")
        {
            Description = "Seconds a USI engine may take to answer readyok (a large USI_Hash or many Threads take long, more so on a busy machine).",
            DefaultValueFactory = _ => 120,
        }.InRange(0, OptionRules.DaySeconds, minExclusive: true, unit: "seconds");
        public readonly Option<string> Device = new Option<string>("--device") { Description = "Device for network players: cpu, cuda, cuda:N or auto.", DefaultValueFactory = _ => "cpu" };
        public readonly Option<long?> Resume = new Option<long?>("--resume") { Description = "Continue the stored evaluation with this id (same options needed)." }
            .InRange(1, long.MaxValue);
        public readonly Option<bool> Json = new Option<bool>("--json") { Description = "Print the report as one JSON object." };
        public readonly Option<string?> AgentSearch = new Option<string?>("--agent-search")
        {
            Description = "The checkpoint agent plays through PUCT search: key=value,... of playouts, cpuct, cbase, fpu, batch, nodes, draw (the value of a draw for the searcher, e.g. -0.2 to avoid repetitions) " +
                "(e.g. playouts=200,cpuct=1.25). Settings are part of its name and identity.",
        };
        public readonly Option<string?> OpponentSearch = new Option<string?>("--opponent-search")
        {
            Description = "Every ckpt: opponent plays through PUCT search with these key=value,... settings (as --agent-search).",
        };
        public readonly Option<string?> Report = new Option<string?>("--report") { Description = "Also write the report as Markdown to this file." };

        public IEnumerable<Option> All => [Agent, AgentName, Strategy, Opponents, OpponentNames, Games, Concurrency, Openings, Shuffle, Sprt, Db, Config, Set, Seed, MaxPlies, MoveTimeout, TimeControl, TimeMargin, GameTimeout, Temperature, ResignValue, UsiLimit, UsiOption, UsiReadyTimeout, Device, Resume, Json, AgentSearch, OpponentSearch, Report];

        /// <summary>Checks the paths (before any game: a report or database that cannot be written must not be found out after
        /// every game is played), reads the config's evaluation section and binds every option over it.</summary>
        public EvaluationSessionSettings Bind(ParseResult result, ILogger logger)
        {
            if (result.GetValue(Db) == ResultsDefaults.Database) Directory.CreateDirectory(ResultsDefaults.Folder);
            CliPaths.OutputFile("--db", result.GetValue(Db)!);
            if (result.GetValue(Report) is { } reportPath) CliPaths.OutputFile("--report", reportPath);
            if (result.GetValue(Openings) is { } openingsPath) CliPaths.InputFile("--openings", openingsPath);
            var loaded = KeiseiConfig.Load(result.GetValue(Config), result.GetValue(Set) ?? []);
            loaded.WarnInert(logger);
            var section = loaded.ToEvaluationSettings();
            string strategyName = result.GetValue(Strategy) ?? section.Strategy;
            var strategyParams = section.StrategyParamReader;
            EvaluationStrategy chosen;
            try
            {
                chosen = EvaluationStrategy.Create(strategyName, strategyParams);
            }
            catch (EvaluationConfigException e)
            {
                throw new UserInputException(e.Message, e);
            }

            var opponentSpecs = new List<OpponentSpec>();
            foreach (string text in result.GetValue(Opponents) ?? [])
                opponentSpecs.Add(Wrap(() => OpponentSpec.Parse(text)));
            string[] names = result.GetValue(OpponentNames) ?? [];
            if (names.Length > opponentSpecs.Count)
                throw new UserInputException($"--opponent-name: {names.Length} names given for {opponentSpecs.Count} --opponent options; name each opponent at most once, in order");
            for (int i = 0; i < names.Length; i++)
            {
                if (string.IsNullOrWhiteSpace(names[i])) throw new UserInputException($"--opponent-name: expected a name, found '{names[i]}'");
                opponentSpecs[i] = opponentSpecs[i].Named(names[i].Trim());
            }
            if (opponentSpecs.Count == 0 && strategyName == "single_opponent" && !strategyParams.Has("opponent_name"))
                opponentSpecs.Add(Wrap(() => section.Opponent));

            int numGames = result.GetValue(Games) ?? section.NumGames;
            int jobs = result.GetValue(Concurrency) ?? section.MaxConcurrentGames;
            int planSeed = result.GetValue(Seed) ?? section.Seed;
            int plies = result.GetValue(MaxPlies) ?? section.MaxMovesPerGame;
            double? gameSeconds = result.GetValue(GameTimeout) ?? section.TimeoutPerGame;

            IReadOnlyList<Opening> openingList = [Opening.StartPosition];
            if (result.GetValue(Openings) is { } openingsFile)
            {
                try
                {
                    openingList = OpeningBook.Order(OpeningBook.Load(openingsFile), result.GetValue(Shuffle), planSeed);
                }
                catch (OpeningsFormatException e)
                {
                    throw new UserInputException(e.Message, e);
                }
            }

            SprtParameters? sprtParameters = null;
            if (result.GetValue(Sprt) is { } sprtText)
            {
                if (!SprtParameters.TryParse(sprtText, out sprtParameters, out string error)) throw new UserInputException($"--sprt: {error}");
            }

            Keisei.Evaluation.Arena.TimeControl? clock = null;
            if (result.GetValue(TimeControl) is { } clockText)
            {
                try
                {
                    clock = Keisei.Evaluation.Arena.TimeControl.Parse(clockText);
                }
                catch (FormatException e)
                {
                    throw new UserInputException($"--time-control: {e.Message}", e);
                }
            }
            string? usiLimitText = result.GetValue(UsiLimit);
            var usiLimits = ParseUsiLimit(usiLimitText ?? "movetime=1000");
            if (clock is not null && usiLimitText is not null && (usiLimits.MoveTimeMs is not null || usiLimits.HasClock))
                throw new UserInputException($"--usi-limit '{usiLimitText}': under --time-control {clock} the clock limits each move; only nodes=N or depth=N can be added");

            string agentText = result.GetValue(Agent)!;
            return new EvaluationSessionSettings
            {
                Agent = agentText is "random" or "heuristic" || agentText.StartsWith("usi:", StringComparison.Ordinal)
                    ? Wrap(() => OpponentSpec.Parse(agentText, "--agent"))
                    : new OpponentSpec(agentText, ParticipantKind.Checkpoint,
                        CliPaths.InputFile("--agent", agentText.StartsWith("ckpt:", StringComparison.Ordinal) ? agentText[5..] : agentText)),
                AgentName = result.GetValue(AgentName),
                AgentSearch = ParseSearch(result.GetValue(AgentSearch), "--agent-search"),
                Strategy = chosen,
                StrategyConfigJson = JsonSerializer.Serialize(ToPlain(strategyParams)),
                Opponents = opponentSpecs,
                OpponentSearch = ParseSearch(result.GetValue(OpponentSearch), "--opponent-search"),
                NumGames = numGames,
                Openings = openingList,
                Seed = planSeed,
                Sprt = sprtParameters,
                ResumeId = result.GetValue(Resume),
                Arena = new ArenaOptions
                {
                    Concurrency = jobs,
                    Rules = new GameRules { MaxPlies = plies },
                    MoveTimeout = TimeSpan.FromSeconds(result.GetValue(MoveTimeout)),
                    TimeControl = clock,
                    TimeMargin = TimeSpan.FromMilliseconds(result.GetValue(TimeMargin)),
                    GameTimeout = gameSeconds is > 0 ? TimeSpan.FromSeconds(gameSeconds.Value) : null,
                    ResignValue = result.GetValue(ResignValue),
                },
                Temperature = result.GetValue(Temperature),
                Device = Wrap(() => TorchDevices.Resolve(result.GetValue(Device)!, logger)),
                Usi = new UsiPlayOptions
                {
                    Limits = usiLimits,
                    EngineOptions = ParseAssignments(result.GetValue(UsiOption) ?? [], "--usi-option"),
                    ReadyTimeout = TimeSpan.FromSeconds(result.GetValue(UsiReadyTimeout)),
                    StderrLogDirectory = Path.GetDirectoryName(Path.GetFullPath(result.GetValue(Db)!)),
                },
                Database = result.GetValue(Db)!,
            };
        }
    }

    private static string Describe(EvaluationProgress p)
    {
        string elo = p.Elo is { Games: > 0 } e && double.IsFinite(e.Elo)
            ? string.Create(CultureInfo.InvariantCulture, $"Elo {e.Elo:+0.0;-0.0} ± {(double.IsFinite(e.EloHalfWidth) ? e.EloHalfWidth.ToString("0.0", CultureInfo.InvariantCulture) : "n/a")}")
            : "Elo n/a";
        string llr = p.Sprt is { } s ? string.Create(CultureInfo.InvariantCulture, $"  LLR {s.Llr:0.00} [{s.LowerBound:0.00}, {s.UpperBound:0.00}]") : "";
        return $"games {p.Done}/{p.Planned}  W-D-L {p.Agent.Wins}-{p.Agent.Draws}-{p.Agent.Losses}  {elo}{llr}";
    }

    private static object? ToPlain(ParamReader reader) => reader.Keys.ToDictionary(k => k, k => (object?)reader.String(k));

    internal static UsiGoLimits ParseUsiLimit(string text)
    {
        var pair = KeyValues.Pair(text);
        if (pair is not var (kind, value) || !long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out long n) || n <= 0
            || (kind != "nodes" && n > int.MaxValue))
            throw new UserInputException($"--usi-limit: expected movetime=MS, byoyomi=MS, nodes=N or depth=N, found '{text}'");
        return kind switch
        {
            "movetime" => UsiGoLimits.MoveTime((int)n),
            "byoyomi" => UsiGoLimits.Byoyomi((int)n),
            "nodes" => UsiGoLimits.FixedNodes(n),
            "depth" => UsiGoLimits.FixedDepth((int)n),
            _ => throw new UserInputException($"--usi-limit: unknown limit '{kind}' (movetime, byoyomi, nodes, depth)"),
        };
    }

    private static Dictionary<string, string> ParseAssignments(IEnumerable<string> items, string option)
    {
        var result = new Dictionary<string, string>();
        foreach (string item in items)
        {
            var (name, value) = KeyValues.Pair(item) ?? throw new UserInputException($"{option} '{item}': expected name=value");
            result[name] = value;
        }
        return result;
    }

    private static SearchOptions? ParseSearch(string? text, string option)
    {
        if (text is null) return null;
        try
        {
            return SearchOptions.Parse(text);
        }
        catch (FormatException e)
        {
            throw new UserInputException($"{option}: {e.Message}", e);
        }
    }

    private static T Wrap<T>(Func<T> action)
    {
        try
        {
            return action();
        }
        catch (Exception e) when (e is EvaluationConfigException or ResultsStoreException)
        {
            throw new UserInputException(e.Message, e);
        }
    }
}
