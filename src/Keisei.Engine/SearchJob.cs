using Keisei.Usi;

namespace Keisei.Engine;

/// <summary>
/// One <c>go</c> and what the input loop may do to it: <see cref="RequestStop"/> (<c>stop</c>, <c>gameover</c>, <c>quit</c>,
/// a new <c>go</c>) and <see cref="PonderHit"/>. In infinite and ponder mode the answer is held back until it is released
/// (<see cref="WaitUntilReleasedAsync"/>): by a stop, or for pondering by the <c>ponderhit</c> that also starts its clock.
/// </summary>
internal sealed class SearchJob
{
    private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _stop = new();
    private long _clockStart;
    private volatile bool _pondering;

    public SearchJob(UsiGoLimits go, long received)
    {
        Go = go;
        Received = received;
        _clockStart = received;
        _pondering = go.Ponder && !go.Infinite;
    }

    public UsiGoLimits Go { get; }

    /// <summary>When the <c>go</c> line was read (a <see cref="System.Diagnostics.Stopwatch"/> timestamp).</summary>
    public long Received { get; }

    public bool Infinite => Go.Infinite;

    /// <summary>True from <c>go ponder</c> until <c>ponderhit</c>.</summary>
    public bool Pondering => _pondering;

    /// <summary>Where the move's time starts: the <c>go</c>, or the <c>ponderhit</c> of a ponder search.</summary>
    public long ClockStart => Interlocked.Read(ref _clockStart);

    /// <summary>Signalled by <see cref="RequestStop"/>; the search finishes the leaves in flight and ends.</summary>
    public CancellationToken StopToken => _stop.Token;

    public bool StopRequested => _stop.IsCancellationRequested;

    /// <summary>Completes when the job has written its answer (<c>bestmove</c>).</summary>
    public Task Completion { get; private set; } = Task.CompletedTask;

    public bool IsDone => Completion.IsCompleted;

    /// <summary>Runs the job's work on the thread pool; the work must write exactly one answer and never throw.</summary>
    public void Start(Func<Task> work) => Completion = Task.Run(work);

    /// <summary>Ends the search (the leaves in flight are finished) without releasing a held answer: the clock ran out.</summary>
    public void StopSearch() => _stop.Cancel();

    public void RequestStop()
    {
        _stop.Cancel();
        _released.TrySetResult();
    }

    /// <summary>The opponent played the move pondered on: the search goes on under the clock of its <c>go</c> from <paramref name="at"/>.</summary>
    public void PonderHit(long at)
    {
        if (!_pondering) return;
        Interlocked.Exchange(ref _clockStart, at);
        _pondering = false;
        if (!Infinite) _released.TrySetResult();
    }

    /// <summary>Completes at once for a normal search; in infinite or ponder mode when <c>stop</c> (or <c>ponderhit</c>) comes.</summary>
    public Task WaitUntilReleasedAsync() => Infinite || Pondering ? _released.Task : Task.CompletedTask;
}
