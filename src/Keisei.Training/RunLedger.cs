using System.Text.Json;
using Keisei.Evaluation;
using Keisei.Evaluation.Storage;
using Keisei.Neural.Checkpoints;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Keisei.Training;

/// <summary>How new checkpoints are gated against the champion; configured and stored as <c>none</c>, <c>sprt</c>, <c>fixed</c>.</summary>
public enum GatingMode
{
    None,

    /// <summary>A sequential test: promoted when it accepts H1.</summary>
    Sprt,

    /// <summary>KataGo-style: N games, at least the threshold (<see cref="FixedMatchGate"/>).</summary>
    Fixed,
}

/// <summary>A rollback that cannot be done as asked. <see cref="Subject"/> names the target when the problem is about it as a whole.</summary>
public sealed class RollbackException(string message, string? subject = null, Exception? inner = null) : Exception(message, inner)
{
    /// <summary><see cref="RunLedger.PreviousChampion"/> when the run has no champion to go back to; null otherwise.</summary>
    public string? Subject { get; } = subject;
}

/// <summary>What a rollback did: the checkpoint training resumes from, how many later checkpoint files it moved where, and the reason stored with it.</summary>
public sealed record RollbackResult(string CheckpointPath, long Timesteps, int Moved, string RolledBackFolder, string Reason);

/// <summary>
/// The one owner of a run's checkpoint and champion lifecycle, kept in the run's results database: the checkpoint pool,
/// the current champion and its history, the gating decision and promotion with its evidence, and rollback. Periodic
/// evaluation and the <c>champion</c>/<c>rollback</c> commands go through it; nothing else changes these tables.
/// </summary>
public sealed class RunLedger(ResultsStore store, ILogger? logger = null)
{
    /// <summary>The rollback target that means the champion before the current one.</summary>
    public const string PreviousChampion = "previous-champion";

    /// <summary>The folder under <c>checkpoints/</c> that a rollback moves later checkpoints to.</summary>
    public const string RolledBackFolder = "rolled_back";

    private readonly ILogger _logger = logger ?? NullLogger.Instance;

    /// <summary>
    /// The participant name of a checkpoint of run <paramref name="runName"/>: <c>run/checkpoint_tsN</c>, and
    /// <c>run/rolled_back/checkpoint_tsN</c> once a rollback moved it aside (so that the checkpoint trained again at the
    /// same timesteps after a rollback, under the same file name, is a participant of its own).
    /// </summary>
    public static string ParticipantName(string runName, string checkpointPath)
    {
        string stem = Path.GetFileNameWithoutExtension(checkpointPath);
        return Path.GetFileName(Path.GetDirectoryName(checkpointPath)) == RolledBackFolder ? $"{runName}/{RolledBackFolder}/{stem}" : $"{runName}/{stem}";
    }

    /// <summary>Every registered checkpoint, oldest first, whatever its status.</summary>
    public IReadOnlyList<StoredCheckpoint> Checkpoints() => store.Checkpoints();

    /// <summary>Every rollback with its reason, oldest first.</summary>
    public IReadOnlyList<StoredRollback> Rollbacks() => store.Rollbacks();

    /// <summary>The reason a rollback stores when none is given: what was asked.</summary>
    public static string DefaultRollbackReason(string target) =>
        target == PreviousChampion ? "rollback to the previous champion requested by the user" : $"rollback to {Path.GetFileName(target)} requested by the user";

    /// <summary>The pool: active checkpoints whose file is still there, oldest first.</summary>
    public IReadOnlyList<StoredCheckpoint> Pool() => [.. store.Checkpoints().Where(c => c.Status == CheckpointStatus.Active && File.Exists(c.Path))];

    /// <summary>Every promotion, oldest first.</summary>
    public IReadOnlyList<StoredChampion> ChampionHistory() => store.Champions();

    /// <summary>
    /// The run's ladder: Bradley–Terry ratings over every game in its database, anchored on <c>random</c> (held at 1500; the
    /// pool's mean when random never played), with the run's checkpoints in series (KataGo's weak prior between neighbours).
    /// Periodic evaluation stores it after each evaluation; the dashboard shows it.
    /// </summary>
    public IReadOnlyList<PoolRating> Ladder(string runName) =>
        PoolRatings.Fit(store, anchor: "random", seriesOrder: store.Checkpoints().Select(c => ParticipantName(runName, c.Path)).Distinct().ToList());

    /// <summary>The current champion (the active entry), or null.</summary>
    public StoredChampion? Champion() => store.Champions().LastOrDefault(c => c.Status == ChampionStatus.Active);

    /// <summary>The current champion when its file can still be played, or null.</summary>
    public StoredChampion? PlayableChampion() => Champion() is { } champion && File.Exists(champion.CheckpointPath) ? champion : null;

