namespace Keisei.Evaluation.Strategies;

/// <summary>Kinds of participant an evaluation can use.</summary>
public enum ParticipantKind
{
    Random,
    Heuristic,
    Checkpoint,
    Usi,

    /// <summary>A training run's in-memory copy of its weights (periodic evaluation); stored as <c>snapshot</c>.</summary>
    Snapshot,
}

/// <summary>
/// A participant named in a command line or config: <c>random</c>, <c>heuristic</c>, <c>ckpt:&lt;path&gt;</c>,
/// <c>usi:&lt;command line&gt;</c>, or a pool entry {name, type, checkpoint_path | command}.
/// </summary>
public sealed record OpponentSpec(string Name, ParticipantKind Kind, string? Path = null, string? Command = null, double? InitialRating = null)
{
    /// <summary>
    /// True when <see cref="Name"/> was made up from the command or path rather than given. An unnamed USI engine is keyed by
    /// its whole command line here and named after its <c>id name</c> and settings once started.
    /// </summary>
    public bool NameIsDerived { get; init; }

    /// <summary>This participant under a name the user gave.</summary>
    public OpponentSpec Named(string name) => this with { Name = name, NameIsDerived = false };

    /// <summary>Parses the command-line form.</summary>
    /// <exception cref="EvaluationConfigException">Unknown form; the message lists the accepted ones.</exception>
    public static OpponentSpec Parse(string text, string where = "--opponent")
    {
        text = text.Trim();
        if (text == "random") return new("random", ParticipantKind.Random);
        if (text == "heuristic") return new("heuristic", ParticipantKind.Heuristic);
        if (text.StartsWith("ckpt:", StringComparison.Ordinal) && text.Length > 5)
        {
            string path = text[5..];
            return new(System.IO.Path.GetFileNameWithoutExtension(path), ParticipantKind.Checkpoint, path) { NameIsDerived = true };
        }
        if (text.StartsWith("usi:", StringComparison.Ordinal))
        {
            string command = text[4..].Trim().Trim('"').Trim();
            if (command.Length == 0) throw new EvaluationConfigException($"{where}: expected usi:\"<command line>\", found '{text}' (no command)");
            return new($"usi:{command}", ParticipantKind.Usi, Command: command) { NameIsDerived = true };
        }
        throw new EvaluationConfigException($"{where}: expected random, heuristic, ckpt:<path> or usi:\"<command>\", found '{text}'");
    }

    /// <summary>Reads a pool entry: <c>{name, type: random|heuristic|checkpoint|usi, checkpoint_path, command, initial_rating, metadata}</c>.</summary>
    public static OpponentSpec FromParams(ParamReader entry)
    {
        entry.RejectUnknown("name", "type", "checkpoint_path", "command", "initial_rating", "metadata");
        string type = entry.String("type") ?? throw new EvaluationConfigException($"{entry.Path}.type: expected random, heuristic, checkpoint or usi, found nothing");
        var kind = type switch
        {
            "random" => ParticipantKind.Random,
            "heuristic" => ParticipantKind.Heuristic,
            "checkpoint" or "ppo" => ParticipantKind.Checkpoint,
            "usi" => ParticipantKind.Usi,
            _ => throw new EvaluationConfigException($"{entry.Path}.type: expected random, heuristic, checkpoint or usi, found '{type}'"),
        };
        string? path = entry.String("checkpoint_path");
        string? command = entry.String("command");
        if (kind == ParticipantKind.Checkpoint && path is null) throw new EvaluationConfigException($"{entry.Path}.checkpoint_path: required for type checkpoint");
        if (kind == ParticipantKind.Usi && command is null) throw new EvaluationConfigException($"{entry.Path}.command: required for type usi");
        if (kind == ParticipantKind.Usi && command!.Trim().Length == 0) throw new EvaluationConfigException($"{entry.Path}.command: expected a command line, found an empty one");
        string? given = entry.String("name");
        string name = given ?? (kind switch
        {
            ParticipantKind.Checkpoint => System.IO.Path.GetFileNameWithoutExtension(path!),
            ParticipantKind.Usi => $"usi:{command!.Trim()}",
            _ => type,
        });
        double? rating = entry.Has("initial_rating") ? entry.Double("initial_rating", 1500) : null;
        return new(name, kind, path, command, rating) { NameIsDerived = given is null };
    }
}
