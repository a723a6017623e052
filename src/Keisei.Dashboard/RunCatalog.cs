using System.Collections.Concurrent;
using Keisei.Evaluation.Storage;
using Keisei.Training;

namespace Keisei.Dashboard;

/// <summary>A request for something that is not there (a run, an evaluation, a game); answered 404 with the message.</summary>
public sealed class NotFoundException(string message) : Exception(message);

/// <summary>The runs under the runs folder, each opened once and kept (its metrics index and database connection).</summary>
public sealed class RunCatalog(string runsRoot) : IDisposable
{
    private readonly ConcurrentDictionary<string, RunState> _runs = new(StringComparer.Ordinal);

    /// <summary>The runs folder.</summary>
    public string Root { get; } = Path.GetFullPath(runsRoot);

    /// <summary>
    /// The run folders: direct subfolders holding a keisei.db, a metrics.jsonl or a config.yaml, by name.
    /// </summary>
    public IReadOnlyList<RunState> Runs()
    {
        if (!Directory.Exists(Root)) return [];
        return [.. Directory.EnumerateDirectories(Root).Select(Path.GetFileName).OfType<string>().Where(IsRun).Order(StringComparer.Ordinal).Select(Get)];
    }

    private bool IsRun(string name)
    {
        string folder = Path.Combine(Root, name);
        return RunDirectory.NameError(name) is null
            && (File.Exists(Path.Combine(folder, "keisei.db")) || File.Exists(Path.Combine(folder, "metrics.jsonl")) || File.Exists(Path.Combine(folder, "config.yaml")));
    }

    /// <summary>The run of this name (a folder directly under the runs folder; never a path).</summary>
    /// <exception cref="NotFoundException">No such run.</exception>
    public RunState Get(string name)
    {
        if (RunDirectory.NameError(name) is not null || !IsRun(name))
            throw new NotFoundException($"no run '{name}' in {Root} (runs: {string.Join(", ", Directory.Exists(Root) ? Directory.EnumerateDirectories(Root).Select(Path.GetFileName).Where(n => IsRun(n!)) : [])})");
        return _runs.GetOrAdd(name, n => new RunState(RunDirectory.Open(Root, Path.Combine(Root, n))));
    }

    public void Dispose()
    {
        foreach (var run in _runs.Values) run.Dispose();
        _runs.Clear();
    }
}

/// <summary>
/// One run as the dashboard sees it: its metrics index and a read-only connection to its results database, with what is
/// computed from the database (ladder, evaluations) kept until another process commits (the database's data version).
/// </summary>
public sealed class RunState : IDisposable
{
    private readonly Lock _lock = new();
    private ResultsStore? _store;
    private RunData? _data;
    private bool _disposed;

    internal RunState(RunDirectory run)
    {
        Run = run;
        Metrics = new MetricsLog(run.MetricsPath);
    }

    public RunDirectory Run { get; }

    public string Name => Run.Name;

    public MetricsLog Metrics { get; }

    /// <summary>The read-only store, opened on first use; null while the run has no database.</summary>
    public ResultsStore? Store
    {
        get
        {
            lock (_lock)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                if (_store is null && File.Exists(Run.DatabasePath)) _store = ResultsStore.OpenReadOnly(Run.DatabasePath);
                return _store;
            }
        }
    }

    /// <summary>The database's data version (changes when a writer commits), or -1 without a database.</summary>
    public long DataVersion() => Store?.DataVersion() ?? -1;

    /// <summary>What the database holds now, read again only when a writer committed since the last read.</summary>
    public RunData Data()
    {
        var store = Store;
        lock (_lock)
        {
            long version = store?.DataVersion() ?? -1;
            if (_data is null || _data.Version != version) _data = new RunData(this, store, version);
            return _data;
        }
    }

    /// <summary>When the run last wrote its metrics or database.</summary>
    public DateTimeOffset? LastActivity()
    {
        var times = new[] { Run.MetricsPath, Run.DatabasePath, Run.DatabasePath + "-wal" }
            .Where(File.Exists).Select(p => new DateTimeOffset(File.GetLastWriteTimeUtc(p), TimeSpan.Zero)).ToList();
        return times.Count == 0 ? null : times.Max();
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _disposed = true;
            _store?.Dispose();
            _store = null;
        }
    }
}