    /// <summary>
    /// Adds a checkpoint to the pool and returns the path it is registered under, or null when it adds nothing. final.ckpt
    /// is rewritten whenever the run is resumed, so the pool never points at it: its weights are new only when no pooled
    /// checkpoint has these timesteps (a hash cannot tell: every file has its own creation time), and then they are kept
    /// under the name of a checkpoint of these timesteps, which nothing overwrites.
    /// </summary>
    public string? RegisterCheckpoint(RunDirectory run, string path, long timesteps)
    {
        if (Path.GetFullPath(path) == Path.GetFullPath(run.FinalCheckpointPath))
        {
            if (Pool().Any(c => c.Timesteps == timesteps)) return null;
            string kept = run.CheckpointPath(timesteps);
            if (!File.Exists(kept)) File.Copy(path, kept);
            path = kept;
        }
        var (_, sha) = CheckpointFile.ReadInfo(path);
        store.RecordCheckpoint(path, timesteps, sha);
        return path;
    }

    /// <summary>
    /// The champion a new checkpoint must beat. With none (or its file gone) the candidate becomes champion at once and
    /// null is returned: there is nothing to play.
    /// </summary>
    public StoredChampion? ChampionToBeat(string candidate, long timesteps)
    {
        if (PlayableChampion() is { } champion) return champion;
        store.Promote(candidate, timesteps, JsonSerializer.Serialize(new { reason = "first checkpoint of the run (no champion yet)" }));
        _logger.LogInformation("Champion: {Path} (first checkpoint)", candidate);
        return null;
    }

    /// <summary>
    /// The gating decision: a candidate passes when its match against the champion ended passed (fixed match,
    /// <see cref="FixedMatchGate"/>) or with the SPRT accepting H1. Every other ending (failed, H0, stopped, cancelled,
    /// timed out) keeps the champion.
    /// </summary>
    public static bool Passed(EvaluationReport report) => report.Status is EvaluationStatus.GatePassed or EvaluationStatus.SprtAcceptedH1;

    /// <summary>Decides a gating match (<see cref="Passed"/>) and promotes a passed candidate with the match as evidence; true when promoted.</summary>
    public bool Judge(string candidate, long timesteps, GatingMode mode, EvaluationReport report)
    {
        if (!Passed(report))
        {
            _logger.LogInformation("Gate: {Checkpoint} not promoted ({Status}, score {Score:F3})", Path.GetFileName(candidate), report.Status, report.TotalElo.Score);
            return false;
        }
        string evidence = JsonSerializer.Serialize(new
        {
            mode = SnakeCaseName.Of(mode),
            evaluation_id = report.EvaluationId,
            status = SnakeCaseName.Of(report.Status),
            wins = report.Total.Wins,
            draws = report.Total.Draws,
            losses = report.Total.Losses,
            score = report.TotalElo.Score,
            elo = double.IsFinite(report.TotalElo.Elo) ? report.TotalElo.Elo : (double?)null,
            llr = report.Sprt?.Llr,
        });
        store.Promote(candidate, timesteps, evidence);
        _logger.LogInformation("Champion: {Path} ({Evidence})", candidate, evidence);
        return true;
    }

