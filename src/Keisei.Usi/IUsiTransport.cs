namespace Keisei.Usi;

/// <summary>The line channel to an engine: a process's stdin/stdout, or an in-memory fake in tests.</summary>
public interface IUsiTransport : IAsyncDisposable
{
    /// <summary>Writes one line (without its terminator) and flushes it.</summary>
    /// <exception cref="IOException">The pipe is broken.</exception>
    ValueTask WriteLineAsync(string line, CancellationToken cancellationToken);

    /// <summary>Reads the next line; null at end of output.</summary>
    /// <exception cref="IOException">The pipe is broken.</exception>
    ValueTask<string?> ReadLineAsync(CancellationToken cancellationToken);

    /// <summary>Whether the engine has exited.</summary>
    bool HasExited { get; }

    /// <summary>The exit code once the engine has exited and the code is known; otherwise null.</summary>
    int? ExitCode { get; }

    /// <summary>Completes when the engine has exited.</summary>
    Task WaitForExitAsync(CancellationToken cancellationToken);

    /// <summary>Ends the engine at once (with everything it started); does nothing if it has exited.</summary>
    void Kill();
}
