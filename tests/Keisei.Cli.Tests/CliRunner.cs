using System.Diagnostics;

namespace Keisei.Cli.Tests;

/// <summary>Runs the keisei command line in-process, or as a real child process, and captures its output.</summary>
internal static class CliRunner
{
    public sealed record Output(int ExitCode, string Stdout, string Stderr);

    public static Output Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = KeiseiApp.Run(args, stdout, stderr);
        return new Output(code, stdout.ToString(), stderr.ToString());
    }

    /// <summary>Runs <c>dotnet keisei.dll</c> (copied next to the tests) as a separate process to its end.</summary>
    public static Output RunProcess(params string[] args)
    {
        using var child = Start(args);
        return child.WaitAsync(TimeSpan.FromMinutes(10)).GetAwaiter().GetResult();
    }

    /// <summary>
    /// Games stored in a results database, read as an outside reader would while a keisei process writes it (read-only,
    /// no migration, waiting out a writer's lock); 0 while the file or its tables do not exist yet.
    /// </summary>
    public static int CountGames(string db)
    {
        if (!File.Exists(db)) return 0;
        var builder = new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder { DataSource = db, Mode = Microsoft.Data.Sqlite.SqliteOpenMode.ReadOnly, Pooling = false, DefaultTimeout = 30 }; // DefaultTimeout also waits out a writer's lock
        using var connection = new Microsoft.Data.Sqlite.SqliteConnection(builder.ToString());
        try
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT COUNT(*) FROM games";
            return Convert.ToInt32(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (Microsoft.Data.Sqlite.SqliteException e) when (e.Message.Contains("no such table", StringComparison.Ordinal))
        {
            return 0;
        }
    }

    /// <summary>
    /// Starts <c>dotnet keisei.dll</c> as a separate process with its output captured. It starts through
    /// <c>env --default-signal=INT</c>: a test host launched in the background by a non-interactive shell (as CI may be)
    /// has SIGINT ignored, which its children inherit, and a process that starts with SIGINT ignored keeps ignoring it.
    /// </summary>
    public static Child Start(params string[] args)
    {
        var psi = new ProcessStartInfo("env")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add("--default-signal=INT");
        psi.ArgumentList.Add("dotnet");
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "keisei.dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        return new Child(Process.Start(psi)!);
    }

    /// <summary>A running keisei process: its output is read as it comes; signals can be sent to it.</summary>
    public sealed class Child(Process process) : IDisposable
    {
        private readonly Task<string> _stdout = process.StandardOutput.ReadToEndAsync();
        private readonly Task<string> _stderr = process.StandardError.ReadToEndAsync();

        public bool HasExited => process.HasExited;

        /// <summary>Sends a POSIX signal (2 = SIGINT, 15 = SIGTERM) to the process.</summary>
        public void Signal(int signal)
        {
            if (Kill(process.Id, signal) != 0) throw new InvalidOperationException($"kill({process.Id}, {signal}) failed");
        }

        /// <summary>Waits for the process to end (killing it after <paramref name="limit"/>) and returns what it wrote.</summary>
        public async Task<Output> WaitAsync(TimeSpan limit)
        {
            try
            {
                await process.WaitForExitAsync().WaitAsync(limit);
            }
            catch (TimeoutException)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
                throw new TimeoutException($"keisei did not end within {limit}; stderr: {await _stderr}");
            }
            return new Output(process.ExitCode, await _stdout, await _stderr);
        }

        public void Dispose()
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
            process.Dispose();
        }

        [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
        internal static extern int Kill(int pid, int signal);
    }
}
