using System.Globalization;
using System.Text;

namespace Keisei.Cli;

/// <summary>Where an unexpected exception's stack trace goes: appended to <c>results/keisei.log</c>, with the time and the command line.</summary>
internal static class CrashLog
{
    public static readonly string Path = System.IO.Path.Combine(ResultsDefaults.Folder, "keisei.log");

    /// <summary>Appends the failure; returns the log's full path, and the reason when it could not be written.</summary>
    public static string Write(string[] args, Exception exception, out string? error)
    {
        string full = System.IO.Path.GetFullPath(Path);
        error = null;
        try
        {
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
            var text = new StringBuilder()
                .Append(DateTimeOffset.Now.ToString("yyyy-MM-dd HH:mm:ss.fff", CultureInfo.InvariantCulture))
                .Append(" ERROR keisei ").AppendJoin(' ', args.Select(a => a.Contains(' ', StringComparison.Ordinal) ? $"'{a}'" : a)).AppendLine()
                .Append(exception).AppendLine();
            File.AppendAllText(full, text.ToString(), new UTF8Encoding(false));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            error = e.Message;
        }
        return full;
    }
}
