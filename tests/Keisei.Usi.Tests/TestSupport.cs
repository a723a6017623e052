using System.Collections.Concurrent;
using System.Diagnostics;
using System.Threading.Channels;

namespace Keisei.Usi.Tests;

/// <summary>Starts the fake engine (tests/Keisei.FakeUsiEngine) built next to the tests.</summary>
internal static class Fake
{
    public static string DllPath => Path.Combine(AppContext.BaseDirectory, "Keisei.FakeUsiEngine.dll");

    /// <summary>The dotnet host running these tests (the SDK sets DOTNET_HOST_PATH), else <c>dotnet</c> from PATH.</summary>
    public static string DotnetHost
    {
        get
        {
            string? host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
            if (!string.IsNullOrEmpty(host) && File.Exists(host)) return host;
            string? self = Environment.ProcessPath;
            if (self is not null && Path.GetFileNameWithoutExtension(self) == "dotnet") return self;
            return "dotnet";
        }
    }

    /// <summary>Options for a fake engine: generous timeouts for healthy paths, 1 s quit and stop grace.</summary>
    public static UsiEngineOptions Options(string mode, params string[] args) => new()
    {
        Command = DotnetHost,
        Arguments = [DllPath, mode, .. args],
        Name = "fake-" + mode,
        QuitTimeout = TimeSpan.FromSeconds(1),
        StopGrace = TimeSpan.FromSeconds(1),
    };

    public static Task<UsiEngine> StartAsync(string mode, params string[] args) =>
        UsiEngine.StartAsync(Options(mode, args), null, TestContext.Timeout);

    /// <summary>Asserts that no process with this id is running (it exited and was reaped).</summary>
    public static void AssertExited(int pid)
    {
        try
        {
            using var p = Process.GetProcessById(pid);
            Assert.True(p.HasExited, $"process {pid} is still running");
        }
        catch (ArgumentException)
        {
            // No such process: it is gone.
        }
    }
}

internal static class TestContext
{
    /// <summary>A safety net so a broken test fails instead of hanging the suite.</summary>
    public static CancellationToken Timeout => new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token;
}

/// <summary>An in-memory engine: every line the client writes goes to <see cref="Respond"/>, whose answers the client reads.</summary>
internal sealed class ScriptedTransport(Func<string, IEnumerable<string>> respond) : IUsiTransport
{
    private readonly Channel<string> _output = Channel.CreateUnbounded<string>();
    private readonly TaskCompletionSource _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ConcurrentQueue<string> _written = new();
    private int? _exitCode;

    public Func<string, IEnumerable<string>> Respond { get; set; } = respond;

    public IReadOnlyList<string> Written => [.. _written];

    public bool Disposed { get; private set; }

    public ValueTask WriteLineAsync(string line, CancellationToken cancellationToken)
    {
        if (HasExited) throw new IOException("Broken pipe");
        _written.Enqueue(line);
        foreach (string answer in Respond(line)) Emit(answer);
        if (line == "quit") Exit(0);
        return ValueTask.CompletedTask;
    }

    public async ValueTask<string?> ReadLineAsync(CancellationToken cancellationToken)
    {
        while (await _output.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            if (_output.Reader.TryRead(out var line)) return line;
        return null;
    }

    public void Emit(string line) => _output.Writer.TryWrite(line);

    public void Exit(int code)
    {
        _exitCode ??= code;
        _output.Writer.TryComplete();
        _exited.TrySetResult();
    }

    public bool HasExited => _exited.Task.IsCompleted;

    public int? ExitCode => _exitCode;

    public Task WaitForExitAsync(CancellationToken cancellationToken) => _exited.Task.WaitAsync(cancellationToken);

    public void Kill() => Exit(137);

    public ValueTask DisposeAsync()
    {
        Kill();
        Disposed = true;
        return ValueTask.CompletedTask;
    }

    /// <summary>A well-behaved handshake; other commands get what <paramref name="other"/> says.</summary>
    public static Func<string, IEnumerable<string>> Engine(Func<string, IEnumerable<string>>? other = null) => line => line switch
    {
        "usi" => ["id name Scripted", "id author Tester", "option name ClearHash type button", "option name Book File type string default <empty>", "usiok"],
        "isready" => ["readyok"],
        _ => other?.Invoke(line) ?? [],
    };
}
