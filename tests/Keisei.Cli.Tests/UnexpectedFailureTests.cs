using System.CommandLine;

namespace Keisei.Cli.Tests;

public sealed class UnexpectedFailureTests
{
    /// <summary>A bug in any command ends with one line on stderr and exit code 1; its stack trace goes to the log.</summary>
    [Fact]
    public void AnUnexpectedExceptionIsOneLineExitOneAndItsStackTraceIsLogged()
    {
        string marker = $"boom-{Guid.NewGuid():N}";
        var explode = new Command("explode", "fails on purpose");
        explode.SetAction(_ => ThrowFromDeepInside(marker));
        var stdout = new StringWriter();
        var stderr = new StringWriter();

        int code = KeiseiApp.Run(["explode"], stdout, stderr, [explode]);

        Assert.Equal(ExitCodes.Failure, code);
        string[] lines = stderr.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        string line = Assert.Single(lines);
        Assert.StartsWith("error: unexpected failure (InvalidOperationException: " + marker, line);
        Assert.DoesNotContain("   at ", line);
        string log = File.ReadAllText(CrashLog.Path);
        int at = log.IndexOf(marker, StringComparison.Ordinal);
        Assert.True(at >= 0, "the failure is not in the log");
        Assert.Contains(nameof(ThrowFromDeepInside), log[at..]); // the stack trace, not just the message
        Assert.Contains(Path.GetFullPath(CrashLog.Path), line);
    }

    private static int ThrowFromDeepInside(string marker) => throw new InvalidOperationException(marker);
}
