using Keisei.Evaluation;
using Keisei.Evaluation.Players;
using Keisei.Evaluation.Service;
using Keisei.Evaluation.Storage;
using Microsoft.Extensions.Logging;

namespace Keisei.Training;

/// <summary>What one training run (<c>keisei train</c>) needs, typed: the trainer's options, the run folder, where metrics go and
/// whether checkpoints are evaluated beside training.</summary>
public sealed record TrainingSessionSettings
{
    public required TrainingOptions Training { get; init; }
    public required RunDirectory Run { get; init; }

    /// <summary>Continue the run from its latest intact checkpoint instead of starting it.</summary>
    public bool Resume { get; init; }

    public bool MetricsJsonl { get; init; } = true;
    public bool TensorBoard { get; init; } = true;

    /// <summary>Periodic evaluation beside training (null: off), played by a service with <see cref="Service"/>'s budget.</summary>
    public PeriodicEvaluationOptions? Periodic { get; init; }

    public EvaluationServiceOptions Service { get; init; } = new();
}

/// <summary>
/// The application service behind <c>keisei train</c>: opens the run's results store, creates or resumes the
/// <see cref="Trainer"/>, its metric sink and, when asked, the <see cref="PeriodicEvaluation"/> beside it; runs training and then
/// lets running evaluations finish (or cancels them when training failed or was stopped; their finished games stay stored).
/// </summary>
public sealed class TrainingSession : IAsyncDisposable
{
    private readonly ResultsStore _store;
    private readonly MetricSink _metrics;
    private readonly ParticipantResolver _participants;

    private TrainingSession(ResultsStore store, Trainer trainer, MetricSink metrics, ParticipantResolver participants, PeriodicEvaluation? periodic)
    {
        _store = store;
        Trainer = trainer;
        _metrics = metrics;
        _participants = participants;
        Periodic = periodic;
    }

    public Trainer Trainer { get; }

    /// <summary>The evaluation beside training, when on (its service levels and outcomes are read after the run).</summary>
    public PeriodicEvaluation? Periodic { get; }

    /// <summary>Opens the run. Damaged or missing checkpoints on resume throw as <see cref="Trainer.Resume"/> does; nothing stays open then.</summary>
    /// <param name="evaluationSummary">Receives one line per finished periodic evaluation.</param>
    public static TrainingSession Open(TrainingSessionSettings settings, ILogger logger, Action<string>? evaluationSummary = null)
    {
        var run = settings.Run;
        var store = ResultsStore.Open(run.DatabasePath);
        Trainer? trainer = null;
        MetricSink? metrics = null;
        try
        {
            trainer = settings.Resume ? Trainer.Resume(settings.Training, run, logger) : Trainer.Create(settings.Training, run, logger);
            metrics = new MetricSink(run, settings.MetricsJsonl, settings.TensorBoard);
            var participants = new ParticipantResolver(new NeuralPlayOptions(), new UsiPlayOptions { StderrLogDirectory = run.Path }, logger);
            var periodic = settings.Periodic is { } options
                ? new PeriodicEvaluation(run.Name, store, participants, settings.Service, options, metrics, evaluationSummary, logger)
                : null;
            if (periodic is not null)
            {
                periodic.Prepare(trainer.Model);
                trainer.AddCallback(periodic);
            }
            return new TrainingSession(store, trainer, metrics, participants, periodic);
        }
        catch
        {
            metrics?.Dispose();
            trainer?.Dispose();
            store.Dispose();
            throw;
        }
    }

    /// <summary>Trains until the options' end or <paramref name="stop"/>; then waits for running evaluations, or cancels them after a
    /// failure or a stop.</summary>
    public async Task<TrainingResult> RunAsync(IProgress<TrainingStatus>? progress, CancellationToken stop)
    {
        bool failed = true;
        try
        {
            var result = await Trainer.RunAsync(progress, stop, _metrics).ConfigureAwait(false);
            failed = false;
            return result;
        }
        finally
        {
            if (Periodic is not null)
            {
                Periodic.Service.Throughput.Finish();
                await Periodic.Service.ShutdownAsync(cancelRunning: failed || stop.IsCancellationRequested).ConfigureAwait(false);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Periodic is not null) await Periodic.DisposeAsync().ConfigureAwait(false);
        await _participants.DisposeAsync().ConfigureAwait(false);
        _metrics.Dispose();
        Trainer.Dispose();
        _store.Dispose();
    }
}
