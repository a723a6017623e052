using System.CommandLine;
using Keisei.Cli.Config;
using Keisei.Evaluation.Service;
using Keisei.Neural.Checkpoints;
using Keisei.Training;
using Microsoft.Extensions.Logging;

namespace Keisei.Cli;

/// <summary><c>keisei train</c>: self-play PPO into a run folder, resumable, with a live display.</summary>
internal static class TrainCommand
{
    /// <summary>The config used when none is given: configs/quickstart.yaml, shipped next to the executable.</summary>
    internal static string DefaultConfigPath => Path.Combine(AppContext.BaseDirectory, "configs", "quickstart.yaml");

    public static Command Create(TextWriter stdout, TextWriter stderr, ILoggerFactory logging)
    {
        var config = new Option<string?>("--config", "-c") { Description = "YAML config (default: configs/quickstart.yaml, a small CNN that learns on 2 CPU cores)." };
        var set = ConfigCommand.SetOption();
        var runName = new Option<string?>("--run-name") { Description = "Name of the run folder under logging.run_dir (default: keisei-<date>-<time>)." };
        var resume = new Option<string?>("--resume")
        {
            Description = "Continue this run (name or folder) from its latest checkpoint, with its own config.yaml (--set still applies; " +
                "--config and --run-name cannot be given: a run keeps the settings it started with).",
        };
        var minutes = new Option<double?>("--time-limit") { Description = "Stop (with a checkpoint) after this many minutes." }
            .InRange(0, OptionRules.YearMinutes, minExclusive: true, unit: "minutes");
        var plain = new Option<bool>("--plain") { Description = "One line per update instead of the live display." };
        var serve = new Option<bool>("--serve") { Description = "Also serve the dashboard (keisei serve) over logging.run_dir while training; --serve-port, --serve-host, --serve-token as for serve." };
        var dashboard = ServeCommand.Options.Create("serve-");
        var command = new Command("train",
            "Train a Shogi agent by self-play PPO. Writes runs/<name>/: config.yaml, checkpoints/, keisei.db, tensorboard/, metrics.jsonl, train.log. " +
            "Ctrl-C saves a checkpoint and exits; --resume continues exactly.")
        {
            config, set, runName, resume, minutes, plain, serve,
        };
        foreach (var option in dashboard.All) command.Options.Add(option);
        command.SetAction(async (result, cancellationToken) =>
        {
            var (run, settings, resumed) = OpenRun(result.GetValue(config), result.GetValue(set) ?? [], result.GetValue(runName), result.GetValue(resume));
            var options = settings.ToTrainingOptions();
            using var fileLog = new FileLoggerProvider(Path.Combine(run.Path, settings.Logging.LogFile));
            using var runLogging = LoggerFactory.Create(b => b.AddProvider(fileLog).SetMinimumLevel(LogLevel.Information));
            var logger = new FanOutLogger(runLogging.CreateLogger("train"), logging.CreateLogger("train"));
            settings.WarnInert(logger);
            var evaluation = settings.ToEvaluationSettings();
            bool live = !result.GetValue(plain) && settings.Display.Mode != "plain" && ReferenceEquals(stdout, Console.Out) && !Console.IsOutputRedirected;
            var display = new TrainingDisplay(stdout, live, settings.Display.RefreshPerSecond);
            TrainingSession session;
            try
            {
                session = TrainingSession.Open(new TrainingSessionSettings
                {
                    Training = options,
                    Run = run,
                    Resume = resumed,
                    MetricsJsonl = settings.Logging.MetricsJsonl,
                    TensorBoard = settings.Logging.Tensorboard,
                    Periodic = evaluation.EnablePeriodicEvaluation ? evaluation.ToPeriodicOptions(logger) : null,
                    Service = evaluation.ToServiceOptions(),
                }, logger, display.ReportEvaluation);
            }
            catch (Exception e) when (e is CheckpointException or InvalidOperationException or ArgumentException)
            {
                throw new UserInputException(e.Message, e);
            }
            await using var sessionScope = session;
            using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            if (result.GetValue(minutes) is { } m) limit.CancelAfter(TimeSpan.FromMinutes(m));

            stdout.WriteLine($"Run {run.Name}: {options.Model.Describe()}, {options.TotalTimesteps:N0} timesteps, {options.NumEnvs} games in parallel -> {run.Path}");
            await using var server = result.GetValue(serve) ? await ServeCommand.StartAsync(dashboard.Read(result, settings.Logging.RunDir), stdout, cancellationToken) : null;
            var progress = new SynchronousProgress<TrainingStatus>(display.Report);
            TrainingResult outcome;
            try
            {
                outcome = await display.RunAsync($"keisei train · {run.Name}", () => session.RunAsync(progress, limit.Token));
            }
            catch (NonFiniteTrainingException e)
            {
                runLogging.CreateLogger("train").LogError("{Message}", e.Message);
                stderr.WriteLine($"error: {e.Message}");
                return ExitCodes.Failure;
            }
            if (session.Periodic is { } periodic) WriteServiceLevels(stdout, periodic);
            stdout.WriteLine(outcome.Interrupted
                ? $"Stopped at {outcome.Timesteps:N0} timesteps; checkpoint {outcome.FinalCheckpoint}. Continue with: keisei train --resume {run.Name}"
                : $"Done: {outcome.Timesteps:N0} timesteps, {outcome.Updates} updates, {outcome.Episodes:N0} games in {outcome.Elapsed:hh\\:mm\\:ss}; final checkpoint {outcome.FinalCheckpoint}");
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>
    /// The run folder and its settings: a new run from <paramref name="configPath"/> (default quickstart) with its effective
    /// config.yaml written, or the run <paramref name="resumeName"/> with the config.yaml it started with. <paramref name="overrides"/>
    /// (--set) apply to both.
    /// </summary>
    private static (RunDirectory Run, KeiseiConfig Settings, bool Resumed) OpenRun(string? configPath, string[] overrides, string? runName, string? resumeName)
    {
        if (resumeName is not null)
        {
            // A resumed run continues with the config.yaml it wrote when it started; another file would silently change it.
            if (configPath is not null)
                throw new UserInputException($"--config '{configPath}' cannot be combined with --resume: a run continues with its own config.yaml (change single settings with --set)");
            if (runName is not null)
                throw new UserInputException($"--run-name '{runName}' cannot be combined with --resume: the run keeps its folder");
            var probe = KeiseiConfig.Load(null, overrides);
            RunDirectory existing;
            try
            {
                existing = RunDirectory.Open(probe.Logging.RunDir, resumeName);
            }
            catch (DirectoryNotFoundException e)
            {
                throw new UserInputException($"--resume: {e.Message}", e);
            }
            return (existing, KeiseiConfig.Load(existing.ConfigPath, overrides), true);
        }
        string path = configPath ?? DefaultConfigPath;
        var settings = KeiseiConfig.Load(path, overrides);
        if (runName is not null && RunDirectory.NameError(runName) is { } nameError) throw new UserInputException($"--run-name: {nameError}");
        RunDirectory run;
        try
        {
            run = RunDirectory.Create(settings.Logging.RunDir, runName ?? settings.Logging.RunName);
        }
        catch (Exception e) when (e is IOException or ArgumentException)
        {
            throw new UserInputException(e.Message, e);
        }
        File.WriteAllText(run.ConfigPath, settings.ToYaml($"Effective configuration of run {run.Name} (from {Path.GetFullPath(path)})"));
        return (run, settings, false);
    }

    /// <summary>The evaluation service levels measured over the run.</summary>
    private static void WriteServiceLevels(TextWriter stdout, PeriodicEvaluation periodic)
    {
        var service = periodic.Service;
        var stalls = service.TriggerStalls;
        var (with, without, nWith, nWithout) = service.Throughput.Summary();
        var outcomes = periodic.Outcomes;
        stdout.WriteLine(
            $"Evaluations: {outcomes.Count} finished, {service.Skipped} skipped (queue full), {service.Violations} SLA violations; " +
            $"trigger stall p50 {EvaluationService.Percentile(stalls, 0.5):0.00} ms, p99 {EvaluationService.Percentile(stalls, 0.99):0.00} ms over {stalls.Count}; " +
            $"training {without:0} steps/s in updates without evaluation ({nWithout}), {with:0} in updates beside one ({nWith})" +
            (service.ImpactSamples is { Count: > 0 } impacts
                ? $"; slowdown while evaluations played: mean {impacts.Average():P1}, median {EvaluationService.Percentile(impacts, 0.5):P1} over {impacts.Count} updates"
                : "") +
            (outcomes.Count > 0 ? $"; peak memory overhead {outcomes.Max(o => o.PeakMemoryOverheadBytes) / (1024.0 * 1024):0} MB" : ""));
    }

    /// <summary>Sends every log entry to several loggers (the run's file and the console).</summary>
    private sealed class FanOutLogger(params ILogger[] loggers) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => loggers.Any(l => l.IsEnabled(logLevel));

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            foreach (var logger in loggers)
                if (logger.IsEnabled(logLevel)) logger.Log(logLevel, eventId, state, exception, formatter);
        }
    }
}
