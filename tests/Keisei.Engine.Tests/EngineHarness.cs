using System.Collections.Concurrent;
using System.Text;
using Keisei.Neural.Checkpoints;
using Keisei.Neural.Models;

namespace Keisei.Engine.Tests;

/// <summary>A <see cref="TextReader"/> the test feeds line by line; <see cref="End"/> is the end of the input.</summary>
internal sealed class FeedReader : TextReader
{
    private readonly BlockingCollection<string> _lines = [];

    public void Send(string line)
    {
        if (!_lines.IsAddingCompleted) _lines.Add(line);
    }

    public void End() => _lines.CompleteAdding();

    public override string? ReadLine() => _lines.TryTake(out var line, Timeout.Infinite) ? line : null;

    protected override void Dispose(bool disposing)
    {
        if (disposing) _lines.Dispose();
        base.Dispose(disposing);
    }
}

/// <summary>A <see cref="TextWriter"/> that keeps every line written and lets a test wait for the line it expects.</summary>
internal sealed class LineCollector : TextWriter
{
    private readonly List<string> _lines = [];
    private readonly StringBuilder _partial = new();
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public override Encoding Encoding => Encoding.UTF8;

    public override void Write(char value)
    {
        TaskCompletionSource? changed = null;
        lock (_lines)
        {
            if (value == '\n')
            {
                _lines.Add(_partial.ToString().TrimEnd('\r'));
                _partial.Clear();
                changed = _changed;
                _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
            }
            else _partial.Append(value);
        }
        changed?.TrySetResult();
    }

    public override void WriteLine(string? value)
    {
        foreach (char c in value ?? "") Write(c);
        Write('\n');
    }

    public IReadOnlyList<string> Lines
    {
        get
        {
            lock (_lines) return [.. _lines];
        }
    }

    /// <summary>The index of the first line at or after <paramref name="from"/> that matches; fails after <see cref="EngineHarness.Patience"/>.</summary>
    public async Task<int> WaitForAsync(Func<string, bool> match, int from, string what)
    {
        using var timeout = new CancellationTokenSource(EngineHarness.Patience);
        while (true)
        {
            Task changed;
            lock (_lines)
            {
                for (int i = from; i < _lines.Count; i++)
                    if (match(_lines[i])) return i;
                changed = _changed.Task;
            }
            try
            {
                await changed.WaitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                Assert.Fail($"no {what} within {EngineHarness.Patience.TotalSeconds} s; the engine wrote:\n{string.Join('\n', Lines)}");
            }
        }
    }
}

/// <summary>A <see cref="UsiServer"/> running in-process over a <see cref="FeedReader"/> and a <see cref="LineCollector"/>.</summary>
internal sealed class EngineHarness : IAsyncDisposable
{
    /// <summary>How long a test waits for an answer that should come within milliseconds (a guard against hangs, not a speed test).</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private readonly FeedReader _input = new();
    private readonly Task _run;

    public EngineHarness(EngineDefaults defaults)
    {
        Server = new UsiServer(Output, defaults);
        _run = Server.RunAsync(_input);
    }

    public UsiServer Server { get; }

    public LineCollector Output { get; } = new();

    public IReadOnlyList<string> Lines => Output.Lines;

    /// <summary>The engine's run: ends after quit or the end of the input.</summary>
    public Task Run => _run;

    public void Send(params string[] lines)
    {
        foreach (string line in lines) _input.Send(line);
    }

    public void EndInput() => _input.End();

    /// <summary>Sends <paramref name="line"/> and waits for the first line after everything written so far that matches.</summary>
    public Task<string> AskAsync(string line, Func<string, bool> answer, string what) => AskAsync([line], answer, what);

    public async Task<string> AskAsync(string[] lines, Func<string, bool> answer, string what)
    {
        int from = Lines.Count;
        Send(lines);
        int at = await Output.WaitForAsync(answer, from, what);
        return Lines[at];
    }

    public async Task<int> WaitForAsync(Func<string, bool> match, string what, int from = 0) => await Output.WaitForAsync(match, from, what);

    /// <summary>usi, then isready until readyok.</summary>
    public async Task ReadyAsync()
    {
        await AskAsync("usi", l => l == "usiok", "usiok");
        await AskAsync("isready", l => l == "readyok", "readyok");
    }

    public static bool IsBestMove(string line) => line.StartsWith("bestmove", StringComparison.Ordinal);

    public int Count(Func<string, bool> match) => Lines.Count(match);

    public async ValueTask DisposeAsync()
    {
        _input.Send("quit");
        _input.End();
        await _run.WaitAsync(Patience);
        _input.Dispose();
    }
}

/// <summary>A tiny network saved as a checkpoint in a temporary folder, shared by a test class.</summary>
public sealed class TinyCheckpoint : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("keisei-engine-").FullName;

    public TinyCheckpoint()
    {
        Path = System.IO.Path.Combine(_dir, "tiny.ckpt");
        using var model = PolicyValueModel.Create(new ModelConfig { Architecture = ModelConfig.Quick, Channels = 8, Layers = 0 }, seed: 7);
        Sha256 = CheckpointFile.Save(Path, model, new CheckpointInfo { Model = model.Config });
    }

    public string Path { get; }

    public string Sha256 { get; }

    /// <summary>A file in the temporary folder (not created).</summary>
    public string File(string name) => System.IO.Path.Combine(_dir, name);

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
