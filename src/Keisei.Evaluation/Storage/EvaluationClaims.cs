namespace Keisei.Evaluation.Storage;

/// <summary>
/// Claims on evaluations, one byte each (at the evaluation's id) of a lock file next to the database. The byte-range
/// locks are the operating system's: held by this process until released, dropped when it ends however it ends, and they
/// conflict with every other process. Within this process a claim is kept in a table, because such locks do not conflict
/// within one process and closing any handle of the file would drop all of them: one handle per file stays open while
/// this process holds a claim in it.
/// </summary>
internal static class EvaluationClaims
{
    private static readonly Lock Gate = new();
    private static readonly Dictionary<string, (FileStream File, HashSet<long> Ids)> Files = new(StringComparer.Ordinal);

    /// <summary>A claim on <paramref name="id"/>, or null while another process or another caller here holds it.</summary>
    public static IDisposable? TryClaim(string lockPath, long id)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(id);
        lock (Gate)
        {
            if (!Files.TryGetValue(lockPath, out var entry))
            {
                entry = (new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete), []);
                Files[lockPath] = entry;
            }
            if (entry.Ids.Contains(id)) return null;
            try
            {
                // Not on macOS (no byte-range locks in .NET there): claims then hold within this process only.
                if (!OperatingSystem.IsMacOS()) entry.File.Lock(id, 1);
            }
            catch (IOException)
            {
                CloseIfUnused(lockPath, entry);
                return null;
            }
            entry.Ids.Add(id);
            return new Claim(lockPath, id);
        }
    }

    private static void Release(string lockPath, long id)
    {
        lock (Gate)
        {
            if (!Files.TryGetValue(lockPath, out var entry) || !entry.Ids.Remove(id)) return;
            if (!OperatingSystem.IsMacOS()) entry.File.Unlock(id, 1);
            CloseIfUnused(lockPath, entry);
        }
    }

    private static void CloseIfUnused(string lockPath, (FileStream File, HashSet<long> Ids) entry)
    {
        if (entry.Ids.Count > 0) return;
        entry.File.Dispose();
        Files.Remove(lockPath);
    }

    private sealed class Claim(string lockPath, long id) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0) Release(lockPath, id);
        }
    }
}
