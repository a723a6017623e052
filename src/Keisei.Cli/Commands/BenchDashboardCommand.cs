using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Keisei.Cli.Config;
using Keisei.Dashboard;
using Keisei.Evaluation.Service;
using Keisei.Evaluation.Throttling;
using Keisei.Training;
using Microsoft.Extensions.Logging;

namespace Keisei.Cli;

/// <summary>
/// <c>keisei bench dashboard</c>: what a live dashboard costs the training beside it, measured as the training impact of
/// evaluations is: the same <see cref="ThroughputMonitor"/> with alternation, a watching client in every other update.
/// </summary>
internal static class BenchDashboardCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr, ILoggerFactory logging)
    {
        var config = new Option<string?>("--config", "-c") { Description = "YAML config to train (default: configs/quickstart.yaml)." };
        var set = ConfigCommand.SetOption();
        var updates = new Option<int>("--updates") { Description = "PPO updates to train (half of them with a watching client).", DefaultValueFactory = _ => 200 }
            .InRange(4, 1_000_000);
        var output = new Option<string?>("--out") { Description = "Runs folder the dashboard serves (default: runs/bench-dashboard-<date>-<time>)." };
        var json = new Option<bool>("--json") { Description = "Print one JSON object instead of the lines." };
        var command = new Command("dashboard",
            "Train a config with `keisei serve`'s dashboard in the same process, as `keisei train --serve` does, and a client that opens the run's " +
            "page (its summary and curves) and follows its live events in every other update; report the training impact of the watched " +
            "updates against their unwatched neighbours, measured as the training impact of periodic evaluation is.")
        {
            config, set, updates, output, json,
        };
        command.SetAction(async (result, cancellationToken) =>
        {
            string configPath = result.GetValue(config) ?? TrainCommand.DefaultConfigPath;
            var settings = KeiseiConfig.Load(configPath, result.GetValue(set) ?? []);
            var options = settings.ToTrainingOptions();
            options = options with { TotalTimesteps = (long)result.GetValue(updates) * options.StepsPerEpoch };
            string folder = Path.GetFullPath(CliPaths.OutputFolder("--out", result.GetValue(output)
                ?? Path.Combine(settings.Logging.RunDir, "bench-dashboard-" + DateTime.Now.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture))));
            bool asJson = result.GetValue(json);
            var progress = asJson ? stderr : stdout;
            RunDirectory run;
            try
            {
                run = RunDirectory.Create(folder, "watched");
            }
            catch (Exception e) when (e is IOException or ArgumentException)
            {
                throw new UserInputException($"--out {folder}: {e.Message}", e);
            }
            File.WriteAllText(run.ConfigPath, settings.ToYaml($"Effective configuration of run {run.Name} (from {Path.GetFullPath(configPath)})"));
            var logger = logging.CreateLogger("bench");
            await using var session = TrainingSession.Open(new TrainingSessionSettings
            {
                Training = options,
                Run = run,
                MetricsJsonl = true,
                TensorBoard = settings.Logging.Tensorboard,
            }, logger);
            await using var server = await ServeCommand.StartAsync(new DashboardOptions { RunsRoot = folder, Port = 0 }, progress, cancellationToken);
            var monitor = new ThroughputMonitor(alternate: true);
            var impacts = new List<double>();
            monitor.ImpactSampled += impacts.Add;
            await using var client = new WatchingClient(server.Addresses[0], run.Name, monitor);
            monitor.TurnChanged += client.Watch;
            session.Trainer.AddCallback(new UpdateRecorder(monitor, progress, () => client.Watch(monitor.EvaluationsMayPlay)));
            progress.WriteLine($"keisei bench dashboard: {options.Model.Describe()}, {result.GetValue(updates)} updates of {options.StepsPerEpoch} steps " +
                $"(the first {UpdateRecorder.WarmUpUpdates} not measured) -> {run.Path}");
            var outcome = await session.RunAsync(null, cancellationToken);
            monitor.TurnChanged -= client.Watch;
            monitor.Finish();
            await client.StopAsync();
            var report = new DashboardImpact(impacts, monitor.Summary(), client.Events, client.Failures, outcome.Interrupted);
            if (asJson) stdout.WriteLine(report.ToJson(run.Path).ToJsonString());
            else report.Write(stdout);
            return outcome.Interrupted ? ExitCodes.Interrupted : ExitCodes.Success;
        });
        return command;
    }

    /// <summary>
    /// Each update's training throughput into the monitor, as periodic evaluation records it (timesteps over the update's timed
    /// parts), after <see cref="WarmUpUpdates"/> updates of warm-up (compilation, allocator) that are not measured;
    /// <paramref name="warm"/> is called when they are over.
    /// </summary>
    private sealed class UpdateRecorder(ThroughputMonitor monitor, TextWriter progress, Action warm) : ITrainingCallback
    {
        public const int WarmUpUpdates = 3;

        public ValueTask OnUpdateAsync(Trainer trainer, TrainingStatus status, CancellationToken cancellationToken)
        {
            if (status.Updates == WarmUpUpdates) warm();
            else if (status.Updates > WarmUpUpdates && status.Timing is { Total.TotalSeconds: > 0 } timing && status.StepsThisUpdate > 0)
                monitor.Record(status.StepsThisUpdate / timing.Total.TotalSeconds, timing.Total);
            if (status.Updates % 20 == 0) progress.WriteLine($"  {status.Updates} updates, {status.Timesteps:N0} timesteps");
            return ValueTask.CompletedTask;
        }

        public ValueTask OnCheckpointAsync(Trainer trainer, string path, long timesteps, CancellationToken cancellationToken) => ValueTask.CompletedTask;
    }

    /// <summary>
    /// A browser watching the run page, while the monitor's turn says so: it loads the page's data (the run's summary and its
    /// curves) and then follows the run's event stream until told to go; each visit is a window of the monitor.
    /// </summary>
    private sealed class WatchingClient(string address, string runName, ThroughputMonitor monitor) : IAsyncDisposable
    {
        private readonly HttpClient _http = new() { BaseAddress = new Uri(address), Timeout = Timeout.InfiniteTimeSpan };
        private readonly Lock _lock = new();
        // The current visit: its cancellation, and a task that completes once it has reached the event stream (or ended).
        private (CancellationTokenSource Cancellation, Task Followed)? _visit;
        private Task _visiting = Task.CompletedTask;
        private long _window;
        private int _events, _failures;

        /// <summary>Events received from the streams (the client really followed the run).</summary>
        public int Events => Volatile.Read(ref _events);

        /// <summary>Visits that failed (a request answered with an error or not at all).</summary>
        public int Failures => Volatile.Read(ref _failures);

        /// <summary>
        /// Starts a visit (true; returns at once) or ends the current one (false). The monitor's window is opened and closed
        /// here, on the training thread at the turn, so that a watched update counts as watched from its first moment. A
        /// visit is not ended before it has reached the event stream (or failed): with updates shorter than loading the page,
        /// a client cancelled at every turn never followed the run at all. The wait falls between updates, outside their
        /// timed parts, so it does not count in either's throughput.
        /// </summary>
        public void Watch(bool on)
        {
            lock (_lock)
            {
                if (on && _visit is null)
                {
                    // Not disposed: a visit that failed early ends before it is cancelled, and a source without a timer holds nothing.
                    var visit = new CancellationTokenSource();
                    var followed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    _visit = (visit, followed.Task);
                    _window = monitor.BeginWindow();
                    var previous = _visiting;
                    _visiting = Task.Run(async () =>
                    {
                        await previous.ConfigureAwait(false);
                        try
                        {
                            await VisitAsync(followed, visit.Token).ConfigureAwait(false);
                        }
                        finally
                        {
                            followed.TrySetResult();
                        }
                    });
                }
                else if (!on && _visit is { } visit)
                {
                    monitor.EndWindow(_window, System.Diagnostics.Stopwatch.GetTimestamp());
                    visit.Followed.Wait(FollowTimeout);
                    visit.Cancellation.Cancel();
                    _visit = null;
                }
            }
        }

        /// <summary>The longest a turn waits for a visit to reach the event stream.</summary>
        private static readonly TimeSpan FollowTimeout = TimeSpan.FromSeconds(30);

        private async Task VisitAsync(TaskCompletionSource followed, CancellationToken cancellationToken)
        {
            try
            {
                string run = "/api/runs/" + Uri.EscapeDataString(runName);
                await Task.WhenAll(_http.GetStringAsync(run, cancellationToken), _http.GetStringAsync(run + "/metrics", cancellationToken)).ConfigureAwait(false);
                using var response = await _http.GetAsync(run + "/events", HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
                response.EnsureSuccessStatusCode();
                using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false));
                while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
                    if (line.StartsWith("event:", StringComparison.Ordinal))
                    {
                        Interlocked.Increment(ref _events);
                        followed.TrySetResult();
                    }
                Interlocked.Increment(ref _failures); // the stream ended while the client still watched
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
            }
            catch (HttpRequestException)
            {
                Interlocked.Increment(ref _failures);
            }
        }

        public async Task StopAsync()
        {
            Watch(false);
            Task visiting;
            lock (_lock) visiting = _visiting;
            await visiting.ConfigureAwait(false);
        }

        public async ValueTask DisposeAsync()
        {
            await StopAsync().ConfigureAwait(false);
            _http.Dispose();
        }
    }
}

