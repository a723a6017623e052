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

    /// <summary>Starts <c>dotnet keisei.dll</c> (copied next to the tests) as a separate process.</summary>
    public static Output RunProcess(params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "keisei.dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var process = Process.Start(psi)!;
        var stderrTask = process.StandardError.ReadToEndAsync();
        string stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return new Output(process.ExitCode, stdout, stderrTask.GetAwaiter().GetResult());
    }
}