    /// <summary>
    /// Makes training resume from an earlier checkpoint: <paramref name="target"/> is a checkpoint (a path, or a file name
    /// in the run's checkpoints folder) or <see cref="PreviousChampion"/>. Champions newer than the target are rolled back
    /// (the newest remaining one becomes champion again; with <see cref="PreviousChampion"/> the current one is rolled back
    /// and the one it replaced restored), later pooled checkpoints are moved to <c>checkpoints/rolled_back/</c> and marked
    /// rolled back (their participants renamed after the new place, <see cref="ParticipantName"/>), a newer final.ckpt is moved there as <c>final_tsN.ckpt</c>, and the run's <c>resume_from</c> names the target.
    /// The rollback is stored (<see cref="Rollbacks"/>) with <paramref name="reason"/> (default <see cref="DefaultRollbackReason"/>),
    /// the champion and newest checkpoint before it and after it.
    /// </summary>
    /// <exception cref="RollbackException">No such checkpoint or champion, or the target's file is gone or unreadable; nothing was changed.</exception>
    public RollbackResult RollBack(RunDirectory run, string target, string? reason = null)
    {
        reason = string.IsNullOrWhiteSpace(reason) ? DefaultRollbackReason(target) : reason.Trim();
        var checkpoints = store.Checkpoints();
        string? championBefore = store.Champions().LastOrDefault(c => c.Status == ChampionStatus.Active)?.CheckpointPath;
        // The newest checkpoint training had reached (where it is kept after the rollback), to say what was rolled back from.
        string? newestBefore = checkpoints.Where(c => c.Status == CheckpointStatus.Active).MaxBy(c => c.Timesteps)?.Path;
        string path;
        (StoredChampion Current, StoredChampion Previous)? swap = null;
        if (target == PreviousChampion)
        {
            var history = store.Champions();
            var current = history.LastOrDefault(c => c.Status == ChampionStatus.Active)
                ?? throw new RollbackException($"run {run.Name} has no champion", PreviousChampion);
            var previous = history.LastOrDefault(c => c.Id < current.Id && c.Status == ChampionStatus.Replaced)
                ?? throw new RollbackException($"{Path.GetFileName(current.CheckpointPath)} is the run's first champion", PreviousChampion);
            swap = (current, previous);
            path = previous.CheckpointPath;
        }
        else
        {
            string candidate = File.Exists(target) ? Path.GetFullPath(target) : Path.Combine(run.CheckpointsPath, target);
            path = checkpoints.FirstOrDefault(c => Path.GetFullPath(c.Path) == Path.GetFullPath(candidate))?.Path
                ?? (File.Exists(candidate) ? candidate : throw new RollbackException(
                    $"no checkpoint '{target}' in run {run.Name} (checkpoints: {string.Join(", ", checkpoints.Select(c => Path.GetFileName(c.Path)))})"));
        }
        if (!File.Exists(path)) throw new RollbackException($"the checkpoint file '{path}' no longer exists");
        long timesteps = TimestepsOf(path);

        if (swap is var (was, restoredChampion))
        {
            store.SetChampionStatus(was.Id, ChampionStatus.RolledBack);
            store.SetChampionStatus(restoredChampion.Id, ChampionStatus.Active);
        }
        // Champions newer than the target are rolled back too; the newest remaining one becomes the champion again.
        foreach (var c in store.Champions().Where(c => c.Timesteps > timesteps && c.Status != ChampionStatus.RolledBack))
            store.SetChampionStatus(c.Id, ChampionStatus.RolledBack);
        var champions = store.Champions();
        if (champions.All(c => c.Status != ChampionStatus.Active)
            && champions.LastOrDefault(c => c.Timesteps <= timesteps && c.Status == ChampionStatus.Replaced) is { } restored)
            store.SetChampionStatus(restored.Id, ChampionStatus.Active);

        string rolledBack = Path.Combine(run.CheckpointsPath, RolledBackFolder);
        int moved = 0;
        foreach (var later in checkpoints.Where(c => c.Timesteps > timesteps && c.Status == CheckpointStatus.Active && File.Exists(c.Path)))
        {
            Directory.CreateDirectory(rolledBack);
            string destination = UniquePath(Path.Combine(rolledBack, Path.GetFileName(later.Path)));
            File.Move(later.Path, destination);
            store.SetCheckpointStatus(later.Path, CheckpointStatus.RolledBack, destination);
            if (later.Path == newestBefore) newestBefore = destination;
            string participant = ParticipantName(run.Name, destination);
            if (store.FindPlayer(ParticipantName(run.Name, later.Path)) is { } player && player.CheckpointSha256 == later.Sha256 && store.FindPlayer(participant) is null)
                store.RenamePlayer(player.Id, participant, destination);
            moved++;
        }
        string final = run.FinalCheckpointPath;
        if (File.Exists(final) && Path.GetFullPath(final) != Path.GetFullPath(path)
            && CheckpointFile.ReadInfo(final).Info.Counters.GetValueOrDefault("timesteps") is var finalSteps && finalSteps > timesteps)
        {
            Directory.CreateDirectory(rolledBack);
            string keptFinal = UniquePath(Path.Combine(rolledBack, $"final_ts{finalSteps}.ckpt"));
            File.Move(final, keptFinal);
            moved++;
            if (checkpoints.Where(c => c.Status == CheckpointStatus.Active).All(c => c.Timesteps < finalSteps)) newestBefore = keptFinal;
        }
        File.WriteAllText(run.ResumeFromPath, Path.GetFullPath(path));
        store.RecordRollback(target, championBefore, store.Champions().LastOrDefault(c => c.Status == ChampionStatus.Active)?.CheckpointPath,
            newestBefore, path, timesteps, moved, reason);
        _logger.LogInformation("Rolled back {Run} to {Checkpoint} ({Timesteps} timesteps); {Moved} later checkpoint(s) moved to {Folder}",
            run.Name, path, timesteps, moved, rolledBack);
        return new RollbackResult(path, timesteps, moved, rolledBack, reason);
    }

    private static long TimestepsOf(string path)
    {
        try
        {
            return CheckpointFile.ReadInfo(path).Info.Counters.GetValueOrDefault("timesteps");
        }
        catch (CheckpointException e)
        {
            throw new RollbackException(e.Message, inner: e);
        }
    }

    /// <summary>The path itself, or with -2, -3, ... before the extension when a file of that name is already kept.</summary>
    private static string UniquePath(string path)
    {
        string candidate = path;
        for (int i = 2; File.Exists(candidate); i++)
            candidate = Path.Combine(Path.GetDirectoryName(path)!, $"{Path.GetFileNameWithoutExtension(path)}-{i}{Path.GetExtension(path)}");
        return candidate;
    }
}