/// <summary>The result of <c>keisei bench dashboard</c>: the training impact of each watched update, and the throughput with and without a client.</summary>
internal sealed record DashboardImpact(IReadOnlyList<double> Samples, (double WithEvaluation, double WithoutEvaluation, int SamplesWith, int SamplesWithout) Summary,
    int Events, int Failures, bool Interrupted)
{
    private static string F(double value, string format = "0.00") => value.ToString(format, CultureInfo.InvariantCulture);

    public double Median => Quantile(0.5);

    /// <summary>The mean impact and its 95 % interval (normal approximation over the samples).</summary>
    public (double Mean, double Low, double High) MeanWithInterval
    {
        get
        {
            if (Samples.Count == 0) return (double.NaN, double.NaN, double.NaN);
            double mean = Samples.Average();
            double sd = Samples.Count > 1 ? Math.Sqrt(Samples.Sum(x => (x - mean) * (x - mean)) / (Samples.Count - 1)) : double.NaN;
            double half = 1.96 * sd / Math.Sqrt(Samples.Count);
            return (mean, mean - half, mean + half);
        }
    }

    /// <summary>The q-quantile of the samples (nearest rank, as the evaluation service reports its impact).</summary>
    public double Quantile(double q) => EvaluationService.Percentile(Samples, q);

    public void Write(TextWriter stdout)
    {
        var (mean, low, high) = MeanWithInterval;
        stdout.WriteLine($"watched updates  {Summary.SamplesWith,5}  {F(Summary.WithEvaluation, "0")} timesteps/s (mean)");
        stdout.WriteLine($"unwatched        {Summary.SamplesWithout,5}  {F(Summary.WithoutEvaluation, "0")} timesteps/s (mean)");
        stdout.WriteLine($"training impact  median {F(100 * Median)} % (quartiles {F(100 * Quantile(0.25))} .. {F(100 * Quantile(0.75))} %), " +
            $"mean {F(100 * mean)} % [95 %: {F(100 * low)}, {F(100 * high)}] over {Samples.Count} watched updates against their neighbours");
        stdout.WriteLine($"client           {Events} events received, {Failures} failed visits");
        if (Interrupted) stdout.WriteLine("Interrupted: the figures are of the updates that finished.");
    }

    private static JsonNode? Number(double value) => double.IsFinite(value) ? JsonValue.Create(value) : null;

    public JsonObject ToJson(string run) => new()
    {
        ["run"] = run,
        ["samples"] = Samples.Count,
        ["impact_median"] = Number(Median),
        ["impact_q25"] = Number(Quantile(0.25)),
        ["impact_q75"] = Number(Quantile(0.75)),
        ["impact_mean"] = Number(MeanWithInterval.Mean),
        ["impact_mean_ci95"] = new JsonArray(Number(MeanWithInterval.Low), Number(MeanWithInterval.High)),
        ["watched_timesteps_per_second"] = Number(Summary.WithEvaluation),
        ["unwatched_timesteps_per_second"] = Number(Summary.WithoutEvaluation),
        ["watched_updates"] = Summary.SamplesWith,
        ["unwatched_updates"] = Summary.SamplesWithout,
        ["events"] = Events,
        ["failed_visits"] = Failures,
        ["interrupted"] = Interrupted,
    };
}
