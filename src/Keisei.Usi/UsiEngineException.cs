namespace Keisei.Usi;

/// <summary>What went wrong with an engine, in the categories a referee scores.</summary>
public enum UsiFault
{
    /// <summary>The process died, its pipe broke, or its output ended (or it could not be started).</summary>
    Disconnect,

    /// <summary>No <c>usiok</c> or <c>readyok</c> within the handshake or ping timeout.</summary>
    Stall,

    /// <summary>No <c>bestmove</c> within the move timeout.</summary>
    Timeout,

    /// <summary>A malformed line where a required answer was expected (for example a <c>bestmove</c> without a valid move).</summary>
    Protocol,
}

/// <summary>An engine misbehaved; <see cref="Kind"/> says how. The engine is dead afterwards and must be disposed.</summary>
public sealed class UsiEngineException : Exception
{
    public UsiEngineException(UsiFault kind, string engineName, string message, int? exitCode = null, Exception? innerException = null)
        : base(message, innerException)
    {
        Kind = kind;
        EngineName = engineName;
        ExitCode = exitCode;
    }

    /// <summary>The kind of fault.</summary>
    public UsiFault Kind { get; }

    /// <summary>The engine's name, as used in logs.</summary>
    public string EngineName { get; }

    /// <summary>The process's exit code, when it had exited and the code was known.</summary>
    public int? ExitCode { get; }
}
