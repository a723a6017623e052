using System.Globalization;
using Keisei.Neural.Checkpoints;

namespace Keisei.Training;

/// <summary>A run's folder, <c>runs/&lt;name&gt;/</c>: effective config.yaml, checkpoints/, keisei.db, tensorboard/, metrics.jsonl and the log.</summary>
public sealed class RunDirectory
{
    private RunDirectory(string path)
    {
        Path = System.IO.Path.GetFullPath(path);
        Name = System.IO.Path.GetFileName(Path);
    }

    public string Path { get; }
    public string Name { get; }
    public string ConfigPath => System.IO.Path.Combine(Path, "config.yaml");
    public string CheckpointsPath => System.IO.Path.Combine(Path, "checkpoints");
    public string DatabasePath => System.IO.Path.Combine(Path, "keisei.db");
    public string TensorBoardPath => System.IO.Path.Combine(Path, "tensorboard");
    public string MetricsPath => System.IO.Path.Combine(Path, "metrics.jsonl");

    /// <summary>Creates a new run folder; the name defaults to <c>keisei-yyyyMMdd-HHmmss</c>.</summary>
    /// <exception cref="IOException">A run with that name already has checkpoints (resume it instead).</exception>
    public static RunDirectory Create(string runsRoot, string? name)
    {
        name ??= "keisei-" + DateTime.Now.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture);
        if (NameError(name) is { } error) throw new ArgumentException($"Run name: {error}.", nameof(name));
        var run = new RunDirectory(System.IO.Path.Combine(runsRoot, name));
        if (Directory.Exists(run.CheckpointsPath) && Directory.EnumerateFiles(run.CheckpointsPath, "*.ckpt").Any())
            throw new IOException($"Run '{run.Path}' already exists and has checkpoints; resume it with --resume {name} or choose another run name.");
        Directory.CreateDirectory(run.CheckpointsPath);
        return run;
    }

    /// <summary>The files and folders a run writes besides its log; the log file may not take one of these names.</summary>
    public static readonly IReadOnlyList<string> ReservedNames = ["config.yaml", "checkpoints", "keisei.db", "keisei.db-wal", "keisei.db-shm", "keisei.db-journal", "tensorboard", "metrics.jsonl", "resume_from"];

    /// <summary>Why <paramref name="name"/> cannot name a run folder ("expected ..., found ..."), or null when it can.</summary>
    public static string? NameError(string name) => FileNameError(name, "a folder name");

    /// <summary>Why <paramref name="name"/> cannot name the log file inside a run folder (a relative path such as <c>logs/train.log</c>), or null when it can.</summary>
    public static string? LogFileError(string name)
    {
        string[] parts = name.Split('/');
        if (name.StartsWith('/') || parts.Any(p => FileNameError(p, "") is not null))
            return $"expected a file path inside the run's folder (no leading '/', no empty, '.' or '..' parts, no control characters), found '{name}'";
        return ReservedNames.Contains(parts[0], StringComparer.OrdinalIgnoreCase)
            ? $"expected a file path other than the run's own {string.Join(", ", ReservedNames)}, found '{name}'"
            : null;
    }

    private static string? FileNameError(string name, string what) =>
        name.Length == 0 || string.IsNullOrWhiteSpace(name) ? $"expected {what}, found an empty name"
        : name is "." or ".." || name.IndexOfAny(System.IO.Path.GetInvalidFileNameChars()) >= 0 || name.IndexOf('\\') >= 0 || name.Any(char.IsControl)
            ? $"expected {what} (no '/', no control characters, not '.' or '..'), found '{name}'"
        : System.Text.Encoding.UTF8.GetByteCount(name) > 255 ? $"expected {what} of at most 255 bytes, found {System.Text.Encoding.UTF8.GetByteCount(name)}"
        : null;

    /// <summary>Opens an existing run by name (under <paramref name="runsRoot"/>) or by path.</summary>
    /// <exception cref="DirectoryNotFoundException">No such run.</exception>
    public static RunDirectory Open(string runsRoot, string nameOrPath)
    {
        string path = Directory.Exists(nameOrPath) ? nameOrPath : System.IO.Path.Combine(runsRoot, nameOrPath);
        if (!Directory.Exists(path)) throw new DirectoryNotFoundException($"No run '{nameOrPath}' (looked for folder '{System.IO.Path.GetFullPath(path)}').");
        return new RunDirectory(path);
    }

    /// <summary>Path of the checkpoint written at <paramref name="timesteps"/>.</summary>
    public string CheckpointPath(long timesteps) => System.IO.Path.Combine(CheckpointsPath, $"checkpoint_ts{timesteps}.ckpt");

    public string FinalCheckpointPath => System.IO.Path.Combine(CheckpointsPath, "final.ckpt");

    /// <summary>File that, when present, names the checkpoint training must resume from (written by a rollback).</summary>
    public string ResumeFromPath => System.IO.Path.Combine(Path, "resume_from");

    /// <summary>
    /// The checkpoints a resume may start from, best first: the one a rollback chose, then every checkpoint by timesteps,
    /// newest first. A file whose header cannot be read is placed by the timesteps in its name (<c>checkpoint_tsN</c>), or
    /// first when its name has none (<c>final.ckpt</c>); loading it will then say what is wrong with it.
    /// </summary>
    public IReadOnlyList<string> ResumeCandidates()
    {
        var result = new List<string>();
        if (File.Exists(ResumeFromPath))
        {
            string chosen = File.ReadAllText(ResumeFromPath).Trim();
            if (File.Exists(chosen)) result.Add(chosen);
        }
        if (!Directory.Exists(CheckpointsPath)) return result;
        result.AddRange(Directory.EnumerateFiles(CheckpointsPath, "*.ckpt")
            .Select(p => (Path: p, Timesteps: TimestepsOf(p)))
            .OrderByDescending(x => x.Timesteps).ThenByDescending(x => File.GetLastWriteTimeUtc(x.Path))
            .Select(x => x.Path).Where(p => !result.Contains(p)).ToList());
        return result;
    }

    private static long TimestepsOf(string checkpoint)
    {
        try
        {
            return CheckpointFile.ReadInfo(checkpoint).Info.Counters.GetValueOrDefault("timesteps");
        }
        catch (CheckpointException)
        {
            string name = System.IO.Path.GetFileNameWithoutExtension(checkpoint);
            return name.StartsWith("checkpoint_ts", StringComparison.Ordinal) && long.TryParse(name.AsSpan("checkpoint_ts".Length), out long n) ? n : long.MaxValue;
        }
    }
}
