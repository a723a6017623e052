using System.ComponentModel;
using System.Diagnostics;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Keisei.Usi;

/// <summary>A USI engine run as a child process: lines over stdin/stdout, stderr drained to a log file or discarded.</summary>
public sealed partial class ProcessTransport : IUsiTransport
{
    private static readonly TimeSpan ReapTimeout = TimeSpan.FromSeconds(5);
    private readonly Process _process;
    private readonly StreamWriter _stdin;
    private readonly StreamReader _stdout;
    private readonly Task _stderrDrain;
    private readonly ILogger _logger;
    private readonly string _name;
    private int _disposed;

    private ProcessTransport(Process process, string name, string? stderrLogPath, ILogger logger)
    {
        _process = process;
        _name = name;
        _logger = logger;
        _stdin = process.StandardInput;
        _stdin.AutoFlush = false;
        _stdin.NewLine = "\n";
        _stdout = process.StandardOutput;
        ProcessId = process.Id;
        _stderrDrain = Task.Run(() => DrainStderrAsync(process.StandardError.BaseStream, stderrLogPath));
    }

    /// <summary>The operating system's id of the engine process.</summary>
    public int ProcessId { get; }

    /// <summary>Starts the engine described by <paramref name="options"/>.</summary>
    /// <exception cref="ArgumentException">The command line is empty or malformed.</exception>
    /// <exception cref="UsiEngineException">The process could not be started (<see cref="UsiFault.Disconnect"/>).</exception>
    public static ProcessTransport Start(UsiEngineOptions options, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        logger ??= NullLogger.Instance;
        var (program, arguments) = options.ResolveCommand();
        string name = string.IsNullOrEmpty(options.Name) ? Path.GetFileName(program) : options.Name;
        var utf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false);
        var info = new ProcessStartInfo(program)
        {
            UseShellExecute = false,
            CreateNoWindow = true,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardInputEncoding = utf8,
            StandardOutputEncoding = utf8,
            StandardErrorEncoding = utf8,
        };
        foreach (string a in arguments) info.ArgumentList.Add(a);
        if (!string.IsNullOrEmpty(options.WorkingDirectory)) info.WorkingDirectory = options.WorkingDirectory;

        var process = new Process { StartInfo = info };
        try
        {
            if (!process.Start()) throw new InvalidOperationException("the process did not start");
        }
        catch (Exception e) when (e is Win32Exception or InvalidOperationException or IOException or UnauthorizedAccessException)
        {
            process.Dispose();
            throw new UsiEngineException(UsiFault.Disconnect, name,
                $"Engine '{name}' could not be started ({program}): {e.Message}", null, e);
        }
        LogStarted(logger, name, process.Id, program, string.Join(' ', arguments));
        return new ProcessTransport(process, name, options.StderrLogPath, logger);
    }

    /// <inheritdoc/>
    public async ValueTask WriteLineAsync(string line, CancellationToken cancellationToken)
    {
        try
        {
            await _stdin.WriteLineAsync(line.AsMemory(), cancellationToken).ConfigureAwait(false);
            await _stdin.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (ObjectDisposedException e)
        {
            throw new IOException("The engine's stdin is closed.", e);
        }
    }

    /// <inheritdoc/>
    public async ValueTask<string?> ReadLineAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await _stdout.ReadLineAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (ObjectDisposedException e)
        {
            throw new IOException("The engine's stdout is closed.", e);
        }
    }

    /// <inheritdoc/>
    public bool HasExited
    {
        get
        {
            try
            {
                return _process.HasExited;
            }
            catch (InvalidOperationException)
            {
                return true;
            }
        }
    }

    /// <inheritdoc/>
    public int? ExitCode
    {
        get
        {
            try
            {
                return _process.HasExited ? _process.ExitCode : null;
            }
            catch (InvalidOperationException)
            {
                return null;
            }
        }
    }

    /// <inheritdoc/>
    public Task WaitForExitAsync(CancellationToken cancellationToken) => _process.WaitForExitAsync(cancellationToken);

    /// <inheritdoc/>
    public void Kill()
    {
        try
        {
            if (_process.HasExited) return;
            LogKilling(_logger, _name, ProcessId);
            _process.Kill(entireProcessTree: true);
        }
        catch (Exception e) when (e is InvalidOperationException or Win32Exception or NotSupportedException)
        {
            // Already exited, or exiting while we asked.
        }
    }

    /// <summary>Kills the process tree if it is still running, reaps it, and closes the pipes and the stderr log.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        Kill();
        try
        {
            await _process.WaitForExitAsync().WaitAsync(ReapTimeout).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            LogNotReaped(_logger, _name, ProcessId);
        }
        try
        {
            await _stderrDrain.WaitAsync(ReapTimeout).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // A grandchild may still hold stderr open; the drain ends when it closes.
        }
        try
        {
            _stdin.Dispose();
        }
        catch (IOException)
        {
            // Flushing into a broken pipe.
        }
        _stdout.Dispose();
        _process.Dispose();
    }

    private async Task DrainStderrAsync(Stream stderr, string? logPath)
    {
        FileStream? log = null;
        try
        {
            if (logPath is not null)
            {
                string? dir = Path.GetDirectoryName(Path.GetFullPath(logPath));
                if (dir is not null) Directory.CreateDirectory(dir);
                log = new FileStream(logPath, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete, 4096, useAsync: true);
            }
            var buffer = new byte[8192];
            int n;
            while ((n = await stderr.ReadAsync(buffer).ConfigureAwait(false)) > 0)
            {
                if (log is not null)
                {
                    await log.WriteAsync(buffer.AsMemory(0, n)).ConfigureAwait(false);
                    await log.FlushAsync().ConfigureAwait(false);
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ObjectDisposedException)
        {
            LogStderrFailed(_logger, _name, e.Message);
            // Keep draining so the engine never blocks on a full stderr pipe.
            try
            {
                await stderr.CopyToAsync(Stream.Null).ConfigureAwait(false);
            }
            catch (Exception inner) when (inner is IOException or ObjectDisposedException)
            {
            }
        }
        finally
        {
            if (log is not null) await log.DisposeAsync().ConfigureAwait(false);
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Engine '{Name}' started as process {Pid}: {Program} {Arguments}")]
    private static partial void LogStarted(ILogger logger, string name, int pid, string program, string arguments);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Killing engine '{Name}' (process {Pid}) and its children")]
    private static partial void LogKilling(ILogger logger, string name, int pid);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Engine '{Name}' (process {Pid}) did not exit after being killed")]
    private static partial void LogNotReaped(ILogger logger, string name, int pid);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Engine '{Name}': stderr could not be logged: {Error}")]
    private static partial void LogStderrFailed(ILogger logger, string name, string error);
}
