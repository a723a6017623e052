namespace Keisei.Evaluation.Storage;

/// <summary>A registered checkpoint: in the run's pool, or moved aside by a rollback. Stored as <c>active</c>, <c>rolled_back</c>.</summary>
public enum CheckpointStatus
{
    Active,
    RolledBack,
}

/// <summary>
/// A champion entry: the current champion, one a later promotion replaced, or one a rollback undid. Stored as <c>active</c>,
/// <c>replaced</c>, <c>rolled_back</c>.
/// </summary>
public enum ChampionStatus
{
    Active,
    Replaced,
    RolledBack,
}

/// <summary>
/// Where an evaluation stands or how it ended. Stored and printed in snake_case (<c>sprt_accepted_h1</c>). The last two
/// are the background service's own outcomes (a job that ran out of time or was cancelled) and are never stored.
/// </summary>
public enum EvaluationStatus
{
    Running,
    Completed,
    Stopped,
    Failed,
    GatePassed,
    GateFailed,
    SprtAcceptedH1,
    SprtAcceptedH0,
    TimedOut,
    Cancelled,
}
