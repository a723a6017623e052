using System.Collections.Concurrent;
using System.Diagnostics;
using System.Threading.Channels;
using Keisei.Neural.Encoding;
using Keisei.Neural.Models;
using Keisei.Shogi;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using TorchSharp;
using static TorchSharp.torch;

namespace Keisei.Neural.Inference;

/// <summary>A network's answer for one position: the legal moves, their probabilities (masked softmax), and the value for the side to move.</summary>
public sealed record PolicyValue(Move[] Moves, float[] Probabilities, float Value);

/// <summary>How an <see cref="InferenceBatcher"/> gathers positions.</summary>
public sealed record InferenceBatcherOptions
{
    /// <summary>Most positions in one forward pass.</summary>
    public int MaxBatch { get; init; } = 64;

    /// <summary>Longest time the first position of a batch waits for others to join.</summary>
    public TimeSpan MaxWait { get; init; } = TimeSpan.FromMicroseconds(500);

    /// <summary>Device the forward pass runs on.</summary>
    public Device Device { get; init; } = torch.CPU;

    public EncodingContext Context { get; init; } = new();
}

/// <summary>
/// Serves many concurrent games with one forward pass: callers submit one position each; a worker gathers up to
/// <see cref="InferenceBatcherOptions.MaxBatch"/> of them (or waits at most <see cref="InferenceBatcherOptions.MaxWait"/>),
/// runs the model in inference mode and completes the callers. The model must not be trained while the batcher uses it.
/// A caller whose position got a NaN or infinite value or legal-move logit gets a <see cref="NonFiniteOutputException"/>.
/// </summary>
public sealed class InferenceBatcher : IAsyncDisposable
{
    private readonly PolicyValueModel _model;
    private readonly ObservationEncoder _encoder;
    private readonly InferenceBatcherOptions _options;
    private readonly ILogger _logger;
    private readonly Channel<Request> _queue = Channel.CreateUnbounded<Request>(new UnboundedChannelOptions { SingleReader = true });
    private readonly ConcurrentBag<Request> _pool = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _worker;
    private readonly float[] _input;
    private readonly float[] _headPolicy;
    private readonly float[] _legalLogits = new float[MoveList.Capacity];
    private readonly float[] _values;
    private long _batches, _positions;
    private int _disposed;

    private sealed class Request
    {
        public float[] Observation = [];
        public readonly int[] Indices = new int[MoveList.Capacity];
        public readonly Move[] Moves = new Move[MoveList.Capacity];
        public int Count;
        public Position? Position;
        public TaskCompletionSource<PolicyValue> Completion = null!;
        public CancellationTokenRegistration Registration;
    }

