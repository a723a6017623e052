using System.Runtime.InteropServices;

namespace Keisei.Cli;

/// <summary>
/// Turns the first SIGINT (Ctrl-C) or SIGTERM (what systemd, containers and schedulers send) into a cancellation of the
/// running command, which then stops cleanly (training finishes its update and writes a checkpoint; an evaluation keeps its
/// finished games). A second signal is left to the default action and ends the process at once.
/// </summary>
/// <remarks>
/// Keisei handles the signals itself rather than through System.CommandLine, whose handler is only installed once a
/// command's action has returned its first task: an action that does its work before its first real await (training
/// with the plain display) was killed by the first signal with no checkpoint.
/// </remarks>
internal sealed class TerminationSignals : IDisposable
{
    private readonly CancellationTokenSource _cancel = new();
    private readonly TextWriter _stderr;
    private readonly PosixSignalRegistration[] _registrations;
    private int _received;

    public TerminationSignals(TextWriter stderr)
    {
        _stderr = stderr;
        _registrations = [PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal), PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal)];
    }

    /// <summary>Cancelled by the first signal.</summary>
    public CancellationToken Token => _cancel.Token;

    private void OnSignal(PosixSignalContext context)
    {
        if (Interlocked.Increment(ref _received) > 1) return; // the default action: terminate now
        context.Cancel = true;
        string name = context.Signal == PosixSignal.SIGTERM ? "SIGTERM" : "SIGINT";
        _stderr.WriteLine($"keisei: {name} received; stopping cleanly (send it again to stop at once).");
        _cancel.Cancel();
    }

    public void Dispose()
    {
        foreach (var registration in _registrations) registration.Dispose();
        _cancel.Dispose();
    }
}
