using System.CommandLine;
using Keisei.Cli.Config;
using Keisei.Evaluation.Storage;
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
        var set = new Option<string[]>("--set", "--override") { Description = "Override a config key, e.g. --set training.total_timesteps=200000 (repeatable)." };
        var runName = new Option<string?>("--run-name") { Description = "Name of the run folder under logging.run_dir (default: keisei-<date>-<time>)." };
        var resume = new Option<string?>("--resume") { Description = "Continue this run (name or folder) from its latest checkpoint, with its own config.yaml." };
        var minutes = new Option<double?>("--time-limit") { Description = "Stop (with a checkpoint) after this many minutes." };
        var plain = new Option<bool>("--plain") { Description = "One line per update instead of the live display." };
        var command = new Command("train",
            "Train a Shogi agent by self-play PPO. Writes runs/<name>/: config.yaml, checkpoints/, keisei.db, tensorboard/, metrics.jsonl, train.log. " +
            "Ctrl-C saves a checkpoint and exits; --resume continues exactly.")
        {
            config, set, runName, resume, minutes, plain,
        };
        command.SetAction(async (result, cancellationToken) =>
        {
            var overrides = result.GetValue(set) ?? [];
            RunDirectory run;
            KeiseiConfig settings;
            string? resumeName = result.GetValue(resume);
            if (resumeName is not null)
            {
                var probe = KeiseiConfig.Load(result.GetValue(config), overrides);
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
            using (ResultsStore.Open(run.DatabasePath))
            {
                // The run's evaluation store exists from the start (schema created), so evaluations can write to it.
            }

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
            var progress = new SynchronousProgress<TrainingStatus>(display.Report);
            var outcome = await display.RunAsync($"keisei train · {run.Name}", () => trainer.RunAsync(progress, limit.Token, metrics));
            stdout.WriteLine(outcome.Interrupted
                ? $"Stopped at {outcome.Timesteps:N0} timesteps; checkpoint {outcome.FinalCheckpoint}. Continue with: keisei train --resume {run.Name}"
                : $"Done: {outcome.Timesteps:N0} timesteps, {outcome.Updates} updates, {outcome.Episodes:N0} games in {outcome.Elapsed:hh\\:mm\\:ss}; final checkpoint {outcome.FinalCheckpoint}");
            return ExitCodes.Success;
        });
        return command;
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
