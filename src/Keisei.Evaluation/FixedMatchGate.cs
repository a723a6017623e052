namespace Keisei.Evaluation;

/// <summary>KataGo-style gate: the candidate needs at least <paramref name="Threshold"/> of the points (ties go to the candidate).</summary>
public sealed record FixedMatchGate(double Threshold = 0.5)
{
    /// <summary>Passed (true), failed (false) or still open (null) with <paramref name="points"/> from <paramref name="played"/> of <paramref name="planned"/> games.</summary>
    public bool? Decide(double points, int played, int planned)
    {
        double needed = Threshold * planned;
        if (points >= needed) return true;
        // Short of the threshold even if every remaining game is won (always so once all are played).
        if (points + (planned - played) < needed) return false;
        return null;
    }
}