    public InferenceBatcher(PolicyValueModel model, InferenceBatcherOptions? options = null, ILogger? logger = null)
    {
        _model = model;
        _options = options ?? new InferenceBatcherOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.MaxBatch, 1, nameof(options));
        _encoder = ObservationEncoder.ByName(model.Config.Observation);
        _logger = logger ?? NullLogger.Instance;
        _input = new float[_options.MaxBatch * _encoder.Size];
        _headPolicy = new float[_options.MaxBatch * model.HeadPolicySize];
        _values = new float[_options.MaxBatch];
        _model.eval();
        _worker = Task.Run(RunAsync);
    }

    /// <summary>Forward passes run so far.</summary>
    public long Batches => Interlocked.Read(ref _batches);

    /// <summary>Positions evaluated so far.</summary>
    public long Positions => Interlocked.Read(ref _positions);

    /// <summary>Evaluates one position (encoded on the caller's thread); completes when its batch has run.</summary>
    /// <exception cref="InvalidOperationException">The position has no legal move.</exception>
    public ValueTask<PolicyValue> EvaluateAsync(Position position, CancellationToken cancellationToken = default) =>
        EvaluateAsync(position, _options.Context, cancellationToken);

    /// <inheritdoc cref="EvaluateAsync(Position, CancellationToken)"/>
    public ValueTask<PolicyValue> EvaluateAsync(Position position, EncodingContext context, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (cancellationToken.IsCancellationRequested) return ValueTask.FromCanceled<PolicyValue>(cancellationToken);
        if (!_pool.TryTake(out var request)) request = new Request { Observation = new float[_encoder.Size] };
        _encoder.Encode(position, context, request.Observation);
        request.Count = ActionSpace.LegalActions(position, request.Indices, request.Moves);
        if (request.Count == 0)
        {
            _pool.Add(request);
            throw new InvalidOperationException($"Position {position.ToSfen()} has no legal move to evaluate.");
        }
        var completion = new TaskCompletionSource<PolicyValue>(TaskCreationOptions.RunContinuationsAsynchronously);
        request.Position = position;
        request.Completion = completion;
        if (cancellationToken.CanBeCanceled)
            request.Registration = cancellationToken.Register(static s => ((TaskCompletionSource<PolicyValue>)s!).TrySetCanceled(), completion);
        if (!_queue.Writer.TryWrite(request))
        {
            request.Registration.Dispose();
            throw new ObjectDisposedException(nameof(InferenceBatcher));
        }
        return new ValueTask<PolicyValue>(completion.Task);
    }

    private async Task RunAsync()
    {
        var batch = new List<Request>(_options.MaxBatch);
        var reader = _queue.Reader;
        try
        {
            while (await reader.WaitToReadAsync(_stop.Token).ConfigureAwait(false))
            {
                batch.Clear();
                long deadline = 0;
                while (batch.Count < _options.MaxBatch)
                {
                    if (reader.TryRead(out var request))
                    {
                        if (request.Completion.Task.IsCompleted) Recycle(request); // cancelled while queued
                        else batch.Add(request);
                        continue;
                    }
                    if (batch.Count == 0) break;
                    if (deadline == 0) deadline = Stopwatch.GetTimestamp() + (long)(_options.MaxWait.TotalSeconds * Stopwatch.Frequency);
                    if (Stopwatch.GetTimestamp() >= deadline || _stop.IsCancellationRequested) break;
                    Thread.Yield();
                }
                if (batch.Count == 0) continue;
                RunBatch(batch);
                batch.Clear(); // its requests are back in the pool, possibly already another caller's
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            _logger.LogError(e, "Inference worker failed; failing the waiting callers.");
            foreach (var r in batch) r.Completion.TrySetException(e);
            while (reader.TryRead(out var r)) r.Completion.TrySetException(e);
            throw;
        }
        finally
        {
            foreach (var r in batch) r.Completion.TrySetCanceled();
            while (reader.TryRead(out var r)) r.Completion.TrySetCanceled();
        }
    }

    private void RunBatch(List<Request> batch)
    {
        int n = batch.Count, size = _encoder.Size;
        for (int i = 0; i < n; i++) batch[i].Observation.CopyTo(_input.AsSpan(i * size, size));
        try
        {
            using (torch.NewDisposeScope())
            using (torch.inference_mode())
            {
                var input = TensorData.FromFloats(_input.AsSpan(0, n * size), n, _encoder.Channels, 9, 9);
                var (policy, value) = _model.ForwardHeads(input.to(_options.Device));
                TensorData.CopyTo(policy, _headPolicy.AsSpan(0, n * _model.HeadPolicySize));
                TensorData.CopyTo(value, _values.AsSpan(0, n));
            }
        }
        catch (Exception e)
        {
            foreach (var r in batch) r.Completion.TrySetException(e);
            foreach (var r in batch) Recycle(r);
            _logger.LogError(e, "Forward pass of a batch of {Count} failed.", n);
            return;
        }
        Interlocked.Increment(ref _batches);
        Interlocked.Add(ref _positions, n);
        for (int i = 0; i < n; i++)
        {
            var r = batch[i];
            var legal = r.Indices.AsSpan(0, r.Count);
            var position = r.Position!;
            var logits = _legalLogits.AsSpan(0, r.Count);
            _model.LegalLogits(_headPolicy.AsSpan(i * _model.HeadPolicySize, _model.HeadPolicySize), legal, position.SideToMove, logits);
            var completion = r.Completion;
            try
            {
                FiniteChecks.EnsureFiniteOutput(logits, legal, _values[i], () => $"position {position.ToSfen()}");
            }
            catch (NonFiniteOutputException e)
            {
                _logger.LogError("{Message}", e.Message);
                Recycle(r);
                completion.TrySetException(e);
                continue;
            }
            var probabilities = new float[r.Count];
            PolicyMath.Softmax(logits, probabilities);
            var result = new PolicyValue(r.Moves.AsSpan(0, r.Count).ToArray(), probabilities, _values[i]);
            Recycle(r);
            completion.TrySetResult(result);
        }
    }

    private void Recycle(Request request)
    {
        request.Registration.Dispose();
        request.Registration = default;
        request.Position = null;
        request.Completion = null!;
        _pool.Add(request);
    }

    /// <summary>Stops the worker; callers still waiting are cancelled. Returns when the worker has ended.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _queue.Writer.TryComplete();
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await _worker.ConfigureAwait(false);
        }
        catch (Exception e)
        {
            _logger.LogDebug(e, "Inference worker had failed before shutdown.");
        }
        _stop.Dispose();
    }
}
