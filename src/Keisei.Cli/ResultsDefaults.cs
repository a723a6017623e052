namespace Keisei.Cli;

/// <summary>Where results go when no path is given: one folder, git-ignored, instead of the current folder.</summary>
public static class ResultsDefaults
{
    /// <summary>The folder for the default results database and the USI engines' stderr logs.</summary>
    public const string Folder = "results";

    /// <summary>The results database of <c>evaluate</c>, <c>rate</c> and <c>games</c> unless <c>--db</c> says otherwise.</summary>
    public static readonly string Database = Path.Combine(Folder, "keisei.db");
}
