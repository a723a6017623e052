using System.CommandLine;
using Keisei.Cli.Config;
using Keisei.Evaluation;
using Keisei.Evaluation.Arena;
using Keisei.Evaluation.Players;
using Keisei.Evaluation.Service;
using Keisei.Evaluation.Statistics;
using Keisei.Evaluation.Storage;
using Keisei.Evaluation.Strategies;
using Keisei.Neural.Checkpoints;
using Keisei.Neural.Inference;
using Keisei.Neural.Native;
using Keisei.Shogi;
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
            var overrides = result.GetValue(set) ?? [];
            RunDirectory run;
            KeiseiConfig settings;
            string? resumeName = result.GetValue(resume);
            if (resumeName is not null)
            {
                // A resumed run continues with the config.yaml it wrote when it started; another file would silently change it.
                if (result.GetValue(config) is { } other)
                    throw new UserInputException($"--config '{other}' cannot be combined with --resume: a run continues with its own config.yaml (change single settings with --set)");
                if (result.GetValue(runName) is { } name)
                    throw new UserInputException($"--run-name '{name}' cannot be combined with --resume: the run keeps its folder");
                var probe = KeiseiConfig.Load(null, overrides);
                try
                {
                    run = RunDirectory.Open(probe.Logging.RunDir, resumeName);
                }
                catch (DirectoryNotFoundException e)
                {
                    throw new UserInputException($"--resume: {e.Message}", e);
                }
                settings = KeiseiConfig.Load(run.ConfigPath, overrides);
            }
            else
            {
                string path = result.GetValue(config) ?? DefaultConfigPath;
                settings = KeiseiConfig.Load(path, overrides);
                if (result.GetValue(runName) is { } name && RunDirectory.NameError(name) is { } nameError) throw new UserInputException($"--run-name: {nameError}");
                try
                {
                    run = RunDirectory.Create(settings.Logging.RunDir, result.GetValue(runName) ?? settings.Logging.RunName);
                }
                catch (Exception e) when (e is IOException or ArgumentException)
                {
                    throw new UserInputException(e.Message, e);
                }
                File.WriteAllText(run.ConfigPath, settings.ToYaml($"Effective configuration of run {run.Name} (from {Path.GetFullPath(path)})"));
            }

            var options = settings.ToTrainingOptions();
            using var fileLog = new FileLoggerProvider(Path.Combine(run.Path, settings.Logging.LogFile));
            using var runLogging = LoggerFactory.Create(b => b.AddProvider(fileLog).SetMinimumLevel(LogLevel.Information));
            var logger = new FanOutLogger(runLogging.CreateLogger("train"), logging.CreateLogger("train"));
            settings.WarnInert(logger);
            var evaluation = settings.ToEvaluationSettings();
            using var store = ResultsStore.Open(run.DatabasePath);

            Trainer trainer;
            try
            {
                trainer = resumeName is null ? Trainer.Create(options, run, logger) : Trainer.Resume(options, run, logger);
            }
            catch (Exception e) when (e is CheckpointException or InvalidOperationException or ArgumentException)
            {
                throw new UserInputException(e.Message, e);
            }
            using var trainerScope = trainer;
            using var metrics = new MetricSink(run, settings.Logging.MetricsJsonl, settings.Logging.Tensorboard);
            using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            if (result.GetValue(minutes) is { } m) limit.CancelAfter(TimeSpan.FromMinutes(m));

            bool live = !result.GetValue(plain) && settings.Display.Mode != "plain" && ReferenceEquals(stdout, Console.Out) && !Console.IsOutputRedirected;
            var display = new TrainingDisplay(stdout, live, settings.Display.RefreshPerSecond);
            stdout.WriteLine($"Run {run.Name}: {options.Model.Describe()}, {options.TotalTimesteps:N0} timesteps, {options.NumEnvs} games in parallel -> {run.Path}");
            await using var server = result.GetValue(serve) ? await ServeCommand.StartAsync(dashboard.Read(result, settings.Logging.RunDir), stdout, cancellationToken) : null;
            var progress = new SynchronousProgress<TrainingStatus>(display.Report);
            await using var participants = new ParticipantResolver(new NeuralPlayOptions(), new UsiPlayOptions { StderrLogDirectory = run.Path }, logger);
            await using var periodic = evaluation.EnablePeriodicEvaluation
                ? new PeriodicEvaluation(run.Name, store, participants, evaluation.ToServiceOptions(), evaluation.ToPeriodicOptions(logger),
                    metrics, display.ReportEvaluation, logger)
                : null;
            if (periodic is not null)
            {
                periodic.Prepare(trainer.Model);
                trainer.AddCallback(periodic);
            }
            TrainingResult outcome;
            bool failed = true;
            try
            {
                outcome = await display.RunAsync($"keisei train · {run.Name}", () => trainer.RunAsync(progress, limit.Token, metrics));
                failed = false;
            }
            catch (NonFiniteTrainingException e)
            {
                runLogging.CreateLogger("train").LogError("{Message}", e.Message);
                stderr.WriteLine($"error: {e.Message}");
                return ExitCodes.Failure;
            }
            finally
            {
                // A failure or Ctrl-C cancels running evaluations (their finished games stay stored); a normal end waits for them.
                if (periodic is not null)
                {
                    periodic.Service.Throughput.Finish();
                    await periodic.Service.ShutdownAsync(cancelRunning: failed || limit.IsCancellationRequested);
                }
            }
            if (periodic is not null) WriteServiceLevels(stdout, periodic);
            stdout.WriteLine(outcome.Interrupted
                ? $"Stopped at {outcome.Timesteps:N0} timesteps; checkpoint {outcome.FinalCheckpoint}. Continue with: keisei train --resume {run.Name}"
                : $"Done: {outcome.Timesteps:N0} timesteps, {outcome.Updates} updates, {outcome.Episodes:N0} games in {outcome.Elapsed:hh\\:mm\\:ss}; final checkpoint {outcome.FinalCheckpoint}");
            return ExitCodes.Success;
        });
        return command;
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
