namespace Keisei.Cli;

/// <summary>Process exit codes of the <c>keisei</c> command.</summary>
public static class ExitCodes
{
    public const int Success = 0;

    /// <summary>Something needed is broken (a failed check, an unexpected error).</summary>
    public const int Failure = 1;

    /// <summary>The user's input was wrong: bad arguments, a bad SFEN, an unreadable file.</summary>
    public const int BadInput = 2;

    /// <summary>Stopped by SIGINT or SIGTERM before the work was done (what was finished is kept); 128 + SIGINT, as shells report it.</summary>
    public const int Interrupted = 130;
}
